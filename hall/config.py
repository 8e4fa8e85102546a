"""hall.toml: load, validate and explain errors (file, key, line); unknown keys are errors."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from onewindow import example_config_path

CONFIG_VERSION = 1
EXAMPLE_PATH = example_config_path()

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_ID = r"^[a-z0-9][a-z0-9_-]{0,39}$"


class ConfigError(Exception):
    """A hall.toml that cannot be used; the message names the file, the key and the line."""

    def __init__(self, path: str, key: str, problem: str, line: int | None = None):
        self.path, self.key, self.problem, self.line = path, key, problem, line
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {key}: {problem}")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _hhmm(value: str) -> str:
    if not isinstance(value, str) or not _HHMM.match(value):
        raise ValueError(f"'{value}' is not a time of day like 08:30")
    return value


Clock = Annotated[str, Field(description="time of day HH:MM")]


class HallSection(Strict):
    id: str = Field(pattern=_ID)
    name_zh: str = Field(min_length=1, max_length=40)
    name_en: str = Field(default="", max_length=80)
    timezone: str = "Asia/Shanghai"
    base_url: str = Field(default="http://127.0.0.1:8470",
                          description="how citizens' phones reach the ticket page (/t/TOKEN)")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone '{v}' (e.g. Asia/Shanghai)") from exc
        return v

    @field_validator("base_url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not re.match(r"^https?://[^\s/]+(:\d+)?(/[^\s]*)?$", v):
            raise ValueError(f"'{v}' is not an http(s) address like http://192.168.1.10:8470")
        return v.rstrip("/")


class ServerSection(Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8470, ge=1, le=65535)


class DaySection(Strict):
    open: Clock = "08:30"
    close: Clock = "17:30"
    ticket_cutoff: Clock = "17:00"
    rollover: Clock = "03:00"
    weekdays: list[Annotated[int, Field(ge=1, le=7)]] = [1, 2, 3, 4, 5]

    _v = field_validator("open", "close", "ticket_cutoff", "rollover")(classmethod(lambda c, v: _hhmm(v)))


class QueueSection(Strict):
    recalls_before_no_show: int = Field(default=2, ge=0, le=10)
    ticket_digits: int = Field(default=3, ge=3, le=4)
    default_service_minutes: float = Field(default=8, gt=0, le=240)
    eta_samples: int = Field(default=20, ge=1, le=500)


class AppointmentSection(Strict):
    checkin_early_minutes: int = Field(default=30, ge=0, le=240)
    checkin_late_minutes: int = Field(default=15, ge=0, le=240)
    late_policy: Literal["walk_in", "refuse"] = "walk_in"


class Reason(Strict):
    id: str = Field(pattern=_ID)
    zh: str = Field(min_length=1, max_length=20)
    en: str = ""


class GreenChannelSection(Strict):
    reasons: list[Reason] = Field(min_length=1)


class RatingsSection(Strict):
    default_after_days: int = Field(default=7, ge=1, le=60)
    default_level: int = Field(default=3, ge=1, le=5)
    pad_timeout_seconds: int = Field(default=60, ge=5, le=600)
    reasons: dict[Literal["1", "2", "3", "4", "5"], list[str]]


class CasesSection(Strict):
    revisit_working_days: int = Field(default=1, ge=0, le=30)
    rectify_working_days: int = Field(default=5, ge=1, le=60)
    reply_working_days: int = Field(default=15, ge=1, le=90)
    complaint_reply_working_days: int = Field(default=5, ge=1, le=60)


class CalendarSection(Strict):
    holidays: list[dt.date] = []
    workdays: list[dt.date] = Field(default=[], description="make-up working days (调休)")


class PrivacySection(Strict):
    phone_retention_days: int = Field(default=7, ge=0, le=365)


class VoiceSection(Strict):
    enabled: bool = False
    voice: str = "cmn-latn-pinyin"
    template: str = "请 {number} 号 到 {window} 号窗口办理"
    recall_template: str = "再次呼叫，请 {number} 号 到 {window} 号窗口办理"
    repeat: int = Field(default=1, ge=1, le=3)
    volume: float = Field(default=1.0, ge=0, le=1)
    windows: list[int] = Field(default=[], description="window numbers; empty means all")


class NoticesSection(Strict):
    enabled: bool = False
    near_front: int = Field(default=3, ge=1, le=50)
    gateway_url: str = ""
    template_near: str = "【{hall}】您的 {number} 号前面还有 {ahead} 人，请回到大厅留意叫号。"
    template_called: str = "【{hall}】请 {number} 号到 {window} 号窗口办理。"


class SyncSection(Strict):
    enabled: bool = False
    central_url: str = ""
    hall_key: str = Field(default="", description="per-hall credential from `onewindow central hall add`")
    ca_file: str = ""
    client_cert: str = Field(default="", description="mutual TLS: this hall's certificate (PEM)")
    client_key: str = Field(default="", description="mutual TLS: its private key (PEM)")
    staff_names: bool = Field(default=False, description="send staff names to the central "
                              "(default: staff appear there as ids only)")
    interval_seconds: float = Field(default=10, gt=0, le=3600)
    batch_size: int = Field(default=500, ge=1, le=5000)


class BackupSection(Strict):
    """`onewindow db backup --scheduled` (the daily timer) and the copy before migrations."""
    dir: str = Field(default="/var/lib/onewindow/backups",
                     description="where backups are written (0600, the service user's)")
    keep_days: int = Field(default=14, ge=1, le=3650)
    copy_to: str = Field(default="", description="a mounted path (USB disk, NAS) that gets a "
                                                  "copy; not mounted = a warning, local copy kept")


class RelaySection(Strict):
    """The phone-page relay through central (sync/relay.py, central/relay.py): phones on mobile
    data open the ticket page at central, which the hall keeps current while it is online."""

    enabled: bool = False
    heartbeat_seconds: float = Field(default=5, ge=1, le=60,
                                     description="push at least this often so central knows the link is up")


class ManagerSection(Strict):
    wait_target_p90_minutes: float = Field(default=20, gt=0, le=600,
                                           description="staffing advice: 90th-percentile wait to stay under")
    alert_wait_minutes: float = Field(default=30, gt=0, le=600, description="live alert: longest wait in a service")
    alert_help_minutes: float = Field(default=3, gt=0, le=120, description="live alert: help call not yet answered")


class KioskSection(Strict):
    idle_seconds: int = Field(default=60, ge=10, le=600)
    complaint_categories: list[Reason] = []
    complaint_phrases: list[str] = []
    # what each new citizen finds at the kiosk (it returns to these on home, idle, after a ticket)
    default_language: Literal["zh", "en"] = "zh"
    default_elder: bool = False
    booking_url: str = Field(default="", max_length=300,
                             description="where a citizen books another day when a service is full "
                                         "(另约他日); empty: the central's /book page when sync is on")


class CitizenSection(Strict):
    """What the citizen's phone page tells after a no-show or a refusal (places, phone, limits)."""
    help_desk_zh: str = Field(default="综合咨询台（大厅入口处）", min_length=1, max_length=60,
                              description="where a citizen goes after a no-show or with a question")
    help_desk_en: str = Field(default="the enquiry desk at the hall entrance", max_length=120)
    hotline: str = Field(default="12345", max_length=30, description="the number a citizen may call")
    escalate_reply_working_days: int = Field(default=3, ge=1, le=30,
                                             description="an escalated question (提交研究) is answered within")


