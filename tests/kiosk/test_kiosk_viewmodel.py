"""View-model flows: what a citizen sees after each tap, with a stand-in hall and printer."""

from __future__ import annotations

from kiosk.devices import PrintFailure
from onewindow.client import HallError


def test_home_lists_domains_with_waiting_and_closed_services_shown(vm):
    names = {d["name"]: d for d in vm.domains}
    assert set(names) == {"户籍办理", "税务", "综合服务"}     # names, not the API's domain ids
    assert names["户籍办理"]["waiting"] == 3
    assert names["税务"]["open"] is False          # closed, still listed
    assert [s["id"] for s in vm.pinned] == ["hukou", "pickup"]


def test_three_taps_domain_service_confirm_prints_ticket(vm, qtbot, fake_hall, fake_printer):
    vm.openDomain("household")
    assert [s["id"] for s in vm.domainServices] == ["hukou", "idcard"]
    vm.chooseService("hukou")
    assert vm.screen == "confirm"
    assert vm.service["materials"] == ["居民身份证", "户口簿", "近期免冠照片"]
    vm.issue()
    qtbot.waitUntil(lambda: vm.screen == "ticket", timeout=3000)
    assert vm.ticket["number"] == "A001"
    assert fake_printer.jobs == [("ticket", "A001", None)]


def test_materials_list_printed_when_chosen(vm, qtbot, fake_printer):
    vm.chooseService("hukou")               # pinned: two taps from home
    vm.togglePrintMaterials()
    vm.issue()
    qtbot.waitUntil(lambda: vm.screen == "ticket", timeout=3000)
    assert fake_printer.jobs[1] == ("materials", "户籍办理", ("居民身份证", "户口簿", "近期免冠照片"))


def test_full_and_closed_services_say_why_and_issue_nothing(vm, fake_hall):
    vm.chooseService("idcard")
    assert vm.screen == "message"
    assert "已取完" in vm.notice["title"]["zh"]
    vm.goHome()
    vm.chooseService("tax")
    assert "不在办理时间" in vm.notice["title"]["zh"]
    assert "issue_ticket" not in fake_hall.names()


def test_green_channel_reason_goes_with_the_ticket(vm, qtbot, fake_hall, fake_printer):
    vm.chooseService("hukou")
    vm.openGreen()
    assert vm.screen == "green"
    vm.chooseGreen("elderly")
    assert vm.screen == "confirm" and vm.green["zh"] == "老年人"
    vm.issue()
    qtbot.waitUntil(lambda: vm.screen == "ticket", timeout=3000)
    assert fake_hall.calls[-1][3] == "elderly"
    assert fake_printer.jobs[0][2] == "elderly"


def test_phone_needs_eleven_digits_and_consent_and_is_masked(vm, qtbot, fake_hall):
    vm.chooseService("hukou")
    vm.openPhone()
    for d in "1380013":
        vm.phoneKey(d)
    vm.phoneDone()
    assert vm.screen == "phone" and "不完整" in vm.notice["title"]["zh"]
    for d in "8000":
        vm.phoneKey(d)
    assert vm.phone == "138****8000"
    vm.phoneDone()
    assert vm.screen == "phone" and "同意" in vm.notice["title"]["zh"]
    vm.togglePhoneConsent()
    vm.phoneDone()
    assert vm.screen == "confirm"
    vm.issue()
    qtbot.waitUntil(lambda: vm.screen == "ticket", timeout=3000)
    assert fake_hall.calls[-1][4] == "13800138000"
    assert vm.ticket["phone_masked"] == "138****8000"


def test_retry_after_lost_answer_reuses_the_key_and_makes_one_ticket(vm, qtbot, fake_hall,
                                                                     fake_printer):
    fake_hall.fail_once_after_commit = True
    vm.chooseService("hukou")
    vm.issue()
    qtbot.waitUntil(lambda: vm.screen == "ticket", timeout=3000)
    issues = [c for c in fake_hall.calls if c[0] == "issue_ticket"]
    assert len(issues) == 2 and issues[0][2] == issues[1][2]
    assert fake_hall.count == 1
    assert fake_printer.jobs == [("ticket", "A001", None)]


def test_hall_down_shows_pause_screen_and_recovers(vm, qtbot, fake_hall):
    fake_hall.down = True
    vm.chooseService("hukou")
    vm.issue()
    qtbot.waitUntil(lambda: vm.screen == "unreachable", timeout=3000)
    assert vm.online is False
    vm.goHome()                               # no way around the pending ticket
    assert vm.screen == "unreachable"
    fake_hall.down = False
    qtbot.waitUntil(lambda: vm.screen == "ticket", timeout=3000)
    assert fake_hall.count == 1 and vm.online


