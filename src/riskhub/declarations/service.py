"""Declaration services: ingest files and API submissions, read declarations, count."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine, func, insert, select, text, update
from sqlalchemy.orm import Session, selectinload

from riskhub.db.base import utcnow
from riskhub.declarations import fields
from riskhub.declarations.models import (
    Declaration,
    DeclarationItem,
    DeclarationVersion,
    IngestRejection,
    IngestRun,
    KnownOutcome,
)
from riskhub.declarations.problems import Problem, problems_list
from riskhub.declarations.readers import RawBatch, RecordCollector, reader_for
from riskhub.declarations.store import store_chunk
from riskhub.declarations.validation import GROUP, ValidatedBatch, validate
from riskhub.logs import log
from riskhub.reference.parties import SANDBOX_PARTY

Progress = Callable[[int, int], None]  # (declarations done, declarations in all)


@dataclass(slots=True)
class IngestSummary:
    """What one load did, for people (CLI, API) and scripts (JSON)."""

    run_id: int
    source: str
    stored: int = 0
    amended: int = 0
    unchanged: int = 0
    items: int = 0
    rejected_rows: int = 0
    duplicate_rows: int = 0
    ignored_columns: tuple[str, ...] = ()
    problems: list[Problem] = field(default_factory=list)
    # party, reference, id, version, status ('stored', 'amended', 'unchanged') per declaration
    declarations: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "source": self.source,
            "stored": self.stored,
            "amended": self.amended,
            "unchanged": self.unchanged,
            "items": self.items,
            "rejected_rows": self.rejected_rows,
            "duplicate_rows": self.duplicate_rows,
        }


def ingest_path(
    *,
    engine: Engine,
    path: Path,
    fmt: str = "auto",
    kcs_party: str = SANDBOX_PARTY,
    chunk_declarations: int = 20_000,
    progress: Progress | None = None,
) -> IngestSummary:
    """Load one file; good declarations are stored even when others are rejected."""
    reader = reader_for(path, fmt, kcs_party=kcs_party)
    sha = _file_sha256(path)
    raw = reader.read(path)
    return _ingest(
        engine=engine,
        raw=raw,
        source=str(path),
        sha=sha,
        fmt=reader.name,
        submitted_by_party=None,
        chunk_declarations=chunk_declarations,
        progress=progress,
    )


def ingest_records(
    *,
    engine: Engine,
    records: list[Any],
    submitted_by_party: str,
    body_sha256: str,
    offices: tuple[str, ...] = (),
    where: Callable[[int], str] = lambda i: f"declarations[{i}]",
) -> IngestSummary:
    """Load declarations sent as JSON objects (the API); a missing party is the sender's.

    A caller submits for its own Party only, and an officer only at their offices.
    """
    collector = RecordCollector()
    for i, record in enumerate(records):
        if isinstance(record, dict) and record.get("party") in (None, ""):
            record = {**record, "party": submitted_by_party}
        collector.add(record, line=i + 1, where=where(i))
    raw = collector.batch()
    held_elsewhere = (
        _held_at_other_offices(engine, submitted_by_party, raw.frame, offices) if offices else set()
    )
    raw = _only_permitted(raw, submitted_by_party, offices, held_elsewhere)
    return _ingest(
        engine=engine, raw=raw, source="api", sha=body_sha256, fmt="json",
        submitted_by_party=submitted_by_party, chunk_declarations=len(records) or 1,
        progress=None,
    )  # fmt: skip


def _held_at_other_offices(
    engine: Engine, party: str, frame: pl.DataFrame, offices: tuple[str, ...]
) -> set[str]:
    """References of ``party`` already stored at an office outside ``offices``."""
    refs = frame.get_column("reference").drop_nulls().str.strip_chars().unique().to_list()
    found: set[str] = set()
    with engine.connect() as conn:
        for start in range(0, len(refs), 2_000):
            found.update(
                conn.execute(
                    select(Declaration.reference).where(
                        Declaration.party == party,
                        Declaration.reference.in_(refs[start : start + 2_000]),
                        Declaration.office.not_in(offices),
                    )
                ).scalars()
            )
    return found


def _only_permitted(
    raw: RawBatch, party: str, offices: tuple[str, ...], held_elsewhere: set[str]
) -> RawBatch:
    """Rows of another Party, or of an office the officer does not work at, become problems.

    An officer may not amend a declaration stored at another office either.
    """
    frame = raw.frame
    claimed_party = pl.col("party").str.strip_chars().str.to_uppercase()
    claimed_office = pl.col("office").str.strip_chars().str.to_uppercase()
    foreign = frame.filter(claimed_party != party).select(
        fields.LINE, fields.LOCATION, pl.lit("party").alias("field"),
        pl.format(f"declaration belongs to Party '{{}}'; you submit for {party}",
                  pl.col("party")).alias("reason"),
        pl.lit(party).alias("party"), "reference",
    )  # fmt: skip
    elsewhere = frame.filter(
        (claimed_party == party) & pl.lit(bool(offices)) & ~claimed_office.is_in(offices)
    ).select(
        fields.LINE, fields.LOCATION, pl.lit("office").alias("field"),
        pl.format(f"you may lodge at {', '.join(offices)} only, not at '{{}}'",
                  pl.col("office")).alias("reason"),
        "party", "reference",
    )  # fmt: skip
    taken = frame.filter(
        (claimed_party == party)
        & claimed_office.is_in(offices)
        & pl.col("reference").str.strip_chars().is_in(sorted(held_elsewhere))
    ).select(
        fields.LINE, fields.LOCATION, pl.lit("reference").alias("field"),
        pl.lit("this declaration is lodged at an office you do not work at").alias("reason"),
        "party", "reference",
    )  # fmt: skip
    refused = pl.concat([foreign, elsewhere, taken])
    if not refused.height:
        return raw
    kept = frame.join(refused.select(fields.LOCATION), on=fields.LOCATION, how="anti")
    return RawBatch(kept, pl.concat([raw.problems, refused]), raw.ignored_columns)


def _ingest(
    *,
    engine: Engine,
    raw: RawBatch,
    source: str,
    sha: str,
    fmt: str,
    submitted_by_party: str | None,
    chunk_declarations: int,
    progress: Progress | None,
) -> IngestSummary:
    now = utcnow()
    validated = validate(raw, now=now.replace(tzinfo=UTC))
    run_id = _start_run(engine, source=source, sha=sha, fmt=fmt, party=submitted_by_party, now=now)
    summary = IngestSummary(
        run_id=run_id,
        source=source,
        rejected_rows=validated.rejected_rows,
        duplicate_rows=validated.duplicate_rows,
        ignored_columns=raw.ignored_columns,
        problems=problems_list(validated.problems),
    )
    _record_rejections(engine, validated.problems, run_id=run_id, sha=sha, owner=submitted_by_party)
    total, done = validated.declarations, 0
    if progress:
        progress(0, total)
    for chunk in _chunks(validated, chunk_declarations):
        with engine.begin() as conn:
            # Writing first takes SQLite's write lock before we read what exists.
            conn.execute(update(IngestRun).where(IngestRun.id == run_id).values(status="running"))
            result = store_chunk(conn, chunk, now=now)
            conn.execute(
                update(IngestRun)
                .where(IngestRun.id == run_id)
                .values(
                    stored=IngestRun.stored + result.stored,
                    amended=IngestRun.amended + result.amended,
                    unchanged=IngestRun.unchanged + result.unchanged,
                    items=IngestRun.items + result.items,
                )
            )
        summary.stored += result.stored
        summary.amended += result.amended
        summary.unchanged += result.unchanged
        summary.items += result.items
        summary.declarations.extend(result.declarations.to_dicts())
        done += chunk.get_column(GROUP).n_unique()
        if progress:
            progress(done, total)
    with engine.begin() as conn:
        conn.execute(
            update(IngestRun)
            .where(IngestRun.id == run_id)
            .values(
                status="finished",
                finished_at=utcnow(),
                rejected_rows=summary.rejected_rows,
                duplicate_rows=summary.duplicate_rows,
            )
        )
    log.info("ingest.finished", format=fmt, party=submitted_by_party, **summary.counts())
    return summary


def _chunks(validated: ValidatedBatch, size: int) -> Iterator[pl.DataFrame]:
    """Whole declarations per chunk; first versions before in-batch amendments."""
    for rows in validated.rounds():
        groups = rows.get_column(GROUP).unique(maintain_order=True)
        for start in range(0, groups.len(), size):
            wanted = groups.slice(start, size).implode()
            yield rows.filter(pl.col(GROUP).is_in(wanted))


def _start_run(
    engine: Engine, *, source: str, sha: str, fmt: str, party: str | None, now: datetime
) -> int:
    with engine.begin() as conn:
        return int(
            conn.execute(
                insert(IngestRun)
                .values(
                    source=source,
                    source_sha256=sha,
                    format=fmt,
                    party=party,
                    status="running",
                    started_at=now,
                    stored=0,
                    amended=0,
                    unchanged=0,
                    items=0,
                    rejected_rows=0,
                    duplicate_rows=0,
                )
                .returning(IngestRun.id)
            ).scalar_one()
        )


def _record_rejections(
    engine: Engine, problems: pl.DataFrame, *, run_id: int, sha: str, owner: str | None
) -> None:
    """Keep every problem; the same source's same problem is kept once, however often loaded.

    Rejections of an API submission belong to the submitting Party, whatever the
    rows claimed; an operator's load files each under the Party its row names.
    """
    rows = [
        {
            "run_id": run_id,
            "sha": sha,
            # '' for rows whose Party is unknown, so the unique key still holds for them.
            "party": owner or p["party"] or "",
            "reference": p["reference"],
            "line": p["_line"],
            "location": p["_loc"],
            "field": p["field"],
            "reason": p["reason"],
        }
        for p in problems.iter_rows(named=True)
    ]
    if not rows:
        return
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO ingest_rejections (run_id, source_sha256, party, reference, "
                "line, location, field, reason) VALUES (:run_id, :sha, :party, :reference, "
                ":line, :location, :field, :reason) "
                "ON CONFLICT (party, source_sha256, location, field) DO NOTHING"
            ),
            rows,
        )


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def get_declaration(
    *, session: Session, party: str, declaration_id: int, offices: tuple[str, ...] = ()
) -> Declaration | None:
    """One declaration of ``party`` (at ``offices``, if given) with its items and versions."""
    query = select(Declaration).where(Declaration.id == declaration_id, Declaration.party == party)
    if offices:
        query = query.where(Declaration.office.in_(offices))
    return session.scalar(
        query.options(
            selectinload(Declaration.items),
            selectinload(Declaration.versions),
            selectinload(Declaration.outcomes),
        )
    )


def list_declarations(
    *,
    session: Session,
    party: str,
    offices: tuple[str, ...] = (),
    office: str | None = None,
    reference: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Declaration]:
    """A page of ``party``'s declarations (at ``offices``, if given), newest lodgement first."""
    query = select(Declaration).where(Declaration.party == party)
    if offices:
        query = query.where(Declaration.office.in_(offices))
    if office:
        query = query.where(Declaration.office == office)
    if reference:
        query = query.where(Declaration.reference == reference)
    query = query.order_by(Declaration.lodged_at.desc(), Declaration.id.desc())
    return list(session.scalars(query.limit(limit).offset(offset)))