class PrinterDevice(Strict):
    name: str = Field(pattern=_ID)
    url: str
    profile: Literal["80mm", "58mm", "80mm-raster", "58mm-raster"] = "80mm"


class ScannerDevice(Strict):
    name: str = Field(pattern=_ID)
    url: str


class BusSection(Strict):
    port: str = ""
    baud: int = Field(default=9600, ge=1200, le=921600)
    poll_ms: int = Field(default=100, ge=10, le=5000)
    timeout_ms: int = Field(default=100, ge=10, le=5000)
    retries: int = Field(default=1, ge=0, le=5)


class WindowDevices(Strict):
    window: str
    pad: int | None = Field(default=None, ge=1, le=247)
    led: int | None = Field(default=None, ge=1, le=247)
    keypad: int | None = Field(default=None, ge=1, le=247)


class DevicesSection(Strict):
    printers: list[PrinterDevice] = []
    scanners: list[ScannerDevice] = []
    bus: BusSection = BusSection()
    windows: list[WindowDevices] = []


class Domain(Strict):
    id: str = Field(pattern=_ID)
    name_zh: str = Field(min_length=1, max_length=20)
    name_en: str = ""
    group: Literal["enterprise", "livelihood", "talent", "general"] = "general"


FREE_MARK_ZH = "免提交（平台已有电子证照）"
FREE_MARK_EN = "not needed: the platform holds the e-licence"


