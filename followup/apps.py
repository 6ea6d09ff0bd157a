from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "followup"

    def ready(self) -> None:
        from followup import crf, demo  # noqa: F401 - registers this app's forms
        from trial import registry

        registry.register_demo(registry.DemoHooks("followup", fill=demo.fill))
