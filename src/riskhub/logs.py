"""Structured logs (JSON lines on stderr) that never carry a trader's identity or a secret."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

from riskhub.access.distribution import TRADER_FIELDS

REDACTED = "[redacted]"
_PRIVATE = frozenset(TRADER_FIELDS) | {"token", "authorization", "secret", "password"}


def redact(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Blank out any field that names a trader or carries a credential."""
    for key in event:
        if key.lower() in _PRIVATE:
            event[key] = REDACTED
    return event


def configure(stream: TextIO | None = None, level: int = logging.INFO) -> None:
    """Send riskhub's logs at ``level`` and above to ``stream`` (stderr) as JSON, redacted."""
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(level),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact,
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.PrintLoggerFactory(file=stream or sys.stderr),
        cache_logger_on_first_use=False,
    )


log = structlog.get_logger("riskhub")
