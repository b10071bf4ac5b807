"""Types the API schemas share."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Annotated

from fastapi import HTTPException, Path, Query, status
from pydantic import AfterValidator, BaseModel


def _as_utc(value: datetime) -> datetime:
    # The database keeps UTC without an offset; RFC 3339 answers need one.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


UtcDateTime = Annotated[datetime, AfterValidator(_as_utc)]

# Ids in paths fit a 64-bit key, so an absurd number is a 422, never a database error.
ObjectId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def _text_only(value: str | None) -> str | None:
    # PostgreSQL cannot compare against a NUL character: refuse it here with a
    # reason instead of letting the database raise a 500.
    if value is not None and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


# A free-text filter in a query string (an office code, a reference, a name).
SearchText = Annotated[str | None, Query(max_length=200), AfterValidator(_text_only)]
# Text in a request body that the database will store or compare.
PlainText = Annotated[str, AfterValidator(_text_only)]


def unprocessable(problems: Iterable[tuple[Sequence[str | int], str]]) -> HTTPException:
    """A 422 whose detail has the shape of FastAPI's own validation errors (loc, msg, type),
    so that clients read a service's refusals and the schema's alike."""
    detail = [{"loc": list(loc), "msg": msg, "type": "value_error"} for loc, msg in problems]
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)


class ErrorOut(BaseModel):
    """Why a request was refused, in plain words."""

    detail: str


# Answers any route may give besides its own; listed once for the whole API.
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorOut, "description": "The request cannot be carried out as sent."},
    401: {"model": ErrorOut, "description": "No valid API token."},
    403: {"model": ErrorOut, "description": "Your role may not do this."},
    404: {"model": ErrorOut, "description": "Not found (or not yours)."},
    413: {"model": ErrorOut, "description": "Too large: send less at a time."},
}
