"""Shapes of registry loads: what an import did, and each row it could not take."""

from __future__ import annotations

from pydantic import BaseModel, Field


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
