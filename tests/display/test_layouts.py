"""Layout validation: what a manager may save, and the sentence the voice will speak."""

from __future__ import annotations

import pytest

from hall.display_layouts import (
    Layout,
    announcement_text,
    builtin_layouts,
    contrast_ratio,
    parse_layout,
    spell_number,
)
from hall.errors import InvalidInput


def test_defaults_are_silent_and_show_everything():
    layout = parse_layout({"name": "hall-1"})
    assert layout.voice.enabled is False
    assert layout.windows is None and "banner" in layout.elements
    assert all(isinstance(x, Layout) for x in builtin_layouts())


def test_low_contrast_theme_is_refused_with_a_chinese_message():
    with pytest.raises(InvalidInput) as err:
        parse_layout({"name": "grey", "theme": {"background": "#777777",
                                                 "foreground": "#888888",
                                                 "accent": "#ffff00"}})
    assert "对比度" in err.value.message and "contrast" in err.value.message_en
    assert "theme" in err.value.message


def test_contrast_ratio_matches_wcag_extremes():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#123456", "#123456") == pytest.approx(1.0)


@pytest.mark.parametrize("bad, field", [
    ({"name": "Bad Name"}, "name"),
    ({"orientation": "sideways"}, "orientation"),
    ({"elements": ["banner", "weather"]}, "elements"),
    ({"elements": []}, "elements"),
    ({"windows": [0]}, "windows"),
    ({"voice": {"template": "请 {who} 号"}}, "voice.template"),
    ({"voice": {"template": "请到窗口"}}, "voice.template"),
    ({"voice": {"repeat": 9}}, "voice.repeat"),
    ({"surprise": 1}, "surprise"),
])
def test_bad_fields_are_named(bad, field):
    with pytest.raises(InvalidInput) as err:
        parse_layout({"name": "x", **bad})
    assert field in err.value.message and field in err.value.message_en


def test_window_filter_by_number_and_kind():
    floor1 = parse_layout({"name": "floor1", "windows": list(range(1, 13))})
    assert floor1.shows_window({"number": 12, "kind": "accept"})
    assert not floor1.shows_window({"number": 13, "kind": "accept"})
    pickup = parse_layout({"name": "pickup", "window_kinds": ["pickup"]})
    assert pickup.shows_window({"number": 5, "kind": "pickup"})
    assert not pickup.shows_window({"number": 1, "kind": "accept"})


def test_voice_is_per_window_group():
    layout = parse_layout({"name": "v", "voice": {"enabled": True, "window_kinds": ["pickup"]}})
    assert layout.voices_window({"number": 5, "kind": "pickup"})
    assert not layout.voices_window({"number": 1, "kind": "accept"})
    silent = parse_layout({"name": "s"})
    assert not silent.voices_window({"number": 5, "kind": "pickup"})


def test_number_is_spelled_digit_by_digit_and_recall_is_prefixed():
    voice = parse_layout({"name": "v"}).voice
    assert spell_number("A023") == "A 0 2 3"
    assert announcement_text(voice, "A023", 3) == "请 A 0 2 3 号 到 3 号窗口办理"
    assert announcement_text(voice, "A023", 3, recall=True).startswith("再次呼叫 请 A 0 2 3")
