"""The kiosk against a real hall node on a loopback port and the drivers' printer and scanner
simulators: taps on the QML screen, bytes on the printer, tickets in the hall's database."""

from __future__ import annotations

import socket
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import zxingcpp

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from hallserver import HallServer  # noqa: E402
from kiosk_ui import (  # noqa: E402,E501
    Kiosk,
    events_of,
    hid_type,
    screen_qr,
    tap,
    ticket_rows,
    wait_job,
)

from drivers.printer.render import render_escpos  # noqa: E402
from drivers.sim.printer import PrinterSimulator  # noqa: E402
from kiosk.app import InputFilter  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


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
    k = Kiosk(hall.url, hall.device_token("kiosk"), printer_sim.url, qtbot)
    yield k
    k.close()


# -- tests ---------------------------------------------------------------------------------

def test_tap_service_prints_the_number_the_hall_issued(kiosk, hall, printer_sim, qtbot):
    tap(kiosk.view, "企业设立登记")                  # pinned on the home screen
    qtbot.waitUntil(lambda: kiosk.vm.screen == "confirm", timeout=2000)
    tap(kiosk.view, "确认取号")
    job = wait_job(qtbot, printer_sim, 5)
    assert job is not None, "no ticket reached the printer"
    qtbot.waitUntil(lambda: kiosk.vm.screen == "ticket", timeout=3000)

    rows = ticket_rows(hall.db_path, "biz-setup")
    assert len(rows) == 1
    number = rows[0]["number"]
    assert kiosk.vm.ticket["number"] == number
    assert number.encode("ascii") in job
    # The paper: render the bytes, scan the QR, ask the hall whose ticket it is.
    paper = render_escpos(job)
    codes = [c.text for c in zxingcpp.read_barcodes(paper)]
    assert codes == [f"{hall.url}/t/{rows[0]['token']}"]
    view = httpx.get(f"{hall.url}/api/v1/tickets/{rows[0]['token']}", timeout=5).json()
    assert view["number"] == number
    assert "企业设立登记".encode("gb18030") in job


def test_green_channel_ticket_is_marked_in_the_hall(kiosk, hall, printer_sim, qtbot):
    tap(kiosk.view, "企业设立登记")
    qtbot.waitUntil(lambda: kiosk.vm.screen == "confirm", timeout=2000)
    tap(kiosk.view, "绿色通道")
    qtbot.waitUntil(lambda: kiosk.vm.screen == "green", timeout=2000)
    tap(kiosk.view, "老年人")
    qtbot.waitUntil(lambda: kiosk.vm.screen == "confirm", timeout=2000)
    tap(kiosk.view, "确认取号")
    assert wait_job(qtbot, printer_sim, 5) is not None
    row = ticket_rows(hall.db_path, "biz-setup")[0]
    assert (row["priority"], row["priority_reason"]) == ("green", "elderly")


def _book(hall, code: str) -> None:
    hall.engine.upsert_appointments([{
        "code": code, "service_id": "biz-setup", "date": hall.engine.business_date(),
        "slot_start": "10:00", "slot_end": "10:30", "name_masked": "张*"}])


def test_hid_scan_of_appointment_checks_in_and_prints(kiosk, hall, printer_sim, qtbot, qapp):
    _book(hall, "20261126")
    keys = InputFilter(kiosk.vm, qapp)
    qapp.installEventFilter(keys)
    try:
        tap(kiosk.view, "吐槽找茬")                 # any screen: the scan still checks in
        qtbot.waitUntil(lambda: kiosk.vm.screen == "complaint", timeout=2000)
        hid_type(kiosk.view, "OW1:A:20261126")
        job = wait_job(qtbot, printer_sim, 5)
    finally:
        qapp.removeEventFilter(keys)
    assert job is not None
    qtbot.waitUntil(lambda: kiosk.vm.screen == "ticket", timeout=3000)
    row = ticket_rows(hall.db_path, "biz-setup")[0]
    assert row["priority"] == "appointment" and row["number"] == kiosk.vm.ticket["number"]
    assert row["number"].encode() in job


def test_serial_scanner_unknown_code_says_what_to_do(kiosk, hall, qtbot):
    from drivers.sim.scanner import SerialScannerSimulator
    from kiosk.devices import ScannerPort
    from onewindow.qtcompat import emit

    with SerialScannerSimulator() as sim:
        port = ScannerPort(sim.url, lambda k, v: emit(kiosk.vm.codeReceived, k, v),
                           lambda zh, en: emit(kiosk.vm.scanRejected, zh, en))
        port.open()
        try:
            qtbot.waitUntil(lambda: port.connected(), timeout=3000)
            sim.send("OW1:A:99999999", split_at=5)   # arrives in two pieces, like USB does
            qtbot.waitUntil(lambda: kiosk.vm.screen == "message", timeout=3000)
            assert kiosk.vm.notice["title"]["zh"] == "没有找到该预约"
            assert "核对" in kiosk.vm.notice["next"]["zh"]
            kiosk.vm.goHome()
            sim.send("hello")
            qtbot.waitUntil(lambda: kiosk.vm.screen == "message", timeout=3000)
            assert kiosk.vm.notice["title"]["zh"] == "无法识别"
        finally:
            port.close()