class Material(Strict):
    """One material a service asks for, as a record (issue 16: 一处填报、全网通用).

    `electronic = true` marks a material the platform already holds as an electronic licence
    (电子证照, of `license_type`): the citizen need not bring it (免提交), and a refusal for
    missing materials cannot list it.
    """

    name: str = Field(min_length=1, max_length=60)
    name_en: str = Field(default="", max_length=120)
    electronic: bool = False
    license_type: str = Field(default="", max_length=60)


class Service(Strict):
    id: str = Field(pattern=_ID)
    name_zh: str = Field(min_length=1, max_length=30)
    name_en: str = ""
    prefix: str = Field(pattern=r"^[A-Z]{1,2}$")
    domain: str
    kind: Literal["consult", "accept", "pickup", "help", "complaint"]
    daily_cap: int = Field(default=300, ge=1, le=9999)
    appointments: bool = False
    # The names, in order: what every consumer reads (plain strings, as before issue 16).
    materials: list[str] = []
    # The details of those written as records in hall.toml (`{ name = …, electronic = true, … }`
    # inside `materials`); filled by the validator, written back beside `materials`.
    material_records: list[Material] = []
    pinned: bool = False
    avg_minutes: float | None = Field(default=None, gt=0, le=240)
    ticket_cutoff: Clock | None = None
    # The matter (办件) an acceptance opens: 承诺时限 in working days, and whether the result is
    # given at the window (instant, 即办件) or approved later (promised, 承诺件). `kind` above
    # is the queue's kind of service, hence the name matter_kind.
    promise_days: int = Field(default=5, ge=0, le=180, description="承诺时限 in working days")
    matter_kind: Literal["instant", "promised"] = "promised"

    @field_validator("ticket_cutoff")
    @classmethod
    def _cut(cls, v):
        return None if v is None else _hhmm(v)

    @model_validator(mode="before")
    @classmethod
    def _material_records(cls, data):
        # `materials` may mix plain strings (every hall.toml before issue 16) and records; the
        # records move to `material_records`, `materials` keeps the names. A record whose
        # material is no longer listed (say a manager removed it locally) is dropped.
        if not isinstance(data, dict) or not isinstance(data.get("materials"), list):
            return data
        names, records = [], list(data.get("material_records") or [])
        for m in data["materials"]:
            if isinstance(m, dict):
                names.append(m.get("name"))
                records = [r for r in records if (r.get("name") if isinstance(r, dict) else getattr(r, "name", None))
                           != m.get("name")] + [m]
            else:
                names.append(m)
        listed = {n for n in names if isinstance(n, str)}
        records = [r for r in records
                   if (r.get("name") if isinstance(r, dict) else getattr(r, "name", None)) in listed]
        return {**data, "materials": names, "material_records": records}

    @property
    def material_names(self) -> list[str]:
        return list(self.materials)

    @property
    def electronic_materials(self) -> list[Material]:
        order = {n: i for i, n in enumerate(self.materials)}
        return sorted((r for r in self.material_records if r.electronic), key=lambda r: order.get(r.name, 0))


