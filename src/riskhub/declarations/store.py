"""Writing validated declarations: idempotent by (party, reference), amendments versioned.

Each chunk of declarations is written in one transaction, so a crash (even
``kill -9``) leaves whole chunks or nothing; running the same input again skips
what is already stored because its content fingerprint is unchanged.

Rows move in bulk through a ``BulkWriter``, the one place that knows each
database's fast path.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import orjson
import polars as pl
from sqlalchemy import Connection, Table, bindparam, delete, select, text, update

from riskhub.db import locks
from riskhub.declarations import fields
from riskhub.declarations.models import Declaration, DeclarationItem, KnownOutcome
from riskhub.declarations.validation import GROUP, HASH
from riskhub.kpis import rollup

_LOOKUP_BATCH = 2_000
_DECLARATIONS = cast(Table, Declaration.__table__)
_ITEMS = cast(Table, DeclarationItem.__table__)
_OUTCOMES = cast(Table, KnownOutcome.__table__)


class BulkWriter:
    """Moves many rows into one table inside the caller's open transaction.

    ``next_ids(conn, table, n)`` returns ``n`` primary keys nobody else will use;
    ``insert(conn, table, frame)`` inserts every row of ``frame``, whose column
    names are the table's; ``prepare_lookups(conn, table)`` makes key lookups in
    ``table`` fast again after bulk inserts; ``serialize(conn, parties)`` makes
    concurrent loads of the same Parties take turns. None commits. Implementations:
    ``SqliteBulkWriter`` (executemany of plain tuples) and
    ``PostgresBulkWriter`` (COPY of CSV that polars writes).
    """

    def next_ids(self, conn: Connection, table: str, n: int) -> list[int]:
        raise NotImplementedError

    def insert(self, conn: Connection, table: str, frame: pl.DataFrame) -> None:
        raise NotImplementedError

    def prepare_lookups(self, conn: Connection, table: str) -> None:
        """Nothing to do unless the database plans queries from statistics."""

    def serialize(self, conn: Connection, parties: list[str]) -> None:
        """Make concurrent writers of the same Parties' declarations take turns.

        SQLite has one writer at a time already; the caller's first write took it.
        """


class SqliteBulkWriter(BulkWriter):
    """SQLite: one writer at a time, so the highest key in our transaction is ours to extend."""

    def next_ids(self, conn: Connection, table: str, n: int) -> list[int]:
        top = conn.exec_driver_sql(f"SELECT COALESCE(MAX(id), 0) FROM {table}").scalar_one()
        return list(range(int(top) + 1, int(top) + 1 + n))

    def insert(self, conn: Connection, table: str, frame: pl.DataFrame) -> None:
        if not frame.height:
            return
        # SQLAlchemy reads SQLite datetimes back from this exact text form.
        frame = frame.with_columns(pl.col(pl.Datetime).dt.strftime("%Y-%m-%d %H:%M:%S%.6f"))
        cols = ", ".join(frame.columns)
        marks = ", ".join("?" for _ in frame.columns)
        conn.exec_driver_sql(f"INSERT INTO {table} ({cols}) VALUES ({marks})", frame.rows())


class PostgresBulkWriter(BulkWriter):
    """PostgreSQL: keys from the table's sequence; rows through COPY where the role may.

    PostgreSQL refuses COPY FROM into a table under row-level security, which is
    how the API's role sees every tenant table; that role inserts in batches
    instead. Operators' bulk loads (schema owner, BYPASSRLS) keep COPY.
    """

    def next_ids(self, conn: Connection, table: str, n: int) -> list[int]:
        result = conn.exec_driver_sql(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
            f"FROM generate_series(1, {int(n)})"
        )
        return [int(r[0]) for r in result]

    def insert(self, conn: Connection, table: str, frame: pl.DataFrame) -> None:
        if not frame.height:
            return
        if not _bypasses_row_security(conn):
            cols = ", ".join(frame.columns)
            marks = ", ".join(f"%({c})s" for c in frame.columns)
            conn.exec_driver_sql(f"INSERT INTO {table} ({cols}) VALUES ({marks})", frame.to_dicts())
            return
        buffer = io.BytesIO()
        frame.write_csv(buffer, include_header=False, datetime_format="%Y-%m-%d %H:%M:%S%.6f")
        cols = ", ".join(frame.columns)
        # The psycopg connection under SQLAlchemy's, in the same open transaction.
        driver: Any = conn.connection.driver_connection
        with (
            driver.cursor() as cur,
            cur.copy(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv)") as copy,
        ):
            copy.write(buffer.getvalue())

    def serialize(self, conn: Connection, parties: list[str]) -> None:
        _postgres_serialize(conn, parties)

    def prepare_lookups(self, conn: Connection, table: str) -> None:
        # A table that grew by bulk loads has stale planner statistics, and the
        # planner then scans it whole for every lookup: a load of a million items
        # slows down quadratically. Autovacuum catches up only a minute later, so
        # refresh them whenever the table has more than doubled since the last time.
        reltuples, modified = conn.execute(
            text(
                "SELECT c.reltuples, s.n_mod_since_analyze FROM pg_class c "
                "JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.relname = :table"
            ),
            {"table": table},
        ).one()
        if reltuples < 0 or modified > max(reltuples, 10_000):
            conn.exec_driver_sql(f"ANALYZE {table}")


def _postgres_serialize(conn: Connection, parties: list[str]) -> None:
    # Two requests storing the same new reference would both find it absent and
    # one would fail on the unique key; a lock per Party, taken in a fixed
    # order and held to commit, makes the second wait and then see the first.
    for party in sorted(set(parties)):
        locks.hold(conn, f"riskhub.declarations.{party}")


def _bypasses_row_security(conn: Connection) -> bool:
    """Whether the connected role is exempt from row-level security (cached per connection)."""
    info = conn.connection.info
    if "riskhub_bypass_rls" not in info:
        info["riskhub_bypass_rls"] = bool(
            conn.exec_driver_sql(
                "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"
            ).scalar_one()
        )
    return bool(info["riskhub_bypass_rls"])


def writer_for(conn: Connection) -> BulkWriter:
    """The bulk writer for the connection's database."""
    if conn.dialect.name == "postgresql":
        return PostgresBulkWriter()
    if conn.dialect.name == "sqlite":
        return SqliteBulkWriter()
    raise NotImplementedError(f"no bulk writer for {conn.dialect.name}")


