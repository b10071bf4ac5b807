"""The pages in a real browser: headless Chromium from Debian, driven by Playwright.

``.ci/run`` installs Chromium (``apt-get install chromium``); Playwright never
downloads a browser. Without ``/usr/bin/chromium`` these tests are skipped and
say why.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import Engine

from riskhub.access.roles import Role
from riskhub.app import create_app
from tests.conftest import MakeUser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Chromium from Debian is not installed (.ci/run installs it)"
)


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


def test_sign_in_and_read_the_action_plan(served: str, make_user: MakeUser) -> None:
    from playwright.sync_api import sync_playwright

    token = make_user("XS", Role.SECRETARIAT, name="Secretariat M&E")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{served}/action-plan")
            assert page.url.endswith("/login")  # not signed in yet
            page.get_by_label("API token").fill("rh.XS.1.wrong")
            page.get_by_role("button", name="Sign in").click()
            assert "not valid" in page.get_by_role("alert").inner_text()
            page.get_by_label("API token").fill(token)
            page.keyboard.press("Enter")  # the form works from the keyboard
            page.wait_for_url(f"{served}/")
            assert "Secretariat M&E" in page.inner_text("header")
            page.get_by_role("link", name="Action Plan", exact=True).click()
            page.wait_for_url(f"{served}/action-plan")
            assert page.locator("tbody tr").count() == 30
            assert "Priority passage granted to 300 AEOs." in page.inner_text("#activity-L7")
            page.get_by_role("button", name="Sign out").click()
            page.wait_for_url(f"{served}/login")
            page.goto(f"{served}/")
            assert page.url.endswith("/login")
        finally:
            browser.close()
