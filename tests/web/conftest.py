"""What the page tests share: a client that signs in, the app served on loopback, and Chromium.

Browser tests use headless Chromium from Debian (``.ci/run`` installs it);
Playwright never downloads a browser. Without ``/usr/bin/chromium`` they are
skipped, saying why.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from riskhub.app import create_app
from riskhub.web import charts
from riskhub.web.session import COOKIE

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Chromium from Debian is not installed (.ci/run installs it)"
)


@pytest.fixture(autouse=True)
def checked_charts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every chart a page test draws is checked against the Vega-Lite schema."""
    monkeypatch.setattr(charts, "VALIDATE", True)


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    """A page client that does not follow redirects (tests look at where they point)."""
    with TestClient(create_app(), follow_redirects=False) as c:
        yield c


def sign_in(client: TestClient, token: str) -> TestClient:
    """Sign ``client`` in with an API token, checking the session cookie's flags."""
    client.cookies.clear()
    done = client.post("/login", data={"token": token})
    assert done.status_code == 303 and done.headers["location"] == "/", done.text
    cookie = done.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and token not in cookie
    assert client.cookies.get(COOKIE)
    return client


@pytest.fixture
def served(engine: Engine) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, in this process."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port,
                                           log_level="warning"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise AssertionError("the server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One headless Chromium per test module (each test opens its own contexts)."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium from Debian is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


BrowserLogin = Callable[[str], Any]


@pytest.fixture
def browser_as(chromium: Any, served: str) -> Iterator[BrowserLogin]:
    """Open a fresh browser context signed in with a token; returns its page."""
    contexts: list[Any] = []

    def login(token: str) -> Any:
        context = chromium.new_context(base_url=served)
        contexts.append(context)
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("API token").fill(token)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{served}/")
        return page

    yield login
    for context in contexts:
        context.close()


def chart_marks(page: Any, selector: str) -> int:
    """How many data marks the chart at ``selector`` drew as SVG (waits until it is drawn).

    Vega puts data marks in groups of role ``mark``; axes, grid and legends are
    other roles, so an empty chart with axes counts zero.
    """
    marks = f"{selector} svg g.role-mark > *"
    page.wait_for_selector(marks, state="attached", timeout=15000)
    return int(page.locator(marks).count())
