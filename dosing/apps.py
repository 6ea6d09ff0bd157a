from django.apps import AppConfig


class DosingConfig(AppConfig):
    name = "dosing"

    def ready(self) -> None:
        from dosing import crf  # noqa: F401 - registers this app's forms
