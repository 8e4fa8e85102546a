"""ID-card reader: golden frames written byte by byte from the GA 467 SAM layout, the device on a pty."""

from __future__ import annotations

import logging
import queue
import time

import pytest

from drivers.idcard import IdCardReader, mask_name
from drivers.idcard.codec import (
    SW3,
    CardInfo,
    Command,
    FrameError,
    Framer,
    check_digit,
    decode_one,
    encode_base_info,
    encode_request,
    encode_response,
    id_number_valid,
    parse_base_info,
)
from drivers.sim.idcard import TEST_PERSON, TEST_PERSON_2, IdCardSimulator

PRE = bytes.fromhex("AAAAAA9669")


# --- requests: the published command frames ----------------------------------------------------
@pytest.mark.parametrize("command,frame", [
    (Command.FIND_CARD, "AA AA AA 96 69 00 03 20 01 22"),
    (Command.SELECT_CARD, "AA AA AA 96 69 00 03 20 02 21"),
    (Command.READ_BASE, "AA AA AA 96 69 00 03 30 01 32"),
    (Command.SAM_STATUS, "AA AA AA 96 69 00 03 11 FF ED"),
    (Command.RESET_SAM, "AA AA AA 96 69 00 03 10 FF EC"),
])
def test_request_frames(command, frame):
    assert encode_request(command) == bytes.fromhex(frame)
    assert decode_one(bytes.fromhex(frame)).command is command


# --- responses: short status frames ------------------------------------------------------------
@pytest.mark.parametrize("frame,sw3,data", [
    ("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97", 0x9F, b"\0" * 4),     # card found
    ("AA AA AA 96 69 00 04 00 00 80 84", 0x80, b""),                      # no card
    ("AA AA AA 96 69 00 0C 00 00 90" + " 00" * 8 + " 9C", 0x90, b"\0" * 8),  # selected
    ("AA AA AA 96 69 00 04 00 00 81 85", 0x81, b""),                      # select failed
    ("AA AA AA 96 69 00 04 00 00 41 45", 0x41, b""),                      # read failed
    ("AA AA AA 96 69 00 04 00 00 90 94", 0x90, b""),                      # SAM ok
])
def test_response_frames(frame, sw3, data):
    raw = bytes.fromhex(frame)
    f = decode_one(raw)
    assert f.sw == (0, 0, sw3) and f.data == data
    assert encode_response(sw3, data) == raw


