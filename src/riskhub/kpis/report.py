"""The semi-annual review and the post-implementation review of selectivity (L5), HTML or PDF.

The numbers come from the same KPI functions as the API; charts are Vega-Lite
specifications rendered to inline SVG (vl-convert), so the HTML needs no
network and the PDF (WeasyPrint) looks the same. Both renderers are the
optional extra ``riskhub[pdf]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import polars as pl
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine

from riskhub import __version__
from riskhub.kpis import effectiveness, measures
from riskhub.kpis.frame import read_parties
from riskhub.kpis.intervals import wilson
from riskhub.kpis.service import profile_review

TEMPLATES = Path(__file__).parent / "templates"
CHANNEL_COLOURS = {"green": "#2e7d32", "blue": "#1565c0", "yellow": "#f9a825", "red": "#c62828"}


class ReportError(RuntimeError):
    """The report cannot be made here; the message says what to do."""


@dataclass(frozen=True)
class Period:
    label: str
    since: datetime
    until: datetime  # exclusive


def parse_period(text: str) -> Period:
    """'2026H1' (January-June), '2026H2' (July-December) or '2026' (the year)."""
    match = re.fullmatch(r"(\d{4})(?:H([12]))?", text.strip().upper())
    if not match:
        raise ValueError(f"{text!r} is not a period: write e.g. 2026H1, 2026H2 or 2026")
    year, half = int(match[1]), match[2]
    first = date(year, 7 if half == "2" else 1, 1)
    last = date(year + 1, 1, 1) if half != "1" else date(year, 7, 1)
    start, end = (datetime.combine(d, time.min) for d in (first, last))
    return Period(text.strip().upper(), start, end)


def build(*, engine: Engine, parties: list[str], period: Period) -> dict[str, Any]:
    """Everything the review shows, as plain data (also what the tests check)."""
    frame = read_parties(engine=engine, parties=parties, since=period.since, until=period.until)
    overall = measures.kpis(frame)
    by_channel = measures.kpis(frame, by="channel")
    months = _months(frame)
    review = profile_review(engine=engine, parties=parties, since=period.since, until=period.until)
    head = overall[0] if overall else None
    targeted, baseline = None, None
    if head:
        targeted = head["targeted_hit_rate"]["estimate"]
        compliance = (head["random_sample"] or {}).get("compliance_rate") or {}
        if compliance.get("estimate") is not None:
            baseline = round(1 - compliance["estimate"], 4)
    return {
        "period": period.label,
        "since": period.since.date(),
        "until": (period.until - timedelta(days=1)).date(),
        "parties": sorted(frame["party"].unique().to_list()),
        "overall": head,
        "by_party": measures.kpis(frame, by="party"),
        "by_channel": by_channel,
        "months": months,
        "profiles": review,
        "flagged": [p for p in review if p["flags"]],
        "lift": round(targeted / baseline, 2) if targeted and baseline else None,
        "baseline_non_compliance": baseline,
        "actions": effectiveness.ACTIONS,
        "version": __version__,
        "generated": datetime.now().replace(microsecond=0),
    }


def _months(frame: pl.DataFrame) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if frame.is_empty():
        return out
    monthly = frame.with_columns(pl.col("lodged_at").dt.strftime("%Y-%m").alias("month"))
    for (month,), g in monthly.sort("month").group_by("month", maintain_order=True):
        inspected = g.filter(pl.col("inspected"))
        hit = wilson(int(inspected["hit"].sum()), inspected.height)
        out.append({"month": month, "declarations": g.height,
                    "inspection_rate": round(inspected.height / g.height, 4),
                    "hit_rate": hit.as_dict()})  # fmt: skip
    return out


def charts(data: dict[str, Any]) -> dict[str, str]:
    """The review's charts as inline SVG."""
    try:
        import vl_convert
    except ImportError as error:
        raise ReportError("charts need the 'pdf' extra: pip install 'riskhub[pdf]'") from error
    specs = {"hit_rate": _hit_rate_spec(data), "release": _release_spec(data),
             "trend": _trend_spec(data)}  # fmt: skip
    return {name: vl_convert.vegalite_to_svg(spec) for name, spec in specs.items() if spec}


