"""`onewindow kiosk --screenshot DIR`: render every kiosk screen offscreen to PNG files."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from kiosk.settings import KioskSettings
from onewindow import example_config_path

log = logging.getLogger(__name__)

# A canned hall state for screenshots only; the live kiosk gets all of this over HTTP.
CANNED_SERVICES = [
    {"id": "hukou", "name_zh": "户籍业务", "name_en": "Household registration",
     "domain": "household", "kind": "accept", "prefix": "A",
     "waiting": 6, "eta_minutes": 18, "open_now": True, "full": False, "pinned": True,
     "materials": ["居民身份证原件", "户口簿原件", "近期一寸免冠照片 2 张"]},
    {"id": "idcard", "name_zh": "身份证办理", "name_en": "ID card", "domain": "household", "kind": "accept", "prefix": "B", "waiting": 0,
     "eta_minutes": 0, "open_now": True, "full": True, "pinned": False, "materials": []},
    {"id": "social", "name_zh": "社保医保", "name_en": "Social & medical insurance",
     "domain": "social", "kind": "accept", "prefix": "C",
     "waiting": 4, "eta_minutes": 12, "open_now": True, "full": False, "pinned": True,
     "materials": ["居民身份证", "社保卡"]},
    {"id": "tax", "name_zh": "税务登记", "name_en": "Tax registration", "domain": "tax", "kind": "accept", "prefix": "D", "waiting": 2,
     "eta_minutes": 9, "open_now": False, "full": False, "pinned": False,
     "materials": ["营业执照副本"]},
    {"id": "business", "name_zh": "企业开办", "name_en": "Starting a business",
     "domain": "enterprise", "kind": "accept", "prefix": "E",
     "waiting": 3, "eta_minutes": 15, "open_now": True, "full": False, "pinned": False,
     "materials": ["法定代表人身份证", "公司章程", "住所证明"]},
    {"id": "pickup", "name_zh": "统一出件", "name_en": "Document pickup", "domain": "general", "kind": "pickup", "prefix": "P", "waiting": 1,
     "eta_minutes": 3, "open_now": True, "full": False, "pinned": False, "materials": []},
]

EXAMPLE_CONFIG = example_config_path()


def canned_services(settings: KioskSettings | None = None) -> list[dict]:
    """The example hall's real service list (31 services in 13 domains) with made-up live
    figures, so screenshots show the density a real hall has; the small list above if the
    example config cannot be read."""
    try:
        from hall.config import load_config

        cfg = load_config(EXAMPLE_CONFIG)
    except Exception as exc:  # screenshots still work without the hall package
        log.warning("example config not readable (%s); using the short canned list", exc)
        return [dict(s) for s in CANNED_SERVICES]
    if settings is not None and not settings.hall_config_path:
        settings.apply_hall_config(EXAMPLE_CONFIG)
    out = []
    for i, s in enumerate(cfg.services):
        waiting = (i * 7) % 11
        out.append({"id": s.id, "name_zh": s.name_zh, "name_en": s.name_en, "domain": s.domain,
                    "kind": s.kind, "prefix": s.prefix, "waiting": waiting,
                    "eta_minutes": waiting * 3, "open_now": i != 12, "full": i == 9,
                    "pinned": bool(s.pinned), "materials": list(s.material_names),
                    "materials_en": [next((r.name_en for r in s.material_records if r.name == n), "")
                                     for n in s.material_names],
                    "materials_electronic": [{"name": m.name, "name_en": m.name_en, "license_type": m.license_type}
                                             for m in s.electronic_materials]})
    return out


CANNED_TICKET = {
    "id": "demo", "number": "A023", "service_id": "hukou", "state": "waiting", "ahead": 5,
    "eta_minutes": 15, "token": "demo-token-abcdefgh",
    "status_url": "http://127.0.0.1:8470/t/demo-token-abcdefgh",
    "service_name_zh": "户籍业务", "service_name_en": "Household registration",
    "green_zh": "", "phone_masked": "",
}


def _scenes(vm):
    """(file name, function that puts the view-model on that screen) in display order."""
    from kiosk.viewmodel import _text

    main = next((s for s in vm._services if s.get("pinned") and s.get("materials")),
                vm._services[0])
    full = next((s for s in vm._services if s.get("full")), main)
    ticket_base = dict(CANNED_TICKET, service_id=main["id"], service_name_zh=main["name_zh"],
                       service_name_en=main["name_en"],
                       number=(main.get("prefix") or "A") + "023")

    def home():
        vm._printer_status = {"state": "ok", "text_zh": "打印机正常", "text_en": "Printer ready"}
        vm._reset_flow()
        vm._set_screen("home")

    def domain():
        vm.openDomain(main.get("domain") or "general")

    def materials():
        vm._reset_flow()
        vm.chooseService(main["id"])
        vm.togglePrintMaterials()

    def green():
        vm.chooseService(main["id"])
        vm.openGreen()

    def green_chosen():
        vm.chooseGreen("elderly")
        vm._phone, vm._phone_consent = "13800138000", True
        vm._set_screen("confirm")

    def phone():
        vm._phone, vm._phone_consent = "1380013", False
        vm._set_screen("phone")

    def complaint_phone():
        vm._phone, vm._phone_consent, vm._phone_target = "13800138000", True, "complaint"
        vm._set_screen("phone")

    def printing():
        vm._phone_target = "ticket"
        vm._busy_text = _text("正在打印，请稍候", "Printing")
        vm._set_screen("printing")

    def ticket():
        vm._ticket = dict(ticket_base, green_zh="老年人", phone_masked="138****8000")
        vm._set_screen("ticket")

    def printer_failed():
        vm._ticket = dict(ticket_base)
        vm._print_error = {"zh": "打印机缺纸", "en": "Printer is out of paper", "code": "out"}
        vm._printer_status = {"state": "out", "text_zh": "打印机缺纸",
                              "text_en": "Printer is out of paper"}
        vm._set_screen("printer_failed")

    def unreachable():
        vm._printer_status = {"state": "ok", "text_zh": "打印机正常", "text_en": "Printer ready"}
        vm._reset_flow()
        vm._set_screen("unreachable")

    def checkin():
        vm._reader = {"state": "ok", "text_zh": "", "text_en": "", "hint_zh": "", "hint_en": ""}
        vm.openCheckin()
        for d in "2026112":
            vm.codeKey(d)

    def checkin_no_reader():
        vm._reader = {"state": "absent", "text_zh": "身份证阅读器未连接", "text_en": "ID-card reader not connected",
                      "hint_zh": "", "hint_en": ""}
        vm.openCheckin()

    def ticket_idcard():
        vm._reader = {"state": "none", "text_zh": "", "text_en": "", "hint_zh": "", "hint_en": ""}
        vm._ticket = dict(ticket_base, priority="appointment", name_masked="张*三")
        vm._set_screen("ticket")

    def checkin_early():
        vm._show_message(_text("签到时间未到", "Too early to check in"),
                         _text("您的预约时段是 14:00–14:30，可提前 30 分钟签到",
                               "Your slot is 14:00–14:30; check in up to 30 min before"),
                         "error", _text("请在预约时段开始前再来签到，或现在取普通号",
                                        "Come back shortly before your slot, or take a "
                                        "normal ticket now"))

    def closed_service():
        vm._reset_flow()
        vm.chooseService(full["id"])

    def help_waiting():
        vm._reset_flow()
        vm._help = {"state": "waiting", "id": "1", "raised_at": "10:02"}
        vm._set_screen("help")

    def help_acked():
        vm._help = {"state": "acknowledged", "id": "1", "raised_at": "10:02",
                    "acknowledged_at": "10:03", "by": "王芳"}
        vm._set_screen("help")

    def complaint():
        vm.openComplaint()
        vm.chooseCategory("efficiency")
        vm.togglePhrase("等候时间太长")

    def complaint_done():
        vm._complaint = dict(vm._complaint, code="TS20261128-0007", printed=True)
        vm._set_screen("complaint_done")

    def rate():
        vm._reset_flow()
        vm._rating = {"token": "x", "number": ticket_base["number"],
                      "service_zh": main["name_zh"], "service_en": main["name_en"], "level": 2,
                      "reasons": ["等候时间过长"]}
        vm._set_screen("rate")

    def pin():
        vm._reset_flow()
        vm._pin = {"staff": "9", "pin": "12", "field": "pin", "error": ""}
        vm._set_screen("pin")

    def manager():
        vm._pin = {"staff": "", "pin": "", "field": "staff", "error": ""}
        vm._last_ok = time.time()
        vm._printer_status = {"state": "near_end", "text_zh": "打印纸将尽",
                              "text_en": "Paper is running low"}
        vm._set_screen("manager")

    return [("home", home), ("domain", domain), ("materials", materials),
            ("green_channel", green), ("green_chosen", green_chosen), ("phone", phone),
            ("printing", printing), ("ticket", ticket), ("printer_failure", printer_failed),
            ("hall_unreachable", unreachable), ("checkin", checkin),
            ("checkin_no_reader", checkin_no_reader), ("ticket_idcard", ticket_idcard),
            ("checkin_early", checkin_early), ("service_full", closed_service),
            ("help", help_waiting), ("help_acknowledged", help_acked),
            ("complaint", complaint), ("complaint_phone", complaint_phone),
            ("complaint_done", complaint_done), ("rate", rate),
            ("manager_pin", pin), ("manager", manager)]


MIN_TARGET_PX = 110   # at a 1080 px short side: 27 mm on a 21.5" panel, above the 20 mm floor


def _items(item):
    for child in item.childItems():
        if not child.isVisible() or child.opacity() == 0:
            continue
        yield child
        yield from _items(child)


def layout_problems(view, unit: float = 1.0) -> list[str]:
    """What a person would notice: touch targets too small or overlapping, text that runs out
    of its box or off the screen, text cut short with an ellipsis."""
    from PySide6.QtCore import QObject, QRectF

    root = view.rootObject()
    screen = QRectF(0, 0, view.width(), view.height())
    # a screen's text must stay between the header and the footer
    loader = root.findChild(QObject, "screenLoader")
    content = loader.mapRectToScene(QRectF(0, 0, loader.width(), loader.height())) \
        if loader is not None else screen
    problems: list[str] = []
    targets: list[tuple[QRectF, str]] = []
    areas: list = []                       # (rect, MouseArea) to find text under a button
    texts: list = []                       # (shown rect, Text)
    images: list[tuple[QRectF, str]] = []
    for item in _items(root):
        rect = item.mapRectToScene(QRectF(0, 0, item.width(), item.height()))
        if item.inherits("QQuickImage") and not rect.isEmpty():
            images.append((rect, "image " + str(item.property("source"))[:40]))
        if item.inherits("QQuickMouseArea"):
            full = rect
            flick = _flickable(item)
            if flick is not None:
                # only the part scrolled into view can be touched
                rect = rect.intersected(flick.mapRectToScene(QRectF(0, 0, flick.width(), flick.height())))
            if not item.isEnabled() or rect.isEmpty():
                continue
            if min(full.width(), full.height()) < MIN_TARGET_PX * unit:
                problems.append(f"small touch target {rect.width():.0f}x{rect.height():.0f} "
                                f"at {rect.x():.0f},{rect.y():.0f}")
            targets.append((rect, _label(item)))
            areas.append((rect, item))
        elif item.inherits("QQuickText") and item.property("text"):
            text = str(item.property("text"))
            if _in_flickable(item):
                # a scrolling list: what is scrolled away is meant to be; only a line wider
                # than the list is a fault
                if item.width() > 0 and float(item.property("contentWidth") or 0) > item.width() + 2:
                    problems.append(f"text wider than its box: {text!r}")
                continue
            if item.property("truncated"):
                problems.append(f"text cut short: {text!r}")
            content_w = float(item.property("contentWidth") or 0)
            content_h = float(item.property("contentHeight") or 0)
            if item.width() > 0 and content_w > item.width() + 2:
                problems.append(f"text wider than its box: {text!r}")
            # a line box a few px over its box (text shrunk to fit reports that) draws inside
            slack = 8
            if item.height() > 0 and content_h > item.height() + slack:
                problems.append(f"text taller than its box: {text!r}")
            parent = item.parentItem()
            if parent is not None and parent.width() > 0 and parent.height() > 0:
                prect = parent.mapRectToScene(QRectF(0, 0, parent.width(), parent.height()))
                if not prect.adjusted(-1, -1, 1, 1).contains(
                        QRectF(rect.x(), rect.y(), max(rect.width(), content_w),
                               max(rect.height(), content_h))):
                    problems.append(f"text leaves its parent: {text!r}")
            shown = QRectF(rect.x(), rect.y(), max(rect.width(), content_w), content_h)
            texts.append((shown, item))
            if not screen.adjusted(-1, -1, 1, 1).contains(shown):
                problems.append(f"text off screen: {text!r}")
            elif loader is not None and _inside(item, loader) \
                    and not content.adjusted(-2, -2, 2, 2).contains(shown):
                problems.append(f"text under the header or footer: {text!r}")
            box = _card(item)
            if box is not None:
                box_rect = box.mapRectToScene(QRectF(0, 0, box.width(), box.height()))
                inset = 3.0  # stay clear of the card border (2-6 px)
                if not box_rect.adjusted(inset, inset, -inset, -inset).contains(shown):
                    problems.append(f"text spills out of its card: {text!r}")
    for shown, text_item in texts:
        if _floating_hint(text_item):
            continue                        # "more below" floats over a scrolling list
        for area_rect, area in areas:
            if _inside(text_item, area.parentItem()):
                continue                    # the button's own label
            overlap = shown.intersected(area_rect)
            if overlap.width() > 4 and overlap.height() > 4:
                problems.append(f"text under a button: {text_item.property('text')!r} "
                                f"and {_label(area)!r}")
    for i, (a, la) in enumerate(targets):
        for b, lb in targets[i + 1:] + images:
            overlap = a.intersected(b)
            if overlap.width() > 1 and overlap.height() > 1:
                problems.append(f"overlap: {la!r} and {lb!r}")
    return problems


def _flickable(item):
    parent = item.parentItem()
    while parent is not None:
        if parent.inherits("QQuickFlickable"):
            return parent
        parent = parent.parentItem()
    return None


def _floating_hint(item) -> bool:
    parent = item.parentItem()
    return parent is not None and parent.objectName() in ("moreBelow", "moreMaterials")


def _inside(item, ancestor) -> bool:
    parent = item.parentItem()
    while parent is not None:
        if parent is ancestor or parent == ancestor:
            return True
        parent = parent.parentItem()
    return False


def _in_flickable(item) -> bool:
    return _flickable(item) is not None


def _card(item):
    """The nearest enclosing card (a Rectangle with a border or a fill), if any."""
    parent = item.parentItem()
    while parent is not None and parent.parentItem() is not None:
        if parent.inherits("QQuickRectangle") and parent.parentItem().parentItem() is not None:
            return parent
        parent = parent.parentItem()
    return None


def _label(area) -> str:
    parent = area.parentItem()
    for item in _items(parent) if parent is not None else []:
        if item.inherits("QQuickText") and item.property("text"):
            return str(item.property("text"))
    return parent.objectName() if parent is not None else "?"


MODES = {
    # mode: (language, elder)
    "zh": ("zh", False),
    "en": ("en", False),
    "elder": ("zh", True),
    "elder_en": ("en", True),
}
# Staff screens, never shown in elder mode (the manager gesture leaves it).
_STAFF_SCENES = {"manager_pin", "manager"}


def text_sizes(view) -> dict[str, float]:
    """Each visible text on screen -> the height of one of its rendered lines in px (the
    smallest if the same text shows twice). A line's height follows the glyph size actually
    drawn, also for text shrunk to fit its box (Text.Fit), which font.pixelSize does not."""
    out: dict[str, float] = {}
    for item in _items(view.rootObject()):
        if not item.inherits("QQuickText"):
            continue
        text = str(item.property("text") or "").strip()
        if not text:
            continue
        lines = max(1, int(item.property("lineCount") or 1))
        height = float(item.property("contentHeight") or 0) / lines
        if height > 0:
            out[text] = min(height, out.get(text, height))
    return out


def render_all(out_dir: Path, orientations=("portrait", "landscape"),
               settings: KioskSettings | None = None, modes=tuple(MODES)) -> dict:
    """Write one PNG per screen, orientation and mode; returns {"files": [...],
    "warnings": [...], "problems": {file: [...]}, "sizes": {file: {text: line px}}}.

    Portrait gets every screen; landscape gets every screen too (it is a different layout,
    and the one most likely to clip). Modes (see MODES) are zh, en, elder (适老模式) and
    elder_en; the "zh" files keep the plain name ``portrait_home.png``, the others carry the
    mode: ``portrait_elder_home.png``."""
    from PySide6.QtCore import QCoreApplication

    from kiosk.app import QmlWarnings, build_view, close_view, make_app
    from kiosk.devices import PrinterPort
    from kiosk.viewmodel import KioskViewModel
    from onewindow.qtcompat import emit

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    app = make_app()
    warnings = QmlWarnings()
    warnings.install()
    files: list[str] = []
    problems: dict[str, list[str]] = {}
    sizes: dict[str, dict[str, float]] = {}
    try:
        for orientation in orientations:
            cfg = settings or KioskSettings(hall_name="滨江区政务服务中心",
                                            hall_name_en="Binjiang Government Service Center")
            cfg.orientation = orientation
            if not cfg.complaint_url:
                # Shows the "write it on your phone" QR as a hall with that page would.
                cfg.complaint_url = cfg.hall_url.rstrip("/") + "/complaint"
            if not cfg.booking_url:
                cfg.booking_url = "https://zwfw.example.gov.cn/book?hall=demo"
            vm = KioskViewModel(None, PrinterPort(None), cfg, start_timers=False)
            view = build_view(vm, cfg.size())
            view.show()
            QCoreApplication.processEvents()
            # Services arrive after the screen is up, as they do from a live hall.
            vm._services = canned_services(cfg)
            emit(vm.servicesChanged)
            emit(vm.stateChanged)
            for mode in modes:
                lang, elder = MODES[mode]
                for name, scene in _scenes(vm):
                    if elder and name in _STAFF_SCENES:
                        continue      # staff screens are never in elder mode
                    vm._lang, vm._elder = lang, elder
                    scene()
                    emit(vm.stateChanged)
                    for _ in range(3):
                        QCoreApplication.processEvents()
                    stem = name if mode == "zh" else f"{mode}_{name}"
                    path = out_dir / f"{orientation}_{stem}.png"
                    view.grabWindow().save(str(path))
                    files.append(str(path))
                    sizes[path.name] = text_sizes(view)
                    found = layout_problems(view, min(cfg.size()) / 1080)
                    if found:
                        problems[path.name] = found
            close_view(view)
            vm.shutdown()
    finally:
        warnings.uninstall()
    del app
    return {"files": files, "warnings": warnings.messages, "problems": problems,
            "sizes": sizes}
