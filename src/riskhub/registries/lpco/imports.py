"""Load LPCOs from CSV: good rows land, each bad one is listed with its line and reason.

Columns: party, number, kind, agency, holder, hs_scope (';'-separated HS
prefixes, may be empty), allowance, unit (both or neither), valid_from,
valid_to. A number already in the Party's registry with the same terms is
unchanged; with other terms it is refused: an issued LPCO is changed through
suspension or revocation, never rewritten by a file.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from riskhub.db import tenancy
from riskhub.db.base import utcnow
from riskhub.logs import log
from riskhub.reference.parties import DECLARATION_OWNERS
from riskhub.registries.lpco import service
from riskhub.registries.lpco.models import Lpco
from riskhub.registries.lpco.schemas import LpcoIn
from riskhub.registries.schemas import ImportResult, RowProblem
from riskhub.registries.service import _records

REQUIRED = ("party", "number", "kind", "agency", "holder", "valid_from", "valid_to")
COLUMNS = (*REQUIRED, "hs_scope", "allowance", "unit")
_UNREADABLE = "\ufffd"


def import_lpcos(*, engine: Engine, path: Path, actor: str = "cli") -> ImportResult:
    """Record the LPCOs of a CSV file; bad rows are listed, good ones still land."""
    result = ImportResult(source=str(path))
    text = path.read_bytes().decode("utf-8-sig", errors="replace").replace("\x00", _UNREADABLE)
    records = _records(text)
    header_line, header = next(records, (1, []))
    names = [h.strip().lower() for h in header] if isinstance(header, list) else []
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        result.problems.append(RowProblem(
            line=header_line, field="", reason=f"the header lacks the column(s) "
            f"{', '.join(missing)}; expected {','.join(COLUMNS)}",
        ))  # fmt: skip
        result.rejected_rows = sum(1 for _ in records)
        return result
    result.ignored_columns = [h.strip() for h, n in zip(header, names, strict=True)
                              if n not in COLUMNS]  # fmt: skip
    by_party: dict[str, list[tuple[int, LpcoIn]]] = {}
    for line, values in records:
        if isinstance(values, str):
            result.problems.append(RowProblem(line=line, field="", reason=values))
            result.rejected_rows += 1
            break
        if len(values) != len(names):
            reason = f"has {len(values)} fields; the header has {len(names)}"
            result.problems.append(RowProblem(line=line, field="", reason=reason))
            result.rejected_rows += 1
            continue
        raw = {n: values[i].strip() for i, n in enumerate(names) if n in COLUMNS}
        party, body, problems = _check(line, raw)
        if body is None:
            result.problems.extend(problems)
            result.rejected_rows += 1
            continue
        by_party.setdefault(party, []).append((line, body))
    now = utcnow()
    for party, rows in sorted(by_party.items()):
        # Acting for the issuing Party: the same load works under row-level security.
        with tenancy.acting_for(party), Session(engine) as session, session.begin():
            for line, body in rows:
                _store(session, party, line, body, result, actor=actor, now=now)
    result.problems.sort(key=lambda p: (p.line is not None, p.line or 0))
    log.info("registries.lpco_import", source=str(path), inserted=result.inserted,
             unchanged=result.unchanged, rejected_rows=result.rejected_rows)  # fmt: skip
    return result


def _store(
    session: Session, party: str, line: int, body: LpcoIn, result: ImportResult, *,
    actor: str, now: Any,
) -> None:  # fmt: skip
    found = service.find_lpco(session=session, party=party, number=body.number)
    if found is not None:
        if _same(found, body):
            result.unchanged += 1
        else:
            result.rejected_rows += 1
            result.problems.append(RowProblem(
                line=line, field="number", reason=f"LPCO {body.number} is already in {party}'s "
                "registry with other terms; an issued LPCO is not rewritten (suspend or revoke "
                "it, and issue a new number)",
            ))  # fmt: skip
        return
    try:
        service.issue_lpco(session=session, party=party, body=body,
                           issuer=service.Issuer(actor=actor), now=now)  # fmt: skip
    except service.LpcoError as error:
        field, _, reason = str(error).partition(": ")
        result.problems.append(RowProblem(line=line, field=error.field, reason=reason or field))
        result.rejected_rows += 1
        return
    result.inserted += 1


def _same(row: Lpco, body: LpcoIn) -> bool:
    return (row.kind, row.agency, row.holder, row.hs_scope, row.allowance, row.unit,
            row.valid_from, row.valid_to) == (
        body.kind, body.agency, body.holder, ";".join(dict.fromkeys(body.hs_scope)),
        body.allowance, body.unit, body.valid_from, body.valid_to,
    )  # fmt: skip


def _check(line: int, raw: dict[str, str]) -> tuple[str, LpcoIn | None, list[RowProblem]]:
    """The Party and the LPCO of a row, or every problem with it in plain words."""
    problems: list[RowProblem] = []
    for name, value in raw.items():
        if _UNREADABLE in value:
            problems.append(RowProblem(line=line, field=name, reason="contains characters that "
                                       "are not text (NUL or invalid bytes)"))  # fmt: skip
    if problems:
        return "", None, problems
    party = raw.get("party", "").upper()
    if party not in DECLARATION_OWNERS:
        reason = f"unknown Party code '{party}'" if party else "missing required field"
        problems.append(RowProblem(line=line, field="party", reason=reason))
    data: dict[str, Any] = {k: v or None for k, v in raw.items() if k != "party"}
    data["hs_scope"] = [p for p in (raw.get("hs_scope") or "").split(";") if p.strip()]
    for name in ("valid_from", "valid_to"):
        day = data.get(name)
        if day is not None:
            try:
                date.fromisoformat(day)
            except ValueError:
                problems.append(RowProblem(line=line, field=name, reason=f"'{day}' is not a "
                                           "date (use YYYY-MM-DD, e.g. 2026-06-01)"))  # fmt: skip
                data.pop(name)
    try:
        body = LpcoIn.model_validate(data)
    except ValidationError as error:
        for e in error.errors():
            field = str(e["loc"][0]) if e["loc"] else ""
            if any(p.field == field for p in problems):
                continue
            reason = "missing required field" if e["type"] == "missing" else e["msg"]
            problems.append(RowProblem(line=line, field=field, reason=reason.removeprefix(
                "Value error, ")))  # fmt: skip
        return party, None, problems
    return party, (body if not problems else None), problems
