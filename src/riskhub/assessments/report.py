"""The gap report of an assessment: per Party, the weakest dimensions first, as HTML or PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from riskhub.kpis.report import save_page

TEMPLATES = Path(__file__).parent / "templates"


def html(data: dict[str, Any]) -> str:
    """The gap report (``service.gap_report``) as a self-contained HTML page."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape())
    return env.get_template("gap_report.html.j2").render(**data)


def write(data: dict[str, Any], out: Path) -> Path:
    """Write the gap report to ``out``: PDF when it ends in .pdf, else HTML."""
    return save_page(html(data), out, base=TEMPLATES)
