from django.apps import AppConfig


class EligibilityConfig(AppConfig):
    name = "eligibility"

    def ready(self) -> None:
        # Importing crf registers this app's forms and signature.
        from eligibility import crf, demo, facts  # noqa: F401
        from trial import registry

        registry.DEMOGRAPHICS.provide(facts.demographics)
        registry.RECIST_BASELINES.provide(facts.recist_baselines)
        registry.register_demo(
            registry.DemoHooks("eligibility", fill=demo.fill, finish=demo.finish)
        )
