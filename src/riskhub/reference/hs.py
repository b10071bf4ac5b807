"""Harmonized System code shape.

riskhub accepts HS codes of 6 to 10 digits (HS6 subheading, CN8, national
TARIC-like 10-digit codes). Chapter 77 is reserved in the HS and 98/99 are
national-use chapters that never appear on a border declaration.
"""

from __future__ import annotations

VALID_CHAPTERS: frozenset[str] = frozenset(f"{n:02d}" for n in range(1, 98) if n != 77)


def hs_shape_problem(code: str) -> str | None:
    """Why ``code`` is not a plausible HS code, or None when it is."""
    if not code.isdigit():
        return f"HS code '{code}' must contain digits only"
    if not 6 <= len(code) <= 10:
        return f"HS code '{code}' has {len(code)} digits; 6 to 10 are expected"
    if code[:2] not in VALID_CHAPTERS:
        return f"HS code '{code}' is in chapter {code[:2]}, which does not exist"
    return None
