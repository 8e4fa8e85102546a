"""The ESC/POS renderer: Chinese is drawn with a real CJK font and QR codes decode back."""

from __future__ import annotations

import pytest
import zxingcpp
from drivers_samples import HALL, SAMPLE_TICKET
from PIL import Image

from drivers.printer import layouts
from drivers.printer.codec import EscPos
from drivers.printer.render import cjk_font_path, render_escpos


def _dark_fraction(img: Image.Image) -> float:
    g = img.convert("L")
    hist = g.histogram()
    return sum(hist[:128]) / (g.width * g.height)


def test_a_cjk_font_is_installed():
    # Without one every Hanzi is a tofu box; fail loudly instead.
    assert cjk_font_path()


def test_chinese_text_is_drawn_not_tofu():
    # A tofu box is the same glyph for every character; distinct ideographs must differ.
    a = render_escpos(EscPos().init().line("政").getvalue(), 576).crop((0, 0, 60, 40))
    b = render_escpos(EscPos().init().line("务").getvalue(), 576).crop((0, 0, 60, 40))
    assert a.tobytes() != b.tobytes()
    assert _dark_fraction(a) > 0.02


def test_without_chinese_mode_bytes_are_not_read_as_gb18030():
    with_mode = render_escpos(EscPos().init().line("政").getvalue(), 576)
    without = render_escpos(b"\x1b\x40" + "政".encode("gb18030") + b"\n", 576)
    assert with_mode.tobytes() != without.tobytes()


@pytest.mark.parametrize("profile,elder", [("80mm", False), ("80mm", True), ("58mm", False),
                                           ("58mm", True), ("58mm-raster", False)])
def test_ticket_qr_decodes_to_the_ticket_url(profile, elder, tmp_path):
    prof = layouts.get_profile(profile)
    img = render_escpos(layouts.ticket(SAMPLE_TICKET, hall_name=HALL, profile=prof, elder=elder),
                        prof.width_dots)
    img.save(tmp_path / "ticket.png")
    assert img.width == prof.width_dots
    codes = [r.text for r in zxingcpp.read_barcodes(img)]
    assert codes == [SAMPLE_TICKET["status_url"]]


def test_elder_ticket_is_taller_than_normal():
    p = layouts.get_profile("80mm")
    normal = render_escpos(layouts.ticket(SAMPLE_TICKET, hall_name=HALL, profile=p), 576)
    elder = render_escpos(layouts.ticket(SAMPLE_TICKET, hall_name=HALL, profile=p, elder=True), 576)
    assert elder.height > normal.height


def test_complaint_and_rating_slips_decode():
    p = layouts.get_profile("80mm")
    c = render_escpos(layouts.complaint_receipt("TS20261128-0007", "等候时间长", "http://h/c/TS20261128-0007",
                                                hall_name=HALL, profile=p), 576)
    r = render_escpos(layouts.rating_slip("A023", "http://h/t/tok/rate", hall_name=HALL, profile=p), 576)
    assert [x.text for x in zxingcpp.read_barcodes(c)] == ["http://h/c/TS20261128-0007"]
    assert [x.text for x in zxingcpp.read_barcodes(r)] == ["http://h/t/tok/rate"]


@pytest.mark.parametrize("profile", ["80mm", "58mm"])
def test_no_line_is_wider_than_the_paper(profile):
    p = layouts.get_profile(profile)
    docs = [layouts.ticket(SAMPLE_TICKET, hall_name=HALL, profile=p),
            layouts.ticket(SAMPLE_TICKET, hall_name=HALL, profile=p, elder=True),
            layouts.notice("企业开办", ["营业执照申请书" * 3, "Articles of association " * 3],
                           "补齐材料后到 3 号窗口", hall_name=HALL, profile=p),
            layouts.complaint_receipt("TS20261128-0007", "等候时间长", None, hall_name=HALL, profile=p),
            layouts.rating_slip("A023", "http://h/t/x/rate", hall_name=HALL, profile=p)]
    for doc in docs:
        assert render_escpos(doc, p.width_dots).info["overflow_lines"] == 0
    too_long = EscPos().init().line("政" * 40).getvalue()
    assert render_escpos(too_long, p.width_dots).info["overflow_lines"] == 1