def test_hall_down_while_idle_then_back_home(vm, qtbot, fake_hall):
    fake_hall.down = True
    vm.refresh()
    qtbot.waitUntil(lambda: vm.screen == "unreachable", timeout=3000)
    fake_hall.down = False
    qtbot.waitUntil(lambda: vm.screen == "home", timeout=3000)


def test_printer_failure_shows_ticket_and_alerts_staff(vm, qtbot, fake_hall, fake_printer):
    fake_printer.fail = PrintFailure("out", "缺纸", "Paper out")
    fake_printer.paper = "out"
    vm.chooseService("hukou")
    vm.issue()
    qtbot.waitUntil(lambda: vm.screen == "printer_failed", timeout=3000)
    assert vm.ticket["number"] == "A001" and vm.ticket["status_url"].endswith("tok00000001")
    assert vm.printError["zh"] == "缺纸"
    qtbot.waitUntil(lambda: "report_print_failure" in fake_hall.names(), timeout=3000)
    alert = [c for c in fake_hall.calls if c[0] == "report_print_failure"][0]
    assert alert[1] == "t1" and "Paper out" in alert[2]
    qtbot.waitUntil(lambda: "缺纸" in vm.banner.get("zh", ""), timeout=3000)


def test_checkin_by_keypad_prints_ticket(vm, qtbot, fake_hall, fake_printer):
    vm.openCheckin()
    for d in "1234567":
        vm.codeKey(d)
    vm.submitCode()
    assert vm.screen == "checkin" and "8 位" in vm.notice["title"]["zh"]
    vm.codeKey("8")
    vm.submitCode()
    qtbot.waitUntil(lambda: vm.screen == "ticket", timeout=3000)
    assert ("check_in", "12345678") in fake_hall.calls
    assert fake_printer.jobs[0][1] == "Y001"


def test_checkin_early_late_unknown_say_what_next(vm, qtbot, fake_hall):
    cases = [(HallError("checkin_too_early", "还没到签到时间", "Too early", 422), "再来签到", "未到"),
             (HallError("checkin_too_late", "已超过签到时间", "Too late", 422), "普通号", "已过"),
             (HallError("not_found", "没有该预约", "No such appointment", 404), "核对", "没有找到")]
    for error, next_word, title_word in cases:
        fake_hall.checkin_error = error
        vm.scan("OW1:A:12345678")
        qtbot.waitUntil(lambda: vm.screen == "message", timeout=3000)
        assert title_word in vm.notice["title"]["zh"]
        assert next_word in vm.notice["next"]["zh"]
        assert vm.notice["body"]["zh"] == error.message
        vm.goHome()


def test_scan_on_any_screen_checks_in(vm, qtbot, fake_hall):
    vm.openComplaint()
    vm.scan("OW1:A:87654321")
    qtbot.waitUntil(lambda: vm.screen == "ticket", timeout=3000)
    assert ("check_in", "87654321") in fake_hall.calls


def test_unreadable_scan_is_explained(vm):
    vm.scan("hello world")
    assert vm.screen == "message" and "无法识别" in vm.notice["title"]["zh"]


def test_scan_ticket_qr_to_rate(vm, qtbot, fake_hall):
    fake_hall.ticket_views["tokdone0001"] = {"number": "A007", "service_name_zh": "户籍办理",
                                             "service_name_en": "Household", "can_rate": True}
    vm.scan("http://hall.local/t/tokdone0001")
    qtbot.waitUntil(lambda: vm.screen == "rate", timeout=3000)
    assert vm.rating["number"] == "A007"
    vm.chooseLevel(2)
    assert [r["zh"] for r in vm.ratingReasons][:2] == ["等候时间过长", "服务态度不好"]
    vm.toggleRatingReason("等候时间过长")
    vm.submitRating()
    qtbot.waitUntil(lambda: vm.screen == "rate_done", timeout=3000)
    assert ("rate", "tokdone0001", 2, ["等候时间过长"]) in fake_hall.calls


def test_scan_unfinished_ticket_cannot_rate(vm, qtbot, fake_hall):
    fake_hall.ticket_views["tokwait0001"] = {"number": "A008", "can_rate": False}
    vm.scan("http://hall.local/t/tokwait0001")
    qtbot.waitUntil(lambda: vm.screen == "message", timeout=3000)
    assert "A008" in vm.notice["body"]["zh"]


def test_help_confirms_and_shows_acknowledgement(vm, qtbot, fake_hall):
    vm.requestHelp()
    assert vm.screen == "help"
    qtbot.waitUntil(lambda: vm.help.get("state") == "waiting", timeout=3000)
    fake_hall.help_state = "acknowledged"
    qtbot.waitUntil(lambda: vm.help.get("state") == "acknowledged", timeout=3000)
    assert len(vm.help["acknowledged_at"]) == 5      # HH:MM