class Window(Strict):
    id: str = Field(pattern=_ID)
    number: int = Field(ge=1, le=999)
    name_zh: str = Field(min_length=1, max_length=30)
    name_en: str = ""
    kind: Literal["consult", "accept", "pickup", "help", "complaint"]
    services: list[str] = Field(min_length=1)
    mode: Literal["fifo", "order", "ratio"] = "fifo"
    weights: dict[str, int] = {}


class MattersSection(Strict):
    """Matters (办件) after acceptance: 容缺 deadlines, reminders, pickup, notices."""

    owed_working_days: int = Field(default=5, ge=1, le=60,
                                   description="容缺: owed materials are due within this many working days")
    remind_working_days: int = Field(default=1, ge=0, le=30,
                                     description="remind by phone this many working days before owed materials are due")
    uncollected_days: int = Field(default=10, ge=1, le=365,
                                  description="a ready result not collected after this many days is listed for the manager")
    pickup_service: str = Field(default="", description="service id of 统一出件; empty: the first service of kind pickup")
    template_ready: str = "【{hall}】您的办件 {code}（{service}）已办结，请携带身份证件到统一出件窗口领取。"
    template_owed: str = "【{hall}】您的办件 {code} 尚需补交：{materials}，请于 {due} 前送达任一窗口。"
    template_decided: str = "【{hall}】您的办件 {code}（{service}）未予批准：{reason}。详情请查看办件页面或到大厅咨询。"


class Theme(Strict):
    """一件事: several services offered as one tile, one ticket, one combined material list."""

    id: str = Field(pattern=_ID)
    name_zh: str = Field(min_length=1, max_length=30)
    name_en: str = ""
    services: list[str] = Field(min_length=2, description="the services a window accepts for it, one matter each")
    materials: list[str] = Field(default=[], description="the one combined material list")
    ticket_service: str = Field(default="", description="whose queue the theme's ticket joins; empty: the first service")


class HallConfig(Strict):
    version: int = CONFIG_VERSION
    hall: HallSection
    server: ServerSection = ServerSection()
    day: DaySection = DaySection()
    queue: QueueSection = QueueSection()
    appointments: AppointmentSection = AppointmentSection()
    green_channel: GreenChannelSection
    ratings: RatingsSection
    cases: CasesSection = CasesSection()
    calendar: CalendarSection = CalendarSection()
    privacy: PrivacySection = PrivacySection()
    voice: VoiceSection = VoiceSection()
    notices: NoticesSection = NoticesSection()
    sync: SyncSection = SyncSection()
    relay: RelaySection = RelaySection()
    kiosk: KioskSection = KioskSection()
    manager: ManagerSection = ManagerSection()
    citizen: CitizenSection = CitizenSection()
    devices: DevicesSection = DevicesSection()
    backup: BackupSection = BackupSection()
    matters: MattersSection = MattersSection()
    themes: list[Theme] = []
    domains: list[Domain] = Field(min_length=1)
    services: list[Service] = Field(min_length=1)
    windows: list[Window] = Field(min_length=1)

    _services_by_id: dict = PrivateAttr(default_factory=dict)
    _windows_by_id: dict = PrivateAttr(default_factory=dict)

    def model_post_init(self, _context: Any) -> None:
        self._services_by_id.update({s.id: s for s in self.services})
        self._windows_by_id.update({w.id: w for w in self.windows})

    def service(self, service_id: str) -> Service | None:
        return self._services_by_id.get(service_id)

    def window(self, window_id: str) -> Window | None:
        return self._windows_by_id.get(window_id)

    def green_reason(self, reason_id: str) -> Reason | None:
        return next((r for r in self.green_channel.reasons if r.id == reason_id), None)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.hall.timezone)


