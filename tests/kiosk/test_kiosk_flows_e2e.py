"""More citizen flows end to end, on a real hall and the printer simulator: help with the
helper's acknowledgement, a complaint with its printed receipt, rating a finished ticket by
scanning its QR, the phone for notices (and never a full number in a log)."""

from __future__ import annotations

import json
import logging
import sqlite3
import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from hallserver import HallServer  # noqa: E402
from kiosk_ui import Kiosk, hid_type, tap, wait_job  # noqa: E402

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
    k.vm.settings.help_poll_seconds = 0.1
    yield k
    k.close()


def _rows(db: Path, sql: str, *args) -> list[dict]:
    with sqlite3.connect(db) as c:
        c.row_factory = sqlite3.Row
        return [dict(r) for r in c.execute(sql, args)]


def test_help_button_then_helper_acknowledges(kiosk, hall, qtbot):
    tap(kiosk.view, "帮办代办")
    qtbot.waitUntil(lambda: kiosk.vm.help.get("state") == "waiting", timeout=3000)
    [raised] = _rows(hall.db_path, "SELECT * FROM help_requests")
    assert raised["kiosk"] == "kiosk-east" and raised["state"] == "open"
    helper = hall.staff_token("h9", role="helper")
    r = httpx.post(f"{hall.url}/api/v1/help-requests/{raised['id']}/acknowledge",
                      headers={"Authorization": f"Bearer {helper}"}, timeout=5)
    assert r.status_code == 200, r.text
    qtbot.waitUntil(lambda: kiosk.vm.help.get("state") == "acknowledged", timeout=3000)
    assert len(kiosk.vm.help["acknowledged_at"]) == 5          # HH:MM on screen
    tap(kiosk.view, "首页")
    assert kiosk.vm.screen == "home"


def test_complaint_is_filed_and_a_receipt_printed(kiosk, hall, printer_sim, qtbot, caplog):
    caplog.set_level(logging.DEBUG)
    tap(kiosk.view, "吐槽找茬")
    qtbot.waitUntil(lambda: kiosk.vm.screen == "complaint", timeout=2000)
    tap(kiosk.view, "办事效率")
    tap(kiosk.view, "多次跑腿")
    tap(kiosk.view, "留下手机号")
    qtbot.waitUntil(lambda: kiosk.vm.screen == "phone", timeout=2000)
    for digit in "13912345678":
        tap(kiosk.view, digit)
    tap(kiosk.view, "☐ 我同意：仅用于本次反映的回访")       # what the number is for, here
    tap(kiosk.view, "确定")
    qtbot.waitUntil(lambda: kiosk.vm.screen == "complaint", timeout=2000)
    tap(kiosk.view, "提交并打印回执")
    qtbot.waitUntil(lambda: kiosk.vm.complaint.get("printed") is True, timeout=5000)
    code = kiosk.vm.complaint["code"]
    [row] = _rows(hall.db_path, "SELECT * FROM complaints")
    assert row["code"] == code and row["category"] == "efficiency"
    assert json.loads(row["phrases"]) == ["多次跑腿"] and row["has_contact"] == 1
    [contact] = _rows(hall.db_path, "SELECT consent FROM complaint_contacts")
    assert contact["consent"] == 1                    # the call-back the citizen agreed to
    receipt = wait_job(qtbot, printer_sim, 3)
    assert receipt is not None and code.encode() in receipt
    assert "13912345678" not in caplog.text


def test_phone_for_notices_reaches_the_hall_masked_everywhere_else(kiosk, hall, printer_sim,
                                                                  qtbot, caplog):
    caplog.set_level(logging.DEBUG)
    tap(kiosk.view, "企业设立登记")
    qtbot.waitUntil(lambda: kiosk.vm.screen == "confirm", timeout=2000)
    tap(kiosk.view, "手机提醒")
    for digit in "13800138000":
        tap(kiosk.view, digit)
    tap(kiosk.view, "确定")                                     # no consent yet: refused
    assert kiosk.vm.screen == "phone" and "同意" in kiosk.vm.notice["title"]["zh"]
    tap(kiosk.view, "☐ 我同意：仅用于今日叫号通知")
    tap(kiosk.view, "确定")
    qtbot.waitUntil(lambda: kiosk.vm.screen == "confirm", timeout=2000)
    tap(kiosk.view, "138****8000")                              # the tile shows it masked
    tap(kiosk.view, "确定")
    tap(kiosk.view, "确认取号")
    job = wait_job(qtbot, printer_sim, 5)
    assert job is not None and b"13800138000" not in job
    [ticket] = _rows(hall.db_path, "SELECT * FROM tickets")
    assert ticket["has_phone"] == 1
    assert "13800138000" not in caplog.text and "138****8000" in caplog.text
    assert kiosk.vm.ticket["phone_masked"] == "138****8000"


