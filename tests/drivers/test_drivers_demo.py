"""The demo stage writes legible ticket images whose QR codes decode, and bus figures."""

from __future__ import annotations

import zxingcpp
from PIL import Image

from hall.config import write_example_config
from onewindow.demo import DemoContext


def test_demo_stage_writes_tickets_and_figures(tmp_path):
    import drivers.demo

    cfg = write_example_config(tmp_path / "hall.toml")
    ctx = DemoContext(out=tmp_path, config_path=cfg, db_path=tmp_path / "hall.db")
    drivers.demo.run(ctx)
    fig = ctx.summary["devices"]
    names = {p.name for p in (tmp_path / "tickets").glob("*.png")}
    assert {"ticket_80mm.png", "ticket_58mm.png", "ticket_80mm_elder.png", "notice_80mm.png",
            "complaint_receipt_80mm.png", "rating_slip_80mm.png"} <= names
    for name in ("ticket_80mm.png", "ticket_58mm.png", "ticket_80mm_elder.png"):
        img = Image.open(tmp_path / "tickets" / name)
        [code] = [r.text for r in zxingcpp.read_barcodes(img)]
        assert code.startswith("http") and "/t/" in code
    assert Image.open(tmp_path / "tickets" / "ticket_58mm.png").width == 384
    assert fig["printer_sim_bytes_match"] is True
    assert "缺纸" in fig["paper_out_error"]
    assert fig["bus"]["shown"] == fig["bus"]["presses"]