def _ucs2(text: str, size: int) -> bytes:
    """A field as the layout says: UCS-2LE, padded with spaces (20 00) to its size."""
    b = text.encode("utf-16-le")
    return b + b"\x20\x00" * ((size - len(b)) // 2)


def test_read_base_information_frame_from_the_layout():
    # Written from the layout, not from our encoder: 14-byte head, 256 text, 1024 photo, XOR.
    text = (_ucs2("张试三", 30) + _ucs2("1", 2) + _ucs2("01", 4) + _ucs2("19900307", 16)
            + _ucs2("测试省测试市演示区样例路1号（测试数据）", 70) + _ucs2("990000199003070013", 36)
            + _ucs2("测试市公安局（测试）", 30) + _ucs2("20200101", 16) + _ucs2("20400101", 16)
            + _ucs2("", 36))
    assert len(text) == 256
    photo = bytes(range(256)) * 4
    body = b"\x00\x00\x90" + b"\x01\x00" + b"\x04\x00" + text + photo
    length = (len(body) + 1).to_bytes(2, "big")
    assert length == b"\x05\x08"                           # 1288: the published 05 08
    chk = 0
    for b in length + body:
        chk ^= b
    raw = PRE + length + body + bytes((chk,))
    assert len(raw) == 1295                                # the published reply size

    f = decode_one(raw)
    assert f.sw3 == SW3.OK
    info = parse_base_info(f.data)
    assert info.name == "张试三" and info.sex == "1" and info.nation == "01"
    assert info.birth == "19900307" and info.valid_to == "20400101"
    assert info.address.startswith("测试省") and info.issuer == "测试市公安局（测试）"
    assert info.id_number == TEST_PERSON.id_number
    assert info.photo_wlt == photo
    # and our encoder produces the same bytes
    assert encode_response(SW3.OK, encode_base_info(info, photo)) == raw


def test_text_field_offsets():
    data = encode_base_info(TEST_PERSON)
    text = data[4:4 + 256]
    assert text[0:6] == "张试三".encode("utf-16-le")
    assert text[30:32] == b"1\x00"
    assert text[122:122 + 36] == _ucs2(TEST_PERSON.id_number, 36)     # 30+2+4+16+70 = 122
    assert text[220:256] == b"\x20\x00" * 18                             # reserved


def test_framer_reassembles_hunts_and_rejects_bad_checksums():
    good = encode_response(SW3.CARD_FOUND, b"\0\0\0\0")
    bad = bytearray(encode_response(SW3.FIND_FAILED))
    bad[-1] ^= 0xFF
    stream = b"\x00\xAA\x13" + bytes(bad) + good[:3] + good[3:9] + good[9:]
    framer = Framer()
    frames = []
    for i in range(0, len(stream), 4):                # arrives in 4-byte pieces
        frames += framer.feed(stream[i:i + 4])
    assert [f.sw3 for f in frames] == [0x9F]
    assert framer.bad_checksum == 1 and framer.skipped >= 3


def test_malformed_base_information_is_a_clear_error():
    with pytest.raises(FrameError, match="text length"):
        parse_base_info(b"\x00\x10\x04\x00" + b"\0" * 20)
    with pytest.raises(FrameError, match="shorter"):
        parse_base_info(b"\x01\x00\x04\x00" + b"\0" * 20)
    with pytest.raises(FrameError):
        decode_one(encode_request(Command.FIND_CARD)[:-1] + b"\x00")


def test_id_number_check_digit_and_masking():
    assert id_number_valid(TEST_PERSON.id_number) and id_number_valid(TEST_PERSON_2.id_number)
    assert not id_number_valid("990000199003070014")
    assert check_digit("11010519491231002") == "X"        # the GB 11643 worked example
    assert mask_name("张试三") == "张*三" and mask_name("张三") == "张*" and mask_name("欧阳晓明") == "欧**明"
    shown = repr(TEST_PERSON) + str(TEST_PERSON) + f"{TEST_PERSON}"
    assert TEST_PERSON.id_number not in shown and "张试三" not in shown


# --- the device against the simulator on a pty --------------------------------------------------
def test_reader_reads_a_placed_card_once_and_again_after_it_is_lifted(caplog):
    caplog.set_level(logging.DEBUG)
    cards: queue.Queue[CardInfo] = queue.Queue()
    with IdCardSimulator() as sim, IdCardReader(sim.url, cards.put, poll_interval=0.02, reconnect_delay=0.1) as rd:
        sim.place(TEST_PERSON)
        card = cards.get(timeout=3)
        assert card.id_number == TEST_PERSON.id_number and card.name == "张试三"
        assert rd.status.ok
        with pytest.raises(queue.Empty):
            cards.get(timeout=0.3)                       # still lying there: not delivered twice
        sim.remove()
        assert sim.tap(TEST_PERSON_2)
        assert cards.get(timeout=3).id_number == TEST_PERSON_2.id_number
        assert Command.SAM_STATUS in sim.requests and Command.READ_BASE in sim.requests
    logged = caplog.text
    assert TEST_PERSON.id_number not in logged and "张试三" not in logged


def test_reader_failures_are_statuses_not_crashes():
    cards: queue.Queue = queue.Queue()
    errors: queue.Queue = queue.Queue()
    statuses: list = []
    with IdCardSimulator() as sim:
        sim.fail_reads = 1
        with IdCardReader(sim.url, cards.put, on_error=lambda zh, en: errors.put(zh),
                          on_status=statuses.append, poll_interval=0.02, timeout=0.3,
                          reconnect_delay=0.1) as rd:
            sim.place(TEST_PERSON)
            assert "重新放置" in errors.get(timeout=3)     # a failed read asks to place it again
            assert cards.get(timeout=3).id_number == TEST_PERSON.id_number   # then it works
            sim.unplug()
            deadline = time.monotonic() + 3
            while rd.status.state != "absent" and time.monotonic() < deadline:
                time.sleep(0.02)
            assert rd.status.state == "absent" and ("未连接" in rd.status.text_zh or "断开" in rd.status.text_zh)
            sim.replug()
            while not rd.status.ok and time.monotonic() < deadline + 3:
                time.sleep(0.02)
            assert rd.status.ok
            sim.mute = True
            while rd.status.ok and time.monotonic() < deadline + 6:
                time.sleep(0.02)
            assert "无响应" in rd.status.text_zh


def test_reader_with_failing_sam_module_says_so():
    with IdCardSimulator() as sim:
        sim.sam_fault = True
        with IdCardReader(sim.url, lambda c: None, poll_interval=0.02, reconnect_delay=0.1) as rd:
            deadline = time.monotonic() + 3
            while rd.status.state != "fault" and time.monotonic() < deadline:
                time.sleep(0.02)
            assert rd.status.state == "fault" and "安全模块" in rd.status.text_zh


def test_absent_reader_is_a_status():
    rd = IdCardReader("serial:///nonexistent/ttyIDCARD", lambda c: None, reconnect_delay=0.1).start()
    try:
        deadline = time.monotonic() + 2
        while rd.status.state != "absent" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert rd.status.state == "absent" and "未连接" in rd.status.text_zh
    finally:
        rd.stop()


def test_onewindow_sim_idcard_taps_the_test_card(tmp_path):
    """`onewindow sim idcard --tap-every` in another process; a reader finds it as sim://idcard."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    reg = tmp_path / "sims.json"
    env = dict(os.environ, ONEWINDOW_SIM_REGISTRY=str(reg), PYTHONPATH=str(root))
    proc = subprocess.Popen([sys.executable, "-m", "onewindow.cli", "sim", "idcard", "--tap-every", "0.3",
                             "--seconds", "30"], cwd=root, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and "idcard" not in (json.loads(reg.read_text() or "{}")
                                                               if reg.exists() else {}):
            time.sleep(0.05)
        old = os.environ.get("ONEWINDOW_SIM_REGISTRY")
        os.environ["ONEWINDOW_SIM_REGISTRY"] = str(reg)
        try:
            cards: queue.Queue = queue.Queue()
            with IdCardReader("sim://idcard", cards.put, poll_interval=0.05, reconnect_delay=0.1):
                assert cards.get(timeout=5).id_number == TEST_PERSON.id_number
        finally:
            if old is None:
                os.environ.pop("ONEWINDOW_SIM_REGISTRY")
            else:
                os.environ["ONEWINDOW_SIM_REGISTRY"] = old
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=10)
    assert "sim://idcard" in out and TEST_PERSON.id_number not in out + err and "张试三" not in out + err
    assert json.loads(reg.read_text()) == {}


# --- properties: any bytes, any split ------------------------------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=40), st.just(PRE), st.just(PRE + b"\x0f\xff")), max_size=12)
       .map(b"".join),
       st.lists(st.integers(min_value=1, max_value=64), max_size=20))
def test_framer_never_raises_and_finds_a_frame_after_any_garbage(garbage, cuts):
    """Garbage, including false preambles with huge lengths, never hides the real reply."""
    frame = encode_response(SW3.OK, encode_base_info(TEST_PERSON))
    stream = garbage + frame
    framer = Framer()
    frames, pos = [], 0
    for n in cuts + [len(stream)]:
        frames += framer.feed(stream[pos:pos + n])
        pos += n
    frames += framer.feed(stream[pos:])
    assert any(f.sw3 == SW3.OK and len(f.data) == 4 + 256 + 1024 for f in frames)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 255), st.binary(max_size=300))
def test_response_round_trip(sw3, data):
    f = decode_one(encode_response(sw3, data))
    assert f.sw3 == sw3 and f.data == data
