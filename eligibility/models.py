"""Screening CRFs' data."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from trial.audit import audited
from trial.models import CrfModel


class Sex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")


@audited
class Demographics(CrfModel):
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    height_cm = models.DecimalField(
        _("height"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    weight_kg = models.DecimalField(
        _("weight"), max_digits=4, decimal_places=1, null=True, blank=True
    )
