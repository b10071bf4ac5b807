"""JSON Lines: one declaration (with an ``items`` list) or one flat item row per line."""

from __future__ import annotations

from pathlib import Path

import orjson

from riskhub.declarations.problems import Problem
from riskhub.declarations.readers.base import RawBatch, Reader, RecordCollector, describe


class JsonLinesReader(Reader):
    """Reads JSON Lines; a line that is not a JSON object is reported and skipped."""

    name = "jsonl"

    def read(self, path: Path) -> RawBatch:
        name = describe(path)
        collector = RecordCollector()
        with path.open("rb") as fh:
            for line_no, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                where = f"{name} line {line_no}"
                try:
                    obj = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    collector.problems.append(
                        Problem(where, "", f"is not valid JSON ({exc})", line=line_no)
                    )
                    continue
                collector.add(obj, line=line_no, where=where)
        return collector.batch()
