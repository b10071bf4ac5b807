"""Training exercises as data: a scenario, its synthetic traffic, the targets and the budget.

Each file in ``exercises/`` is one exercise. Its traffic is generated from the
seed (``riskhub.synth``) into the sandbox tenant only; the planted
non-compliance is known, so a trainee's profiles can be scored against it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from riskhub.profiles.criteria.source import SourceError, load

SHIPPED = Path(__file__).parent / "exercises"
KINDS = ("undervaluation", "under_declared_mass", "ghost_export", "false_origin",
         "misclassification", "restricted_without_licence", "sps_risk")  # fmt: skip


class Traffic(BaseModel):
    """The synthetic traffic of the exercise (``synth.TrafficSpec``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = Field(ge=1)
    start: date
    days: int = Field(ge=7, le=120)
    trucks_per_day: int = Field(ge=10, le=400)


class Exercise(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9-]{1,23}$")]
    title: Annotated[str, StringConstraints(min_length=3, max_length=120)]
    scenario: Annotated[str, StringConstraints(min_length=10, max_length=2000)]
    goal: Annotated[str, StringConstraints(min_length=10, max_length=2000)]
    targets: list[Annotated[str, StringConstraints(pattern="|".join(KINDS))]] = Field(min_length=1)
    traffic: Traffic
    window_days: int = Field(ge=1, le=60)
    budget: float = Field(gt=0, le=1)  # the share of declarations that may be controlled
    pass_mark: float = Field(ge=0, le=100)

    @property
    def window(self) -> tuple[datetime, datetime]:
        """[since, until) of the scored declarations: the last ``window_days`` of the traffic."""
        end = datetime.combine(self.traffic.start + timedelta(days=self.traffic.days), time.min)
        return end - timedelta(days=self.window_days), end

    @property
    def prefix(self) -> str:
        """What the exercise's declaration references start with, in the sandbox."""
        return f"{self.code}-"


class ExerciseError(ValueError):
    """An exercise file that cannot be used; says where."""


def parse(text: str, name: str = "exercise") -> Exercise:
    """An exercise from its YAML, or ExerciseError naming the line of each problem."""
    try:
        source = load(text)
    except SourceError as error:
        raise ExerciseError(f"{name}: {error}") from None
    try:
        found = Exercise.model_validate(source.data)
    except ValidationError as error:
        problems = [f"{source.loc(tuple(e['loc']))}: {e['msg']}" for e in error.errors()]
        raise ExerciseError(f"{name}: " + "; ".join(problems)) from None
    if found.window_days >= found.traffic.days:
        raise ExerciseError(f"{name}: window_days leaves no history before the window")
    return found


@lru_cache(maxsize=1)
def shipped() -> dict[str, Exercise]:
    """The exercises shipped with riskhub, by code."""
    found = [parse(p.read_text(encoding="utf-8"), p.name) for p in sorted(SHIPPED.glob("*.yaml"))]
    return {e.code: e for e in found}


def exercise(code: str) -> Exercise | None:
    return shipped().get(code)
