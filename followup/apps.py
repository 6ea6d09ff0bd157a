from typing import Any

from django.apps import AppConfig

from trial import schedule

# The RECIST card shows from enrolment on; it costs no query (a link to the RECIST page).
RECIST_STATUSES = (schedule.ENROLLED, schedule.FOLLOW_UP, schedule.COMPLETED, schedule.WITHDRAWN)


def recist_panel_context(participant: Any, user: Any) -> dict[str, Any]:
    return {"show": participant.status in RECIST_STATUSES}


class FollowupConfig(AppConfig):
    name = "followup"

    def ready(self) -> None:
        # These modules read models, which Django imports after the AppConfig: here, once every
        # app is loaded. Importing crf registers this app's forms and its derived values.
        from followup import crf, demo, pdf_sections  # noqa: F401
        from trial import registry

        registry.register_demo(registry.DemoHooks("followup", fill=demo.fill, turns=demo.TURNS))
        registry.register_pdf_section("recist-sums", pdf_sections.recist_sums)
        registry.register_panel(
            registry.Panel("recist", "followup/_recist_panel.html", recist_panel_context, order=20)
        )
