"""The ID-card reader at the kiosk, end to end: booked at the central with the (fictional) test
person's ID, pulled by the hall, the central then switched off, the card tapped on the reader
simulator (a pty, real GA 467 frames) → a checked-in ticket. No file, log or event anywhere
holds the ID number afterwards."""

from __future__ import annotations

import datetime as dt
import logging
import re
import sqlite3
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from hallserver import EXAMPLE_CONFIG, HallServer, RunningClock  # noqa: E402
from kiosk_ui import Kiosk, tap, wait_job  # noqa: E402

from central import booking  # noqa: E402
from central.server import CentralServer  # noqa: E402
from drivers.sim.idcard import TEST_PERSON, TEST_PERSON_2, IdCardSimulator  # noqa: E402
from drivers.sim.printer import PrinterSimulator  # noqa: E402
from kiosk.idcard import IdCardPort  # noqa: E402
from onewindow.qtcompat import emit  # noqa: E402
from sync import hallside, signing  # noqa: E402
from sync.client import CentralClient  # noqa: E402
from sync.runner import Syncer, engine_hooks  # noqa: E402

HALL = "demo-city-hall"
TZ = ZoneInfo("Asia/Shanghai")


def _hall_config(path: Path, central_url: str, key: str) -> Path:
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    text = re.sub(r'(?ms)^\[sync\].*?(?=^\[)',
                  f'[sync]\nenabled = true\ncentral_url = "{central_url}"\nhall_key = "{key}"\n'
                  'interval_seconds = 1\nbatch_size = 500\n\n', text)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def booked_hall(tmp_path, caplog):
    """A hall that pulled the test person's booking for 10:00 today, then lost its central."""
    caplog.set_level(logging.DEBUG)
    day = dt.datetime.now(TZ).date() + dt.timedelta(days=1)
    while day.isoweekday() > 5:
        day += dt.timedelta(days=1)
    start = dt.datetime(day.year, day.month, day.day, 10, 5, tzinfo=TZ).timestamp()
    central = CentralServer(f"sqlite:///{tmp_path / 'central.db'}").start()
    key = signing.new_secret()
    central.db.add_hall(HALL, "示范市政务服务中心", key)
    config_path = _hall_config(tmp_path / "hall.toml", central.url, key)
    central.db.push_config(HALL, EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    appt = booking.book(central.db, hall_id=HALL, service_id="biz-setup", date=day.isoformat(), slot="10:00",
                        name=TEST_PERSON.name, id_number=TEST_PERSON.id_number, phone="13812345678")
    hall = HallServer(tmp_path, config_path=config_path, clock=RunningClock(start)).start()
    conn = hallside.open_hall_db(hall.db_path)
    client = CentralClient(central.url, HALL, key)
    syncer = Syncer(conn, client, config_path=config_path, clock=hall.clock.now, **engine_hooks(hall.engine))
    assert syncer.cycle()["appointments"] == 1
    client.close()
    conn.close()
    central.stop()                      # offline-first: from here on there is no central
    yield hall, appt
    hall.stop()


@pytest.fixture
def printer_sim():
    with PrinterSimulator.tcp() as sim:
        yield sim


def _with_reader(kiosk, url, qtbot):
    port = IdCardPort(url, on_card=lambda h, n: emit(kiosk.vm.cardRead, h, n),
                      on_status=lambda s, zh, en: emit(kiosk.vm.cardStatus, s, zh, en), poll_interval=0.05)
    port.open()
    kiosk.vm.attach_idcard(port)
    return port


def _texts(item):
    for child in item.childItems():
        if child.isVisible():
            if child.inherits("QQuickText") and child.property("text"):
                yield str(child.property("text"))
            yield from _texts(child)


def test_tap_card_checks_in_the_booking_and_no_id_number_is_kept(booked_hall, printer_sim, qtbot, tmp_path,
                                                                   caplog):
    hall, appt = booked_hall
    with IdCardSimulator() as sim:
        kiosk = Kiosk(hall.url, hall.device_token("kiosk"), printer_sim.url, qtbot)
        port = _with_reader(kiosk, sim.url, qtbot)
        try:
            qtbot.waitUntil(lambda: port.salt != "" and kiosk.vm.reader.get("state") == "ok", timeout=5000)
            tap(kiosk.view, "预约签到")
            qtbot.waitUntil(lambda: kiosk.vm.screen == "checkin", timeout=2000)
            qtbot.wait(50)
            assert "也可将身份证放在阅读区签到" in list(_texts(kiosk.view.rootObject()))

            assert sim.tap(TEST_PERSON)                       # the citizen lays the card down
            qtbot.waitUntil(lambda: kiosk.vm.screen == "ticket", timeout=5000)
            ticket = kiosk.vm.ticket
            assert ticket["priority"] == "appointment" and ticket["number"].startswith("A")
            assert wait_job(qtbot, printer_sim, 5) is not None
            qtbot.wait(50)
            assert "姓名：张*三" in list(_texts(kiosk.view.rootObject()))
            with sqlite3.connect(hall.db_path) as c:
                state = c.execute("SELECT state FROM appointments WHERE code = ?", (appt["code"],)).fetchone()[0]
            assert state == "checked_in"

            # the same card again: the same ticket (as for the code), never a second number
            number = ticket["number"]
            kiosk.vm.goHome()
            assert sim.tap(TEST_PERSON)
            qtbot.waitUntil(lambda: kiosk.vm.screen == "ticket", timeout=5000)
            assert kiosk.vm.ticket["number"] == number
            with sqlite3.connect(hall.db_path) as c:
                assert c.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 1

            # another citizen without a booking: told so, and how to take a ticket
            kiosk.vm.goHome()
            assert sim.tap(TEST_PERSON_2)
            qtbot.waitUntil(lambda: kiosk.vm.screen == "message", timeout=5000)
            assert kiosk.vm.notice["title"]["zh"] == "李*例，没有找到您今天的预约"

            # ... who chooses the service and taps the card on the confirm screen: a ticket, name masked
            kiosk.vm.goHome()
            tap(kiosk.view, "企业设立登记")
            qtbot.waitUntil(lambda: kiosk.vm.screen == "confirm", timeout=2000)
            assert sim.tap(TEST_PERSON_2)
            qtbot.waitUntil(lambda: kiosk.vm.screen == "ticket", timeout=5000)
            assert kiosk.vm.ticket["name_masked"] == "李*例" and kiosk.vm.ticket["priority"] != "appointment"
            shot = tmp_path / "kiosk-idcard-ticket.png"
            kiosk.view.grabWindow().save(str(shot))
        finally:
            port.close()
            kiosk.close()

    # No ID number anywhere: every file the hall, central and sync wrote, every event, every log line.
    secrets = [TEST_PERSON.id_number.encode(), TEST_PERSON_2.id_number.encode(),
               TEST_PERSON.id_number.encode("utf-16-le")]
    found = []
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [str(path) for s in secrets if s in data]
    assert found == []
    with sqlite3.connect(hall.db_path) as c:
        events = " ".join(p for (p,) in c.execute("SELECT payload FROM events"))
    assert TEST_PERSON.id_number not in events and "张试三" not in events
    assert TEST_PERSON.id_number not in caplog.text and TEST_PERSON_2.id_number not in caplog.text
    assert "张试三" not in caplog.text and "李样例" not in caplog.text


def test_absent_reader_leaves_code_check_in_working(booked_hall, printer_sim, qtbot):
    hall, appt = booked_hall
    kiosk = Kiosk(hall.url, hall.device_token("kiosk"), printer_sim.url, qtbot)
    port = _with_reader(kiosk, "serial:///nonexistent/ttyIDCARD?baud=115200", qtbot)
    try:
        qtbot.waitUntil(lambda: kiosk.vm.reader.get("state") == "absent", timeout=5000)
        tap(kiosk.view, "预约签到")
        qtbot.waitUntil(lambda: kiosk.vm.screen == "checkin", timeout=2000)
        qtbot.wait(50)
        line = [t for t in _texts(kiosk.view.rootObject()) if "身份证阅读器" in t]
        assert line and "未连接" in line[0] and "请扫码或输入预约码" in line[0]
        for digit in appt["code"]:
            tap(kiosk.view, digit)
        tap(kiosk.view, "签到")
        qtbot.waitUntil(lambda: kiosk.vm.screen == "ticket", timeout=5000)
        assert kiosk.vm.ticket["priority"] == "appointment"
        # the manager's device screen names it too
        rows = {r["name_en"]: r for r in kiosk.vm.deviceStatus}
        assert rows["ID-card reader"]["ok"] is False and "未连接" in rows["ID-card reader"]["zh"]
    finally:
        port.close()
        kiosk.close()