def booking_url(cfg: HallConfig) -> str:
    """The page a citizen books another day on (另约他日), or "" if the hall has none."""
    if cfg.kiosk.booking_url:
        return cfg.kiosk.booking_url
    if cfg.sync.enabled and cfg.sync.central_url:
        return f"{cfg.sync.central_url.rstrip('/')}/book?hall={cfg.hall.id}"
    return ""


def public_choices(cfg: HallConfig) -> dict:
    """What kiosks and citizens' pages may know of the hall's configuration: names and the
    choices they offer (domains, green-channel and rating reasons, complaint categories)."""
    return {
        "hall": {"id": cfg.hall.id, "name_zh": cfg.hall.name_zh, "name_en": cfg.hall.name_en,
                 "timezone": cfg.hall.timezone},
        "domains": [{"id": d.id, "name_zh": d.name_zh, "name_en": d.name_en, "group": d.group}
                    for d in cfg.domains],
        "green_reasons": [r.model_dump() for r in cfg.green_channel.reasons],
        "rating_reasons": {k: list(v) for k, v in cfg.ratings.reasons.items()},
        "complaint_categories": [c.model_dump() for c in cfg.kiosk.complaint_categories],
        "complaint_phrases": list(cfg.kiosk.complaint_phrases),
        "idle_seconds": cfg.kiosk.idle_seconds,
        "default_language": cfg.kiosk.default_language,
        "default_elder": cfg.kiosk.default_elder,
        "booking_url": booking_url(cfg),
        "voice_enabled": cfg.voice.enabled,
        # 一件事 (hall/matters.py): one kiosk tile, one ticket, one combined material list.
        "themes": [{"id": t.id, "name_zh": t.name_zh, "name_en": t.name_en, "materials": list(t.materials),
                    "ticket_service": t.ticket_service or t.services[0], "services": list(t.services)}
                   for t in cfg.themes],
    }


def _cross_checks(cfg: HallConfig) -> list[tuple[tuple, str]]:
    """Rules that span sections; returned as (location, problem)."""
    problems: list[tuple[tuple, str]] = []
    if cfg.version != CONFIG_VERSION:
        problems.append((("version",), f"this OneWindow reads config version {CONFIG_VERSION}, the file says {cfg.version}"))
    domains = {d.id for d in cfg.domains}
    seen_ids: dict[str, int] = {}
    seen_prefix: dict[str, str] = {}
    for i, s in enumerate(cfg.services):
        if s.id in seen_ids:
            problems.append((("services", i, "id"), f"service id '{s.id}' is used twice"))
        seen_ids[s.id] = i
        if s.prefix in seen_prefix:
            problems.append((("services", i, "prefix"),
                             f"prefix '{s.prefix}' is already used by service '{seen_prefix[s.prefix]}'; "
                             "two services with one prefix would print the same number twice"))
        seen_prefix.setdefault(s.prefix, s.id)
        if s.domain not in domains:
            problems.append((("services", i, "domain"), f"unknown domain '{s.domain}' (known: {', '.join(sorted(domains))})"))
    window_ids: set[str] = set()
    numbers: set[int] = set()
    for i, w in enumerate(cfg.windows):
        if w.id in window_ids:
            problems.append((("windows", i, "id"), f"window id '{w.id}' is used twice"))
        window_ids.add(w.id)
        if w.number in numbers:
            problems.append((("windows", i, "number"), f"window number {w.number} is used twice"))
        numbers.add(w.number)
        for j, sid in enumerate(w.services):
            if sid not in seen_ids:
                problems.append((("windows", i, "services", j), f"unknown service '{sid}'"))
        for sid in w.weights:
            if sid not in w.services:
                problems.append((("windows", i, "weights", sid), f"'{sid}' has a weight but is not in this window's services"))
        if w.mode == "ratio" and not w.weights:
            problems.append((("windows", i, "weights"), "mode 'ratio' needs weights, e.g. weights = { svc-a = 2, svc-b = 1 }"))
    for lvl in ("1", "2"):
        if not cfg.ratings.reasons.get(lvl):
            problems.append((("ratings", "reasons", lvl), "a 差评 must offer at least one reason to pick"))
    for i, wd in enumerate(cfg.devices.windows):
        if wd.window not in window_ids:
            problems.append((("devices", "windows", i, "window"), f"unknown window '{wd.window}'"))
    problems += _matter_checks(cfg, set(seen_ids))
    if cfg.day.open >= cfg.day.close:
        problems.append((("day", "close"), "the hall must close after it opens"))
    return problems


