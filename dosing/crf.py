"""The dosing forms registered with the CRF registry (trial/crf.py)."""
