from django.apps import AppConfig


class SubmissionConfig(AppConfig):
    """Submission-ready outputs (issue 27): the SDTM package and the 25-year archive.

    A reporting layer above the domain apps: it reads their models and selectors; neither
    `trial` nor a domain app imports it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "submission"