def stats(*, engine: Engine, party: str | None = None) -> dict[str, int]:
    """Counts a script can check a load against (all Parties, or one)."""

    def count(model: Any, column: Any = None) -> int:
        query = select(func.count(column if column is not None else model.id))
        if party is not None:
            query = query.where(model.party == party)
        return int(conn.execute(query).scalar_one())

    with engine.connect() as conn:
        return {
            "declarations": count(Declaration),
            "items": count(DeclarationItem),
            "amendments": count(DeclarationVersion),
            "known_outcomes": count(KnownOutcome),
            "rejected_rows": count(
                IngestRejection,
                func.distinct(IngestRejection.source_sha256 + ":" + IngestRejection.location),
            ),
        }


def counts_by_office(*, engine: Engine) -> list[dict[str, Any]]:
    """Declarations and items per Party and office."""
    d, i = Declaration, DeclarationItem
    items = select(i.declaration_id, func.count().label("n")).group_by(i.declaration_id).subquery()
    query = (
        select(d.party, d.office, func.count(d.id), func.sum(items.c.n))
        .join(items, items.c.declaration_id == d.id)
        .group_by(d.party, d.office)
        .order_by(d.party, d.office)
    )
    with engine.connect() as conn:
        return [
            {"party": p, "office": o, "declarations": int(n), "items": int(k or 0)}
            for p, o, n, k in conn.execute(query)
        ]


