from django.apps import AppConfig


class DosingConfig(AppConfig):
    name = "dosing"

    def ready(self) -> None:
        # Importing crf registers this app's forms.
        from dosing import crf, demo, selectors  # noqa: F401
        from dosing.templatetags.dosing_tags import ae_panel_context
        from trial import registry

        registry.register_facts("lab_items", selectors.lab_items)
        registry.register_facts("cycle_facts", selectors.cycle_facts)
        registry.register_facts("iah_infusion", selectors.iah_infusion)
        registry.register_facts("iah_net_activity_mbq", selectors.iah_net_activity_mbq)
        registry.register_facts("iah_dose", selectors.iah_dose_facts)
        registry.register_demo(registry.DemoHooks("dosing", fill=demo.fill))
        from dosing.reminders import unreported_serious_aes

        registry.register_reminder_source("serious_aes", unreported_serious_aes)
        registry.register_panel(
            registry.Panel("adverse_events", "dosing/_ae_summary.html", ae_panel_context, order=10)
        )
        from dosing.labimport.queue import panel_context

        registry.register_panel(
            registry.Panel(
                "lab_import", "dosing/labimport/_queue_card.html", panel_context, order=11
            )
        )
