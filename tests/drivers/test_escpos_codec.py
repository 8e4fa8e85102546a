"""Golden bytes for the ESC/POS codec and every layout; status reply parsing."""

from __future__ import annotations

import os

import pytest
from drivers_samples import GOLDEN, HALL, SAMPLE_TICKET

from drivers.printer import layouts
from drivers.printer.codec import EscPos, display_width, gb18030, parse_status, wrap

P80 = layouts.get_profile("80mm")
P58 = layouts.get_profile("58mm")


def test_chinese_punctuation_is_gb18030_not_question_marks():
    # python-escpos turns these into '?' when the line has no ideograph; ours must not.
    data = EscPos().text("：，〇①¥").getvalue()
    assert data == "：，〇①¥".encode("gb18030")
    assert b"?" not in data


def test_init_turns_chinese_mode_on():
    assert EscPos().init().getvalue() == b"\x1b\x40\x1c\x26"


def test_native_qr_exact_bytes():
    data = EscPos().qr_native("AB", module=6, ec="M").getvalue()
    assert data == (b"\x1d(k\x04\x001A2\x00" b"\x1d(k\x03\x001C\x06" b"\x1d(k\x03\x001E1"
                    b"\x1d(k\x05\x001P0AB" b"\x1d(k\x03\x001Q0")


def test_raster_checks_its_size():
    with pytest.raises(ValueError):
        EscPos().raster(16, 2, b"\x00\x00\x00")
    assert EscPos().raster(9, 1, b"\xff\x80").getvalue() == b"\x1dv0\x00\x02\x00\x01\x00\xff\x80"


def test_cut_feeds_then_partial_cut():
    assert EscPos().cut().getvalue() == b"\x1bd\x04\x1dV\x01"


@pytest.mark.parametrize("text,cols,expected", [
    ("前面还有 3 人", 8, ["前面还有", "3 人"]),
    ("Watch the call screen", 12, ["Watch the", "call screen"]),
    ("", 10, [""]),
    ("一二三", 3, ["一", "二", "三"]),
])
def test_wrap_by_printer_columns(text, cols, expected):
    lines = wrap(text, cols)
    assert lines == expected
    assert all(display_width(ln) <= cols for ln in lines)


LAYOUTS = {
    "ticket_80mm": lambda: layouts.ticket(SAMPLE_TICKET, hall_name=HALL, profile=P80),
    "ticket_80mm_elder": lambda: layouts.ticket(SAMPLE_TICKET, hall_name=HALL, profile=P80, elder=True),
    "ticket_58mm": lambda: layouts.ticket(SAMPLE_TICKET, hall_name=HALL, profile=P58),
    "ticket_58mm_raster": lambda: layouts.ticket(SAMPLE_TICKET, hall_name=HALL,
                                                 profile=layouts.get_profile("58mm-raster")),
    "notice_80mm": lambda: layouts.notice("企业开办", ["营业执照申请书", "法定代表人身份证复印件"],
                                          "补齐材料后到 3 号窗口", hall_name=HALL, profile=P80,
                                          when=1795845600),
    "complaint_80mm": lambda: layouts.complaint_receipt("TS20261128-0007", "等候时间长",
                                                        "http://127.0.0.1:8470/c/TS20261128-0007",
                                                        hall_name=HALL, profile=P80, when=1795845600),
    "rating_80mm": lambda: layouts.rating_slip("A023", "http://127.0.0.1:8470/t/abc/rate",
                                               hall_name=HALL, profile=P80),
}


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_layout_golden_bytes(name):
    """Whole documents byte for byte. Regenerate with OW_GOLDEN_UPDATE=1 after a deliberate change
    (and look at the rendered PNGs in the demo output before committing)."""
    data = LAYOUTS[name]()
    path = GOLDEN / f"{name}.bin"
    if os.environ.get("OW_GOLDEN_UPDATE"):
        path.write_bytes(data)
    assert data == path.read_bytes()