@dataclass(frozen=True, slots=True)
class ChunkResult:
    stored: int
    amended: int
    unchanged: int
    items: int
    declarations: pl.DataFrame  # party, reference, id, version, status of each declaration


def store_chunk(conn: Connection, rows: pl.DataFrame, *, now: datetime) -> ChunkResult:
    """Store the declarations in ``rows`` (validated item rows); the caller commits."""
    writer = writer_for(conn)
    headers = rows.group_by(GROUP, maintain_order=True).agg(
        pl.col(HASH).first(), *(pl.col(n).first() for n in fields.HEADER)
    )
    writer.serialize(conn, headers.get_column("party").unique().to_list())
    writer.prepare_lookups(conn, "declarations")
    known = _existing(conn, headers)
    headers = headers.join(known, on=["party", "reference"], how="left")
    new = headers.filter(pl.col("id").is_null())
    changed = headers.filter(pl.col("id").is_not_null() & (pl.col("old_hash") != pl.col(HASH)))
    same = headers.filter(pl.col("old_hash") == pl.col(HASH))

    new = new.with_columns(
        pl.Series(
            "id",
            writer.next_ids(conn, "declarations", new.height) if new.height else [],
            dtype=pl.Int64,
        ),
        pl.lit(1, dtype=pl.Int64).alias("version"),
    )
    if new.height:
        writer.insert(
            conn,
            "declarations",
            new.select(
                "id",
                *fields.HEADER,
                "version",
                pl.col(HASH),
                pl.lit(now).alias("created_at"),
                pl.lit(now).alias("updated_at"),
            ),
        )
    if changed.height:
        _supersede(conn, writer, changed, now=now)

    targets = pl.concat([new.select(GROUP, "id"), changed.select(GROUP, "id")])
    items = rows.join(targets, on=GROUP, how="inner")
    writer.insert(
        conn,
        "declaration_items",
        items.select(pl.col("id").alias("declaration_id"), "party", *fields.ITEM),
    )
    # Revenue alone is a result too (a feed of recoveries may not name the kind);
    # a critical flag alone qualifies nothing, as before.
    outcomes = items.filter(
        pl.col("known_outcome").is_not_null() | pl.col("known_revenue_eur").is_not_null()
    )
    writer.insert(
        conn,
        "known_outcomes",
        outcomes.select(
            pl.col("id").alias("declaration_id"),
            "party",
            "item_no",
            pl.col("known_outcome").alias("outcome"),
            pl.col("known_critical").alias("critical"),
            pl.col("known_revenue_eur").alias("revenue_eur"),
        ),
    )
    declarations = pl.concat(
        [
            new.select("party", "reference", "id", "version", pl.lit("stored").alias("status")),
            changed.select(
                "party",
                "reference",
                "id",
                (pl.col("old_version") + 1).alias("version"),
                pl.lit("amended").alias("status"),
            ),
            same.select(
                "party",
                "reference",
                "id",
                pl.col("old_version").alias("version"),
                pl.lit("unchanged").alias("status"),
            ),
        ]
    )
    return ChunkResult(new.height, changed.height, same.height, items.height, declarations)


