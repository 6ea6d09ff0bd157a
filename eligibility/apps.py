from django.apps import AppConfig


class EligibilityConfig(AppConfig):
    name = "eligibility"

    def ready(self) -> None:
        from eligibility import crf  # noqa: F401 - registers this app's forms and signature