def test_scan_finished_ticket_to_rate_it(kiosk, hall, printer_sim, qtbot, qapp):
    tap(kiosk.view, "企业设立登记")
    qtbot.waitUntil(lambda: kiosk.vm.screen == "confirm", timeout=2000)
    tap(kiosk.view, "确认取号")
    assert wait_job(qtbot, printer_sim, 5) is not None
    # the printer has it; the kiosk shows the ticket once the print job reports back
    qtbot.waitUntil(lambda: kiosk.vm.screen == "ticket", timeout=3000)
    status_url = kiosk.vm.ticket["status_url"]
    clerk = {"Authorization": "Bearer " + hall.staff_token("c9", window_id="w03")}
    for action, body in (("open", None), ("call-next", None), ("start", None),
                         ("finish", {"outcome": "completed"})):
        r = httpx.post(f"{hall.url}/api/v1/windows/w03/{action}", json=body, headers=clerk,
                          timeout=5)
        assert r.status_code < 300, (action, r.text)
    kiosk.vm.goHome()
    keys = InputFilter(kiosk.vm, qapp)
    qapp.installEventFilter(keys)
    try:
        hid_type(kiosk.view, status_url)
    finally:
        qapp.removeEventFilter(keys)
    qtbot.waitUntil(lambda: kiosk.vm.screen == "rate", timeout=3000)
    tap(kiosk.view, "不满意")
    tap(kiosk.view, "等候时间过长")
    tap(kiosk.view, "提交评价")
    qtbot.waitUntil(lambda: kiosk.vm.screen == "rate_done", timeout=3000)
    [rating] = _rows(hall.db_path, "SELECT * FROM ratings")
    assert rating["level"] == 2 and json.loads(rating["reasons"]) == ["等候时间过长"]
    # The same ticket cannot be rated twice: the kiosk says so instead of failing.
    kiosk.vm.goHome()
    kiosk.vm.scan(status_url)
    qtbot.waitUntil(lambda: kiosk.vm.screen == "message", timeout=3000)
    assert "暂不能评价" in kiosk.vm.notice["title"]["zh"]


def test_early_and_late_appointments_get_a_clear_answer(kiosk, hall, printer_sim, qtbot):
    day = hall.engine.business_date()
    hall.engine.upsert_appointments([
        {"code": "11112222", "service_id": "biz-setup", "date": day, "slot_start": "15:00",
         "slot_end": "15:30"},
        {"code": "33334444", "service_id": "biz-setup", "date": day, "slot_start": "08:00",
         "slot_end": "08:30"}])
    kiosk.vm.scan("OW1:A:11112222")                 # hall clock: about 10:00
    qtbot.waitUntil(lambda: kiosk.vm.screen == "message", timeout=3000)
    assert kiosk.vm.notice["title"]["zh"] == "签到时间未到"
    assert "14:30" in kiosk.vm.notice["body"]["zh"]          # when to come back
    assert "普通号" in kiosk.vm.notice["next"]["zh"]
    assert printer_sim.jobs == []
    kiosk.vm.goHome()
    tap(kiosk.view, "预约签到")                       # late: typed on the keypad this time
    for digit in "33334444":
        tap(kiosk.view, digit)
    assert kiosk.vm.code == "33334444", (kiosk.vm.screen, kiosk.vm.code)
    tap(kiosk.view, "签到")
    assert wait_job(qtbot, printer_sim, 5) is not None, (kiosk.vm.screen, kiosk.vm.notice)
    qtbot.waitUntil(lambda: kiosk.vm.screen == "ticket", timeout=3000)     # the job reported back
    [row] = _rows(hall.db_path, "SELECT * FROM tickets")
    assert row["source"] == "appointment_late" and row["number"] == kiosk.vm.ticket["number"]


def test_a_double_tap_acts_once_and_never_on_the_next_screen(kiosk, qtbot):
    """People used to a mouse double-tap. The second tap lands on whatever the next screen
    has in that spot (here the footer's 首页/返回): it must be ignored there."""
    from kiosk_ui import _items, settle
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtTest import QTest

    QTest.qWait(60)
    settle(kiosk.view)
    label = next(i for i in _items(kiosk.view.rootObject())
                 if i.inherits("QQuickText") and i.property("text") == "预约签到")
    centre = label.mapToScene(QPointF(label.width() / 2, label.height() / 2))
    point = QPoint(int(centre.x()), int(centre.y()))
    for _ in range(2):                    # two taps 150 ms apart, as a quick finger does
        QTest.mouseClick(kiosk.view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         point)
        QTest.qWait(150)
    assert kiosk.vm.screen == "checkin"
