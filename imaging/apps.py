from django.apps import AppConfig


class ImagingConfig(AppConfig):
    name = "imaging"

    def ready(self) -> None:
        from imaging import crf  # noqa: F401 - registers this app's forms
