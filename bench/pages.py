"""How fast the pages answer on the demo data, beside the API and the health check.

    python bench/pages.py [--data-dir var] [--repeat 15] [--screenshots docs/screens]

Uses the demo database in ``--data-dir`` (running ``riskhub demo`` into it
first if it has none), signs in as each demo user through the login form of a
real ``riskhub serve`` process, and times every page the user's role opens:
the server's full response, from a client on loopback (median, p95, max over
``--repeat`` requests after one warm-up). Side by side in the same run: the
health check (the floor of any request) and a JSON API call over the same
tenancy and token (``GET /api/v1/declarations?limit=50``). Then, in headless
Chromium, each page's load with its charts drawn (``--browser``), and
screenshots of the main pages when ``--screenshots`` names a folder. One JSON
line last on stdout.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

GOAL_MS = 300
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip
# Each demo user and the pages their role opens; "first:<prefix>" follows the first link
# under that prefix on the page before it (a detail page).
PAGES: dict[str, list[str]] = {
    "demo-officer": ["/", "/queue", "first:/queue/", "/registries", "/governance/rifs",
                     "/training", "first:/training/attempts/", "/training/exercises/MASS"],
    "demo-analyst": ["/kpis", "/profiles", "first:/profiles/", "/models", "/governance/rifs",
                     "/governance/common-profiles", "/governance/risks",
                     "/governance/joint-actions", "/registries", "/exchange", "/action-plan"],
    "demo-rmwg": ["/governance/common-profiles", "first:/governance/common-profiles/",
                  "/kpis", "/profiles", "/assessments"],
    "demo-secretariat": ["/action-plan", "/action-plan/S9", "/action-plan/reviews", "/kpis",
                         "/governance/risks"],
    "demo-phyto": ["/queue", "/registries", "first:/registries/lpco/"],
    "demo-admin": ["/exchange", "/action-plan", "/assessments", "first:/assessments/RM-GAP/",
                   "/training", "first:/training/cohorts/", "/training/records"],
    "demo-auditor": ["/audit"],
}  # fmt: skip
SCREENS = {  # file name: (user, page)
    "action-plan": ("demo-secretariat", "/action-plan"),
    "kpis": ("demo-analyst", "/kpis"),
    "queue": ("demo-officer", "/queue"),
    "profiles": ("demo-analyst", "/profiles"),
    "common-profiles": ("demo-rmwg", "/governance/common-profiles"),
    "risks": ("demo-analyst", "/governance/risks"),
    "models": ("demo-analyst", "/models"),
    "profile-editor": ("demo-analyst", "/profiles/new"),
    "assessments": ("demo-rmwg", "/assessments"),
    "training": ("demo-officer", "/training/exercises/MASS"),
}


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _demo_tokens(data_dir: Path) -> dict[str, str]:
    """A fresh token for each demo user (running the demo first if the data dir has none)."""
    os.environ["RISKHUB_DATA_DIR"] = str(data_dir)
    if not (data_dir / "riskhub.sqlite3").exists():
        log(f"no demo data in {data_dir}: running riskhub demo (about two minutes)")
        subprocess.run([sys.executable, "-m", "riskhub", "demo"], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from riskhub.access import service as access
    from riskhub.access.models import User
    from riskhub.db.base import utcnow
    from riskhub.db.engine import get_admin_engine

    tokens = {}
    with Session(get_admin_engine()) as session, session.begin():
        for user in session.scalars(select(User).where(User.name.in_(PAGES))):
            issued = access.issue_token(session=session, user=user, days=1, now=utcnow())
            tokens[user.name] = issued.token
    return tokens


def _serve(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "RISKHUB_DATA_DIR": str(data_dir)}
    command = [sys.executable, "-m", "riskhub", "serve", "--port", str(port)]
    quiet = subprocess.DEVNULL
    server = subprocess.Popen(command, env=env, stdout=quiet, stderr=quiet)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return server, base
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("riskhub serve did not start")


def _timed(client: httpx.Client, path: str, repeat: int) -> dict[str, Any]:
    first = client.get(path)  # warm-up; also the page whose links are followed
    if first.status_code != 200:
        raise SystemExit(f"{path} answered {first.status_code}: {first.text[:300]}")
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        client.get(path).raise_for_status()
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    median = round(statistics.median(times), 1)
    return {"path": path, "bytes": len(first.content), "median_ms": median,
            "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
            "max_ms": round(times[-1], 1), "html": first.text}  # fmt: skip


def _follow(html: str, prefix: str) -> str | None:
    found = re.search(rf'href="({re.escape(prefix)}[^"#?]+)"', html)
    return found.group(1) if found else None


def server_side(base: str, tokens: dict[str, str], repeat: int) -> list[dict[str, Any]]:
    """Every page of every demo user, timed from a client on loopback."""
    rows = []
    for name, paths in PAGES.items():
        with httpx.Client(base_url=base, timeout=60) as client:
            signed = client.post("/login", data={"token": tokens[name]})
            if signed.status_code != 303:
                raise SystemExit(f"{name} could not sign in: {signed.status_code}")
            last_html = ""
            for path in paths:
                if path.startswith("first:"):
                    found = _follow(last_html, path.removeprefix("first:"))
                    if found is None:
                        log(f"{name}: no link under {path} on the page before; skipped")
                        continue
                    path = found
                row = _timed(client, path, repeat)
                last_html = row.pop("html")
                rows.append({"user": name, **row})
                median, p95 = row["median_ms"], row["p95_ms"]
                log(f"{name:<17} {path:<45} median {median:>6} ms  p95 {p95:>6} ms")
    return rows


def baselines(base: str, token: str, repeat: int) -> dict[str, Any]:
    """The health check and one API call, timed the same way."""
    with httpx.Client(base_url=base, timeout=60) as client:
        health = _timed(client, "/healthz", repeat)
    with httpx.Client(base_url=base, timeout=60,
                      headers={"Authorization": f"Bearer {token}"}) as client:  # fmt: skip
        api = _timed(client, "/api/v1/declarations?limit=50", repeat)
    return {"healthz": {k: v for k, v in health.items() if k != "html"},
            "api_declarations_50": {k: v for k, v in api.items() if k != "html"}}  # fmt: skip


def in_browser(base: str, tokens: dict[str, str], shots: Path | None) -> list[dict[str, Any]]:
    """Each main page loaded in headless Chromium until its charts are drawn; screenshots."""
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        for shot, (name, path) in SCREENS.items():
            context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.goto("/login")
            page.get_by_label("API token").fill(tokens[name])
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{base}/")
            page.goto(path)  # once to fill the browser's cache, as a working day would
            began = time.perf_counter()
            page.goto(path)
            charts = page.locator("div.chart[data-spec]").count()
            if charts:
                page.wait_for_function(
                    "n => document.querySelectorAll('div.chart[data-spec] svg').length >= n",
                    arg=charts, timeout=20000)  # fmt: skip
            elapsed = (time.perf_counter() - began) * 1000
            rows.append({"user": name, "path": path, "charts": charts,
                         "load_and_draw_ms": round(elapsed, 1)})  # fmt: skip
            log(f"browser {name:<17} {path:<30} {elapsed:7.1f} ms ({charts} charts)")
            if shots is not None:
                shots.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(shots / f"{shot}.png"), full_page=False)
            context.close()
        browser.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("var"))
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--screenshots", type=Path, default=None)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    tokens = _demo_tokens(args.data_dir.resolve())
    server, base = _serve(args.data_dir.resolve())
    try:
        pages = server_side(base, tokens, args.repeat)
        floor = baselines(base, tokens["demo-analyst"], args.repeat)
        browser = [] if args.no_browser or not CHROMIUM.exists() else in_browser(
            base, tokens, args.screenshots)  # fmt: skip
    finally:
        server.terminate()
        server.wait(10)
    slowest = max(pages, key=lambda r: r["median_ms"])
    print(orjson.dumps({
        "bench": "pages", "repeat": args.repeat, "goal_ms": GOAL_MS, "pages": len(pages),
        "pages_median_ms_max": slowest["median_ms"], "slowest": slowest["path"],
        "pages_p95_ms_max": max(r["p95_ms"] for r in pages),
        "all_medians_under_goal": all(r["median_ms"] < GOAL_MS for r in pages),
        "baseline": floor, "browser": browser,
        "by_page": [{k: r[k] for k in ("user", "path", "median_ms", "p95_ms")} for r in pages],
    }).decode())  # fmt: skip


if __name__ == "__main__":
    main()
