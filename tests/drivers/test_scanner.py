"""Scanner: the code table (good, partial, garbled), serial line mode on a pty, HID wedge events."""

from __future__ import annotations

import queue

import pytest

from drivers.scanner import HidScanner, ScanError, SerialScanner, parse_code
from drivers.scanner.device import KeyDecoder, LineAssembler
from drivers.sim.scanner import HidScannerSimulator, SerialScannerSimulator, key_events

BASE = "http://hall.local:8470"


@pytest.mark.parametrize("text,kind,value", [
    ("OW1:A:20261128", "appointment", "20261128"),
    ("12345678", "appointment", "12345678"),
    ("  87654321\r\n", "appointment", "87654321"),
    ("OW1:P:PK-2026-0042", "pickup", "PK-2026-0042"),
    (f"{BASE}/t/Ab3_xY-9kLmN0pQr", "ticket", "Ab3_xY-9kLmN0pQr"),
    (f"{BASE}/t/Ab3_xY-9kLmN0pQr/", "ticket", "Ab3_xY-9kLmN0pQr"),
])
def test_codes_we_understand(text, kind, value):
    code = parse_code(text, base_url=BASE)
    assert (code.kind, code.value) == (kind, value)


@pytest.mark.parametrize("text,zh", [
    ("", "未读到内容"),
    ("   ", "未读到内容"),
    ("OW1:A:2026112", "8 位数字"),            # one digit short (a partial read)
    ("OW1:A:2026112X", "8 位数字"),
    ("1234567", "无法识别"),
    ("OW1:P:", "取件码格式不正确"),
    ("OW1:P:a b", "取件码格式不正确"),
    ("http://other-hall:8470/t/Ab3_xY-9kLmN0pQr", "不是本大厅"),
    (f"{BASE}/x/Ab3_xY-9kLmN0pQr", "不是本大厅"),
    (f"{BASE}/t/", "不是取号单"),
    (f"{BASE}/t/ab", "已损坏"),
    (f"{BASE}/t/Ab3%00xY", "已损坏"),
    ("OW1:A:2026\x1b[B1128", "乱码"),
    ("x" * 600, "过长"),
    ("微信支付收款码", "无法识别"),
    ("WIFI:S:hall;T:WPA;P:secret;;", "无法识别"),
])
def test_everything_else_is_rejected_with_a_reason(text, zh):
    with pytest.raises(ScanError) as err:
        parse_code(text, base_url=BASE)
    assert zh in err.value.message and err.value.message_en


def test_any_host_is_accepted_without_a_base_url():
    assert parse_code("https://x.example/t/Ab3_xY-9kLmN0pQr").value == "Ab3_xY-9kLmN0pQr"


def test_non_text_never_crashes():
    with pytest.raises(ScanError):
        parse_code(None)  # type: ignore[arg-type]


def test_line_assembler_handles_pieces_and_crlf():
    la = LineAssembler(max_len=20)
    assert la.feed(b"OW1:A:2026") == []
    assert la.feed(b"1128\r\n1234") == ["OW1:A:20261128"]
    assert la.feed(b"5678\n") == ["12345678"]
    assert la.feed(b"x" * 30 + b"\r") == []     # lost terminator: dropped, not glued to the next
    assert la.overflows == 1


def test_key_decoder_reads_shifted_characters():
    assert KeyDecoder().feed(key_events("OW1:P:PK-42")) == ["OW1:P:PK-42"]
    dec = KeyDecoder()
    data = key_events("OW1:A:12345678")
    assert dec.feed(data[:100]) == [] and dec.feed(data[100:]) == ["OW1:A:12345678"]


def test_serial_scanner_on_a_pty_delivers_codes_and_rejections():
    got: queue.Queue = queue.Queue()
    with SerialScannerSimulator() as sim, \
            SerialScanner(sim.url, on_code=lambda c: got.put(("ok", c.kind, c.value)),
                          on_error=lambda e, raw: got.put(("bad", e.message, raw)),
                          base_url=BASE, reconnect_delay=0.05) as sc:
        _wait(lambda: sc.connected)
        sim.send("OW1:A:20261128", split_at=5)
        assert got.get(timeout=2) == ("ok", "appointment", "20261128")
        sim.send_raw(b"\xff\xfe garbage\r")
        kind, message, _ = got.get(timeout=2)
        assert kind == "bad" and "无法识别" in message
        sim.send(f"{BASE}/t/Ab3_xY-9kLmN0pQr")
        assert got.get(timeout=2) == ("ok", "ticket", "Ab3_xY-9kLmN0pQr")
        # unplug and plug back in: the reader reconnects by itself
        sim.unplug()
        _wait(lambda: not sc.connected)
        sim.replug()
        _wait(lambda: sc.connected)
        sim.send("OW1:P:PK-0042")
        assert got.get(timeout=2) == ("ok", "pickup", "PK-0042")


def test_hid_wedge_events_become_codes(tmp_path):
    got: queue.Queue = queue.Queue()
    sim = HidScannerSimulator(str(tmp_path))
    with HidScanner(sim.path, on_code=lambda c: got.put((c.kind, c.value)),
                    on_error=lambda e, raw: got.put(("bad", raw))) as sc:
        sim.type("OW1:A:20261128")
        assert got.get(timeout=2) == ("appointment", "20261128")
        sim.type("hello")
        assert got.get(timeout=2) == ("bad", "hello")
        assert sc.grabbed is False   # a FIFO is not an evdev node; a real device is grabbed
    sim.close()


def _wait(pred, timeout=3.0):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.01)
    raise AssertionError("condition not reached")
