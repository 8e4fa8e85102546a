"""Issue 13 at the kiosk, on a real hall: each new citizen finds the hall's default language
and text size (home, idle, after a ticket); the help screen follows its call while help is on
its way (no idle timeout), and the citizen can cancel the call, which closes it at the hall
(only the kiosk that raised it may)."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from hallserver import HallServer  # noqa: E402
from kiosk_ui import Kiosk, tap  # noqa: E402

from drivers.sim.printer import PrinterSimulator  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "assets" / "hall.example.toml"


@pytest.fixture
def hall(tmp_path):
    # the example hall, with English names for two of 企业设立登记's materials
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        '"公司章程"', '{ name = "公司章程", name_en = "Articles of association" }', 1)
    assert "Articles of association" in text
    config = tmp_path / "hall.toml"
    config.write_text(text, encoding="utf-8")
    with HallServer(tmp_path, config_path=config) as server:
        yield server


@pytest.fixture
def kiosk(hall, qtbot):
    with PrinterSimulator.tcp() as sim:
        k = Kiosk(hall.url, hall.device_token("kiosk", "kiosk-east"), sim.url, qtbot)
        k.vm.settings.help_poll_seconds = 0.1
        yield k
        k.close()


def _help_rows(db: Path) -> list[dict]:
    with sqlite3.connect(db) as c:
        c.row_factory = sqlite3.Row
        return [dict(r) for r in c.execute("SELECT * FROM help_requests")]


def test_language_and_elder_mode_reset_for_the_next_citizen(kiosk, qtbot):
    vm = kiosk.vm
    tap(kiosk.view, "English")
    tap(kiosk.view, "Large text")
    assert vm.lang == "en" and vm.elder
    pinned = vm.pinned[0]
    vm.chooseService(pinned["id"])
    assert vm.screen == "confirm"
    vm.back()                                  # the same citizen stepping back keeps them
    assert vm.screen == "home" and vm.lang == "en" and vm.elder
    vm.chooseService(pinned["id"])
    tap(kiosk.view, "Home")                    # the home button: a new citizen
    assert vm.screen == "home" and vm.lang == "zh" and not vm.elder

    vm.toggleLanguage()
    vm.toggleElder()
    vm.chooseService(pinned["id"])
    vm.settings.idle_seconds = 0.2
    vm.userActivity()
    qtbot.waitUntil(lambda: vm.screen == "home", timeout=3000)   # idle
    assert vm.lang == "zh" and not vm.elder

    vm.settings.idle_seconds = 120
    vm.settings.done_seconds = 0.3
    vm.toggleLanguage()
    vm.toggleElder()
    vm.chooseService(pinned["id"])
    vm.issue()
    qtbot.waitUntil(lambda: vm.screen == "ticket", timeout=5000)
    assert vm.lang == "en" and vm.elder        # the ticket is still shown as they chose
    qtbot.waitUntil(lambda: vm.screen == "home", timeout=3000)   # after the ticket
    assert vm.lang == "zh" and not vm.elder


def test_the_hall_default_is_what_each_citizen_finds(kiosk):
    vm = kiosk.vm
    vm.settings.apply_choices({"domains": [], "default_language": "en", "default_elder": True})
    vm.toggleLanguage()
    vm.goHome()
    assert vm.lang == "en" and vm.elder


def test_help_screen_follows_its_call_without_timing_out(kiosk, hall, qtbot):
    vm = kiosk.vm
    vm.settings.idle_seconds = 0.2
    vm.settings.done_seconds = 0.2
    tap(kiosk.view, "帮办代办")
    qtbot.waitUntil(lambda: vm.help.get("state") == "waiting", timeout=3000)
    qtbot.wait(600)                            # three idle periods: still there
    assert vm.screen == "help"
    [raised] = _help_rows(hall.db_path)
    helper = {"Authorization": f"Bearer {hall.staff_token('h9', role='helper')}"}
    r = httpx.post(f"{hall.url}/api/v1/help-requests/{raised['id']}/acknowledge", headers=helper,
                   timeout=5)
    assert r.status_code == 200, r.text
    qtbot.waitUntil(lambda: vm.help.get("state") == "acknowledged", timeout=3000)
    qtbot.wait(600)
    assert vm.screen == "help"                 # the helper is on the way: stay
    r = httpx.post(f"{hall.url}/api/v1/help-requests/{raised['id']}/close", headers=helper,
                   timeout=5)
    assert r.status_code == 200, r.text
    qtbot.waitUntil(lambda: vm.help.get("state") == "closed", timeout=3000)  # still followed
    qtbot.waitUntil(lambda: vm.screen == "home", timeout=3000)   # then home for the next one


def test_citizen_cancels_the_help_call_and_the_hall_closes_it(kiosk, hall, qtbot):
    vm = kiosk.vm
    tap(kiosk.view, "帮办代办")
    qtbot.waitUntil(lambda: vm.help.get("state") == "waiting", timeout=3000)
    tap(kiosk.view, "不需要了，取消呼叫")
    qtbot.waitUntil(lambda: vm.screen == "home", timeout=3000)
    [row] = _help_rows(hall.db_path)
    assert row["state"] == "closed" and row["closed_by"] == "kiosk:kiosk-east"
    assert row["ack_at"] is None               # nobody came; none is invented

    # another kiosk may not cancel this kiosk's call; a helper's token may not use the route
    tap(kiosk.view, "帮办代办")
    qtbot.waitUntil(lambda: vm.help.get("state") == "waiting", timeout=3000)
    open_id = next(r["id"] for r in _help_rows(hall.db_path) if r["state"] == "open")
    other = {"Authorization": f"Bearer {hall.device_token('kiosk', 'kiosk-west')}"}
    r = httpx.post(f"{hall.url}/api/v1/help-requests/{open_id}/cancel", headers=other, timeout=5)
    assert r.status_code == 404
    helper = {"Authorization": f"Bearer {hall.staff_token('h9', role='helper')}"}
    r = httpx.post(f"{hall.url}/api/v1/help-requests/{open_id}/cancel", headers=helper, timeout=5)
    assert r.status_code == 403
    assert any(r["state"] == "open" for r in _help_rows(hall.db_path))


def test_english_material_names_reach_the_kiosk_and_its_confirm_screen(kiosk, hall, qtbot):
    from PySide6.QtCore import QCoreApplication

    from kiosk.screenshots import layout_problems

    vm = kiosk.vm
    svc = next(s for s in vm.services if s["id"] == "biz-setup")
    assert svc["materials_en"][1] == "Articles of association"
    assert svc["materials_en"][0] == ""                     # none given: the kiosk shows Chinese
    assert len(svc["materials_en"]) == len(svc["materials"])
    tap(kiosk.view, "English")
    vm.chooseService("biz-setup")
    QCoreApplication.processEvents()
    texts = []

    def walk(item):
        for child in item.childItems():
            if child.isVisible():
                if child.inherits("QQuickText"):
                    texts.append(str(child.property("text")))
                walk(child)
    walk(kiosk.view.rootObject())
    assert "2. Articles of association" in texts
    assert not any("公司章程" in t for t in texts)          # no Chinese name where English is given
    assert "1. 公司登记（备案）申请书" in texts
    assert layout_problems(kiosk.view) == []


def test_booking_page_for_another_day_comes_from_the_hall_config():
    from hall.config import booking_url, parse_config

    text = EXAMPLE.read_text(encoding="utf-8")
    cfg = parse_config(text)
    derived = f"{cfg.sync.central_url.rstrip('/')}/book?hall={cfg.hall.id}" \
        if cfg.sync.enabled and cfg.sync.central_url else ""
    assert booking_url(cfg) == derived
    own = parse_config(text.replace("[kiosk]\n", '[kiosk]\nbooking_url = "https://zwfw.example.gov.cn/yy"\n', 1))
    assert booking_url(own) == "https://zwfw.example.gov.cn/yy"
