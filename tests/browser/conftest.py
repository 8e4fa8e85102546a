"""Shared browser fixtures: headless Debian Chromium via Playwright, and a live hall node.

Reusable by every browser test:
- `browser`: a Playwright Chromium (/usr/bin/chromium) per test module;
- `page` / `new_page()`: fresh contexts (each its own cookies and storage);
- `hall_server`: a real hall node on 127.0.0.1:<ephemeral> with a temp config + db (see
  tests/support/hallserver.py), with `.device_token(role)`, `.staff_token(id, role=, window_id=)`;
- `hall_tokens`: kiosk/display/window device tokens and a manager and a clerk session.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))

from hallserver import HallServer  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]


# Module scope, not session: a Playwright sync API left open would stop any later test in the
# run (e.g. tests/central) from starting its own.
@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def new_page(browser):
    """Factory: new_page(viewport=(w, h), mobile=False) -> a page in its own context."""
    contexts = []

    def make(viewport=(1366, 850), mobile=False, locale="zh-CN"):
        # bypass_csp: Playwright's wait_for_function evaluates strings, which the pages' strict
        # CSP (script-src 'self') forbids; the pages themselves never need it.
        ctx = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                  is_mobile=mobile, has_touch=mobile, locale=locale,
                                  device_scale_factor=2 if mobile else 1, bypass_csp=True)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def hall_server(tmp_path):
    with HallServer(tmp_path) as server:
        yield server


@pytest.fixture
def hall_tokens(hall_server):
    """Device tokens and staff sessions: kiosk, display, window (w03), manager, clerk (w03)."""
    return {
        "kiosk": hall_server.device_token("kiosk", "kiosk-1"),
        "display": hall_server.device_token("display", "hall-display"),
        "window": hall_server.device_token("window", "window-3", window_id="w03"),
        "manager": hall_server.staff_token("m1", role="manager"),
        "clerk": hall_server.staff_token("c1", window_id="w03"),
    }


@pytest.fixture
def shots_dir():
    """Where browser tests leave screenshots for people to look at (not asserted on)."""
    out = Path(__file__).resolve().parents[2] / "build" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    return out
