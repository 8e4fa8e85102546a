"""The ID-card flow's rules on the view-model (reader signals emitted as the reader thread would)."""

from __future__ import annotations

from onewindow.qtcompat import emit


def test_failed_read_on_the_checkin_screen_is_said_there(vm, qtbot):
    vm.openCheckin()
    emit(vm.cardStatus, "ok", "请将身份证放在阅读区", "place your ID card on the reader")
    emit(vm.cardStatus, "retry", "读证失败，请重新放置身份证", "reading the card failed; place it again")
    qtbot.waitUntil(lambda: bool(vm.notice), timeout=1000)
    assert vm.notice["title"]["zh"] == "未能读取身份证" and "重新放置" in vm.notice["body"]["zh"]
    assert vm.reader["state"] == "ok"                       # one bad read: the reader is fine
    rows = {r["name_en"]: r for r in vm.deviceStatus}
    assert rows["ID-card reader"]["ok"] is True


def test_no_salt_yet_is_a_clear_message_and_mid_flow_cards_are_ignored(vm, qtbot):
    emit(vm.cardRead, "", "张*三")
    qtbot.waitUntil(lambda: vm.screen == "message", timeout=1000)
    assert vm.notice["title"]["zh"] == "暂时无法用身份证签到" and "预约码" in vm.notice["next"]["zh"]
    vm.goHome()
    vm._phone_target = "complaint"
    vm._set_screen("phone")                                 # typing a phone number: ignore cards
    emit(vm.cardRead, "a" * 64, "张*三")
    qtbot.wait(100)
    assert vm.screen == "phone" and vm._pending is None and vm.card == {}


def test_no_reader_configured_adds_no_device_row(vm):
    assert "ID-card reader" not in {r["name_en"] for r in vm.deviceStatus}
