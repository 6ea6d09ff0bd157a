from django.apps import AppConfig


class DosingConfig(AppConfig):
    name = "dosing"

    def ready(self) -> None:
        # These modules read models, which Django imports after the AppConfig: here, once every
        # app is loaded. Importing crf registers this app's forms and decisions.
        from dosing import crf, demo, selectors  # noqa: F401
        from dosing.labimport.queue import panel_context
        from dosing.reminders import unreported_serious_aes
        from dosing.templatetags.dosing_tags import ae_panel_context
        from trial import registry

        registry.LAB_ITEMS.provide(selectors.lab_items)
        registry.CYCLE_FACTS.provide(selectors.cycle_facts)
        registry.IAH_INFUSION.provide(selectors.iah_infusion)
        registry.IAH_NET_ACTIVITY_MBQ.provide(selectors.iah_net_activity_mbq)
        registry.IAH_DOSE.provide(selectors.iah_dose_facts)
        registry.register_demo(registry.DemoHooks("dosing", fill=demo.fill))
        registry.register_reminder_source("serious_aes", unreported_serious_aes)
        registry.register_panel(
            registry.Panel("adverse_events", "dosing/_ae_summary.html", ae_panel_context, order=10)
        )
        registry.register_panel(
            registry.Panel(
                "lab_import", "dosing/labimport/_queue_card.html", panel_context, order=11
            )
        )
