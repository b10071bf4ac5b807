"""Capacity building (S12, M6): a training sandbox with scored exercises, cohorts, records."""
