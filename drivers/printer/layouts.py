"""Ticket, one-time notice, complaint receipt and rating slip layouts as ESC/POS bytes (pure)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

from .codec import EscPos, display_width, wrap

NOTICES = ("请留意叫号屏或手机提示", "过号请到咨询台")
NOTICES_EN = ("Watch the call screen or your phone", "Missed your call? Ask at the information desk")


@dataclass(frozen=True)
class Profile:
    """Paper and firmware facts of one printer model (loaded from profiles.json: data, not code)."""

    name: str
    width_dots: int
    columns: int
    qr: str                 # native | raster
    qr_module: int
    qr_module_elder: int
    number_size: int
    number_size_elder: int
    title_size: int
    body_size_elder: int


@cache
def profiles() -> dict[str, Profile]:
    raw = json.loads(resources.files(__package__).joinpath("profiles.json").read_text("utf-8"))
    return {name: Profile(name=name, **{k: v for k, v in d.items() if k != "description"})
            for name, d in raw.items()}


def get_profile(name: str) -> Profile:
    try:
        return profiles()[name]
    except KeyError:
        known = "、".join(profiles())
        raise ValueError(f"未知的打印机配置 {name}（可用：{known}） / unknown printer profile {name}") from None


def format_time(issued_at, tz: str = "Asia/Shanghai") -> str:
    """Unix seconds or ISO text -> 'YYYY-MM-DD HH:MM' in the hall's time zone."""
    zone = ZoneInfo(tz)
    if isinstance(issued_at, (int, float)):
        when = dt.datetime.fromtimestamp(issued_at, zone)
    else:
        when = dt.datetime.fromisoformat(str(issued_at))
        when = when.replace(tzinfo=zone) if when.tzinfo is None else when.astimezone(zone)
    return when.strftime("%Y-%m-%d %H:%M")


def _qr(p: EscPos, profile: Profile, data: str, module: int) -> None:
    if profile.qr == "native":
        p.qr_native(data, module=module)
    else:
        p.qr_raster(data, module=module)


def _rule(p: EscPos, profile: Profile) -> None:
    p.size(1, 1).align("left").line("-" * profile.columns)


