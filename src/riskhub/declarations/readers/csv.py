"""CSV: one row per goods item, header fields repeated on each row."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl

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
    """Polars' parser, used when every record is exactly one line.

    Line numbers are only trustworthy when no quoted field spans lines, and a
    ragged line must be reported, not padded; in either case we return None and
    the careful reader takes over.
    """
    try:
        frame = pl.read_csv(path, infer_schema=False)
        with path.open("rb") as fh:
            data = fh.read()
    except (pl.exceptions.PolarsError, UnicodeDecodeError):
        return None
    physical_lines = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    if physical_lines != frame.height + 1 or b"\r" in data:
        return None
    known, ignored = split_known_columns(frame.columns)
    name = describe(path)
    lines = pl.int_range(2, frame.height + 2, eager=True, dtype=pl.Int64)
    columns = {field: frame.get_column(col) for col, field in known.items()}
    locations = pl.format("{} line {}", pl.lit(name), pl.col("l"))
    loc = pl.DataFrame({"l": lines}).select(locations).to_series()
    return RawBatch(finish_frame(columns, lines, loc), empty_problems(), ignored)


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
