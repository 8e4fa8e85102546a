"""Display layouts: the validated model the hall stores and every caller display renders."""

from __future__ import annotations

import re
import string
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hall.errors import InvalidInput

ELEMENTS = ("banner", "windows", "recent", "waiting", "clock", "notice", "connection")
WINDOW_KINDS = ("consult", "accept", "pickup", "help", "complaint")
TEMPLATE_FIELDS = {"number", "window"}
DEFAULT_TEMPLATE = "请 {number} 号 到 {window} 号窗口办理"
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"

# WCAG 2 thresholds: body text needs 4.5:1; the accent colour is used only for very large
# text (the called number, headings), where 3:1 is the published minimum.
MIN_TEXT_CONTRAST = 4.5
MIN_ACCENT_CONTRAST = 3.0

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def _luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio of two '#rrggbb' colours, 1.0 (same) to 21.0 (black on white)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Theme(_Strict):
    background: str = "#0b1f3a"
    foreground: str = "#ffffff"
    accent: str = "#ffd23f"

    @field_validator("background", "foreground", "accent")
    @classmethod
    def _hex(cls, v: str) -> str:
        if not _HEX.match(v):
            raise ValueError("颜色须为 #RRGGBB / colour must be #RRGGBB")
        return v.lower()

    @model_validator(mode="after")
    def _contrast(self) -> Theme:
        text = contrast_ratio(self.foreground, self.background)
        if text < MIN_TEXT_CONTRAST:
            raise ValueError(
                f"文字与背景对比度 {text:.1f}:1 不足 {MIN_TEXT_CONTRAST}:1，远处看不清 / "
                f"text contrast {text:.1f}:1 is below {MIN_TEXT_CONTRAST}:1")
        accent = contrast_ratio(self.accent, self.background)
        if accent < MIN_ACCENT_CONTRAST:
            raise ValueError(
                f"强调色与背景对比度 {accent:.1f}:1 不足 {MIN_ACCENT_CONTRAST}:1 / "
                f"accent contrast {accent:.1f}:1 is below {MIN_ACCENT_CONTRAST}:1")
        return self


class Voice(_Strict):
    enabled: bool = False  # silent calling is the default (无声叫号)
    template: str = DEFAULT_TEMPLATE
    recall_prefix: str = "再次呼叫"
    # A whole sentence for recalls; when set it replaces recall_prefix + template.
    recall_template: str | None = None
    repeat: int = Field(1, ge=1, le=3)
    volume: float = Field(1.0, ge=0.0, le=1.0)
    # The window group the voice is on for; None means every window this layout shows.
    windows: list[int] | None = None
    window_kinds: list[Literal[WINDOW_KINDS]] | None = None  # type: ignore[valid-type]

    @field_validator("template", "recall_template")
    @classmethod
    def _template(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(v) if f is not None}
        except ValueError as exc:
            raise ValueError(f"播报模板格式错误 / template is malformed: {exc}") from None
        unknown = fields - TEMPLATE_FIELDS
        if unknown:
            raise ValueError("播报模板只能使用 {number} 和 {window} / template may use only "
                             "{number} and {window}, not " + ", ".join(sorted(unknown)))
        if "number" not in fields:
            raise ValueError("播报模板必须包含 {number} / template must contain {number}")
        if len(v) > 80:
            raise ValueError("播报模板过长 / template is longer than 80 characters")
        return v


class Layout(_Strict):
    name: str = Field("default", pattern=NAME_PATTERN)
    title: str = Field("叫号显示 Calling", max_length=40)
    orientation: Literal["landscape", "portrait"] = "landscape"
    elements: list[Literal[ELEMENTS]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: list(ELEMENTS))
    windows: list[int] | None = None          # window numbers shown; None = all
    window_kinds: list[Literal[WINDOW_KINDS]] | None = None  # type: ignore[valid-type]
    theme: Theme = Field(default_factory=Theme)
    notice: str = Field("", max_length=300)
    flash_seconds: int = Field(5, ge=0, le=30)
    recent_count: int = Field(8, ge=1, le=20)
    show_masked_name: bool = False             # a hall may enable 张* beside the number
    voice: Voice = Field(default_factory=Voice)
    version: int = Field(0, ge=0)

    @field_validator("elements")
    @classmethod
    def _unique_elements(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("至少选择一个显示元素 / choose at least one element")
        return list(dict.fromkeys(v))

    @field_validator("windows")
    @classmethod
    def _window_numbers(cls, v: list[int] | None) -> list[int] | None:
        if v is not None and any(n < 1 or n > 999 for n in v):
            raise ValueError("窗口号须在 1–999 之间 / window numbers must be 1–999")
        return sorted(set(v)) if v is not None else None

    def shows_window(self, window: dict) -> bool:
        """True when this layout shows the window (a row with `number` and `kind`)."""
        if self.windows is not None and _as_int(window.get("number")) not in self.windows:
            return False
        if self.window_kinds is not None and window.get("kind") not in self.window_kinds:
            return False
        return True

    def voices_window(self, window: dict) -> bool:
        """True when a call to this window should be spoken on this display."""
        v = self.voice
        if not v.enabled or not self.shows_window(window):
            return False
        if v.windows is not None and _as_int(window.get("number")) not in v.windows:
            return False
        if v.window_kinds is not None and window.get("kind") not in v.window_kinds:
            return False
        return True


def _as_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse_layout(data: dict) -> Layout:
    """Validate layout JSON. Raises InvalidInput naming the field, Chinese first."""
    try:
        return Layout.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "layout"
        msg = str(first["msg"]).removeprefix("Value error, ")
        raise InvalidInput("invalid_layout", f"布局字段 {where} 无效：{msg}",
                           f"layout field {where} is invalid: {msg}") from None


def spell_number(number: str) -> str:
    """'A023' -> 'A 0 2 3', so the speech engine reads digits one by one, not as 二十三."""
    return " ".join(ch for ch in str(number) if not ch.isspace())


def announcement_text(voice: Voice, number: str, window: str | int, recall: bool = False) -> str:
    """The sentence spoken for a call; recalls start with the recall prefix."""
    if recall and voice.recall_template:
        return voice.recall_template.format(number=spell_number(number), window=window)
    text = voice.template.format(number=spell_number(number), window=window)
    if recall and voice.recall_prefix:
        text = f"{voice.recall_prefix} {text}"
    return text


def voice_from_config(section) -> Voice:
    """The hall's [voice] section (hall.config.VoiceSection) as a layout voice."""
    if section is None:
        return Voice()
    return Voice(enabled=bool(section.enabled), template=section.template,
                 recall_template=getattr(section, "recall_template", None) or None,
                 repeat=section.repeat, volume=section.volume,
                 windows=list(section.windows) or None)


def builtin_layouts(voice_section=None) -> list[Layout]:
    """Layouts a fresh hall starts with, so a display shows something before any set-up.
    Their voice comes from the hall's [voice] section: the per-hall switch."""
    voice = voice_from_config(voice_section)
    return [
        Layout(name="default", title="叫号显示 Now calling", voice=voice),
        Layout(name="portrait", title="叫号 Calling", orientation="portrait", voice=voice,
               elements=["banner", "windows", "recent", "waiting", "clock", "notice",
                         "connection"]),
    ]
