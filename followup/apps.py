from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "followup"

    def ready(self) -> None:
        from followup import crf  # noqa: F401 - registers this app's forms
