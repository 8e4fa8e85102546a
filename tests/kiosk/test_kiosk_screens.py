"""Every kiosk screen renders offscreen: Chinese font present, no QML warnings, nothing
clipped or overlapping, touch targets large, and the on-screen ticket QR scans."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QFontDatabase

SCREEN_FILES = sorted(p.stem for p in (Path(__file__).resolve().parents[2] / "kiosk" / "qml"
                                       / "screens").glob("*.qml"))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, qapp):
    from kiosk.screenshots import render_all

    out = tmp_path_factory.mktemp("kiosk-shots")
    return out, render_all(out)


def test_simplified_chinese_font_is_available(qapp):
    from kiosk.app import ensure_cjk_font

    family = ensure_cjk_font()
    assert QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese), \
        "no Simplified Chinese font: every Hanzi would render as a box"
    assert family


def test_every_screen_renders_in_both_orientations_without_warnings(rendered):
    out, result = rendered
    assert result["warnings"] == []
    names = {Path(f).name for f in result["files"]}
    for orientation in ("portrait", "landscape"):
        for screen in ("home", "materials", "green_channel", "phone", "help", "complaint",
                       "printer_failure", "hall_unreachable", "elder_home", "english_home",
                       "checkin", "rate", "manager"):
            assert f"{orientation}_{screen}.png" in names


def test_every_qml_screen_file_is_exercised(rendered):
    """A screen file no scene reaches would escape the warning and layout checks."""
    import re

    main = (Path(__file__).resolve().parents[2] / "kiosk" / "qml" / "Main.qml").read_text()
    from kiosk.viewmodel import SCREENS

    pairs = re.findall(r'"(\w+)": "(\w+)"', main)
    assert {f for _, f in pairs} == set(SCREEN_FILES)
    assert {screen for screen, _ in pairs} == set(SCREENS)


def test_no_clipped_text_overlaps_or_small_targets(rendered):
    _, result = rendered
    assert result["problems"] == {}


def test_screens_have_the_right_size_and_are_not_blank(rendered):
    from PIL import Image

    out, _ = rendered
    portrait = Image.open(out / "portrait_home.png")
    landscape = Image.open(out / "landscape_home.png")
    assert portrait.size == (1080, 1920) and landscape.size == (1920, 1080)
    colours = portrait.convert("RGB").resize((64, 112)).getcolors(64 * 112)
    assert colours is not None and len(colours) > 20


def test_printer_failure_screen_qr_scans_to_the_ticket_page(rendered):
    import zxingcpp
    from PIL import Image

    from kiosk.screenshots import CANNED_TICKET

    out, _ = rendered
    for orientation in ("portrait", "landscape"):
        codes = zxingcpp.read_barcodes(Image.open(out / f"{orientation}_printer_failure.png"))
        assert [c.text for c in codes] == [CANNED_TICKET["status_url"]]


def test_layout_checker_catches_an_overfull_screen(qapp):
    """Negative control: too many green-channel reasons for one screen must be flagged."""
    from PySide6.QtCore import QCoreApplication

    from kiosk.app import build_view, close_view
    from kiosk.devices import PrinterPort
    from kiosk.screenshots import CANNED_SERVICES, layout_problems
    from kiosk.settings import KioskSettings
    from kiosk.viewmodel import KioskViewModel

    reasons = [{"id": f"r{i}", "zh": f"情况{i}", "en": f"Reason {i}"} for i in range(14)]
    vm = KioskViewModel(None, PrinterPort(None), KioskSettings(green_reasons=reasons),
                        start_timers=False)
    vm._services = [dict(s) for s in CANNED_SERVICES]
    view = build_view(vm, (1080, 1920))
    view.show()
    vm.chooseService(vm._services[0]["id"])
    QCoreApplication.processEvents()
    assert layout_problems(view) == []
    vm.openGreen()
    QCoreApplication.processEvents()
    found = layout_problems(view)
    close_view(view)
    vm.shutdown()
    assert any("overlap" in p or "off screen" in p for p in found), found


def test_long_materials_list_stays_on_screen(qapp):
    from PySide6.QtCore import QCoreApplication

    from kiosk.app import build_view, close_view
    from kiosk.devices import PrinterPort
    from kiosk.screenshots import CANNED_SERVICES, layout_problems
    from kiosk.settings import KioskSettings
    from kiosk.viewmodel import KioskViewModel

    vm = KioskViewModel(None, PrinterPort(None), KioskSettings(), start_timers=False)
    vm._services = [dict(s, materials=[f"第{i}项材料：某某证明原件及复印件" for i in range(25)])
                    for s in CANNED_SERVICES]
    found = {}
    for size in ((1080, 1920), (1920, 1080)):
        for elder in (False, True):
            view = build_view(vm, size)
            view.show()
            vm._reset_flow()
            vm._elder = elder
            vm.chooseService(vm._services[0]["id"])
            QCoreApplication.processEvents()
            found[size, elder] = layout_problems(view)
            close_view(view)
    vm.shutdown()
    assert all(problems == [] for problems in found.values()), found
