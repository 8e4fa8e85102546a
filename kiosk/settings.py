"""What a kiosk is told at start: its hall, its devices and the choices it offers citizens."""

from __future__ import annotations

from dataclasses import dataclass, field

# Defaults until the hall has answered GET /api/v1/kiosk-config (or --hall-config is read).
DEFAULT_GREEN_REASONS = [
    {"id": "elderly", "zh": "老年人", "en": "Senior citizen"},
    {"id": "disabled", "zh": "残疾人", "en": "Person with disability"},
    {"id": "veteran", "zh": "退役军人", "en": "Veteran"},
    {"id": "pregnant", "zh": "孕妇", "en": "Pregnant woman"},
    {"id": "infant", "zh": "怀抱婴儿", "en": "With an infant"},
]

# The usual 政务 domain ids and names, replaced by the hall's own list from the hall.
DEFAULT_DOMAIN_NAMES = {
    "enterprise": ("企业开办", "Starting a business"),
    "construction": ("工程建设项目", "Construction projects"),
    "realestate": ("不动产登记", "Real estate registration"),
    "tax": ("税务", "Taxation"),
    "social": ("社会保障", "Social security"),
    "health": ("卫生健康", "Health"),
    "employment": ("就业创业", "Employment"),
    "civil": ("民政救助", "Civil affairs and relief"),
    "household": ("户籍办理", "Household registration"),
    "traffic": ("公安交管", "Traffic police"),
    "transport": ("交通运输", "Transport"),
    "talent": ("人才服务", "Talent services"),
    "general": ("综合服务", "General services"),
}

# As in hall.toml [kiosk]: the hall refuses a category id it does not know.
DEFAULT_COMPLAINT_CATEGORIES = [
    {"id": "attitude", "zh": "服务态度", "en": "Attitude"},
    {"id": "efficiency", "zh": "办事效率", "en": "Efficiency"},
    {"id": "materials", "zh": "材料要求", "en": "Required documents"},
    {"id": "cannot", "zh": "办不成事", "en": "Could not get it done"},
    {"id": "environment", "zh": "大厅环境", "en": "Hall environment"},
    {"id": "suggestion", "zh": "意见建议", "en": "Suggestion"},
]

DEFAULT_COMPLAINT_PHRASES = [
    {"id": "等候时间太长", "zh": "等候时间太长", "en": "Waited too long"},
    {"id": "多次跑腿", "zh": "多次跑腿", "en": "Had to come many times"},
    {"id": "窗口推诿", "zh": "窗口推诿", "en": "Passed from window to window"},
    {"id": "指引不清楚", "zh": "指引不清楚", "en": "Unclear directions"},
    {"id": "系统故障", "zh": "系统故障", "en": "System failure"},
    {"id": "设备不好用", "zh": "设备不好用", "en": "Devices hard to use"},
]

# Reasons offered after a bad rating, per level (as in hall.toml [ratings.reasons]).
DEFAULT_RATING_REASONS = {
    "2": ["等候时间过长", "服务态度不好", "材料要求不清楚", "多次跑动", "业务不熟练"],
    "1": ["服务态度恶劣", "推诿扯皮", "办不成事", "等候时间过长", "索要额外材料"],
}


@dataclass
class KioskSettings:
    hall_url: str = "http://127.0.0.1:8470"
    token: str | None = None
    printer_url: str | None = None
    scanner_url: str | None = None
    idcard_url: str | None = None          # ID-card reader (issue 16): serial://…?baud=115200
    hall_name: str = "政务服务大厅"
    hall_name_en: str = "Government Service Hall"
    orientation: str = "portrait"          # portrait 1080x1920 or landscape 1920x1080
    idle_seconds: float = 60.0             # back home when nobody touches the screen
    done_seconds: float = 15.0             # ... and sooner once the ticket is in hand
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
    rating_reasons: dict = field(default_factory=lambda: dict(DEFAULT_RATING_REASONS))
    domain_names: dict = field(default_factory=lambda: dict(DEFAULT_DOMAIN_NAMES))
    hall_config_path: str | None = None    # set by apply_hall_config
    themes: list = field(default_factory=list)   # 一件事 tiles (kiosk/flows/theme.py)
    # What each new citizen finds (hall.toml [kiosk] default_language / default_elder):
    # the kiosk returns to these on home, on idle and after a ticket.
    default_lang: str = "zh"
    default_elder: bool = False
    booking_url: str = ""                  # 另约他日: shown as a QR when a service is full

    def apply_hall_config(self, path) -> None:
        """Take the hall's names and choices from its hall.toml (same box, or a copy).
        Raises hall.config's ConfigError with file, key and line."""
        from hall.config import load_config, public_choices

        self.apply_choices(public_choices(load_config(path)))
        self.hall_config_path = str(path)

    def apply_choices(self, choices: dict) -> None:
        """Take the hall's names and choices as the hall publishes them (GET /api/v1/kiosk-config)."""
        self.domain_names = {d["id"]: (d["name_zh"], d.get("name_en") or d["id"]) for d in choices["domains"]}
        if choices.get("green_reasons"):
            self.green_reasons = [dict(r) for r in choices["green_reasons"]]
        if choices.get("rating_reasons"):
            self.rating_reasons = {str(k): list(v) for k, v in choices["rating_reasons"].items()}
        if choices.get("complaint_categories"):
            self.complaint_categories = [dict(c) for c in choices["complaint_categories"]]
        if choices.get("complaint_phrases"):
            known = {p["zh"]: p["en"] for p in DEFAULT_COMPLAINT_PHRASES}
            self.complaint_phrases = [{"id": p, "zh": p, "en": known.get(p, "")}
                                      for p in choices["complaint_phrases"]]
        if "themes" in choices:
            self.themes = [dict(t) for t in choices["themes"] or []]
        if choices.get("idle_seconds"):
            self.idle_seconds = float(choices["idle_seconds"])
        if choices.get("default_language") in ("zh", "en"):
            self.default_lang = choices["default_language"]
        if choices.get("booking_url"):
            self.booking_url = str(choices["booking_url"])
        if "default_elder" in choices:
            self.default_elder = bool(choices["default_elder"])
        if choices.get("voice_enabled"):
            self.voice = True        # the hall speaks, so the kiosk's prompts speak too
        hall = choices.get("hall") or {}
        self.hall_name = hall.get("name_zh") or self.hall_name
        self.hall_name_en = hall.get("name_en") or self.hall_name_en
        self.timezone = hall.get("timezone") or getattr(self, "timezone", None)

    def size(self) -> tuple[int, int]:
        return (1920, 1080) if self.orientation == "landscape" else (1080, 1920)
