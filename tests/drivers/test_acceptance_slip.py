"""The acceptance slip (受理回执): printed through the real Printer to a byte sink, rendered to a
PNG with the CJK font, and both QR codes decode back to the page link and the pickup code."""

from __future__ import annotations

import os

import zxingcpp

from drivers.printer.device import Printer
from drivers.printer.render import render_escpos

SLIP = {
    "hall_name_zh": "某某市政务服务中心", "code": "BJ20261127-0001",
    "services": [{"name_zh": "企业设立登记", "kind": "promised", "due_date": "2026-12-02", "promise_days": 3}],
    "received": ["公司登记（备案）申请书", "公司章程", "法定代表人身份证件"],
    "owed": ["住所使用证明"], "owed_due": "2026-12-04", "accepted_at": 1795845600, "window_number": 3,
    "page_url": "http://127.0.0.1:8470/m/0123456789abcdef01234567",
    "pickup_code": "OW1:P:89abcdef0123456789abcdef",
}


def test_slip_prints_renders_and_both_qr_codes_decode(tmp_path):
    sink = tmp_path / "slip.bin"
    printer = Printer(f"file://{sink}", "80mm")
    printer.print_acceptance_slip(SLIP)
    printer.close()
    img = render_escpos(sink.read_bytes(), 576)
    out = os.environ.get("OW_SLIP_PNG") or str(tmp_path / "slip.png")
    img.save(out)
    texts = sorted(r.text for r in zxingcpp.read_barcodes(img))
    assert texts == sorted([SLIP["page_url"], SLIP["pickup_code"]])
    assert img.height > 900          # code, service, materials, two QR codes: a long slip


def test_instant_slip_says_settled_at_once_and_has_no_owed_block(tmp_path):
    from drivers.printer import layouts

    slip = {**SLIP, "owed": [], "owed_due": None,
            "services": [{"name_zh": "印章刻制备案", "kind": "instant", "due_date": "2026-11-27", "promise_days": 0}]}
    data = layouts.acceptance_slip(slip, profile=layouts.get_profile("58mm"))
    assert "即办件".encode("gb18030") in data and "尚需补交".encode("gb18030") not in data


def test_acceptance_slip_golden_bytes():
    """The whole slip byte for byte (regenerate with OW_GOLDEN_UPDATE=1 after a deliberate
    change, having looked at the rendered PNG)."""
    from drivers_samples import GOLDEN

    from drivers.printer import layouts

    data = layouts.acceptance_slip(SLIP, profile=layouts.get_profile("80mm"))
    path = GOLDEN / "acceptance_80mm.bin"
    if os.environ.get("OW_GOLDEN_UPDATE"):
        path.write_bytes(data)
    assert data == path.read_bytes()
