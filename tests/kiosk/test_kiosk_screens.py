"""Every kiosk screen renders offscreen in portrait and landscape, in Chinese, English and
elder mode (适老模式, both languages): Chinese font present, no QML warnings, no text
overflowing its box, its parent, the window or running under the header or footer, nothing
overlapping, touch targets large, every elder text at least 1.4x its standard size, and the
on-screen ticket QRs scan."""

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
                       "printer_failure", "hall_unreachable", "elder_home", "en_home",
                       "elder_en_materials", "checkin", "rate", "manager", "en_manager"):
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
    """Every screen x portrait/landscape x zh/en/elder/elder_en."""
    _, result = rendered
    assert len(result["files"]) >= 4 * 2 * 20
    assert result["problems"] == {}


def _pairs(result):
    """(elder file, standard file) for the same screen, orientation and language."""
    names = {Path(f).name for f in result["files"]}
    for name in sorted(names):
        for orientation in ("portrait", "landscape"):
            for elder, std in ((f"{orientation}_elder_en_", f"{orientation}_en_"),
                               (f"{orientation}_elder_", f"{orientation}_")):
                if name.startswith(elder):
                    if elder.endswith("elder_") and name.startswith(f"{orientation}_elder_en_"):
                        continue
                    yield name, std + name[len(elder):]


def test_elder_mode_text_is_at_least_1_4_times_standard_on_every_screen(rendered):
    """The same text in elder mode and in standard mode, line height as drawn (after any
    shrink-to-fit): >= 1.4x, on every screen a citizen meets (the staff screens are never in
    elder mode)."""
    _, result = rendered
    sizes = result["sizes"]
    too_small, compared = [], {}
    pairs = list(_pairs(result))
    assert len(pairs) >= 2 * 2 * 18
    for elder, std in pairs:
        assert std in sizes, std
        common = set(sizes[elder]) & set(sizes[std])
        compared[elder] = len(common)
        for text in common:
            ratio = sizes[elder][text] / sizes[std][text]
            if ratio < 1.4:
                too_small.append((elder, text, round(sizes[std][text]), round(sizes[elder][text])))
    assert too_small == []
    # every screen compared a real share of its texts (not an empty intersection)
    assert min(compared.values()) >= 2, compared


def test_elder_home_has_fewer_larger_tiles_in_pages(rendered):
    _, result = rendered
    for orientation in ("portrait", "landscape"):
        std = result["sizes"][f"{orientation}_home.png"]
        elder = result["sizes"][f"{orientation}_elder_home.png"]
        assert len(elder) < len(std) * 0.6, (orientation, len(elder), len(std))
        assert any(" / " in t for t in elder), "no page indicator on the elder home screen"


def test_screens_have_the_right_size_and_are_not_blank(rendered):
    from PIL import Image

    out, _ = rendered
    portrait = Image.open(out / "portrait_home.png")
    landscape = Image.open(out / "landscape_home.png")
    assert portrait.size == (1080, 1920) and landscape.size == (1920, 1080)
    colours = portrait.convert("RGB").resize((64, 112)).getcolors(64 * 112)
    assert colours is not None and len(colours) > 20


def test_printer_failure_and_ticket_screen_qrs_scan_to_the_ticket_page(rendered):
    import zxingcpp
    from PIL import Image

    from kiosk.screenshots import CANNED_TICKET

    out, _ = rendered
    for orientation in ("portrait", "landscape"):
        for screen in ("printer_failure", "ticket", "elder_ticket", "elder_en_printer_failure"):
            codes = zxingcpp.read_barcodes(Image.open(out / f"{orientation}_{screen}.png"))
            assert [c.text for c in codes] == [CANNED_TICKET["status_url"]], (orientation, screen)


def test_a_full_service_offers_another_day_with_a_qr_to_the_booking_page(rendered):
    """另约他日: the message for a service that is full today scans to the booking page."""
    import zxingcpp
    from PIL import Image

    out, result = rendered
    for orientation in ("portrait", "landscape"):
        for mode in ("", "en_", "elder_", "elder_en_"):
            codes = zxingcpp.read_barcodes(Image.open(out / f"{orientation}_{mode}service_full.png"))
            assert [c.text for c in codes] == ["https://zwfw.example.gov.cn/book?hall=demo"]
            texts = result["sizes"][f"{orientation}_{mode}service_full.png"]
            assert any("另约他日" in t or "Book another day" in t for t in texts)


def test_layout_checker_catches_text_that_cannot_fit(qapp):
    """Negative control: an English word longer than an elder-mode tile is wide must be
    flagged (elder text never shrinks, and English never breaks inside a word); with
    ordinary words the same screen is clean."""
    from PySide6.QtCore import QCoreApplication

    from kiosk.app import build_view, close_view
    from kiosk.devices import PrinterPort
    from kiosk.screenshots import CANNED_SERVICES, layout_problems
    from kiosk.settings import KioskSettings
    from kiosk.viewmodel import KioskViewModel

    found = {}
    for word in ("Pensioner", "Pneumonoultramicroscopicsilicovolcanoconiosis"):
        reasons = [{"id": f"r{i}", "zh": f"情况{i}", "en": word} for i in range(3)]
        vm = KioskViewModel(None, PrinterPort(None), KioskSettings(green_reasons=reasons),
                            start_timers=False)
        vm._services = [dict(s) for s in CANNED_SERVICES]
        view = build_view(vm, (1080, 1920))
        view.show()
        vm._lang, vm._elder = "en", True
        vm.chooseService(vm._services[0]["id"])
        vm.openGreen()
        QCoreApplication.processEvents()
        found[word] = layout_problems(view)
        close_view(view)
        vm.shutdown()
    assert found["Pensioner"] == []
    assert any("wider than its box" in p for p in found["Pneumonoultramicroscopicsilicovolcanoconiosis"])


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


def test_glyph_measure_sees_text_shrunk_to_fit(qapp, tmp_path):
    """Negative control for the elder >= 1.4x test: a text shrunk to fit its box (the way
    elder mode used to end up smaller) measures smaller than its font size says."""
    from PySide6.QtCore import QCoreApplication, QUrl
    from PySide6.QtQuick import QQuickView

    from kiosk.screenshots import text_sizes

    qml = tmp_path / "Fit.qml"
    qml.write_text("""import QtQuick
Rectangle {
    width: 400; height: 300
    Text { y: 0; width: 400; height: 80; text: "统一出件（领证）"; font.pixelSize: 60
           fontSizeMode: Text.Fit; minimumPixelSize: 10 }
    Text { y: 100; width: 400; text: "发票领用"; font.pixelSize: 60 }
}
""", encoding="utf-8")
    view = QQuickView()
    view.setSource(QUrl.fromLocalFile(str(qml)))
    view.show()
    QCoreApplication.processEvents()
    sizes = text_sizes(view)
    view.close()
    assert sizes["发票领用"] > 60                          # a line of a 60 px font
    # 8 glyphs in 400 px: about 50 px, not 60 (contentHeight follows the fitted size)
    assert sizes["统一出件（领证）"] < sizes["发票领用"] * 0.9