def _hit_rate_spec(data: dict[str, Any]) -> dict[str, Any] | None:
    values = [{"channel": r["channel"], **r["hit_rate"]} for r in data["by_channel"]
              if r["hit_rate"]["estimate"] is not None]  # fmt: skip
    if not values:
        return None
    colour = {"field": "channel", "type": "nominal", "legend": None, "scale": {
        "domain": list(CHANNEL_COLOURS), "range": list(CHANNEL_COLOURS.values())}}  # fmt: skip
    x = {"field": "channel", "type": "nominal", "sort": list(CHANNEL_COLOURS), "title": None}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": "Hit rate of inspections by channel (95% interval)",
        "width": 320, "height": 180, "data": {"values": values},
        "layer": [
            {"mark": "bar", "encoding": {"x": x, "color": colour, "y": {
                "field": "estimate", "type": "quantitative", "title": "hit rate",
                "axis": {"format": "%"}}}},
            {"mark": {"type": "rule", "strokeWidth": 2}, "encoding": {
                "x": x, "y": {"field": "low", "type": "quantitative"}, "y2": {"field": "high"}}},
        ],
    }  # fmt: skip


def _release_spec(data: dict[str, Any]) -> dict[str, Any] | None:
    values = []
    for r in data["by_channel"]:
        hours = r["release_hours"]
        if hours["median"] is not None:
            for measure in ("median", "p90"):
                values.append(
                    {"channel": r["channel"], "measure": measure, "hours": hours[measure]}
                )
    if not values:
        return None
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": "Arrival to release, hours, by channel",
        "width": 320, "height": 180, "data": {"values": values}, "mark": "bar",
        "encoding": {
            "x": {"field": "channel", "type": "nominal", "sort": list(CHANNEL_COLOURS),
                  "title": None},
            "xOffset": {"field": "measure"},
            "y": {"field": "hours", "type": "quantitative", "title": "hours"},
            "color": {"field": "measure", "type": "nominal", "title": None,
                      "scale": {"range": ["#455a64", "#b0bec5"]}},
        },
    }  # fmt: skip


def _trend_spec(data: dict[str, Any]) -> dict[str, Any] | None:
    values = [
        {"month": m["month"], "measure": "hit rate", "rate": m["hit_rate"]["estimate"]}
        for m in data["months"]
        if m["hit_rate"]["estimate"] is not None
    ]
    values += [{"month": m["month"], "measure": "inspection rate", "rate": m["inspection_rate"]}
               for m in data["months"]]  # fmt: skip
    if not values:
        return None
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": "Month by month", "width": 320, "height": 160, "data": {"values": values},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "month", "type": "ordinal", "title": None},
            "y": {"field": "rate", "type": "quantitative", "axis": {"format": "%"},
                  "title": None},
            "color": {"field": "measure", "type": "nominal", "title": None},
        },
    }  # fmt: skip


def render_html(data: dict[str, Any]) -> str:
    """The review as a self-contained HTML page."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape())
    env.filters["pct"] = _pct
    env.filters["ci"] = _ci
    env.filters["bounds"] = _bounds
    return env.get_template("review.html.j2").render(**data, charts=charts(data))


def write(data: dict[str, Any], out: Path) -> Path:
    """Write the review to ``out``: PDF when it ends in .pdf, else HTML."""
    return save_page(render_html(data), out, base=TEMPLATES)


def save_page(page: str, out: Path, *, base: Path) -> Path:
    """Write an HTML page to ``out``, or its PDF when ``out`` ends in .pdf (WeasyPrint)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() != ".pdf":
        out.write_text(page, encoding="utf-8")
        return out
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as error:
        raise ReportError(
            f"PDF needs WeasyPrint ({error}): pip install 'riskhub[pdf]', or write .html"
        ) from error
    HTML(string=page, base_url=str(base)).write_pdf(out)
    return out


def _pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def _bounds(interval: dict[str, Any] | None) -> str:
    if not interval or interval.get("low") is None:
        return ""
    return f"95% CI {_pct(interval['low'])}–{_pct(interval['high'])}"


def _ci(interval: dict[str, Any] | None, percent: bool = True) -> str:
    if not interval or interval.get("estimate") is None:
        return "–"
    if percent:
        return f"{_pct(interval['estimate'])} ({_pct(interval['low'])}–{_pct(interval['high'])})"
    return f"{interval['estimate']:,.0f} ({interval['low']:,.0f}–{interval['high']:,.0f})"
