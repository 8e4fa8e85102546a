"""Window bus: golden Modbus frames, decode tables, and the master against slaves on a real pty."""

from __future__ import annotations

import queue
import time

import pytest

from drivers.bus import BusMaster, DeviceSpec, KeypadKey, LedMode, PadMode
from drivers.bus import registers as R
from drivers.bus.codec import ModbusCodec
from drivers.sim.bus import BusSimulator

MASTER, SLAVE = ModbusCodec(), ModbusCodec(slave=True)


def test_poll_request_golden_bytes():
    # address 1, FC3, start 0, count 5, CRC 0xC985 low byte first
    assert MASTER.read_request(1, R.REG_TYPE, R.STATUS_COUNT) == bytes.fromhex("01030000000585c9")
    # the master's poll: address 3, FC3, start 1 (event seq), count 4
    frame = MASTER.read_request(3, R.REG_POLL, R.POLL_COUNT)
    assert frame[:-2] == bytes.fromhex("030300010004") and frame[-2:] == crc16_modbus(frame[:-2])


def crc16_modbus(data: bytes) -> bytes:
    """An independent CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF), low byte first."""
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc.to_bytes(2, "little")


def test_ack_write_golden_bytes():
    frame = MASTER.write_request(3, R.REG_EVENT_ACK, [7])
    assert frame[:-2] == bytes.fromhex("030600100007")          # FC6: write single register
    assert frame[-2:] == crc16_modbus(frame[:-2])


def test_led_frame_golden_bytes():
    regs, n = R.text_to_registers("A023 请到 3 号窗口", R.LED_TEXT_REGS)
    frame = MASTER.write_request(2, R.REG_LED_MODE, [int(LedMode.CALLING), n] + regs)
    text = "A023 请到 3 号窗口".encode("gb2312")
    assert n == len(text) == 18
    body = bytes.fromhex("02100020002244") + b"\x00\x01\x00\x12" + text + b"\x00" * (64 - n)
    assert frame == body + crc16_modbus(body)


@pytest.mark.parametrize("text,regs,expected,length", [
    ("3号窗口 张三", 32, "3号窗口 张三", 12),
    ("一二三", 2, "一二", 4),            # cut on a character boundary, never half a character
    ("号码€", 4, "号码?", 5),           # outside GB2312: '?', not garbage on the screen
])
def test_gb2312_text_registers(text, regs, expected, length):
    values, n = R.text_to_registers(text, regs)
    assert len(values) == regs and n == length
    assert R.registers_to_text(values, n) == expected


def _reply():
    return SLAVE.read_response(5, [3, 9, 1, 1, 0])


@pytest.mark.parametrize("buf,status,used", [
    (b"", "more", 0),
    (_reply()[:4], "more", 0),                                  # partial: wait
    (_reply()[:-1], "more", 0),
    (b"\xff\x00\x13" + _reply(), "frame", 3 + 15),              # garbage before: hunted past
    (_reply() + _reply(), "frame", 15),                         # two frames: only the first taken
])
def test_decode_table(buf, status, used):
    res = MASTER.decode(buf)
    assert (res.status, res.used) == (status, used)
    if status == "frame":
        assert res.address == 5 and list(res.pdu.registers) == [3, 9, 1, 1, 0]


def test_bad_crc_is_never_a_frame():
    bad = bytearray(_reply())
    bad[5] ^= 0x40
    assert MASTER.decode(bytes(bad)).status != "frame"
    assert MASTER.decode(bytes(bad) + b"\x00" * 10).status != "frame"


# --- end to end on a pty -------------------------------------------------------------------

@pytest.fixture
def bus():
    sim = BusSimulator(baud=115200)
    devices = []
    for w in range(3):
        sim.add_window(1 + 3 * w)
        devices += [DeviceSpec("pad", 1 + 3 * w, f"w{w}"), DeviceSpec("led", 2 + 3 * w, f"w{w}"),
                    DeviceSpec("keypad", 3 + 3 * w, f"w{w}")]
    events: queue.Queue = queue.Queue()
    master = BusMaster(sim.url, devices, events.put, timeout=0.03, reconnect_delay=0.05, slow_every=3).start()
    assert master.wait_cycles(4)
    yield sim, master, events
    master.stop()
    sim.close()


def keys(events: queue.Queue, n: int, timeout: float = 3.0) -> list:
    out, deadline = [], time.monotonic() + timeout
    while len(out) < n and time.monotonic() < deadline:
        try:
            ev = events.get(timeout=0.05)
        except queue.Empty:
            continue
        if ev.kind == "key":
            out.append(ev)
    return out