def test_complaint_needs_category_then_prints_receipt(vm, qtbot, fake_hall, fake_printer):
    vm.openComplaint()
    vm.submitComplaint()
    assert vm.screen == "complaint" and "类别" in vm.complaint["error"]
    vm.chooseCategory("efficiency")
    vm.togglePhrase("等候时间太长")
    vm.submitComplaint()
    qtbot.waitUntil(lambda: vm.screen == "complaint_done", timeout=3000)
    assert vm.complaint["code"] == "TS20261128-0007"
    qtbot.waitUntil(lambda: vm.complaint.get("printed") is True, timeout=3000)
    assert fake_printer.jobs[-1] == ("complaint", "TS20261128-0007", "办事效率")
    assert ("file_complaint", "efficiency", ["等候时间太长"], None, "complaint") in fake_hall.calls


def test_a_complaint_retried_after_a_lost_answer_keeps_its_key_and_a_changed_one_gets_a_new_one(
        vm, qtbot, fake_hall):
    vm.openComplaint()
    vm.chooseCategory("efficiency")
    fake_hall.down = True                            # the answer never comes back
    vm.submitComplaint()
    qtbot.waitUntil(lambda: vm.screen == "unreachable", timeout=3000)
    fake_hall.down = False
    vm.submitComplaint()                             # the citizen tries again
    qtbot.waitUntil(lambda: vm.screen == "complaint_done", timeout=3000)
    first, again = fake_hall.complaint_keys
    assert first[0] and first == again and first[1] is False       # no phone: no consent sent
    vm.openComplaint()                               # a new complaint
    vm.chooseCategory("efficiency")
    vm.submitComplaint()
    qtbot.waitUntil(lambda: len(fake_hall.complaint_keys) == 3, timeout=3000)
    assert fake_hall.complaint_keys[2][0] != first[0]


def test_pickup_button_goes_to_confirm(vm):
    vm.openPickup()
    assert vm.screen == "confirm" and vm.service["id"] == "pickup"


def test_idle_returns_home(vm, qtbot):
    vm.openDomain("household")
    assert vm.screen == "domain"
    qtbot.waitUntil(lambda: vm.screen == "home", timeout=3000)


def test_done_screens_go_home_sooner(vm, qtbot):
    vm.settings.idle_seconds = 30
    vm.settings.done_seconds = 0.2
    vm.chooseService("hukou")
    vm.issue()
    qtbot.waitUntil(lambda: vm.screen == "ticket", timeout=3000)
    qtbot.waitUntil(lambda: vm.screen == "home", timeout=2000)


def test_network_never_blocks_the_ui_thread(qtbot, fake_printer):
    """A hall that accepts the connection and never answers: the screen still reacts."""
    import socket
    import time

    from PySide6.QtCore import QTimer

    from kiosk.devices import PrinterPort
    from kiosk.settings import KioskSettings
    from kiosk.viewmodel import KioskViewModel
    from onewindow.client import HallClient

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        client = HallClient(f"http://127.0.0.1:{silent.getsockname()[1]}", "t", timeout=3)
        vm = KioskViewModel(client, PrinterPort("sim://x", opener=lambda url: fake_printer),
                            KioskSettings(poll_seconds=60), start_timers=False)
        vm._services = [{"id": "hukou", "name_zh": "户籍", "name_en": "H", "open_now": True}]
        vm.chooseService("hukou")
        vm.issue()                       # the request now hangs in the hall lane
        assert vm.screen == "printing"
        ticks = []
        started = time.monotonic()
        QTimer.singleShot(20, lambda: ticks.append(time.monotonic() - started))
        qtbot.waitUntil(lambda: len(ticks) == 1, timeout=1000)
        assert ticks[0] < 1.0            # well inside the 3 s the request may take
        vm.toggleLanguage()              # and taps still change the screen
        assert vm.lang == "en"
        vm.shutdown()


def test_manager_gesture_pin_and_exit(vm, qtbot, fake_hall):
    for _ in range(4):
        vm.cornerTap()
    assert vm.screen == "home"
    vm.cornerTap()
    assert vm.screen == "pin"
    vm.pinKey("9")
    vm.pinKey("next")
    for d in "1111":
        vm.pinKey(d)
    vm.submitPin()
    qtbot.waitUntil(lambda: "不正确" in vm.pin.get("error", ""), timeout=3000)
    for d in "2468":
        vm.pinKey(d)
    vm.submitPin()
    qtbot.waitUntil(lambda: vm.screen == "manager", timeout=3000)
    rows = {r["name_en"]: r for r in vm.deviceStatus}
    assert rows["Hall link"]["ok"] is True
    with qtbot.waitSignal(vm.quitRequested, timeout=1000):
        vm.exitKiosk()


