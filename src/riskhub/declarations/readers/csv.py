"""CSV: one row per goods item, header fields repeated on each row."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import polars as pl

from riskhub.declarations import fields
from riskhub.declarations.problems import Problem, problems_frame
from riskhub.declarations.readers.base import (
    RawBatch,
    Reader,
    describe,
    empty_problems,
    finish_frame,
    split_known_columns,
)


class CsvReader(Reader):
    """Reads a CSV file with a header line; column names are matched loosely."""

    name = "csv"

    def read(self, path: Path) -> RawBatch:
        fast = _read_regular(path)
        return fast if fast is not None else _read_careful(path)


def _read_regular(path: Path) -> RawBatch | None:
    """Polars' parser, when a quick scan finds every record well formed.

    The scan gives each record's first line (quoted fields may span lines) and
    its number of fields. A ragged or empty record must be reported, not padded
    or skipped, so then we return None and the careful reader takes over.
    """
    data = path.read_bytes()
    records = _scan_records(data)
    if records is None:
        return None
    lines, widths = records
    if len(widths) == 0 or (widths != widths[0]).any():
        return None
    try:
        frame = pl.read_csv(data, infer_schema=False)
    except (pl.exceptions.PolarsError, UnicodeDecodeError):
        return None
    if frame.height != len(lines) - 1:
        return None
    known, ignored = split_known_columns(frame.columns)
    name = describe(path)
    line_numbers = pl.Series(fields.LINE, lines[1:], dtype=pl.Int64)
    columns = {field: frame.get_column(col) for col, field in known.items()}
    locations = (
        pl.DataFrame({"l": line_numbers})
        .select(pl.format("{} line {}", pl.lit(name), pl.col("l")))
        .to_series()
    )
    return RawBatch(finish_frame(columns, line_numbers, locations), empty_problems(), ignored)


def _scan_records(data: bytes) -> tuple[np.ndarray, np.ndarray] | None:
    """First line and field count of each CSV record; None if a record is empty.

    Separators inside quotes do not count. Quotes pair up in order (an escaped
    quote is two adjacent ones, which encloses nothing), so a position is
    quoted when an odd number of quotes precede it.
    """
    buf = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(buf == ord('"'))
    if buf.size == 0 or quotes.size % 2:
        return None
    newlines = np.flatnonzero(buf == ord("\n"))
    ends = newlines[np.searchsorted(quotes, newlines) % 2 == 0]
    if buf[-1] != ord("\n"):
        ends = np.append(ends, buf.size)
    starts = np.concatenate([[0], ends[:-1] + 1])
    if ((ends - starts) == 0).any() or (buf[np.minimum(starts, buf.size - 1)] == ord("\r")).any():
        return None
    commas = np.flatnonzero(buf == ord(","))
    per_record = np.diff(np.searchsorted(commas, ends), prepend=0)
    opens, closes = quotes[0::2], quotes[1::2]
    quoted = np.searchsorted(commas, closes) - np.searchsorted(commas, opens)
    record_of_span = np.searchsorted(ends, opens)
    per_record -= np.bincount(record_of_span, weights=quoted, minlength=ends.size).astype(np.int64)
    first_lines = np.searchsorted(newlines, starts) + 1
    return first_lines, per_record + 1


def _read_careful(path: Path) -> RawBatch:
    """Python's csv module: slower, but knows each record's line and reports ragged ones."""
    name = describe(path)
    problems: list[Problem] = []
    with path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            return RawBatch(finish_frame({}, [], []), empty_problems())
        known, ignored = split_known_columns(header)
        positions = [(i, known[col]) for i, col in enumerate(header) if col in known]
        columns: dict[str, list[str | None]] = {field: [] for _, field in positions}
        lines: list[int] = []
        start = reader.line_num + 1
        for record in reader:
            line = start
            start = reader.line_num + 1
            if not record:
                continue
            if len(record) != len(header):
                problems.append(
                    Problem(
                        f"{name} line {line}",
                        "",
                        f"has {len(record)} fields; the header has {len(header)}",
                        line=line,
                    )
                )
                continue
            if "\ufffd" in "".join(record):
                problems.append(
                    Problem(f"{name} line {line}", "", "is not valid UTF-8 text", line=line)
                )
                continue
            for i, field in positions:
                columns[field].append(record[i] if record[i] != "" else None)
            lines.append(line)
    locations = [f"{name} line {line}" for line in lines]
    return RawBatch(finish_frame(columns, lines, locations), problems_frame(problems), ignored)