def _matter_checks(cfg: HallConfig, service_ids: set[str]) -> list[tuple[tuple, str]]:
    problems: list[tuple[tuple, str]] = []
    pickup = cfg.matters.pickup_service
    if pickup and pickup not in service_ids:
        problems.append((("matters", "pickup_service"), f"unknown service '{pickup}'"))
    theme_ids: set[str] = set()
    for i, t in enumerate(cfg.themes):
        if t.id in theme_ids:
            problems.append((("themes", i, "id"), f"theme id '{t.id}' is used twice"))
        theme_ids.add(t.id)
        for j, sid in enumerate(t.services):
            if sid not in service_ids:
                problems.append((("themes", i, "services", j), f"unknown service '{sid}'"))
        if t.ticket_service and t.ticket_service not in t.services:
            problems.append((("themes", i, "ticket_service"), f"'{t.ticket_service}' is not one of the theme's services"))
    return problems


def _locate_line(text: str, loc: tuple) -> int | None:
    """Best effort: the line of the key at `loc` in the TOML text (tomllib keeps no positions)."""
    lines = text.splitlines()
    table: list[str] = []
    index: int | None = None
    key: str | None = None
    parts = list(loc)
    # Walk: table names, then optional array index, then the key.
    while parts and isinstance(parts[0], str):
        table.append(parts.pop(0))
        if parts and isinstance(parts[0], int):
            index = parts.pop(0)
            break
    if parts and isinstance(parts[0], str):
        key = parts[0]
    elif index is None and len(table) > 1:
        key = table.pop()
    header_re = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*$")

    def find_header(name: str, nth: int | None) -> int | None:
        count = -1
        for n, line in enumerate(lines):
            m = header_re.match(line)
            if m and m.group(1) == name:
                count += 1
                if nth is None or count == nth:
                    return n
        return None

    start = None
    for depth in range(len(table), 0, -1):
        start = find_header(".".join(table[:depth]), index if depth == len(table) else None)
        if start is not None:
            break
    if start is None:
        # a top-level key
        for n, line in enumerate(lines):
            if header_re.match(line):
                break
            if key and re.match(rf"^\s*{re.escape(str(key))}\s*=", line):
                return n + 1
        return None
    if key is None:
        return start + 1
    for n in range(start + 1, len(lines)):
        if header_re.match(lines[n]):
            break
        if re.match(rf"^\s*\"?{re.escape(str(key))}\"?\s*=", lines[n]):
            return n + 1
    return start + 1


