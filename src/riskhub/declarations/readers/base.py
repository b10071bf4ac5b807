"""The reader contract, and the helpers every reader shares.

A reader turns one source into a ``RawBatch``: every value as text, one row per
goods item, each row knowing where it came from. Readers never judge values;
the validator does that once, for every format alike. A reader only reports
what it could not read at all (a line that is not JSON, a CSV line with the
wrong number of fields), and never raises on bad content.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import polars as pl

from riskhub.declarations import fields
from riskhub.declarations.problems import PROBLEM_SCHEMA, Problem, problems_frame

RECORD = "_record"  # index of the nested record a row came from; null for flat rows
UNREADABLE = "\ufffd"  # stands in for characters that cannot be text (NUL, invalid bytes)


@dataclass(frozen=True, slots=True)
class RawBatch:
    """What a reader hands to the validator."""

    frame: pl.DataFrame
    problems: pl.DataFrame
    ignored_columns: tuple[str, ...] = ()


class Reader:
    """Reads a source file into a :class:`RawBatch`.

    Implementations: ``CsvReader``, ``JsonLinesReader``, ``ParquetReader``,
    ``KcsReader``. ``read`` must return every readable row (text values, with
    ``_line`` and ``_loc``), list each unreadable line in ``problems``, and
    never raise because of what the file contains; it may raise ``OSError``
    when the file itself cannot be opened.
    """

    name: str = ""

    def read(self, path: Path) -> RawBatch:
        raise NotImplementedError


def normalize_column(name: str) -> str:
    """'HS Code' and 'hs-code' both mean ``hs_code``."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def empty_problems() -> pl.DataFrame:
    return pl.DataFrame(schema=PROBLEM_SCHEMA)


def finish_frame(
    columns: Mapping[str, list[str | None] | pl.Series],
    lines: list[int] | pl.Series,
    locations: list[str] | pl.Series,
    records: list[int | None] | pl.Series | None = None,
) -> pl.DataFrame:
    """Assemble the raw frame: every field as text (missing ones null), then provenance."""
    height = len(lines)
    data: dict[str, Any] = {}
    for name in fields.ALL:
        values = columns.get(name)
        data[name] = (
            pl.Series(name, values, dtype=pl.String)
            if values is not None
            else pl.repeat(None, height, dtype=pl.String, eager=True).alias(name)
        )
    # NUL cannot be stored as text (PostgreSQL refuses it); mark it visibly, and
    # the validator rejects any value that carries the mark.
    for name in fields.ALL:
        data[name] = data[name].str.replace_all("\x00", UNREADABLE, literal=True)
    data[fields.LINE] = pl.Series(fields.LINE, lines, dtype=pl.Int64)
    data[fields.LOCATION] = pl.Series(fields.LOCATION, locations, dtype=pl.String)
    data[RECORD] = (
        pl.Series(RECORD, records, dtype=pl.Int64)
        if records is not None
        else pl.repeat(None, height, dtype=pl.Int64, eager=True).alias(RECORD)
    )
    return pl.DataFrame(data)


def split_known_columns(names: Iterable[str]) -> tuple[dict[str, str], tuple[str, ...]]:
    """Map source column names to field names; return the ones that are not fields."""
    known: dict[str, str] = {}
    ignored: list[str] = []
    for name in names:
        norm = normalize_column(name)
        if norm in fields.BY_NAME and norm not in known.values():
            known[name] = norm
        else:
            ignored.append(name)
    return known, tuple(ignored)


def as_text(value: Any) -> str | None:
    """A JSON value as the text a CSV cell would hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ";".join("" if v is None else str(v) for v in value)
    if isinstance(value, dict):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    return str(value)


class RecordCollector:
    """Collects JSON objects (nested declarations or flat item rows) into columns.

    Shared by the JSON Lines reader and the API, so both read a declaration the
    same way and report the same places.
    """

    def __init__(self) -> None:
        self.columns: dict[str, list[str | None]] = {name: [] for name in fields.ALL}
        self.lines: list[int] = []
        self.locations: list[str] = []
        self.records: list[int | None] = []
        self.problems: list[Problem] = []
        self.ignored: set[str] = set()
        self._n_records = 0

    def add(self, obj: Any, *, line: int, where: str) -> None:
        """Add one declaration (with ``items``) or one flat item row."""
        if not isinstance(obj, dict):
            self.problems.append(
                Problem(where, "", "expected a JSON object (a declaration)", line=line)
            )
            return
        items = obj.get("items")
        if items is None:
            self._row(obj, {}, line=line, where=where, record=None)
            return
        party, reference = _str_or_none(obj.get("party")), _str_or_none(obj.get("reference"))

        def reject(place: str, field: str, reason: str) -> None:
            self.problems.append(Problem(place, field, reason, line, party, reference))

        if not isinstance(items, list) or not items:
            reject(where, "items", "'items' must be a non-empty list of goods items")
            return
        broken = [k for k, item in enumerate(items, start=1) if not isinstance(item, dict)]
        if broken:
            # A declaration is stored whole or not at all.
            for k in range(1, len(items) + 1):
                reject(
                    f"{where} item {k}",
                    "",
                    "a goods item must be a JSON object"
                    if k in broken
                    else f"not stored: item {broken[0]} of the same declaration is not an object",
                )
            return
        record = self._n_records
        self._n_records += 1
        for k, item in enumerate(items, start=1):
            self._row(obj, item, line=line, where=f"{where} item {k}", record=record)

    def _row(
        self,
        header: dict[str, Any],
        item: dict[str, Any],
        *,
        line: int,
        where: str,
        record: int | None,
    ) -> None:
        merged = {k: v for k, v in header.items() if k != "items"}
        merged.update(item)
        row: dict[str, str | None] = {}
        for key, value in merged.items():
            name = normalize_column(key)
            if name in fields.BY_NAME:
                row[name] = as_text(value)
            else:
                self.ignored.add(key)
        for name, column in self.columns.items():
            column.append(row.get(name))
        self.lines.append(line)
        self.locations.append(where)
        self.records.append(record)

    def batch(self) -> RawBatch:
        frame = finish_frame(self.columns, self.lines, self.locations, self.records)
        return RawBatch(frame, problems_frame(self.problems), tuple(sorted(self.ignored)))


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def describe(path: Path) -> str:
    """How a file is named in problem locations."""
    return path.name