def _existing(conn: Connection, headers: pl.DataFrame) -> pl.DataFrame:
    """Stored (id, version, hash) of the chunk's (party, reference) keys."""
    t = _DECLARATIONS
    found: list[tuple[Any, ...]] = []
    for (party,), group in headers.group_by("party"):
        refs = group.get_column("reference").to_list()
        for start in range(0, len(refs), _LOOKUP_BATCH):
            batch = refs[start : start + _LOOKUP_BATCH]
            found.extend(
                conn.execute(
                    select(t.c.party, t.c.reference, t.c.id, t.c.version, t.c.content_hash).where(
                        t.c.party == party, t.c.reference.in_(batch)
                    )
                ).all()
            )
    return pl.DataFrame(
        found,
        schema={
            "party": pl.String,
            "reference": pl.String,
            "id": pl.Int64,
            "old_version": pl.Int64,
            "old_hash": pl.String,
        },
        orient="row",
    )


def _supersede(
    conn: Connection, writer: BulkWriter, changed: pl.DataFrame, *, now: datetime
) -> None:
    """Keep the current versions whole, then replace them with the amendments."""
    ids = changed.get_column("id").to_list()
    # In id order, before the update: the same order a decision's transaction locks them in.
    rollup.hold_declarations(connection=conn, declaration_ids=ids)
    documents = load_documents(conn, ids)
    writer.insert(
        conn,
        "declaration_versions",
        changed.select(
            pl.col("id").alias("declaration_id"),
            "party",
            pl.col("old_version").alias("version"),
            pl.col("old_hash").alias("content_hash"),
            pl.col("id")
            .map_elements(lambda i: orjson.dumps(documents[i]).decode(), return_dtype=pl.String)
            .alias("document"),
            pl.lit(now).alias("superseded_at"),
        ),
    )
    t = _DECLARATIONS
    values: dict[str, Any] = {n: bindparam("v_" + n) for n in (*fields.HEADER, "content_hash")}
    conn.execute(
        update(t)
        .where(t.c.id == bindparam("v_id"))
        .values(
            **values,
            version=t.c.version + 1,
            updated_at=now,
            # New identities arrive with an amendment: the retention clock applies again.
            personal_data_purged_at=None,
        ),
        [
            {"v_" + k: v for k, v in row.items()}
            for row in changed.select(
                "id", *fields.HEADER, pl.col(HASH).alias("content_hash")
            ).iter_rows(named=True)
        ],
    )
    for table in (_ITEMS, _OUTCOMES):
        for start in range(0, len(ids), _LOOKUP_BATCH):
            conn.execute(
                delete(table).where(table.c.declaration_id.in_(ids[start : start + _LOOKUP_BATCH]))
            )
    # The earlier versions' decisions no longer count in the KPIs of their days.
    rollup.refresh_declarations(connection=conn, declaration_ids=ids)


def load_documents(conn: Connection, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Declarations as plain JSON-able documents (header fields plus items), by id."""
    d, i = _DECLARATIONS, _ITEMS
    docs: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), _LOOKUP_BATCH):
        batch = ids[start : start + _LOOKUP_BATCH]
        for row in conn.execute(select(d).where(d.c.id.in_(batch))).mappings():
            docs[row["id"]] = {**_jsonable(row), "items": []}
        for row in conn.execute(
            select(i).where(i.c.declaration_id.in_(batch)).order_by(i.c.declaration_id, i.c.item_no)
        ).mappings():
            item = {k: v for k, v in _jsonable(row).items() if k in fields.ITEM}
            docs[row["declaration_id"]]["items"].append(item)
    return docs


def _jsonable(row: Any) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}
