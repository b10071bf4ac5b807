"""What a job can be: each kind's parameters (checked when queued) and the work it runs.

Every kind wraps a function operators already run by hand, with the same
arguments: ``retrain`` is ``riskhub model retrain``, ``review`` is ``riskhub
report review`` written under the data folder, ``rollup`` is ``riskhub db
rollup`` for one Party. A kind returns what it did in plain words; it raises
``Permanent`` for what trying again cannot fix, and anything else is retried.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import Engine

from riskhub.reference.parties import DECLARATION_OWNERS, LIVE_OWNERS, SECRETARIAT_PARTY
from riskhub.settings import get_settings


class Permanent(RuntimeError):
    """The job cannot succeed as queued (too little data, a missing extra): no retry."""


class ParameterError(ValueError):
    """A job's kind, Party or parameters are not acceptable; the message says why."""


class _Parameters(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RetrainParameters(_Parameters):
    since: date | None = None
    until: date | None = None  # inclusive
    days: int | None = Field(None, ge=7, le=3650)  # the last N days up to yesterday
    by: str = Field("jobs", min_length=1, max_length=100)

    @model_validator(mode="after")
    def _one_window(self) -> RetrainParameters:
        if self.days is not None and (self.since or self.until):
            raise ValueError("give either days, or since and until, not both")
        if self.days is None and (self.since is None or self.until is None):
            raise ValueError("give since and until (YYYY-MM-DD), or days")
        if self.since and self.until and self.until < self.since:
            raise ValueError("until is before since")
        return self


class ReviewParameters(_Parameters):
    period: str = Field(min_length=4, max_length=6)
    format: Literal["html", "pdf"] = "html"

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        from riskhub.kpis.report import parse_period

        return parse_period(value).label


class RollupParameters(_Parameters):
    pass


@dataclass(frozen=True)
class Kind:
    """A kind of job: who it can be for, its parameters, and the work."""

    name: str
    about: str
    parameters: type[_Parameters]
    parties: frozenset[str]
    run: Callable[..., str]  # (engine=, party=, parameters=) -> what it did


def _retrain(*, engine: Engine, party: str, parameters: RetrainParameters) -> str:
    from riskhub.targeting.service import retrain

    assert parameters.since and parameters.until  # resolved when queued
    since = datetime.combine(parameters.since, time.min)
    until = datetime.combine(parameters.until + timedelta(days=1), time.min)
    threads = get_settings().threads
    try:
        row, metrics = retrain(engine=engine, party=party, since=since, until=until,
                               trained_by=parameters.by, threads=threads)  # fmt: skip
    except ValueError as error:  # too few inspections in the window: the same next time
        raise Permanent(str(error)) from error
    measured = ", ".join(f"{k} {metrics[k]}" for k in ("precision_at_10", "auc") if k in metrics)
    return (
        f"{party} model v{row.version} registered (a candidate: approve it to serve); "
        f"on the held-out days: {measured or 'not measured'}"
    )


def review_path(party: str, parameters: ReviewParameters) -> Path:
    """Where the review job for ``party`` writes its file (XS: every Party but the sandbox)."""
    name = f"review-{parameters.period}-{party}.{parameters.format}"
    return get_settings().data_dir / "reports" / name


def _review(*, engine: Engine, party: str, parameters: ReviewParameters) -> str:
    from riskhub.kpis import report

    parties = sorted(LIVE_OWNERS) if party == SECRETARIAT_PARTY else [party]
    data = report.build(engine=engine, parties=parties, period=report.parse_period(
        parameters.period))  # fmt: skip
    out = review_path(party, parameters)
    # Written aside and moved into place: a reader never sees half a report, and an
    # attempt that died leaves the previous file (or none), never a broken one. The draft's
    # name is new each time: two attempts at once (in two containers whose workers are both
    # PID 1, on one data volume) never write into one draft.
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=f".partial{out.suffix}",
                                dir=out.parent)  # fmt: skip
    os.close(fd)
    draft = Path(name)
    try:
        report.write(data, draft)
        os.replace(draft, out)
    except report.ReportError as error:
        raise Permanent(str(error)) from error
    finally:
        draft.unlink(missing_ok=True)
    declarations = data["overall"]["declarations"] if data["overall"] else 0
    return f"review {parameters.period} ({declarations:,} declarations) written to {out}"


def _rollup(*, engine: Engine, party: str, parameters: RollupParameters) -> str:
    from riskhub.kpis import rollup

    return f"{party} KPI rollup rebuilt: {rollup.rebuild(engine=engine, party=party):,} rows"


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("retrain", "train a Party's risk model on its inspections and register it",
             RetrainParameters, DECLARATION_OWNERS, _retrain),
        Kind("review", "write the semi-annual review (XS: every Party but the sandbox) under the "
             "data folder", ReviewParameters, DECLARATION_OWNERS | {SECRETARIAT_PARTY}, _review),
        Kind("rollup", "rebuild a Party's KPI rollup from its decisions",
             RollupParameters, DECLARATION_OWNERS, _rollup),
    )
}  # fmt: skip


def kind_of(name: str) -> Kind:
    """The kind called ``name``, or a ParameterError naming the kinds there are."""
    found = KINDS.get(name)
    if found is None:
        raise ParameterError(f"no job kind {name!r}; the kinds are {', '.join(sorted(KINDS))}")
    return found


def checked(kind: Kind, party: str, raw: Mapping[str, Any], *, today: date) -> dict[str, Any]:
    """The parameters to store for a job of ``kind`` for ``party``: checked, windows resolved.

    A relative window (``days``) becomes dates here, when queued, so the job row
    says exactly what it will do whenever a worker gets to it.
    """
    if party not in kind.parties:
        raise ParameterError(f"a {kind.name} job is not for Party {party!r}")
    try:
        parameters = kind.parameters.model_validate(dict(raw))
    except ValidationError as error:
        problems = "; ".join(_plain(kind, e) for e in error.errors())
        raise ParameterError(f"{kind.name}: {problems}") from None
    if isinstance(parameters, RetrainParameters) and parameters.days is not None:
        first, last = today - timedelta(days=parameters.days), today - timedelta(days=1)
        parameters = RetrainParameters(since=first, until=last, by=parameters.by)
    return parameters.model_dump(mode="json", exclude_none=True)


def parsed(kind: Kind, stored: Mapping[str, Any]) -> _Parameters:
    """Stored parameters as the kind's model again (they were checked when queued)."""
    return kind.parameters.model_validate(dict(stored))


def _plain(kind: Kind, error: Any) -> str:
    where = ".".join(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        takes = ", ".join(kind.parameters.model_fields) or "no parameters"
        return f"unknown parameter {where!r} ({kind.name} takes {takes})"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message
