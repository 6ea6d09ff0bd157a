"""Sites and the memberships that give people their sites."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from trial.audit import audited


def default_language() -> str:
    return settings.LANGUAGE_CODE


@audited
class Site(models.Model):
    code = models.CharField(_("code"), max_length=8, unique=True)
    name = models.CharField(_("name"), max_length=100)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Paris")
    # The language of the site's staff, unless they choose their own (UserPreference).
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=default_language
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


@audited
class Membership(models.Model):
    """A user belongs to one or more sites; what they may do there comes from their roles."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="memberships")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "site"], name="membership_unique_user_site")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.site_id}"