def test_all_devices_come_online(bus):
    _, master, _ = bus
    assert all(d["online"] for d in master.status())


def test_keypad_press_reaches_the_master_once(bus):
    sim, master, events = bus
    sim.slaves[6].press(KeypadKey.CALL_NEXT)
    got = keys(events, 1)
    assert [(e.device.address, e.code) for e in got] == [(6, KeypadKey.CALL_NEXT)]
    master.wait_cycles(3)
    assert keys(events, 1, timeout=0.2) == [] and sim.slaves[6].pending == 0


def test_quick_presses_are_all_counted_in_order(bus):
    sim, _, events = bus
    for k in (KeypadKey.CALL_NEXT, KeypadKey.RECALL, KeypadKey.NO_SHOW):
        sim.slaves[3].press(k)
    assert [e.code for e in keys(events, 3)] == [1, 2, 3]


def test_led_shows_chinese_text(bus):
    sim, master, _ = bus
    w = master.show_led(5, LedMode.CALLING, "A023 请到 3 号窗口")
    assert w.done.wait(2) and w.ok
    assert sim.slaves[5].text == "A023 请到 3 号窗口" and sim.slaves[5].mode == LedMode.CALLING


def test_pad_counts_one_rating_only_while_lit(bus):
    sim, master, events = bus
    pad = sim.slaves[4]
    assert pad.press(5) is False                      # not lit: ignored by the pad
    master.pad_text(4, "2号窗口 李四").done.wait(2)
    master.pad_mode(4, PadMode.RATING, request_id=77).done.wait(2)
    assert pad.text == "2号窗口 李四"
    assert pad.press(4) is True and pad.press(1) is False   # the second key is after "thanks"
    got = keys(events, 2, timeout=1.0)
    assert [(e.code, e.ref) for e in got] == [(4, 77)]


def test_garbled_frames_are_counted_not_fatal(bus):
    sim, master, events = bus
    sim.garble_rate = 0.5
    for _ in range(10):
        sim.slaves[9].press(KeypadKey.HOLD)
    got = keys(events, 10, timeout=5)
    sim.garble_rate = 0.0
    assert len(got) == 10 and [e.seq for e in got] == list(range(1, 11))
    master.wait_cycles(3)
    assert keys(events, 1, timeout=0.2) == []        # nothing counted twice
    assert master.stats.crc_errors > 0


def test_split_replies_and_line_noise(bus):
    sim, master, events = bus
    sim.split = True
    sim.noise(7)
    sim.slaves[3].press(KeypadKey.PAUSE_RESUME)
    assert [e.code for e in keys(events, 1)] == [KeypadKey.PAUSE_RESUME]
    assert all(d["online"] for d in master.status())


def test_silent_device_goes_offline_and_comes_back(bus):
    sim, master, events = bus
    sim.silence({6})
    deadline = time.monotonic() + 3
    while master.status()[5]["online"] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert master.status()[5]["online"] is False
    assert master.status()[4]["online"] is True       # its neighbours are unaffected
    sim.silence(set())
    sim.slaves[6].press(KeypadKey.CALL_NEXT)          # found again on a slow turn
    assert [e.code for e in keys(events, 1)] == [KeypadKey.CALL_NEXT]
    assert master.status()[5]["online"] is True


def test_adapter_unplug_and_replug(bus):
    sim, master, events = bus
    sim.unplug()
    deadline = time.monotonic() + 3
    while master.connected and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not master.connected and all(d["online"] is False for d in master.status())
    sim.replug()
    sim.slaves[3].press(KeypadKey.CALL_NEXT)
    assert [e.code for e in keys(events, 1)] == [KeypadKey.CALL_NEXT]
    assert master.stats.reconnects >= 1


def test_duplicate_addresses_are_refused():
    with pytest.raises(ValueError, match="地址重复"):
        BusMaster("serial:///dev/null", [DeviceSpec("pad", 1), DeviceSpec("led", 1)])
    with pytest.raises(ValueError, match="1..247"):
        DeviceSpec("pad", 0)


def test_a_device_back_online_gets_its_screen_again(bus):
    sim, master, _ = bus
    assert master.show_led(5, LedMode.CALLING, "A007 请到 2 号窗口").done.wait(2)
    sim.silence({5})                                   # power cut on the LED screen
    sim.slaves[5].power_cycle()
    w = master.show_led(5, LedMode.CALLING, "A008 请到 2 号窗口")
    assert w.done.wait(3) and not w.ok                 # could not be shown while it was off
    sim.silence(set())
    assert sim.slaves[5].wait_for_text("A008", timeout=3) is not None
    assert sim.slaves[5].mode == LedMode.CALLING
