"""One public URL, two paths: a phone-sized Chromium opens the same ticket URL with the public
name resolved once to central (mobile data) and once to the hall node (the hall's Wi-Fi)."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from .relaykit import RelayedHall

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PUBLIC = "hall.example.gov.cn"
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


@pytest.fixture
def phone_on():
    """phone_on(port) -> a 390x844 page whose browser resolves the public name to 127.0.0.1:port."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    with sync_playwright() as p:
        browsers = []

        def make(port: int):
            b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
                "--no-sandbox", "--disable-background-networking", "--disable-gpu",
                f"--host-resolver-rules=MAP {PUBLIC} 127.0.0.1:{port}"])
            browsers.append(b)
            ctx = b.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                device_scale_factor=2, locale="zh-CN", bypass_csp=True)
            return ctx.new_page()

        yield make
        for b in browsers:
            b.close()


def test_one_url_serves_the_page_from_central_and_from_the_hall(tmp_path, phone_on):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with RelayedHall(tmp_path, stale_after=3.0) as r:
        r.issue()
        mine = r.issue()
        url = f"http://{PUBLIC}/t/{mine['token']}"
        r.wait_central(mine["token"], lambda v: v["ahead"] == 1)
        mobile = phone_on(r.central.port)   # mobile data: the name resolves to central
        wifi = phone_on(int(r.hall.url.rsplit(":", 1)[1]))  # the hall's Wi-Fi: to the hall node
        mobile.goto(url)
        wifi.goto(url)
        for page in (mobile, wifi):
            page.wait_for_selector(f"#number:text('{mine['number']}')")
            page.wait_for_selector("#ahead:text('1')")
        assert mobile.locator("#hall").inner_text() == wifi.locator("#hall").inner_text()
        mobile.screenshot(path=str(SHOTS / "relayed-waiting.png"), full_page=True)
        clerk = r.clerk()
        httpx.post(r.api + "/windows/w03/call-next", headers=clerk).raise_for_status()
        httpx.post(r.api + "/windows/w03/finish", json={"outcome": "completed"}, headers=clerk)
        httpx.post(r.api + "/windows/w03/call-next", headers=clerk).raise_for_status()
        for page in (mobile, wifi):   # both turn green: it is their turn, at window 3
            page.wait_for_selector("#called:not(.hidden)", timeout=5000)
            assert page.locator("#called-window").inner_text() == "3"
        mobile.screenshot(path=str(SHOTS / "relayed-called.png"), full_page=True)

        # The hall's uplink drops: the relayed page says so in plain words, with the age of
        # what it shows; the hall's own page keeps following the queue.
        r.link.cut()
        httpx.post(r.api + "/windows/w03/finish", json={"outcome": "completed"}, headers=clerk)
        mobile.wait_for_selector("#relay-offline:not(.hidden)", timeout=10000)
        text = mobile.locator("#relay-offline").inner_text()
        assert "大厅网络中断" in text and "叫号短信照常发送" in text and "前的状态" in text
        assert mobile.locator("#state").inner_text().startswith("最后状态")
        wifi.wait_for_selector("#rate:not(.hidden)", timeout=5000)
        mobile.screenshot(path=str(SHOTS / "relayed-offline.png"), full_page=True)
        mobile.click("#lang")
        assert "network is down" in mobile.locator("#relay-offline").inner_text()
        mobile.click("#lang")

        # The link returns: the relayed page catches up and is live again.
        r.link.restore()
        mobile.wait_for_selector("#relay-offline.hidden", state="attached", timeout=40000)
        mobile.wait_for_selector("#rate:not(.hidden)", timeout=5000)
        # A rating given on the relayed page reaches the hall.
        mobile.click(".level[data-level='5']")
        mobile.click("#rate-submit")
        mobile.wait_for_selector("#rated:not(.hidden)")
        r.wait_hall_rating(mine["id"])