def _block(p: EscPos, profile: Profile, text: str, scale: int = 1) -> None:
    """Text at magnification `scale`. A line that is too wide at full scale but fits at
    normal width is printed tall and narrow (width 1, height `scale`) rather than broken
    with one lonely character on the next line; longer text wraps at full scale."""
    if scale > 1 and display_width(text) * scale > profile.columns >= display_width(text):
        p.size(1, scale).line(text).size(scale, scale)
        return
    for ln in wrap(text, profile.columns // scale):
        p.line(ln)


def ticket(t: dict, *, hall_name: str, profile: Profile, elder: bool = False,
           tz: str = "Asia/Shanghai") -> bytes:
    """The queue ticket: hall, the number very large, service, people ahead, wait, time, QR."""
    body = profile.body_size_elder if elder else 1
    p = EscPos().init()
    p.align("center").bold(True).size(profile.title_size, profile.title_size)
    _block(p, profile, hall_name, profile.title_size)
    p.bold(False).size(body, body)
    _block(p, profile, t.get("service_name_zh") or "", body)
    if t.get("service_name_en") and not elder:
        _block(p, profile, t["service_name_en"], body)
    n = profile.number_size_elder if elder else profile.number_size
    p.feed(1).bold(True).size(n, n).line(str(t["number"])).bold(False).size(body, body)
    # The caller may give the reason's Chinese label (green_zh / priority_reason_zh); the bare
    # priority_reason is an id like "veteran", printed only when no label came with it.
    reason = t.get("green_zh") or t.get("priority_reason_zh") or t.get("priority_reason")
    if reason:
        _block(p, profile, f"绿色通道：{reason}", body)
    ahead = int(t.get("ahead") or 0)
    eta = t.get("eta_minutes")
    _block(p, profile, f"前面还有 {ahead} 人", body)
    if eta is not None:
        _block(p, profile, f"预计等候约 {int(eta)} 分钟", body)
    if not elder:
        _block(p, profile, f"{ahead} ahead" + (f", about {int(eta)} min" if eta is not None else ""), 1)
    p.feed(1)
    if t.get("status_url"):
        _qr(p, profile, t["status_url"], profile.qr_module_elder if elder else profile.qr_module)
        p.size(1, 1)
        _block(p, profile, "扫码查看排队进度 Scan for live status")
    p.size(body, body)
    if t.get("issued_at") is not None:
        _block(p, profile, "取号时间 " + format_time(t["issued_at"], tz), body)
    _rule(p, profile)
    p.align("center").size(body, body)
    for zh, en in zip(NOTICES, NOTICES_EN, strict=True):
        _block(p, profile, zh, body)
        if not elder:
            _block(p, profile, en, 1)
    return p.size(1, 1).cut().getvalue()


FREE_MARK = "免提交（平台已有电子证照）"


def notice(service_name: str, materials: list[str], next_step: str | None, *, hall_name: str,
           profile: Profile, when=None, tz: str = "Asia/Shanghai", free: list[str] | None = None) -> bytes:
    """一次性告知单: everything still missing, listed once, and where to go next.

    `free`: materials the platform already holds as electronic licences (免提交). They are
    never listed as required; they are printed after the list, each marked, so the citizen
    knows not to bring them."""
    free = list(dict.fromkeys(free or []))
    materials = [m for m in materials if m not in free]
    p = EscPos().init()
    p.align("center").bold(True).size(2, 2).line("一次性告知单").bold(False).size(1, 1)
    _block(p, profile, "One-time notice of required materials")
    if hall_name:
        _block(p, profile, hall_name)
    _rule(p, profile)
    _block(p, profile, f"办理事项：{service_name}")
    _block(p, profile, "尚需提交的材料 Materials still required：")
    if materials:
        for i, m in enumerate(materials, 1):
            _block(p, profile, f" {i}. {m}")
    else:
        p.line(" （无 none）")
    if free:
        _block(p, profile, "无需携带 Not needed:")
        for m in free:
            _block(p, profile, f" · {m} —— {FREE_MARK}")
    if next_step:
        _rule(p, profile)
        _block(p, profile, f"下一步：{next_step}")
    _rule(p, profile)
    _block(p, profile, "以上为本事项所需补齐的全部材料，一次告知。All missing materials are listed here, once.")
    if when is not None:
        _block(p, profile, "告知时间 " + format_time(when, tz))
    return p.cut().getvalue()


def materials_slip(service_name: str, materials: list[str], *, number: str, hall_name: str,
                   profile: Profile, service_name_en: str = "", materials_en: list[str] | None = None,
                   free: list[str] | None = None, when=None, tz: str = "Asia/Shanghai") -> bytes:
    """办理所需材料: the kiosk's slip for a first visit, printed with the ticket when the
    citizen asks for it. Not a refusal (that is `notice`, 一次性告知单): it lists what the
    service needs, with the hall, the service and the ticket number it belongs to.

    `materials_en`: English names in the same order ("" where the config gives none);
    `free`: 免提交 materials, printed after the list as not to be brought."""
    free = list(dict.fromkeys(free or []))
    english = dict(zip(materials, list(materials_en or []) + [""] * len(materials), strict=False))
    needed = [m for m in materials if m not in free]
    p = EscPos().init()
    p.align("center").bold(True).size(2, 2).line("办理所需材料").bold(False).size(1, 1)
    _block(p, profile, "Materials needed")
    if hall_name:
        _block(p, profile, hall_name)
    _rule(p, profile)
    p.align("center").line("号票 Ticket").bold(True).size(2, 2).line(number).bold(False).size(1, 1)
    p.align("left")
    _block(p, profile, f"办理事项：{service_name}")
    if service_name_en:
        _block(p, profile, f"Service: {service_name_en}")
    _rule(p, profile)
    _block(p, profile, "请备齐以下材料 Please bring：")
    if needed:
        for i, m in enumerate(needed, 1):
            _block(p, profile, f" {i}. {m}")
            if english.get(m):
                _block(p, profile, f"    {english[m]}")
    else:
        p.line(" （无需材料 none）")
    if free:
        _block(p, profile, "无需携带 Not needed:")
        for m in free:
            _block(p, profile, f" · {m} —— {FREE_MARK}")
            if english.get(m):
                _block(p, profile, f"    {english[m]}")
    _rule(p, profile)
    _block(p, profile, "叫号后请带齐材料到窗口办理。Bring these to the window when your number is called.")
    if when is not None:
        _block(p, profile, "打印时间 " + format_time(when, tz))
    return p.cut().getvalue()


def complaint_receipt(code: str, category: str, status_url: str | None, *, hall_name: str,
                      profile: Profile, when=None, tz: str = "Asia/Shanghai") -> bytes:
    """Receipt for a complaint or suggestion, with its tracking code."""
    p = EscPos().init()
    p.align("center").bold(True).size(2, 2).line("吐槽找茬回执").bold(False).size(1, 1)
    _block(p, profile, "Complaint receipt")
    if hall_name:
        _block(p, profile, hall_name)
    _rule(p, profile)
    p.align("center").line("查询编号 Tracking code").bold(True).size(2, 2).line(code)
    p.bold(False).size(1, 1)
    _block(p, profile, f"类别：{category}")
    if status_url:
        _qr(p, profile, status_url, profile.qr_module)
        _block(p, profile, "扫码查看办理进度 Scan to follow up")
    if when is not None:
        _block(p, profile, "提交时间 " + format_time(when, tz))
    _block(p, profile, "我们将在规定时限内回复。We will reply within the set time.")
    return p.cut().getvalue()


def acceptance_slip(slip: dict, *, profile: Profile, tz: str = "Asia/Shanghai") -> bytes:
    """受理回执: the tracking code, each service with its promised date, materials received and
    owed (容缺, with the deadline), a QR to the citizen's matter page and the pickup code QR."""
    p = EscPos().init()
    p.align("center").bold(True).size(2, 2).line("受理回执").bold(False).size(1, 1)
    _block(p, profile, "Acceptance receipt")
    if slip.get("hall_name_zh"):
        _block(p, profile, slip["hall_name_zh"])
    _rule(p, profile)
    p.align("center").line("办件编号 Application no.").bold(True).size(2, 2)
    _block(p, profile, slip["code"], 2)
    p.bold(False).size(1, 1).align("left")
    for s in slip.get("services") or []:
        _block(p, profile, f"事项：{s['name_zh']}")
        if s.get("kind") == "instant":
            _block(p, profile, "即办件：当场办结")
        else:
            _block(p, profile, f"承诺时限：{s['promise_days']} 个工作日，{s['due_date']} 前办结")
    if slip.get("received"):
        _block(p, profile, "已收材料：" + "、".join(slip["received"]))
    if slip.get("owed"):
        _rule(p, profile)
        p.bold(True)
        _block(p, profile, "容缺受理，尚需补交 Still to bring：")
        p.bold(False)
        for i, m in enumerate(slip["owed"], 1):
            _block(p, profile, f" {i}. {m}")
        if slip.get("owed_due"):
            _block(p, profile, f"请于 {slip['owed_due']} 前送到任一窗口，到自助机扫取件码即可，无需取号。")
    _rule(p, profile)
    p.align("center")
    if slip.get("page_url"):
        _qr(p, profile, slip["page_url"], profile.qr_module)
        _block(p, profile, "手机扫码查看办理进度 Scan to follow it")
    if slip.get("pickup_code"):
        _qr(p, profile, slip["pickup_code"], profile.qr_module)
        _block(p, profile, "取件码：办结后到自助机扫码取出件号 Pickup code for the kiosk")
    p.align("left")
    if slip.get("accepted_at") is not None:
        _block(p, profile, "受理时间 " + format_time(slip["accepted_at"], tz)
               + (f"  {slip['window_number']} 号窗口" if slip.get("window_number") else ""))
    _block(p, profile, "办结后将短信通知您，请凭本回执和身份证件到统一出件窗口领取。")
    return p.cut().getvalue()


def rating_slip(number: str, rating_url: str, *, hall_name: str, profile: Profile) -> bytes:
    """A slip inviting the citizen to rate the service by phone."""
    p = EscPos().init()
    p.align("center").bold(True).size(2, 2).line("好差评").bold(False).size(1, 1)
    _block(p, profile, "Rate our service")
    if hall_name:
        _block(p, profile, hall_name)
    _block(p, profile, f"号码 Number {number}")
    _qr(p, profile, rating_url, profile.qr_module)
    _block(p, profile, "请扫码为本次服务评价，感谢您的监督。")
    _block(p, profile, "Scan to rate this service. Thank you.")
    return p.cut().getvalue()


def test_page(profile: Profile) -> bytes:
    """`onewindow print-test`: a sample ticket exercising Chinese, punctuation and the QR."""
    sample = {"number": "A001", "service_name_zh": "测试打印：综合受理，￥0", "service_name_en": "Test print",
              "ahead": 0, "eta_minutes": 0, "status_url": "https://hall.example/t/test",
              "issued_at": 0, "priority_reason": None}
    return ticket(sample, hall_name="OneWindow 打印测试", profile=profile)
