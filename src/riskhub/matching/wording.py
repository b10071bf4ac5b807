"""How a matching finding reads: sentences with numbers as an officer writes them (1,850.0)."""

from __future__ import annotations

import polars as pl


def say(template: str, *values: pl.Expr) -> pl.Expr:
    """A sentence: ``template`` with each ``{}`` replaced by a value; a null value is left out.

    Not ``pl.format``: in polars 2.1 it can panic on filtered multi-chunk frames in
    the streaming engine; ``concat_str`` does not.
    """
    texts = template.split("{}")
    if len(texts) != len(values) + 1:
        raise ValueError(f"{template!r} wants {len(texts) - 1} values, given {len(values)}")
    parts = [pl.lit(texts[0])]
    for value, text in zip(values, texts[1:], strict=True):
        parts += [value.cast(pl.String), pl.lit(text)]
    return pl.concat_str(parts, ignore_nulls=True)


def number(value: pl.Expr, decimals: int) -> pl.Expr:
    """``value`` with thousands separators, as an officer reads it: 1,850.0."""
    rounded = value.round(decimals)
    size = rounded.abs()
    whole = size.floor().cast(pl.Int64).cast(pl.String)
    # Every third digit from the right gets a comma; reversed, from the left.
    text = (
        whole.str.reverse().str.replace_all(r"(\d{3})", "${1},").str.strip_suffix(",").str.reverse()
    )
    if decimals:
        fraction = ((size - size.floor()) * 10**decimals).round(0).cast(pl.Int64)
        text = pl.concat_str(text, pl.lit("."), fraction.cast(pl.String).str.zfill(decimals))
    return pl.when(rounded < 0).then(pl.concat_str(pl.lit("-"), text)).otherwise(text)


def signed_pct(value: pl.Expr) -> pl.Expr:
    rounded = value.round(1)
    sign = pl.when(rounded > 0).then(pl.lit("+")).otherwise(pl.lit(""))
    return pl.concat_str(sign, number(rounded, 1), pl.lit("%"))


def plain(value: float) -> str:
    return f"{value:,g}"
