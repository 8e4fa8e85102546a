"""The QML display rendered offscreen: what a person in the hall would see."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor

from caller_display.screen import DisplayScreen, check_cjk_font, ensure_app
from caller_display.viewmodel import DisplayViewModel
from hall.display_layouts import parse_layout

from .conftest import SERVICES, WINDOWS, call_event


@pytest.fixture
def screen():
    ensure_app()
    made = []

    def make(**layout):
        vm = DisplayViewModel(parse_layout({"name": "t", **layout}), hall_name="测试政务服务中心")
        vm.load_snapshot([dict(w) for w in WINDOWS], [dict(s) for s in SERVICES])
        s = DisplayScreen(vm)
        s.show()
        made.append((s, vm))
        return s

    yield make
    for s, vm in made:
        vm.shutdown()
        s.close()


def _colour_share(image, rect, colour: str, tolerance: int = 40) -> float:
    """Share of pixels in rect within tolerance of colour (sampled every 3rd pixel)."""
    target = QColor(colour)
    hits = total = 0
    for y in range(int(rect.y()), int(rect.y() + rect.height()), 3):
        for x in range(int(rect.x()), int(rect.x() + rect.width()), 3):
            c = image.pixelColor(x, y)
            total += 1
            if (abs(c.red() - target.red()) + abs(c.green() - target.green())
                    + abs(c.blue() - target.blue())) < tolerance:
                hits += 1
    return hits / max(total, 1)


def _scene_rect(item):
    return item.mapRectToScene(item.boundingRect())


def test_a_chinese_font_is_installed():
    ensure_app()
    assert check_cjk_font()


def test_called_number_is_drawn_in_the_banner(screen):
    s = screen()
    s.vm.apply_event(call_event(1, "A023", 3))
    s.vm.freeze_flash(False)
    frame = s.grab()
    number = s.item("bannerNumber")
    assert number.property("text") == "A023"
    assert s.item("bannerWindow").property("text") == "请到 3 号窗口"
    # The number's glyphs are really painted, in the accent colour, inside its box.
    share = _colour_share(frame, _scene_rect(number).intersected(_scene_rect(s.item("banner"))),
                          s.vm.accent)
    assert share > 0.05, share
    tiles = {t.property("windowNumber"): t.property("currentNumber")
             for t in s.items("windowTile")}
    assert tiles["3"] == "A023"
    # A second call replaces the pixels, not just the model.
    before = frame.copy(_scene_rect(number).toRect())
    s.vm.apply_event(call_event(2, "B105", 12))
    s.vm.freeze_flash(False)
    after = s.grab().copy(_scene_rect(number).toRect())
    assert s.item("bannerNumber").property("text") == "B105"
    assert before != after


def test_flash_state_fills_the_banner_with_the_accent(screen):
    s = screen()
    s.vm.apply_event(call_event(1, "A001", 1))
    assert s.vm.flashing
    s.vm.freeze_flash(True)
    banner = s.item("banner")
    assert _colour_share(s.grab(), _scene_rect(banner), s.vm.accent) > 0.6
    s.vm.freeze_flash(False)
    assert _colour_share(s.grab(), _scene_rect(banner), s.vm.accent) < 0.2


def test_disconnected_mark_shows_only_while_offline(screen):
    s = screen()
    s.vm.set_connected(True)
    s.grab()
    assert not s.item("connectionMark").isVisible()
    s.vm.set_connected(False)
    s.grab()
    assert s.item("connectionMark").isVisible()


def test_floor_layout_shows_only_its_windows_and_portrait_resizes(screen):
    s = screen(windows=list(range(1, 13)), orientation="portrait")
    s.grab()
    assert [t.property("windowNumber") for t in s.items("windowTile")] == \
        ["1", "2", "3", "4", "5", "6", "12"]
    assert s.view.height() > s.view.width()
    s.vm.apply_event(call_event(1, "A013", 13))  # not this floor's window
    assert s.item("bannerNumber").property("text") == ""


def test_layout_change_applies_to_a_running_screen(screen):
    s = screen()
    s.vm.set_layout(parse_layout({"name": "t", "elements": ["banner", "notice"],
                                  "notice": "今日下午停电检修 Maintenance at 15:00",
                                  "theme": {"background": "#ffffff", "foreground": "#111111",
                                            "accent": "#b00020"}}))
    frame = s.grab()
    assert not s.item("windowsGrid").isVisible()
    assert s.item("noticeText").property("text").startswith("今日下午停电检修")
    assert frame.pixelColor(5, 5) == QColor("#ffffff")


def _all_texts(screen) -> str:
    texts = []
    stack = [screen.view.rootObject()]
    while stack:
        item = stack.pop()
        value = item.property("text")
        if isinstance(value, str) and item.isVisible():
            texts.append(value)
        stack.extend(item.childItems())
    return "\n".join(texts)


def test_no_personal_data_reaches_the_screen(screen):
    s = screen()
    e = call_event(1, "A001", 3)
    # What a hall's rows may carry beside the number: staff, tokens, notes.
    e["payload"]["ticket"].update({"staff_id": "c1", "token": "secret-token-xyz",
                                   "priority_reason": "elderly", "phone": "13812345678"})
    e["payload"]["window"].update({"staff_id": "c1", "staff_name": "张晓燕"})
    e["payload"]["masked_name"] = "王*"
    s.vm.apply_event(e)
    s.grab()
    shown = _all_texts(s)
    assert "A001" in shown
    for private in ("张晓燕", "13812345678", "secret-token", "王*", "c1", "elderly"):
        assert private not in shown, private
