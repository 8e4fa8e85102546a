"""A matter's pickup code scanned at the real kiosk (Qt offscreen) against a real hall: a
统一出件 ticket printed on the printer simulator, called at the pickup window where the clerk
sees which result to fetch; owed materials filed without a number; a code not ready yet."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from hallserver import HallServer  # noqa: E402
from kiosk_ui import Kiosk, hid_type, wait_job  # noqa: E402

from drivers.sim.printer import PrinterSimulator  # noqa: E402
from kiosk.app import InputFilter  # noqa: E402


@pytest.fixture
def hall(tmp_path):
    with HallServer(tmp_path) as server:
        yield server


@pytest.fixture
def printer_sim():
    with PrinterSimulator.tcp() as sim:
        yield sim


@pytest.fixture
def kiosk(hall, printer_sim, qtbot):
    k = Kiosk(hall.url, hall.device_token("kiosk", "kiosk-east"), printer_sim.url, qtbot)
    yield k
    k.close()


def _accept(hall, outcome="accepted", **body):
    api = hall.url + "/api/v1"
    kiosk = {"Authorization": "Bearer " + hall.device_token("kiosk")}
    clerk = {"Authorization": "Bearer " + hall.staff_token("c1", window_id="w03")}
    httpx.post(api + "/windows/w03/open", headers=clerk, timeout=5)
    httpx.post(api + "/tickets", json={"service_id": "biz-setup"},
                  headers={**kiosk, "Idempotency-Key": uuid.uuid4().hex}, timeout=5)
    httpx.post(api + "/windows/w03/call-next", headers=clerk, timeout=5)
    r = httpx.post(api + "/windows/w03/finish", json={"outcome": outcome, **body}, headers=clerk, timeout=5)
    assert r.status_code == 200, r.text
    return r.json()


def _steps(hall, matter_id, *steps):
    approver = {"Authorization": "Bearer " + hall.staff_token("a1", role="approver")}
    for step in steps:
        r = httpx.post(f"{hall.url}/api/v1/matters/{matter_id}/steps", json={"step": step},
                          headers=approver, timeout=5)
        assert r.status_code == 200, r.text


def test_pickup_code_scan_to_the_pickup_clerks_call(kiosk, hall, printer_sim, qtbot, qapp):
    out = _accept(hall)
    code, mid = out["slip"]["pickup_code"], out["matters"][0]["id"]

    # Scanned before it is ready: the hall's answer, with the promised date; no ticket.
    kiosk.vm.scan(code)
    qtbot.waitUntil(lambda: kiosk.vm.screen == "message", timeout=3000)
    assert kiosk.vm.notice["title"]["zh"] == "办件尚未办结" and "承诺" in kiosk.vm.notice["body"]["zh"]
    assert printer_sim.jobs == []

    _steps(hall, mid, "approve", "ready")
    kiosk.vm.goHome()
    keys = InputFilter(kiosk.vm, qapp)          # the scanner types like a keyboard (HID wedge)
    qapp.installEventFilter(keys)
    try:
        hid_type(kiosk.view, code)
    finally:
        qapp.removeEventFilter(keys)
    job = wait_job(qtbot, printer_sim, 5)
    assert job is not None
    qtbot.waitUntil(lambda: kiosk.vm.screen == "ticket", timeout=3000)
    ticket = kiosk.vm.ticket
    assert ticket["service_id"] == "pickup" and ticket["number"].startswith("CJ")
    assert "统一出件".encode("gb18030") in job and ticket["number"].encode() in job

    # The pickup clerk calls it and sees which result to fetch.
    pick = {"Authorization": "Bearer " + hall.staff_token("c2", window_id="w15")}
    httpx.post(f"{hall.url}/api/v1/windows/w15/open", headers=pick, timeout=5)
    called = httpx.post(f"{hall.url}/api/v1/windows/w15/call-next", headers=pick, timeout=5).json()["ticket"]
    assert called["number"] == ticket["number"]
    [m] = httpx.get(f"{hall.url}/api/v1/tickets/{called['id']}/matters", headers=pick, timeout=5).json()
    assert m["id"] == mid and m["service_name_zh"] == "企业设立登记" and m["state"] == "ready"


def test_owed_materials_are_filed_without_a_number(kiosk, hall, printer_sim, qtbot):
    out = _accept(hall, "accepted_pending", pending_materials=["住所使用证明"])
    kiosk.vm.scan(out["slip"]["pickup_code"])
    qtbot.waitUntil(lambda: kiosk.vm.screen == "message", timeout=3000)
    assert "无需取号" in kiosk.vm.notice["title"]["zh"] and "住所使用证明" in kiosk.vm.notice["body"]["zh"]
    assert printer_sim.jobs == []
    kiosk.vm.goHome()
    kiosk.vm.scan("OW1:P:" + "0" * 24)
    qtbot.waitUntil(lambda: kiosk.vm.screen == "message" and "取件码无效" in kiosk.vm.notice["title"]["zh"],
                    timeout=3000)


def test_theme_tile_gives_one_ticket_and_the_window_opens_a_matter_per_service(kiosk, hall, printer_sim, qtbot):
    from kiosk_ui import tap

    assert any(t.get("theme_id") == "newborn" for t in kiosk.vm.pinned)
    kiosk.view.grabWindow().save(str(Path(hall.db_path).parent / "home.png"))
    tap(kiosk.view, "新生儿出生一件事")
    qtbot.waitUntil(lambda: kiosk.vm.screen == "confirm", timeout=2000)
    assert "新生儿近期免冠照片" in kiosk.vm.service["materials"]          # the combined list
    tap(kiosk.view, "确认取号")
    job = wait_job(qtbot, printer_sim, 5)
    assert job is not None and "新生儿出生一件事".encode("gb18030") in job
    qtbot.waitUntil(lambda: kiosk.vm.screen == "ticket", timeout=3000)
    number = kiosk.vm.ticket["number"]
    clerk = {"Authorization": "Bearer " + hall.staff_token("c9", window_id="w09")}
    for action, body in (("open", None), ("call-next", None), ("finish", {"outcome": "accepted"})):
        r = httpx.post(f"{hall.url}/api/v1/windows/w09/{action}", json=body, headers=clerk, timeout=5)
        assert r.status_code == 200, r.text
        if action == "call-next":
            assert r.json()["ticket"]["number"] == number
    slip = r.json()["slip"]
    assert [s["name_zh"] for s in slip["services"]] == ["生育登记与出生医学证明", "户口迁移", "社会保障卡办理"]
