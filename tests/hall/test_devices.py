"""Window devices bound to a real engine: simulated keypad, LED screen and pad on a real pty."""

from __future__ import annotations

import time

import pytest

from drivers.bus import KeypadKey, LedMode, PadMode
from drivers.sim.bus import BusSimulator
from hall.config import WindowDevices
from hall.devices import DeviceBinding


@pytest.fixture
def hall_bus(engine, open_window):
    sim = BusSimulator(baud=115200)
    pad, led, keypad = sim.add_window(1)          # w03: pad 1, LED 2, keypad 3
    binding = DeviceBinding(engine, sim.url, windows=[WindowDevices(window="w03", pad=1, led=2, keypad=3)],
                            pad_timeout=0.5, timeout=0.03).start()
    open_window("w03", "c1")
    assert binding.master.wait_cycles(2)
    binding.sim = sim          # test-only handle for fault knobs
    yield engine, binding, pad, led, keypad
    binding.stop()
    sim.close()


def wait(pred, timeout=3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.01)
    return False


def ratings(engine):
    with engine.store.read() as c:
        return [dict(r) for r in c.execute("SELECT * FROM ratings")]


def test_keypad_call_next_shows_on_the_led_within_300_ms(hall_bus):
    engine, _, _, led, keypad = hall_bus
    ticket, _ = engine.issue_ticket("biz-setup")
    pressed = time.monotonic()
    keypad.press(KeypadKey.CALL_NEXT)
    shown = led.wait_for_text(ticket["number"], timeout=2)
    assert shown is not None and shown - pressed <= 0.3
    assert led.text == f"{ticket['number']} 请到 3 号窗口" and led.mode == LedMode.CALLING
    assert engine.get_ticket(ticket["id"])["state"] == "called"


def test_pad_shows_the_clerk_and_stores_one_rating(hall_bus):
    engine, binding, pad, _, keypad = hall_bus
    assert wait(lambda: pad.text == "3号窗口 张晓明")
    ticket, _ = engine.issue_ticket("biz-setup")
    keypad.press(KeypadKey.CALL_NEXT)
    assert wait(lambda: engine.get_ticket(ticket["id"])["state"] == "called")
    keypad.press(KeypadKey.FINISH)
    assert wait(lambda: pad.mode == PadMode.RATING)      # lit after the finish
    assert pad.press(5)
    assert not pad.press(4)                             # the pad already said thank you
    assert wait(lambda: len(ratings(engine)) == 1)
    time.sleep(0.2)
    [r] = ratings(engine)
    assert (r["ticket_id"], r["level"], r["channel"]) == (ticket["id"], 5, "pad")
    assert wait(lambda: pad.mode == PadMode.IDLE, timeout=5)


def test_no_key_in_time_means_no_rating(hall_bus):
    engine, _, pad, _, keypad = hall_bus
    engine.issue_ticket("biz-setup")
    engine.call_next("w03")
    engine.finish("w03", "completed")                   # from the web console this time
    assert wait(lambda: pad.mode == PadMode.RATING)
    assert wait(lambda: pad.mode == PadMode.IDLE, timeout=3)   # pad_timeout 0.5 s
    assert not pad.press(5)                             # too late: the pad is dark
    time.sleep(0.2)
    assert ratings(engine) == []


def test_console_actions_drive_the_led_too(hall_bus):
    engine, _, _, led, _ = hall_bus
    t, _ = engine.issue_ticket("biz-setup")
    engine.call_next("w03")
    assert led.wait_for_text(t["number"])
    engine.hold("w03")
    assert wait(lambda: led.mode == LedMode.IDLE and "欢迎办理" in led.text)
    engine.pause_window("w03")
    assert wait(lambda: led.mode == LedMode.PAUSED and led.text == "暂停服务")


