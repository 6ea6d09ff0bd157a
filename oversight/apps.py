from django.apps import AppConfig


class OversightConfig(AppConfig):
    """Risk-based study oversight (issue 29): the indicators of each site, the trial's
    endpoints, the safety tables and the DSMB report.

    A reporting layer above the domain apps: it reads their models, selectors and
    calculations; neither `trial` nor a domain app imports it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "oversight"
