"""Compilers of a criteria tree: polars (the engine), SQL (databases), Python (reference)."""

from riskhub.profiles.criteria.backends.base import CriteriaBackend
from riskhub.profiles.criteria.backends.polars import PolarsBackend
from riskhub.profiles.criteria.backends.python import PythonBackend
from riskhub.profiles.criteria.backends.sql import SqlBackend

__all__ = ["CriteriaBackend", "PolarsBackend", "PythonBackend", "SqlBackend"]
