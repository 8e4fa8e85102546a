"""免提交 on the kiosk: the Confirm screen marks the materials the platform holds, and the printed
materials list (real bytes to the printer simulator, rendered to PNG) marks them too."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from hallserver import HallServer  # noqa: E402
from kiosk_ui import Kiosk, tap  # noqa: E402

from drivers.printer.render import render_escpos  # noqa: E402
from drivers.sim.printer import PrinterSimulator  # noqa: E402

MARK = "免提交（平台已有电子证照）"


@pytest.fixture
def hall(tmp_path):
    with HallServer(tmp_path) as server:
        yield server


@pytest.fixture
def printer_sim():
    with PrinterSimulator.tcp() as sim:
        yield sim


def _texts(item):
    for child in item.childItems():
        if child.isVisible():
            if child.inherits("QQuickText") and child.property("text"):
                yield str(child.property("text"))
            yield from _texts(child)


def test_confirm_screen_and_printed_list_mark_free_materials(hall, printer_sim, qtbot, tmp_path):
    from kiosk.screenshots import layout_problems

    kiosk = Kiosk(hall.url, hall.device_token("kiosk"), printer_sim.url, qtbot)
    try:
        tap(kiosk.view, "企业设立登记")
        qtbot.waitUntil(lambda: kiosk.vm.screen == "confirm", timeout=2000)
        qtbot.wait(100)
        texts = list(_texts(kiosk.view.rootObject()))
        marked = [t for t in texts if MARK in t]
        assert marked == ["4. 法定代表人身份证件  —— " + MARK]
        assert not any(MARK in t for t in texts if "公司章程" in t)
        shot = Path(os.environ.get("ONEWINDOW_SHOTS", tmp_path)) / "kiosk-materials-free.png"
        kiosk.view.grabWindow().save(str(shot))
        assert shot.stat().st_size > 10_000
        assert layout_problems(kiosk.view, min(kiosk.view.width(), kiosk.view.height()) / 1080) == []

        tap(kiosk.view, "同时打印材料清单")
        tap(kiosk.view, "确认取号")
        qtbot.waitUntil(lambda: len(printer_sim.jobs) >= 2, timeout=5000)
        slip = printer_sim.jobs[1]
        number = kiosk.vm.ticket.get("number")
    finally:
        kiosk.close()
    # a first visit's list, not a refusal: titled 办理所需材料, with hall, service and ticket
    assert "办理所需材料".encode("gb18030") in slip
    assert "一次性告知单".encode("gb18030") not in slip and "尚需".encode("gb18030") not in slip
    text = slip.decode("gb18030", "replace")
    assert "示范市政务服务中心" in text and "企业设立登记" in text
    assert number and number in text
    assert "ID of the legal representative" in text.replace("\n", "")   # English where the config has it
    flat = text.replace("\n", "")            # long lines are wrapped by printer columns
    assert "· 法定代表人身份证件 —— " + MARK in flat
    # it is not in the numbered list of what to bring
    assert " 4. 法定代表人身份证件" not in text and " 4. 住所使用证明" in text
    paper = render_escpos(slip)
    paper.save(str(Path(os.environ.get("ONEWINDOW_SHOTS", tmp_path)) / "slip-materials-free.png"))
    assert paper.info["overflow_lines"] == 0
