"""What a kiosk is told at start: its hall, its devices and the choices it offers citizens."""

from __future__ import annotations

from dataclasses import dataclass, field

# The hall API does not (yet) publish the green-channel reasons or the complaint
# categories, so the kiosk carries the common set; `onewindow kiosk` can override them.
DEFAULT_GREEN_REASONS = [
    {"id": "elderly", "zh": "老年人", "en": "Senior citizen"},
    {"id": "disabled", "zh": "残疾人", "en": "Person with disability"},
    {"id": "veteran", "zh": "退伍军人", "en": "Veteran"},
    {"id": "pregnant", "zh": "孕妇", "en": "Pregnant"},
    {"id": "with_infant", "zh": "怀抱婴儿", "en": "With an infant"},
]

DEFAULT_COMPLAINT_CATEGORIES = [
    {"id": "attitude", "zh": "服务态度", "en": "Staff attitude"},
    {"id": "waiting", "zh": "等候太久", "en": "Waiting too long"},
    {"id": "process", "zh": "办事流程", "en": "Procedures"},
    {"id": "materials", "zh": "材料要求", "en": "Required documents"},
    {"id": "facilities", "zh": "大厅设施", "en": "Hall facilities"},
    {"id": "other", "zh": "其他", "en": "Other"},
]

DEFAULT_COMPLAINT_PHRASES = [
    {"id": "run_twice", "zh": "跑了不止一次", "en": "Had to come more than once"},
    {"id": "unclear", "zh": "告知不清楚", "en": "Information was unclear"},
    {"id": "slow", "zh": "办理速度慢", "en": "Service was slow"},
    {"id": "rude", "zh": "态度不好", "en": "Staff were rude"},
    {"id": "no_seat", "zh": "座位不够", "en": "Not enough seats"},
    {"id": "good", "zh": "提个建议", "en": "A suggestion"},
]

DEFAULT_RATING_REASONS = [
    {"id": "slow", "zh": "办理慢", "en": "Slow"},
    {"id": "attitude", "zh": "态度差", "en": "Unfriendly"},
    {"id": "unclear", "zh": "解释不清", "en": "Unclear answers"},
    {"id": "run_again", "zh": "要再跑一次", "en": "Must come again"},
]


@dataclass
class KioskSettings:
    hall_url: str = "http://127.0.0.1:8470"
    token: str | None = None
    printer_url: str | None = None
    scanner_url: str | None = None
    hall_name: str = "政务服务大厅"
    hall_name_en: str = "Government Service Hall"
    orientation: str = "portrait"          # portrait 1080x1920 or landscape 1920x1080
    idle_seconds: float = 60.0             # back home when nobody touches the screen
    poll_seconds: float = 5.0              # services and hall link refresh
    retry_seconds: float = 2.0             # hall-unreachable retry period
    printer_poll_seconds: float = 10.0
    help_poll_seconds: float = 2.0
    voice: bool = False                    # spoken prompts (hall config voice.enabled)
    complaint_url: str | None = None       # page a citizen opens on their own phone
    green_reasons: list = field(default_factory=lambda: list(DEFAULT_GREEN_REASONS))
    complaint_categories: list = field(
        default_factory=lambda: list(DEFAULT_COMPLAINT_CATEGORIES))
    complaint_phrases: list = field(default_factory=lambda: list(DEFAULT_COMPLAINT_PHRASES))
    rating_reasons: list = field(default_factory=lambda: list(DEFAULT_RATING_REASONS))

    def size(self) -> tuple[int, int]:
        return (1920, 1080) if self.orientation == "landscape" else (1080, 1920)
