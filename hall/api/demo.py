"""Demo stage: start the hall node for the rest of the demo; console and ticket-page screenshots."""

from __future__ import annotations

import json
import logging
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

log = logging.getLogger(__name__)

CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]
DEMO_PIN = "246810"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _point_config_at(config_path: Path, port: int) -> None:
    """The ticket QR must lead phones to this hall node: base_url and port follow the port."""
    text = config_path.read_text(encoding="utf-8")
    text = re.sub(r'(?m)^base_url\s*=.*$', f'base_url = "http://127.0.0.1:{port}"', text, count=1)
    text = re.sub(r'(?m)^port\s*=\s*\d+.*$', f"port = {port}", text, count=1)
    config_path.write_text(text, encoding="utf-8")


def _prepare_credentials(ctx) -> dict:
    """Device tokens and staff (clerk c1 at window 3, helper h1, manager m1), made before start."""
    from hall.api.cli import add_staff
    from hall.auth import AuthService
    from hall.config import load_config
    from hall.engine import Engine
    from hall.store import Store

    config = load_config(ctx.config_path)
    store = Store.open(ctx.db_path)
    try:
        engine = Engine(store, config)
        auth = AuthService(store)
        for role, name, window in (("kiosk", "kiosk-1", None), ("display", "hall-display", None),
                                   ("window", "window-3", "w03")):
            if any(d["name"] == name and not d["revoked_at"] for d in auth.list_devices()):
                auth.revoke_device(name)
            _, ctx.tokens[role] = auth.add_device(role, name, window)
        staff = {"clerk": ("c1", "张晓燕", "clerk"), "helper": ("h1", "李帮办", "helper"),
                 "manager": ("m1", "王主任", "manager")}
        for sid, name, role in staff.values():
            add_staff(store, engine, sid, name, role, DEMO_PIN)
    finally:
        store.close()
    return {k: v[0] for k, v in staff.items()}


def _start_server(ctx, port: int) -> subprocess.Popen:
    log_path = ctx.path("hall-server.log")
    log_file = open(log_path, "w", encoding="utf-8")  # noqa: SIM115 - closed by the exit stack
    proc = subprocess.Popen(
        [sys.executable, "-m", "hall.api.cli", "hall", "--config", str(ctx.config_path),
         "--db", str(ctx.db_path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log_file, stderr=subprocess.STDOUT, cwd=str(Path(__file__).resolve().parents[2]))

    def stop():
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log_file.close()

    ctx.exit_stack.callback(stop)
    import httpx

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"hall server exited ({proc.returncode}); see {log_path}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"hall server did not answer within 20 s; see {log_path}")


def run(ctx) -> None:
    port = _free_port()
    _point_config_at(ctx.config_path, port)
    staff = _prepare_credentials(ctx)
    _start_server(ctx, port)
    ctx.hall_url = f"http://127.0.0.1:{port}"
    shots = _screenshots(ctx, staff)
    ctx.summary["hall_api"] = {"url": ctx.hall_url, "screenshots": shots,
                               "staff": {"clerk": staff["clerk"], "manager": staff["manager"],
                                         "pin": "(demo) " + DEMO_PIN}}


def _screenshots(ctx, staff: dict) -> list[str]:
    import httpx
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    api = ctx.hall_url + "/api/v1"
    kiosk = {"Authorization": f"Bearer {ctx.tokens['kiosk']}"}

    def issue(service_id, **extra):
        r = httpx.post(api + "/tickets", json={"service_id": service_id, **extra},
                       headers={**kiosk, "Idempotency-Key": uuid.uuid4().hex}, timeout=10)
        r.raise_for_status()
        return r.json()

    first = issue("biz-change")
    issue("biz-setup", priority_reason="elderly")
    waiting = [issue("biz-setup") for _ in range(3)]
    issue("tax-invoice", phone="13812345678")
    out = ctx.out / "web"
    out.mkdir(parents=True, exist_ok=True)
    saved: list[str] = []

    def shot(page, name, full=False):
        path = out / name
        page.screenshot(path=str(path), full_page=full)
        saved.append(str(path.relative_to(ctx.out)))

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            # bypass_csp only so the script can wait on page state; the pages need no eval.
            desk = browser.new_context(viewport={"width": 1366, "height": 820}, locale="zh-CN",
                                       bypass_csp=True)
            phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                        has_touch=True, device_scale_factor=2, locale="zh-CN",
                                        bypass_csp=True)
            console = desk.new_page()
            console.goto(ctx.hall_url + "/console")
            shot(console, "console-signin.png")
            console.fill("#staff-id", staff["clerk"])
            console.fill("#pin", DEMO_PIN)
            console.click("#signin-form button[type=submit]")
            console.wait_for_selector("#window-list button")
            shot(console, "console-pick-window.png")
            console.locator("#window-list button", has_text="3 号").first.click()
            console.wait_for_selector("#desk:not(.hidden)")
            console.click("[data-action=open]")
            console.wait_for_selector("#window-state:text('开放')")

            wait_page = phone.new_page()
            wait_page.goto(waiting[-1]["status_url"])
            wait_page.wait_for_selector("#ahead:not(:text('-'))")
            shot(wait_page, "ticket-waiting.png", full=True)

            called_page = phone.new_page()
            # the elderly citizen (green channel) is called first; follow the first normal ticket
            console.click("[data-action=call-next]")
            console.wait_for_selector("#current-number:not(:text('—'))")
            console.click("[data-action=finish]")
            console.click("#finish-form button[type=submit]")
            console.wait_for_selector("#current-number:text('—')")
            called_page.goto(first["status_url"])
            called_page.wait_for_selector("#number")
            console.click("[data-action=call-next]")
            console.wait_for_selector(f"#current-number:text('{first['number']}')")
            called_page.wait_for_selector("#called:not(.hidden)", timeout=3000)
            shot(called_page, "ticket-called.png", full=True)
            shot(console, "console-called.png")

            console.click("[data-action=refuse]")
            console.wait_for_selector("#dlg-refuse[open]")
            boxes = console.locator("#refuse-materials input")
            for i in range(min(2, boxes.count())):
                boxes.nth(i).check()
            console.fill("#refuse-form textarea[name=text]", "请补齐以上材料后直接到 3 号窗口办理")
            shot(console, "console-refuse.png")
            console.click("#refuse-form button[type=submit]")
            console.wait_for_selector("#dlg-notice[open]")
            shot(console, "console-notice.png")
            console.click("#notice-close")

            called_page.wait_for_selector("#rate:not(.hidden)", timeout=3000)
            called_page.click(".level[data-level='5']")
            shot(called_page, "ticket-rate.png", full=True)
            called_page.click("#rate-submit")
            called_page.wait_for_selector("#rated:not(.hidden)")
            shot(called_page, "ticket-rated.png", full=True)
            console.wait_for_function(
                "document.getElementById('ratings').textContent.includes('非常满意')")
            shot(console, "console-after-rating.png")
            console.click("#lang")
            shot(console, "console-english.png")
            desk.close()
            phone.close()
        finally:
            browser.close()
    (out / "README.txt").write_text(
        "Clerk console (/console) and citizen ticket page (/t/TOKEN) from the live hall node.\n"
        + json.dumps(saved, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return saved
