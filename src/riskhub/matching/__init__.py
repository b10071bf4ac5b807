"""SEED cross-border matching: exports paired with entries across the border, and compared."""

from riskhub.matching.engine import FINDING_SCHEMA, KINDS, Matching, Tolerances, match

__all__ = ["FINDING_SCHEMA", "KINDS", "Matching", "Tolerances", "match"]
