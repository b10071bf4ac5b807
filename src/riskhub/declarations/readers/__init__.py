"""Readers turn source files into raw rows; pick one by format or by file name."""

from __future__ import annotations

from pathlib import Path

from riskhub.declarations.readers.base import RawBatch, Reader, RecordCollector
from riskhub.declarations.readers.csv import CsvReader
from riskhub.declarations.readers.jsonl import JsonLinesReader
from riskhub.declarations.readers.kcs import KcsReader, looks_like_kcs
from riskhub.declarations.readers.parquet import ParquetReader
from riskhub.reference.parties import SANDBOX_PARTY

FORMATS = ("auto", "csv", "jsonl", "parquet", "kcs")

__all__ = [
    "FORMATS",
    "CsvReader",
    "JsonLinesReader",
    "KcsReader",
    "ParquetReader",
    "RawBatch",
    "Reader",
    "RecordCollector",
    "reader_for",
]


def reader_for(path: Path, fmt: str = "auto", *, kcs_party: str = SANDBOX_PARTY) -> Reader:
    """The reader for ``path``: the named format, or guessed from its name and header."""
    if fmt == "kcs":
        return KcsReader(kcs_party)
    if fmt == "csv":
        return CsvReader()
    if fmt == "jsonl":
        return JsonLinesReader()
    if fmt == "parquet":
        return ParquetReader()
    if fmt != "auto":
        raise ValueError(f"unknown format '{fmt}'; use one of {', '.join(FORMATS)}")
    suffix = path.suffix.lower()
    if suffix in {".jsonl", ".ndjson", ".json"}:
        return JsonLinesReader()
    if suffix in {".parquet", ".pq"}:
        return ParquetReader()
    if suffix == ".csv":
        with path.open("r", encoding="utf-8", errors="replace") as fh:
            header = fh.readline().rstrip("\r\n").split(",")
        return KcsReader(kcs_party) if looks_like_kcs(header) else CsvReader()
    raise ValueError(
        f"cannot tell the format of '{path.name}' from its name; pass --format "
        f"({', '.join(FORMATS[1:])})"
    )
