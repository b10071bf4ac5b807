"""Read stored declarations as item rows (the criteria layout) into polars."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Select, and_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from riskhub.declarations import fields as f
from riskhub.declarations.models import Declaration, DeclarationItem, KnownOutcome

_POLARS = {
    f.Kind.TEXT: pl.String, f.Kind.CODE: pl.String, f.Kind.LIST: pl.String,
    f.Kind.INT: pl.Int64, f.Kind.FLOAT: pl.Float64, f.Kind.BOOL: pl.Boolean,
    f.Kind.DATETIME: pl.Datetime("us"),
}  # fmt: skip
_SKIP = {"extra", "known_critical", "known_revenue_eur"}
HEADER = [n for n in f.HEADER if n not in _SKIP]
ITEM = [n for n in f.ITEM if n not in _SKIP]
SCHEMA: dict[str, Any] = {
    "declaration_id": pl.Int64,
    "version": pl.Int64,
    **{n: _POLARS[f.BY_NAME[n].kind] for n in (*HEADER, *ITEM)},
    "known_outcome": pl.String,
    "known_revenue_eur": pl.Float64,
}


def item_rows(*conditions: Any) -> Select[Any]:
    """Current item rows of the declarations matching ``conditions``, with known outcomes."""
    d, i, k = Declaration, DeclarationItem, KnownOutcome
    return (
        select(
            d.id,
            d.version,
            *[getattr(d, n) for n in HEADER],
            *[getattr(i, n) for n in ITEM],
            k.outcome,
            k.revenue_eur,
        )
        .join(i, i.declaration_id == d.id)
        .outerjoin(k, and_(k.declaration_id == d.id, k.item_no == i.item_no))
        .where(*conditions)
        .order_by(d.lodged_at, d.id, i.item_no)
    )


def read_rows(conn: Connection | Session, query: Select[Any]) -> pl.DataFrame:
    """The query's rows as a frame with the criteria layout's types."""
    rows = conn.execute(query).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=SCHEMA, orient="row")


def between(start: datetime, end: datetime) -> Any:
    """Declarations lodged in [start, end)."""
    return and_(Declaration.lodged_at >= start, Declaration.lodged_at < end)
