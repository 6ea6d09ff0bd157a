from django.apps import AppConfig


class EligibilityConfig(AppConfig):
    name = "eligibility"

    def ready(self) -> None:
        # These modules read models, which Django imports after the AppConfig: here, once every
        # app is loaded. Importing crf registers this app's forms and the sign-off decision.
        from eligibility import crf, demo, facts  # noqa: F401
        from trial import registry

        registry.DEMOGRAPHICS.provide(facts.demographics)
        registry.RECIST_BASELINES.provide(facts.recist_baselines)
        registry.register_demo(
            registry.DemoHooks("eligibility", fill=demo.fill, finish=demo.finish)
        )