def _loc_str(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (("." if out else "") + str(part))
    return out


def parse_config(text: str, path: str = "<config>") -> HallConfig:
    """Validate TOML text; raise ConfigError naming the key, its line and what is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise ConfigError(path, "(syntax)", f"not valid TOML: {exc}", int(m.group(1)) if m else None) from None
    return config_from_dict(data, path, text)


def config_from_dict(data: dict[str, Any], path: str = "<config>", text: str = "") -> HallConfig:
    try:
        cfg = HallConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        kind = err["type"]
        if kind == "extra_forbidden":
            problem = "unknown key (check the spelling; see assets/hall.example.toml for every key)"
        elif kind == "missing":
            problem = "required key is missing"
        else:
            problem = err["msg"].removeprefix("Value error, ")
            if "input" in err and not isinstance(err["input"], dict | list):
                problem += f" (got {err['input']!r})"
        more = len(exc.errors()) - 1
        if more:
            problem += f" (and {more} more problem{'s' if more > 1 else ''})"
        raise ConfigError(path, _loc_str(loc), problem, _locate_line(text, loc) if text else None) from None
    problems = _cross_checks(cfg)
    if problems:
        loc, problem = problems[0]
        if len(problems) > 1:
            problem += f" (and {len(problems) - 1} more)"
        raise ConfigError(path, _loc_str(loc), problem, _locate_line(text, loc) if text else None)
    return cfg


def load_config(path: str | Path) -> HallConfig:
    """Read and validate hall.toml; a file that cannot be read is a ConfigError too."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(p), "(file)", "file not found; copy assets/hall.example.toml and edit it") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(p), "(file)", f"cannot read the file: {exc}") from None
    return parse_config(text, str(p))


def always_open_text(text: str) -> str:
    """The same config text with the hall open around the clock every day (demo and tests)."""
    replacements = {
        r'(?m)^open\s*=.*$': 'open = "00:00"',
        r'(?m)^close\s*=.*$': 'close = "23:59"',
        r'(?m)^ticket_cutoff\s*=.*$': 'ticket_cutoff = "23:59"',
        r'(?m)^rollover\s*=.*$': 'rollover = "00:00"',
        r'(?m)^weekdays\s*=.*$': 'weekdays = [1, 2, 3, 4, 5, 6, 7]',
    }
    for pattern, repl in replacements.items():
        text = re.sub(pattern, repl, text, count=1)
    return text


def write_example_config(dest: str | Path, *, always_open: bool = True, port: int | None = None,
                         base_url: str | None = None) -> Path:
    """Copy the shipped example to `dest` (for tests and the demo), optionally open 24/7."""
    text = EXAMPLE_PATH.read_text(encoding="utf-8")
    if always_open:
        text = always_open_text(text)
    if port is not None:
        text = re.sub(r"(?m)^port\s*=.*$", f"port = {port}", text, count=1)
    if base_url is not None:
        text = re.sub(r'(?m)^base_url\s*=.*$', f'base_url = "{base_url}"', text, count=1)
    dest = Path(dest)
    dest.write_text(text, encoding="utf-8")
    return dest


def phone_reach_warnings(config: HallConfig) -> list[tuple[str, str]]:
    """Warnings (zh, en) when the ticket QR's base_url cannot work from citizens' phones:
    a loopback address reaches no phone at all; a private or bare LAN address reaches only
    phones on the hall's Wi-Fi, while most are on mobile data (the relay needs a public name)."""
    import ipaddress
    from urllib.parse import urlsplit

    host = (urlsplit(config.hall.base_url).hostname or "").strip("[]")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if host == "localhost" or (ip is not None and ip.is_loopback):
        return [(f"base_url 是本机地址（{config.hall.base_url}）：号票二维码在任何手机上都打不开；"
                 "请设为大厅的公网域名（如 https://hall.example.gov.cn）",
                 f"base_url is a loopback address ({config.hall.base_url}): the ticket QR opens on "
                 "no phone; set it to the hall's public name (e.g. https://hall.example.gov.cn)")]
    private = ip is not None and (ip.is_private or ip.is_link_local) or host.endswith((".local", ".lan"))
    if private and config.relay.enabled:
        return [(f"已启用手机页中转，但 base_url 是内网地址（{config.hall.base_url}）：使用移动数据的手机"
                 "打不开二维码；请设为大厅的公网域名，并在大厅内网做分区域名解析",
                 f"the phone-page relay is on but base_url is a private address "
                 f"({config.hall.base_url}): phones on mobile data cannot open the QR; use the hall's "
                 "public name with split-horizon DNS inside the hall")]
    if private or ip is not None:
        return [(f"base_url 是内网或 IP 地址（{config.hall.base_url}）：只有连接大厅 Wi-Fi 的手机能打开号票页；"
                 "要让移动数据也能打开，请启用 [relay] 并使用公网域名",
                 f"base_url is a LAN or IP address ({config.hall.base_url}): only phones on the hall's "
                 "Wi-Fi open the ticket page; enable [relay] with a public name for mobile data")]
    return []