def test_ticket_carries_number_url_notices_and_time():
    data = layouts.ticket(SAMPLE_TICKET, hall_name=HALL, profile=P80)
    assert data.startswith(b"\x1b\x40\x1c\x26")
    assert data.endswith(b"\x1dV\x01")
    assert b"\x1d!\x55A023\n" in data                     # 6x6 magnification for the number
    assert b"1P0" + SAMPLE_TICKET["status_url"].encode() in data
    for text in ("请留意叫号屏或手机提示", "过号请到咨询台", "前面还有 3 人", "预计等候约 12 分钟",
                 "取号时间 2026-11-28 14:00", "绿色通道：老年人"):
        assert gb18030(text) in data


def test_elder_ticket_is_larger_and_chinese_only():
    normal = layouts.ticket(SAMPLE_TICKET, hall_name=HALL, profile=P80)
    elder = layouts.ticket(SAMPLE_TICKET, hall_name=HALL, profile=P80, elder=True)
    assert b"\x1d!\x77A023\n" in elder                     # 8x8 number
    assert b"\x1d!\x11" in elder                           # double-size body text
    assert b"Real estate" in normal and b"Real estate" not in elder


def test_raster_profile_has_no_native_qr():
    data = layouts.ticket(SAMPLE_TICKET, hall_name=HALL, profile=layouts.get_profile("58mm-raster"))
    assert b"\x1d(k" not in data and b"\x1dv0" in data


def test_unknown_profile_is_a_clear_error():
    with pytest.raises(ValueError, match="未知的打印机配置"):
        layouts.get_profile("110mm")


@pytest.mark.parametrize("replies,online,cover,paper", [
    ({1: 0x12, 2: 0x12, 4: 0x12}, True, False, "ok"),
    ({1: 0x12, 2: 0x12, 4: 0x1E}, True, False, "near_end"),
    ({1: 0x1A, 2: 0x32, 4: 0x7E}, False, False, "out"),
    ({1: 0x1A, 2: 0x16, 4: 0x12}, False, True, "ok"),
    ({1: None}, None, None, "unknown"),                    # mute: unknown, never "paper OK"
    ({1: 0x12, 2: 0x12, 4: None}, True, False, "unknown"),
    ({1: 0x00, 2: 0xFF, 4: 0x41}, None, None, "unknown"),  # garbage bytes are not statuses
    ({1: 0x1A, 2: 0x32, 4: None}, False, False, "out"),    # offline cause says paper end
])
def test_status_parse_table(replies, online, cover, paper):
    bits = parse_status(replies)
    assert (bits.online, bits.cover_open, bits.paper) == (online, cover, paper)


def test_green_channel_label_wins_over_the_reason_id():
    t = dict(SAMPLE_TICKET, priority_reason="veteran", green_zh="退役军人")
    data = layouts.ticket(t, hall_name=HALL, profile=P80)
    assert gb18030("绿色通道：退役军人") in data and b"veteran" not in data


def test_native_qr_and_alignment_agree_with_python_escpos():
    from escpos import escpos
    from escpos.printer import Dummy

    lib = Dummy()
    lib.qr("http://h/t/abc", native=True, size=6, ec=escpos.QR_ECLEVEL_M)
    assert EscPos().qr_native("http://h/t/abc", module=6, ec="M").getvalue() == lib.output
    lib = Dummy()
    lib.set(align="center")
    assert EscPos().align("center").getvalue() == lib.output


def test_why_text_does_not_go_through_python_escpos():
    # Its encoder sends a line as GB18030 only when it holds an ideograph: punctuation alone
    # is lost. Our routine keeps it.
    from escpos.printer import Dummy

    lib = Dummy()
    lib.text("：，\n")
    assert b"?" in lib.output
    assert b"?" not in EscPos().text("：，\n").getvalue()


def test_documents_without_a_hall_name_print_no_blank_header():
    with_name = layouts.notice("企业开办", ["营业执照申请书"], None, hall_name=HALL, profile=P80, when=0)
    without = layouts.notice("企业开办", ["营业执照申请书"], None, hall_name="", profile=P80, when=0)
    assert with_name.replace(gb18030(HALL) + b"\n", b"") == without
