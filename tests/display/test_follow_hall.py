"""The display against a real hall process: live calls, layout changes, kill and restart."""

from __future__ import annotations

import pytest

from caller_display.app import DisplayApp
from tests.support.hallserver import HallServer


@pytest.fixture
def hall(tmp_path):
    h = HallServer(tmp_path / "hall", process=True, windows=("w03", "w04", "w05")).start()
    yield h
    h.stop()


@pytest.fixture
def display_factory():
    apps = []

    def make(hall, token_name="display-1", **kw):
        app = DisplayApp(hall.url, hall.tokens[token_name], min_backoff=0.1, max_backoff=0.8,
                         **kw).start()
        apps.append(app)
        shown = []
        app.vm.call_did_arrive.connect(lambda call: shown.append(call))
        app.shown = shown
        assert app.pump_until(lambda: app.vm.connected, 10), app.controller.disconnect_reason
        return app

    yield make
    for app in apps:
        app.stop()


def test_calls_reach_the_screen_in_order(hall, display_factory):
    app = display_factory(hall)
    called = [hall.serve_and_call(w)["number"] for w in ("w03", "w04", "w05", "w03")]
    assert app.pump_until(lambda: len(app.shown) == 4, 10)
    assert [c.number for c in app.shown] == called
    assert app.screen.item("bannerNumber").property("text") == called[-1]
    assert app.vm.bannerWindow == "3"
    tiles = {t.property("windowNumber"): t.property("currentNumber")
             for t in app.screen.items("windowTile")}
    assert tiles["4"] == called[1] and tiles["3"] == called[3]
    # Waiting counts follow the queue (refreshed from /services after queue events).
    # Everyone issued so far has been called (the refresh trails the last call by ~0.3 s).
    assert app.pump_until(lambda: app.vm.waiting == [], 5), app.vm.waiting
    hall.issue("biz-setup")
    hall.issue("biz-setup")
    assert app.pump_until(lambda: app.vm.waiting == [
        {"name": "企业设立登记", "name_en": "Company registration", "waiting": 2}], 5), \
        app.vm.waiting


def test_a_restarted_display_fills_its_recent_list_without_flashing(hall, display_factory):
    called = [hall.serve_and_call("w03")["number"] for _ in range(3)]
    app = display_factory(hall)
    assert app.pump_until(lambda: len(app.vm.recent) == 3, 10)
    assert [r["number"] for r in app.vm.recent] == called[::-1]
    assert app.shown == [] and not app.vm.flashing  # history, not news: no flash, no voice


def test_hall_killed_and_restarted_no_call_missed_or_duplicated(hall, display_factory, tmp_path):
    app = display_factory(hall)
    called = [hall.serve_and_call(w)["number"] for w in ("w03", "w04")]
    assert app.pump_until(lambda: len(app.shown) == 2, 10)

    hall.kill()
    assert app.pump_until(lambda: not app.vm.connected, 10)
    assert app.screen.item("connectionMark").isVisible()
    assert app.vm.bannerNumber == called[-1]  # the last state stays on screen

    # Calls committed while the display cannot hear (the last ones before the crash, written
    # to the hall's database), then more calls once the restarted hall is serving.
    called += hall.call_offline(["w05", "w03"])
    hall.start()
    called += [hall.serve_and_call(w)["number"] for w in ("w04", "w05", "w03")]

    assert app.pump_until(lambda: len(app.shown) == len(called), 15), \
        [c.number for c in app.shown]
    app.pump(0.5)  # nothing further may trickle in twice
    assert [c.number for c in app.shown] == called
    assert len({c.seq for c in app.shown}) == len(called)
    assert app.vm.connected and not app.screen.item("connectionMark").isVisible()
    assert app.vm.bannerNumber == called[-1]
    assert app.follower.connects >= 2


def test_layout_change_reaches_a_running_display_within_two_seconds(hall, display_factory):
    import time

    app = display_factory(hall, token_name="display-2")
    assert app.vm.layoutName == "default"
    body = {"title": "一楼 Floor 1", "windows": [3, 4], "notice": "一楼只办理企业业务",
            "orientation": "portrait"}
    hall.put_layout("floor-1", body)
    import httpx

    r = httpx.put(f"{hall.url}/api/v1/displays/display-2/layout", json={"layout": "floor-1"},
                     headers=hall.headers(), timeout=5)
    assert r.status_code == 200, r.text
    started = time.monotonic()
    assert app.pump_until(lambda: app.vm.layoutName == "floor-1", 2.0)
    assert time.monotonic() - started < 2.0
    assert app.screen.view.height() > app.screen.view.width()
    app.pump(0.1)
    assert [t.property("windowNumber") for t in app.screen.items("windowTile")] == ["3", "4"]
    # An edit to the assigned layout arrives too.
    hall.put_layout("floor-1", {**body, "notice": "午间不休息 Open at noon"})
    assert app.pump_until(lambda: app.vm.notice == "午间不休息 Open at noon", 2.0)
    # A call to window 5 is not for this floor.
    hall.serve_and_call("w05")
    number = hall.serve_and_call("w03")["number"]
    assert app.pump_until(lambda: app.vm.bannerNumber == number, 5)
    assert [c.window_number for c in app.shown] == ["3"]


