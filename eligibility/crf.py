"""The screening forms registered with the CRF registry (trial/crf.py)."""

from eligibility.forms import DemographicsForm
from eligibility.models import Demographics
from trial.crf import Crf, register

register(Crf("DEMOG", Demographics, DemographicsForm))