def test_manager_screen_stays_when_the_hall_drops(vm, qtbot, fake_hall, fake_printer):
    for _ in range(5):
        vm.cornerTap()
    for key in ("9", "next", "2", "4", "6", "8"):
        vm.pinKey(key)
    vm.submitPin()
    qtbot.waitUntil(lambda: vm.screen == "manager", timeout=3000)
    fake_hall.down = True
    vm.refresh()
    qtbot.waitUntil(lambda: vm.online is False, timeout=3000)
    assert vm.screen == "manager"
    assert {r["name_en"]: r["ok"] for r in vm.deviceStatus}["Hall link"] is False
    vm.testPrint()                                   # the printer can still be checked
    qtbot.waitUntil(lambda: bool(fake_printer.jobs) and fake_printer.jobs[-1][0] == "notice",
                    timeout=3000)


def test_clerk_pin_is_not_enough(vm, qtbot):
    for _ in range(5):
        vm.cornerTap()
    vm.pinKey("3")
    vm.pinKey("next")
    for d in "2468":
        vm.pinKey(d)
    vm.submitPin()
    qtbot.waitUntil(lambda: "管理员" in vm.pin.get("error", ""), timeout=3000)
    assert vm.screen == "pin"


def test_language_and_elder_mode_toggle(vm):
    vm.toggleLanguage()
    vm.toggleElder()
    assert vm.lang == "en" and vm.elder is True


def test_state_signals_do_not_eat_references_to_true(vm):
    """PySide6 6.12.0's Signal.emit() drops a reference to True each call; a kiosk that runs
    all day would abort. onewindow.qtcompat.emit gives it back."""
    import sys

    before = sys.getrefcount(True)
    for _ in range(3000):
        vm.toggleElder()
    assert abs(sys.getrefcount(True) - before) < 50


_VOID_CALLS = ("from PySide6.QtCore import QObject\n"
               "o = QObject()\n"
               "for _ in range(300000):\n"
               "    o.setObjectName('x')\n"
               "print('survived')\n")


def test_kiosk_survives_many_void_qt_calls():
    """PySide6 6.12.0 on Python 3.11 drops a reference to None on every void Qt call; a
    kiosk makes that many calls in a few hours. onewindow.qtcompat must keep it alive."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", "import onewindow.qtcompat\n" + _VOID_CALLS],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "survived" in proc.stdout, proc.stderr[-500:]


def test_without_the_guard_the_interpreter_aborts():
    """Negative control for the test above, on a PySide6 that has the bug."""
    import subprocess
    import sys

    import pytest

    from onewindow.qtcompat import VOID_LEAKS

    if not VOID_LEAKS or sys.version_info >= (3, 12):
        pytest.skip("this PySide6/Python does not leak references to None")
    proc = subprocess.run([sys.executable, "-c", _VOID_CALLS], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode != 0 and "dealloc" in proc.stderr


def test_manager_screen_shows_the_central_platform_mark(vm, qtbot, fake_hall, monkeypatch):
    """The hall reports the sync process's mark; the kiosk's manager screen shows it."""
    real = fake_hall.health
    monkeypatch.setattr(fake_hall, "health", lambda: {**real(), "sync": {"enabled": True, "online": False,
                                                                         "pending": 42}})
    vm.refresh()
    qtbot.waitUntil(lambda: {r["name_en"]: r for r in vm.deviceStatus}["Central platform"]["ok"] is False,
                    timeout=3000)
    row = {r["name_en"]: r for r in vm.deviceStatus}["Central platform"]
    assert "离线" in row["zh"] and "42" in row["zh"] and "keeps serving" in row["en"]
    monkeypatch.setattr(fake_hall, "health", lambda: {**real(), "sync": {"enabled": True, "online": True}})
    vm.refresh()
    qtbot.waitUntil(lambda: {r["name_en"]: r for r in vm.deviceStatus}["Central platform"]["ok"] is True,
                    timeout=3000)


def test_printer_out_of_paper_is_not_called_offline():
    """A paper-out printer also clears its online bit; staff must read 缺纸, not 离线."""
    from types import SimpleNamespace

    from kiosk.devices import _status_dict

    assert _status_dict(SimpleNamespace(online=False, paper="out", cover_open=False))["state"] == "out"
    assert _status_dict(SimpleNamespace(online=False, paper="ok", cover_open=True))["state"] == "cover_open"
    assert _status_dict(SimpleNamespace(online=False, paper="ok", cover_open=False))["state"] == "offline"
    assert _status_dict(SimpleNamespace(online=None, paper="unknown", cover_open=None))["state"] == "offline"
