from django.apps import AppConfig


class EligibilityConfig(AppConfig):
    name = "eligibility"

    def ready(self) -> None:
        # Importing crf registers this app's forms and signature.
        from eligibility import crf, demo, facts  # noqa: F401
        from trial import registry

        registry.register_facts("demographics", facts.demographics)
        registry.register_facts("recist_baseline", facts.recist_baselines)
        registry.register_demo(
            registry.DemoHooks("eligibility", fill=demo.fill, finish=demo.finish)
        )