def test_display_started_before_the_hall_waits_then_connects(tmp_path):
    from caller_display.app import DisplayApp

    hall = HallServer(tmp_path / "late-hall", process=True, windows=("w03",))  # not running
    app = DisplayApp(hall.url, hall.tokens["display-1"], min_backoff=0.1, max_backoff=0.5).start()
    try:
        app.pump(1.0)
        assert not app.vm.connected and app.screen.item("connectionMark").isVisible()
        assert app.controller.disconnect_reason
        hall.start()
        assert app.pump_until(lambda: app.vm.connected, 10)
        number = hall.serve_and_call("w03")["number"]
        assert app.pump_until(lambda: app.vm.bannerNumber == number, 5)
    finally:
        app.stop()
        hall.stop()


def test_voice_speaks_calls_for_its_window_group_only(hall, tmp_path):
    from caller_display.app import DisplayApp
    from caller_display.voice import Announcer, wav_stats

    hall.put_layout("voiced", {"voice": {"enabled": True, "window_kinds": ["accept"],
                                         "windows": [3, 4]}})
    announcer = Announcer(tmp_path / "voice").start()
    app = DisplayApp(hall.url, hall.tokens["display-1"], layout_name="voiced",
                     announcer=announcer).start()
    try:
        assert app.pump_until(lambda: app.vm.connected and app.vm.layoutName == "voiced", 10)
        first = hall.serve_and_call("w03")["number"]
        hall.serve_and_call("w05")  # shown, but not in the voice group
        second = hall.serve_and_call("w04")["number"]
        assert app.pump_until(lambda: app.vm.bannerWindow == "4", 5), app.vm.bannerWindow
        assert announcer.wait_idle(30)
        texts = [a.text for a in announcer.done]
        spell = " ".join
        assert texts == [f"请 {spell(first)} 号 到 3 号窗口办理",
                         f"请 {spell(second)} 号 到 4 号窗口办理"], (texts, announcer.error)
        assert all(wav_stats(a.wav_path)[1] > 0.02 for a in announcer.done)
    finally:
        app.stop()


def test_a_revoked_display_shows_offline_with_the_reason(hall, display_factory):
    from hall.auth import AuthService
    from hall.store import Store

    app = display_factory(hall, token_name="display-2")
    hall.kill()  # revoke offline, as `onewindow device revoke` does on the hall box
    store = Store.open(hall.db)
    try:
        AuthService(store).revoke_device("display-2")
    finally:
        store.close()
    hall.start()  # the stream dropped; the reconnect is refused
    assert app.pump_until(lambda: not app.vm.connected and "令牌" in app.controller.disconnect_reason, 10)


def test_a_hall_with_a_fresh_database_is_followed_from_the_start(hall, display_factory, tmp_path):
    app = display_factory(hall)
    for _ in range(4):
        hall.serve_and_call("w03")
    assert app.pump_until(lambda: len(app.shown) == 4, 10)
    hall.kill()
    # The hall box is reinstalled: same address, a new database whose seq starts again at 1.
    fresh = HallServer(tmp_path / "reinstalled", process=True, windows=("w04",), port=hall.port)
    fresh.tokens["display-1"] = hall.tokens["display-1"]
    from hall.auth import AuthService, hash_token
    from hall.store import Store

    store = Store.open(fresh.db)
    try:  # the display's token carried over, as a restore of the device list would
        with store.transaction() as db:
            db.execute("UPDATE devices SET token_hash = ? WHERE name = 'display-1'",
                       (hash_token(hall.tokens["display-1"]),))
        assert AuthService(store).device_for_token(hall.tokens["display-1"]) is not None
    finally:
        store.close()
    fresh.start()
    try:
        number = fresh.serve_and_call("w04")["number"]
        assert app.pump_until(lambda: app.vm.bannerNumber == number and app.vm.connected, 10)
        assert [r["number"] for r in app.vm.recent] == [number]
    finally:
        fresh.stop()


def test_a_silently_dead_link_is_noticed_and_the_calls_caught_up(hall):
    from caller_display.app import DisplayApp
    from tests.support.netproxy import FreezableRelay

    relay = FreezableRelay(hall.port)
    app = DisplayApp(relay.url, hall.tokens["display-1"], min_backoff=0.1, max_backoff=0.5,
                     read_timeout=1.5).start()
    shown = []
    app.vm.call_did_arrive.connect(lambda call: shown.append(call.number))
    try:
        assert app.pump_until(lambda: app.vm.connected, 10)
        called = [hall.serve_and_call("w03")["number"]]
        assert app.pump_until(lambda: shown == called, 5)
        assert relay.freeze() >= 1  # the stream's connection now hangs, open but mute
        called += [hall.serve_and_call(w)["number"] for w in ("w04", "w05")]
        app.pump(0.5)
        assert shown == called[:1]  # nothing can arrive over the dead link
        assert app.pump_until(lambda: shown == called, 8), shown
        app.pump(0.3)
        assert shown == called and app.follower.connects >= 2
    finally:
        app.stop()
        relay.close()
