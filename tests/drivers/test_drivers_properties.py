"""Property tests: parsers never crash on arbitrary input and never invent a frame or code."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.bus.codec import ModbusCodec
from drivers.printer.codec import display_width, wrap
from drivers.scanner import ScanError, parse_code
from drivers.scanner.device import LineAssembler

MASTER, SLAVE = ModbusCodec(), ModbusCodec(slave=True)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_parse_code_only_ever_raises_scan_error(text):
    try:
        code = parse_code(text, base_url="http://hall.local:8470")
    except ScanError as exc:
        assert exc.message and exc.message_en
    else:
        assert code.kind in ("appointment", "ticket", "pickup") and code.value


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40), st.lists(st.integers(0, 0xFFFF), min_size=1, max_size=8),
       st.integers(1, 247))
def test_a_reply_behind_garbage_is_found_or_waited_for(garbage, regs, address):
    reply = SLAVE.read_response(address, regs)
    res = MASTER.decode(garbage + reply)
    # Either the real reply is found, or (rarely) garbage forms a frame that passes its CRC
    # first; never a crash, and a found frame is always exactly within the buffer.
    assert res.status in ("frame", "more", "crc")
    if res.status == "frame":
        assert 0 < res.used <= len(garbage) + len(reply)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_garbage_alone_never_crashes_the_decoder(data):
    res = MASTER.decode(data)
    assert res.status in ("frame", "more", "crc") and 0 <= res.used <= len(data)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="0123456789ABCDEFOW:P-", min_size=1, max_size=30), min_size=1, max_size=5),
       st.lists(st.integers(1, 20), max_size=10))
def test_lines_survive_any_split(lines, cuts):
    data = b"".join(ln.encode() + b"\r\n" for ln in lines)
    la, got, pos = LineAssembler(), [], 0
    for c in cuts:
        got += la.feed(data[pos:pos + c])
        pos += c
    got += la.feed(data[pos:])
    assert got == lines


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="gb18030", exclude_categories=("Cc", "Cs")), max_size=120),
       st.integers(4, 48))
def test_wrap_never_exceeds_the_paper(text, columns):
    for line in wrap(text, columns):
        assert display_width(line) <= columns or len(line) == 1
