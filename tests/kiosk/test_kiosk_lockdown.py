"""Lockdown and device supervision of the live kiosk against a real hall: no way out without
a manager's PIN, device status for the manager, test print, printer unplugged banner."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QContextMenuEvent, QGuiApplication
from PySide6.QtTest import QTest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from hallserver import HallServer  # noqa: E402

from drivers.sim.printer import PrinterSimulator  # noqa: E402
from kiosk.app import KioskApp  # noqa: E402
from kiosk.settings import KioskSettings  # noqa: E402

MANAGER_PIN = "135790"


@pytest.fixture
def hall(tmp_path):
    with HallServer(tmp_path) as server:
        server.add_staff("M07", "王主任", "manager", MANAGER_PIN)
        server.add_staff("C07", "李四", "clerk", MANAGER_PIN)
        yield server


@pytest.fixture
def printer_sim():
    with PrinterSimulator.tcp() as sim:
        yield sim


@pytest.fixture
def live(hall, printer_sim, qtbot, qapp):
    settings = KioskSettings(hall_url=hall.url, token=hall.device_token("kiosk"),
                             printer_url=printer_sim.url, poll_seconds=60, idle_seconds=120,
                             printer_poll_seconds=0.3)
    kiosk = KioskApp(settings).start()
    qtbot.waitUntil(lambda: len(kiosk.vm.services) > 0, timeout=5000)
    yield kiosk
    kiosk.close()


def _tap_corner(view, times: int) -> None:
    for _ in range(times):
        QTest.mouseClick(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         QPointF(20, 20).toPoint())


def _type_pin(vm, staff: str, pin: str) -> None:
    for ch in staff:
        vm.pinKey(ch)
    vm.pinKey("next")
    for ch in pin:
        vm.pinKey(ch)
    vm.submitPin()


def test_locked_window_is_fullscreen_frameless_cursorless_and_will_not_close(live, qtbot):
    view = live.view
    assert view.flags() & Qt.WindowType.FramelessWindowHint
    assert view.windowStates() & Qt.WindowState.WindowFullScreen
    cursor = QGuiApplication.overrideCursor()
    assert cursor is not None and cursor.shape() == Qt.CursorShape.BlankCursor
    view.close()                                   # Alt+F4, a window manager, a stray call
    QTest.qWait(50)
    assert view.isVisible()
    # Keys never reach the screens (the kiosk has no text fields): a keyboard is a scanner.
    QTest.keyClick(view, Qt.Key.Key_Escape)
    assert live.vm.screen == "home"
    menu = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, QPointF(50, 50).toPoint(),
                             QPointF(50, 50).toPoint(), Qt.KeyboardModifier.NoModifier)
    assert live.filter.eventFilter(view, menu) is True


def test_hidden_gesture_and_manager_pin_lead_to_device_status_and_test_print(
        live, printer_sim, qtbot):
    vm = live.vm
    _tap_corner(live.view, 3)
    assert vm.screen == "home"                     # a few stray taps do nothing
    _tap_corner(live.view, 2)
    qtbot.waitUntil(lambda: vm.screen == "pin", timeout=1000)
    _type_pin(vm, "C07", MANAGER_PIN)              # a clerk is not enough
    qtbot.waitUntil(lambda: "管理员" in vm.pin["error"], timeout=3000)
    _type_pin(vm, "M07", "000000")                 # a wrong PIN is refused
    qtbot.waitUntil(lambda: "不正确" in vm.pin["error"], timeout=3000)
    vm.pinField("staff")
    vm.pinKey("clear")
    _type_pin(vm, "M07", MANAGER_PIN)
    qtbot.waitUntil(lambda: vm.screen == "manager", timeout=3000)
    # The devices this kiosk has, each well; the clock row says what the machine knows
    # (synchronised or not, which a test machine may not be), so only its presence counts.
    qtbot.waitUntil(lambda: {r["name_en"]: r["ok"] for r in vm.deviceStatus if r["name_en"] != "Clock"}
                    == {"Hall link": True, "Printer": True, "Scanner": True, "Central platform": True},
                    timeout=3000)
    assert any(r["name_en"] == "Clock" for r in vm.deviceStatus)
    vm.testPrint()
    qtbot.waitUntil(lambda: len(printer_sim.jobs) == 1, timeout=3000)
    assert "打印测试".encode("gb18030") in printer_sim.jobs[0]
    # Paper running low shows up on the manager screen and in the staff banner.
    printer_sim.set_state(paper="near_end")
    qtbot.waitUntil(lambda: vm.printerStatus["state"] == "near_end", timeout=3000)
    printer_row = {r["name_en"]: r for r in vm.deviceStatus}["Printer"]
    assert printer_row["ok"] is False and "纸" in printer_row["zh"]
    assert "纸" in vm.banner["zh"] and vm.banner["zh"].startswith("请工作人员处理")
    with qtbot.waitSignal(vm.quitRequested, timeout=1000):
        vm.exitKiosk()
    assert live.view.locked is False


def test_printer_unplugged_shows_a_staff_banner_and_the_rest_keeps_working(
        live, hall, printer_sim, qtbot):
    vm = live.vm
    printer_sim.set_state(offline=True)
    qtbot.waitUntil(lambda: "离线" in vm.banner.get("zh", "") or "无响应" in vm.banner.get("zh", ""),
                    timeout=3000)
    vm.openCheckin()                               # other flows still work
    assert vm.screen == "checkin"
    vm.goHome()
    printer_sim.set_state(offline=False)
    qtbot.waitUntil(lambda: vm.banner == {}, timeout=3000)


def test_serial_scanner_unplugged_shows_a_banner_until_it_is_back(hall, qtbot, qapp):
    from drivers.sim.scanner import SerialScannerSimulator

    with SerialScannerSimulator() as scanner:
        settings = KioskSettings(hall_url=hall.url, token=hall.device_token("kiosk"),
                                 scanner_url=scanner.url, poll_seconds=60,
                                 printer_poll_seconds=0.2)
        kiosk = KioskApp(settings).start()
        try:
            vm = kiosk.vm
            qtbot.waitUntil(lambda: vm.scannerOk and kiosk.scanner.connected(), timeout=3000)
            scanner.send("OW1:A:12345678")       # the serial scanner reaches the screens
            qtbot.waitUntil(lambda: vm.screen == "message", timeout=3000)
            assert vm.notice["title"]["zh"] == "没有找到该预约"
            scanner.unplug()
            qtbot.waitUntil(lambda: "扫码器未连接" in vm.banner.get("zh", ""), timeout=5000)
            vm.goHome()
            assert vm.screen == "home"            # everything else keeps working
            scanner.replug()
            qtbot.waitUntil(lambda: vm.banner == {}, timeout=5000)
        finally:
            kiosk.close()