def known_outcomes_by_kind(*, engine: Engine) -> dict[str, int]:
    """How many items carry each known outcome (e.g. planted non-compliance in synthetic data)."""
    query = (
        select(KnownOutcome.outcome, func.count())
        .where(KnownOutcome.outcome.is_not(None))  # revenue-only results name no kind
        .group_by(KnownOutcome.outcome)
        .order_by(func.count().desc())
    )
    with engine.connect() as conn:
        return {str(kind): int(n) for kind, n in conn.execute(query)}


def counts_by_party(*, engine: Engine) -> list[dict[str, Any]]:
    """Declarations and items per Party, across all Parties: aggregates, nothing else.

    On PostgreSQL row-level security hides other Parties' rows from the API's
    role, so the numbers come from ``riskhub_declaration_counts()``, a function
    that runs as the schema owner and returns counts only.
    """
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            rows = conn.execute(
                text("SELECT party, declarations, items FROM riskhub_declaration_counts()")
            )
        else:
            d, i = Declaration, DeclarationItem
            rows = conn.execute(
                select(d.party, func.count(func.distinct(d.id)), func.count(i.id))
                .join(i, i.declaration_id == d.id)
                .group_by(d.party)
                .order_by(d.party)
            )
        return [{"party": p, "declarations": int(n), "items": int(k)} for p, n, k in rows]