def test_pause_key_toggles_and_wrong_keys_change_nothing(hall_bus):
    engine, binding, _, led, keypad = hall_bus
    keypad.press(KeypadKey.PAUSE_RESUME)
    assert wait(lambda: engine.window_state("w03")["state"] == "paused")
    assert wait(lambda: led.mode == LedMode.PAUSED)
    keypad.press(KeypadKey.PAUSE_RESUME)
    assert wait(lambda: engine.window_state("w03")["state"] == "open")
    keypad.press(KeypadKey.RECALL)                      # nobody called: refused, no change
    assert wait(lambda: binding.key_errors)
    assert engine.window_state("w03")["current"] is None


def test_each_key_press_acts_once_even_with_a_noisy_line(hall_bus):
    engine, binding, _, _, keypad = hall_bus
    for _ in range(3):
        engine.issue_ticket("biz-setup")
    binding.sim.garble_rate = 0.4       # replies corrupted: keys must still act exactly once
    keypad.press(KeypadKey.CALL_NEXT)
    assert wait(lambda: engine.window_state("w03")["current"] is not None)
    keypad.press(KeypadKey.CALL_NEXT)                   # refused: the first citizen is still there
    assert wait(lambda: binding.key_errors)
    time.sleep(0.2)
    with engine.store.read() as c:
        called = c.execute("SELECT COUNT(*) FROM tickets WHERE state = 'called'").fetchone()[0]
    assert called == 1 and binding.master.stats.events == 2
    assert binding.master.stats.crc_errors > 0


def test_start_from_config_follows_the_hall_toml(engine, tmp_path):
    from drivers.transport import register_sim, unregister_sim
    from hall.devices import start_from_config

    assert start_from_config(engine) is None                # the example has no bus port
    sim = BusSimulator(baud=115200)
    pad, led, keypad = sim.add_window(11)
    register_sim("bus-test-config", sim.url)
    try:
        cfg = engine.config.model_copy(update={"devices": engine.config.devices.model_copy(update={
            "bus": engine.config.devices.bus.model_copy(update={"port": "sim://bus-test-config"}),
            "windows": [WindowDevices(window="w03", pad=11, led=12, keypad=13)]})})
        engine.config = cfg
        binding = start_from_config(engine)
        try:
            assert wait(lambda: led.text == "暂停服务")               # w03 is closed: shown as such
            assert wait(lambda: [d["online"] for d in binding.status()] == [True, True, True])
        finally:
            binding.stop()
    finally:
        unregister_sim("bus-test-config")
        sim.close()


def _finished_ticket(engine, pad):
    ticket, _ = engine.issue_ticket("biz-setup")
    engine.call_next("w03")
    engine.finish("w03", "completed")
    assert wait(lambda: pad.mode == PadMode.RATING)
    return ticket


def test_bad_rating_on_the_pad_asks_for_a_reason_then_stores_it(hall_bus):
    engine, binding, pad, _, _ = hall_bus
    ticket = _finished_ticket(engine, pad)
    reasons = engine.config.ratings.reasons["1"]
    assert pad.press(1)                                   # 非常不满意
    assert wait(lambda: pad.mode == PadMode.REASON)
    assert pad.text.startswith("请选择原因 1" + reasons[0])
    assert ratings(engine) == []                          # not stored without its reason
    assert pad.press(2)
    assert wait(lambda: len(ratings(engine)) == 1)
    [r] = ratings(engine)
    assert (r["ticket_id"], r["level"], r["channel"]) == (ticket["id"], 1, "pad")
    assert r["reasons"] and reasons[1] in r["reasons"]
    with engine.store.read() as c:                        # a bad rating opens a case
        assert c.execute("SELECT COUNT(*) FROM cases").fetchone()[0] == 1
    assert wait(lambda: pad.mode == PadMode.IDLE and pad.text == "3号窗口 张晓明", timeout=6)


def test_bad_rating_without_a_reason_in_time_is_not_stored(hall_bus):
    engine, binding, pad, _, _ = hall_bus
    _finished_ticket(engine, pad)
    assert pad.press(2)
    assert wait(lambda: pad.mode == PadMode.REASON)
    assert wait(lambda: pad.mode == PadMode.IDLE, timeout=3)   # pad_timeout 0.5 s
    assert ratings(engine) == [] and binding.bad_without_reason == 1
