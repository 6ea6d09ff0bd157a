"""The imaging forms registered with the CRF registry (trial/crf.py)."""