def test_paper_out_shows_ticket_on_screen_and_alerts_staff(kiosk, hall, printer_sim, qtbot):
    printer_sim.set_state(paper="out")
    kiosk.vm.check_printer()
    qtbot.waitUntil(lambda: "缺纸" in kiosk.vm.banner.get("zh", ""), timeout=3000)
    tap(kiosk.view, "企业设立登记")
    qtbot.waitUntil(lambda: kiosk.vm.screen == "confirm", timeout=2000)
    tap(kiosk.view, "确认取号")
    qtbot.waitUntil(lambda: kiosk.vm.screen == "printer_failed", timeout=5000)
    row = ticket_rows(hall.db_path, "biz-setup")[0]
    # The ticket is on screen, large, with a QR a phone can photograph or scan.
    assert kiosk.vm.ticket["number"] == row["number"]
    qtbot.waitUntil(lambda: screen_qr(kiosk.view) == [f"{hall.url}/t/{row['token']}"],
                    timeout=3000)
    # Staff are told through the hall's event feed.
    qtbot.waitUntil(lambda: len(events_of(hall.db_path, "printer.failed")) == 1, timeout=3000)
    alert = events_of(hall.db_path, "printer.failed")[0]
    assert alert["number"] == row["number"] and "paper" in alert["reason"].lower()
    assert printer_sim.jobs == []


# -- the hall killed mid-request -------------------------------------------------------------

class KillingProxy:
    """Forwards the kiosk's connections to the hall. When armed, the first ticket request is
    passed through; as soon as the hall's answer comes back (the ticket is committed) the
    hall is SIGKILLed and the kiosk's connection dropped, so the kiosk never hears it."""

    def __init__(self, hall: HallServer):
        self.hall = hall
        self.armed = False
        self.killed = threading.Event()
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(16)
        self.srv.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.srv.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.srv.accept()
            except OSError:
                continue
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.hall.port), timeout=2)
        except OSError:
            client.close()           # hall down: the kiosk sees a refused/closed connection
            return
        trigger = threading.Event()

        def pump_up():
            try:
                while data := client.recv(65536):
                    if self.armed and b"POST /api/v1/tickets " in data:
                        self.armed = False
                        trigger.set()
                    upstream.sendall(data)
            except OSError:
                pass
            finally:
                upstream.close()

        threading.Thread(target=pump_up, daemon=True).start()
        try:
            while data := upstream.recv(65536):
                if trigger.is_set():
                    self.hall.kill()              # committed, answered, and now dead
                    self.killed.set()
                    break
                client.sendall(data)
        except OSError:
            pass
        finally:
            client.close()
            upstream.close()

    def close(self) -> None:
        self._stop.set()
        self.srv.close()
        self._thread.join(timeout=2)


@pytest.mark.slow
def test_hall_killed_mid_request_then_retry_gives_exactly_one_ticket(tmp_path, printer_sim,
                                                                    qtbot):
    hall = HallServer(tmp_path, process=True).start()
    proxy = KillingProxy(hall)
    kiosk = Kiosk(proxy.url, hall.device_token("kiosk"), printer_sim.url, qtbot)
    try:
        proxy.armed = True
        tap(kiosk.view, "企业设立登记")
        qtbot.waitUntil(lambda: kiosk.vm.screen == "confirm", timeout=2000)
        tap(kiosk.view, "确认取号")
        assert proxy.killed.wait(5), "the hall was not killed mid-request"
        qtbot.waitUntil(lambda: kiosk.vm.screen == "unreachable", timeout=5000)
        committed = ticket_rows(hall.db, "biz-setup")
        assert len(committed) == 1                  # the hall did commit before it died
        assert printer_sim.jobs == []                # and nothing was printed yet
        hall.start()                                 # the hall comes back on the same port
        job = wait_job(qtbot, printer_sim, 10)
        assert job is not None
        qtbot.waitUntil(lambda: kiosk.vm.screen == "ticket", timeout=5000)
        rows = ticket_rows(hall.db, "biz-setup")
        assert len(rows) == 1, "the retry made a second ticket"
        assert kiosk.vm.ticket["number"] == rows[0]["number"] == committed[0]["number"]
        time.sleep(0.3)
        assert len(printer_sim.jobs) == 1
    finally:
        kiosk.close()
        proxy.close()
        hall.stop()
