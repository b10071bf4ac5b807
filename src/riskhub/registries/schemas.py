"""Shapes of the registries: what an import did (each row it could not take), and AEO
recognition agreements."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

from riskhub.api_types import PlainText, UtcDateTime


class RowProblem(BaseModel):
    """One reason a row of an import file was not stored."""

    line: int | None = Field(description="line of the file; None when the file is unreadable")
    field: str = Field(examples=["valid_from"])
    reason: str = Field(examples=["'2026-13-01' is not a date (use YYYY-MM-DD)"])

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "the file"
        return (
            f"{where}, field {self.field}: {self.reason}"
            if self.field
            else f"{where}: {self.reason}"
        )


class ImportResult(BaseModel):
    """What one import did: counts, and every rejected row with its line and reason."""

    source: str
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected_rows: int = 0
    duplicate_rows: int = Field(default=0, description="exact repeats within the file, kept once")
    ignored_columns: list[str] = Field(default_factory=list)
    problems: list[RowProblem] = Field(default_factory=list)


class RecognitionIn(BaseModel):
    """A mutual recognition agreement: your Party treats the partner's AEOs as its own."""

    model_config = ConfigDict(extra="forbid")

    partner: str = Field(
        pattern=r"^[A-Za-z]{2}$", description="a Party code, or EU for every EU Member State",
        examples=["MK", "EU"],
    )  # fmt: skip
    reference: PlainText = Field(min_length=1, max_length=80, examples=["MRA-RS-MK-2026"])
    valid_from: date
    valid_to: date | None = Field(None, description="last day; none: until ended")

    @model_validator(mode="after")
    def _dates(self) -> RecognitionIn:
        for day in (self.valid_from, self.valid_to):
            if day is not None and not 2000 <= day.year <= 2100:
                raise ValueError("the validity lies between the years 2000 and 2100")
        return self


class RecognitionEndIn(BaseModel):
    """The last day an agreement applies."""

    model_config = ConfigDict(extra="forbid")

    last_day: date

    @model_validator(mode="after")
    def _year(self) -> RecognitionEndIn:
        if not 2000 <= self.last_day.year <= 2100:
            raise ValueError("last_day lies between the years 2000 and 2100")
        return self


class RecognitionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    party: str = Field(description="the recognising Party")
    partner: str = Field(description="the Party whose AEOs count, or EU")
    reference: str
    valid_from: date
    valid_to: date | None
    created_by: str
    created_at: UtcDateTime
    ended_by: str | None
    ended_at: UtcDateTime | None


class AuthorisationOut(BaseModel):
    """One of your Party's AEO authorisations."""

    model_config = ConfigDict(from_attributes=True)

    party: str
    trader: str
    kind: str
    valid_from: date
    valid_to: date | None
