"""Charts: Vega-Lite specifications (built with altair) that the page draws itself.

The server sends only the specification; ``static/charts.js`` draws it as SVG
with the shipped Vega files, so a chart costs the server no rendering time and
the page needs no network. Each chart also carries a text summary for screen
readers (``aria-label``), and pages show the same numbers in a table.
"""

from __future__ import annotations

import json
from typing import Any

import altair as alt

WIDTH = 640
# Checking a specification against the Vega-Lite schema costs 10-15 ms a chart; the
# page tests switch it on (tests/web/conftest.py), so every chart they draw is checked.
VALIDATE = False


def spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The Vega-Lite specification of ``chart``, with the data inline."""
    with alt.data_transformers.enable("default", max_rows=None):
        out: dict[str, Any] = chart.to_dict(validate=VALIDATE)
    return out


def to_json(specification: dict[str, Any] | alt.TopLevelMixin, summary: str = "") -> str:
    """The specification as JSON that can sit in an HTML attribute (Jinja escapes it).

    ``summary`` becomes the chart's description: Vega gives the drawn SVG that
    accessible name, instead of a generic "Vega visualization".
    """
    if not isinstance(specification, dict):
        specification = spec(specification)
    if summary:
        specification = {**specification, "description": summary}
    return json.dumps(specification, separators=(",", ":"), default=str)
