"""The kiosk's state and every citizen flow; QML screens bind to it and call its slots."""

from __future__ import annotations

import logging
import time
from typing import Any

from PySide6.QtCore import Property, QObject, QTimer, Signal, Slot

from kiosk import codes
from kiosk.devices import PrinterPort, PrintFailure
from kiosk.settings import KioskSettings
from kiosk.worker import Lane
from onewindow.client import HallError, HallUnreachable, mask_phone, new_idempotency_key
from onewindow.qtcompat import emit

log = logging.getLogger(__name__)

# Screens where the hall link dropping must not tear the citizen away: a ticket the hall
# has already committed is being printed or shown, and must stay in front of them.
# The manager's screens stay too: checking the printer matters most when the hall is down.
_STAY_WHEN_OFFLINE = {"ticket", "printer_failed", "complaint_done", "rate_done", "manager"}
# Screens that end a visit: back home sooner.
_DONE_SCREENS = {"ticket", "complaint_done", "rate_done"}
# Screens the idle timer leaves alone.
_IDLE_EXEMPT = {"home", "unreachable", "printing"}

# Every screen the view-model can show; Main.qml maps each to a file in qml/screens/.
SCREENS = ["home", "domain", "confirm", "green", "phone", "printing", "ticket",
           "printer_failed", "unreachable", "checkin", "message", "help", "complaint",
           "complaint_done", "rate", "rate_done", "pin", "manager"]

NOTICE_NEXT_STEP = "请备齐以上材料，叫号后到窗口办理 / Bring these to the window when called"
COMPLAINT_PAGE = "/complaint"   # a hall page where citizens file on their own phone

RATING_LEVELS = [
    {"level": 5, "zh": "非常满意", "en": "Very satisfied"},
    {"level": 4, "zh": "满意", "en": "Satisfied"},
    {"level": 3, "zh": "基本满意", "en": "Acceptable"},
    {"level": 2, "zh": "不满意", "en": "Dissatisfied"},
    {"level": 1, "zh": "非常不满意", "en": "Very dissatisfied"},
]

PROMPTS = {
    "home": "请选择要办理的业务",
    "confirm": "请确认业务，然后按取号",
    "ticket": "取号成功，请取走您的号票",
    "printer_failed": "打印失败，请拍照保存屏幕上的号码",
    "unreachable": "暂停取号，请稍候",
    "help": "已呼叫工作人员，请稍候",
    "checkin": "请扫描或输入预约码",
}


def _text(zh: str, en: str) -> dict:
    return {"zh": zh, "en": en}



def _toggled(items, item) -> list:
    """A copy of `items` with `item` added, or removed if it was there (a tapped chip)."""
    items = list(items or [])
    if item in items:
        items.remove(item)
    else:
        items.append(item)
    return items

class KioskViewModel(QObject):
    """All kiosk state. Slots are the citizen's intents; network and printing run on lanes.

    `client` is a HallClient (or, in unit tests, an object with the same methods);
    `printer` a PrinterPort. Nothing here blocks the UI thread.
    """

    stateChanged = Signal()
    servicesChanged = Signal()
    quitRequested = Signal()
    scanReceived = Signal(str)
    codeReceived = Signal(str, str)            # (kind, value) parsed by drivers.scanner
    scanRejected = Signal(str, str)            # (message, message_en)
    ticketPrinted = Signal("QVariantMap")      # for tests and the bench: bytes went out
    ticketShownOnScreen = Signal("QVariantMap")

    def __init__(self, client, printer: PrinterPort | None = None,
                 settings: KioskSettings | None = None, speaker=None,
                 parent: QObject | None = None, start_timers: bool = True):
        super().__init__(parent)
        self.client = client
        self.printer = printer or PrinterPort(None)
        self.settings = settings or KioskSettings()
        self.speaker = speaker
        self.hall = Lane("hall", self)
        self.print_lane = Lane("printer", self)
        self.scanReceived.connect(self.scan)
        self.codeReceived.connect(self.scanned)
        self.scanRejected.connect(self._scan_rejected)
        self.scanner = None                    # kiosk.devices.ScannerPort, when configured

        self._screen = "home"
        self._lang = "zh"
        self._elder = False
        self._online = True
        self._sync: dict = {}                 # the central platform's mark, from /health
        self._last_ok: float | None = None
        self._services: list[dict] = []
        self._domain = ""
        self._service: dict = {}
        self._green: dict = {}
        self._phone = ""
        self._phone_consent = False
        self._phone_target = "ticket"
        self._print_materials = False
        self._pending: dict | None = None    # an issue the hall has not answered yet
        self._ticket: dict = {}
        self._print_error: dict = {}
        self._notice: dict = {}
        self._busy_text: dict = _text("正在处理", "Working")
        self._code = ""
        self._help: dict = {}
        self._complaint: dict = {}
        self._rating: dict = {}
        self._pin: dict = {"staff": "", "pin": "", "field": "staff", "error": ""}
        self._printer_status: dict = self.printer.status() if not self.printer.url else {
            "state": "unknown", "text_zh": "检查中", "text_en": "Checking"}
        self._scanner_ok: bool | None = None
        self._unsent_alerts: list[tuple[str, str]] = []
        self._polling = False
        self._named = False
        self._auth_problem = False
        self._corner_taps: list[float] = []

        self.idle_timer = QTimer(self, singleShot=True)
        self.idle_timer.timeout.connect(self._idle)
        self.poll_timer = QTimer(self)
        self.poll_timer.timeout.connect(self.refresh)
        self.retry_timer = QTimer(self, singleShot=True)
        self.retry_timer.timeout.connect(self._retry)
        self.printer_timer = QTimer(self)
        self.printer_timer.timeout.connect(self.check_printer)
        self.help_timer = QTimer(self)
        self.help_timer.timeout.connect(self._poll_help)
        if start_timers:
            self.start()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self.poll_timer.start(int(self.settings.poll_seconds * 1000))
        self.printer_timer.start(int(self.settings.printer_poll_seconds * 1000))
        self.refresh()
        self.check_printer()

    def shutdown(self) -> None:
        for timer in (self.idle_timer, self.poll_timer, self.retry_timer, self.printer_timer,
                      self.help_timer):
            timer.stop()
        self.hall.shutdown()
        self.print_lane.shutdown()

    # -- properties QML binds to ---------------------------------------------------------------

    def _get(name):  # noqa: N805 - a small property factory used only in this class body
        return lambda self: getattr(self, name)

    screen = Property(str, _get("_screen"), notify=stateChanged)
    lang = Property(str, _get("_lang"), notify=stateChanged)
    elder = Property(bool, _get("_elder"), notify=stateChanged)
    online = Property(bool, _get("_online"), notify=stateChanged)
    domain = Property(str, _get("_domain"), notify=stateChanged)
    service = Property("QVariantMap", _get("_service"), notify=stateChanged)
    green = Property("QVariantMap", _get("_green"), notify=stateChanged)
    phoneConsent = Property(bool, _get("_phone_consent"), notify=stateChanged)
    printMaterials = Property(bool, _get("_print_materials"), notify=stateChanged)
    ticket = Property("QVariantMap", _get("_ticket"), notify=stateChanged)
    printError = Property("QVariantMap", _get("_print_error"), notify=stateChanged)
    notice = Property("QVariantMap", _get("_notice"), notify=stateChanged)
    busyText = Property("QVariantMap", _get("_busy_text"), notify=stateChanged)
    code = Property(str, _get("_code"), notify=stateChanged)
    help = Property("QVariantMap", _get("_help"), notify=stateChanged)
    complaint = Property("QVariantMap", _get("_complaint"), notify=stateChanged)
    rating = Property("QVariantMap", _get("_rating"), notify=stateChanged)
    pin = Property("QVariantMap", _get("_pin"), notify=stateChanged)
    printerStatus = Property("QVariantMap", _get("_printer_status"), notify=stateChanged)
    services = Property("QVariantList", _get("_services"), notify=servicesChanged)

    def _phone_display(self) -> str:
        # Shown in full only while typing; masked once complete, as on every other surface.
        p = self._phone
        return mask_phone(p) if len(p) == 11 else p

    phone = Property(str, _phone_display, notify=stateChanged)
    phoneTarget = Property(str, _get("_phone_target"), notify=stateChanged)

    def _domains(self) -> list[dict]:
        seen: dict[str, dict] = {}
        for s in self._services:
            domain_id = s.get("domain") or "general"
            zh, en = self.settings.domain_names.get(domain_id, (domain_id, domain_id))
            d = seen.setdefault(domain_id, {"id": domain_id, "name": zh, "name_en": en,
                                            "count": 0, "waiting": 0, "open": False})
            d["count"] += 1
            d["waiting"] += int(s.get("waiting") or 0)
            d["open"] = d["open"] or bool(s.get("open_now", True) and not s.get("full"))
        return list(seen.values())

    domains = Property("QVariantList", _domains, notify=servicesChanged)

    def _domain_services(self) -> list[dict]:
        return [s for s in self._services if (s.get("domain") or "general") == self._domain]

    def _domain_name(self) -> dict:
        zh, en = self.settings.domain_names.get(self._domain, (self._domain, self._domain))
        return {"zh": zh, "en": en}

    domainName = Property("QVariantMap", _domain_name, notify=stateChanged)

    domainServices = Property("QVariantList", _domain_services, notify=servicesChanged)

    def _pinned(self) -> list[dict]:
        return [s for s in self._services if s.get("pinned")]

    pinned = Property("QVariantList", _pinned, notify=servicesChanged)

    def _pickup_service(self) -> dict:
        for s in self._services:
            if s.get("kind") == "pickup":
                return s
        return {}

    pickupService = Property("QVariantMap", _pickup_service, notify=servicesChanged)

    def _banner(self) -> dict:
        """A line for staff when a device needs a hand; the rest of the kiosk keeps working."""
        st = self._printer_status.get("state")
        parts_zh, parts_en = [], []
        if st in ("out", "offline", "cover_open", "near_end", "unknown") and self.printer.url:
            parts_zh.append(self._printer_status.get("text_zh", ""))
            parts_en.append(self._printer_status.get("text_en", ""))
        if self._scanner_ok is False:
            parts_zh.append("扫码器未连接")
            parts_en.append("Scanner disconnected")
        if self._auth_problem:
            parts_zh.append("本机设备令牌无效，无法取号")
            parts_en.append("this kiosk's device token is refused; no tickets")
        if not parts_zh:
            return {}
        return {"zh": "请工作人员处理：" + "，".join(parts_zh),
                "en": "Staff: " + "; ".join(parts_en)}

    banner = Property("QVariantMap", _banner, notify=stateChanged)

    def _status_rows(self) -> list[dict]:
        last = time.strftime("%H:%M:%S", time.localtime(self._last_ok)) if self._last_ok else "—"
        scanner = {None: ("未配置串口扫码器（USB 扫码枪可直接使用）",
                          "No serial scanner configured (USB scanners work directly)"),
                   True: ("扫码器正常", "Scanner ready"),
                   False: ("扫码器未连接", "Scanner disconnected")}[self._scanner_ok]
        return [
            {"name_zh": "大厅服务器", "name_en": "Hall link", "ok": self._online,
             "zh": ("已连接" if self._online else "未连接") + f"（最近成功 {last}）",
             "en": ("Connected" if self._online else "Not connected") + f" (last ok {last})"},
            {"name_zh": "打印机", "name_en": "Printer",
             "ok": self._printer_status.get("state") == "ok",
             "zh": self._printer_status.get("text_zh", ""),
             "en": self._printer_status.get("text_en", "")},
            {"name_zh": "扫码器", "name_en": "Scanner", "ok": self._scanner_ok is not False,
             "zh": scanner[0], "en": scanner[1]},
            self._sync_row(),
        ]

    def _sync_row(self) -> dict:
        """The small online/offline mark of the city's central platform (from the hall)."""
        sync = self._sync
        if not sync.get("enabled"):
            return {"name_zh": "中心平台", "name_en": "Central platform", "ok": True,
                    "zh": "未启用同步（本厅独立运行）", "en": "Sync off (hall runs on its own)"}
        pending = sync.get("pending")
        tail_zh = f"，待上传 {pending} 条" if pending else ""
        tail_en = f", {pending} events to upload" if pending else ""
        if sync.get("online"):
            return {"name_zh": "中心平台", "name_en": "Central platform", "ok": True,
                    "zh": "在线" + tail_zh, "en": "Online" + tail_en}
        return {"name_zh": "中心平台", "name_en": "Central platform", "ok": False,
                "zh": "离线（大厅照常服务，恢复后自动补传）" + tail_zh,
                "en": "Offline (the hall keeps serving; uploads resume by themselves)" + tail_en}

    deviceStatus = Property("QVariantList", _status_rows, notify=stateChanged)

    def _static(value):  # noqa: N805 - constant lists for QML
        return lambda self: value

    ratingLevels = Property("QVariantList", _static(RATING_LEVELS), constant=True)
    greenReasons = Property("QVariantList", lambda self: self.settings.green_reasons,
                            constant=True)
    complaintCategories = Property("QVariantList",
                                   lambda self: self.settings.complaint_categories,
                                   constant=True)
    complaintPhrases = Property("QVariantList", lambda self: self.settings.complaint_phrases,
                                constant=True)
    def _rating_reasons(self) -> list[dict]:
        level = str(self._rating.get("level") or "")
        return [{"id": text, "zh": text, "en": ""}
                for text in self.settings.rating_reasons.get(level, [])]

    ratingReasons = Property("QVariantList", _rating_reasons, notify=stateChanged)
    hallName = Property(str, lambda self: self.settings.hall_name, notify=stateChanged)
    hallNameEn = Property(str, lambda self: self.settings.hall_name_en, notify=stateChanged)
    complaintUrl = Property(str, lambda self: self.settings.complaint_url or "",
                            notify=stateChanged)

    # -- state helpers ---------------------------------------------------------------------

    def _set_screen(self, screen: str) -> None:
        if screen != self._screen:
            log.debug("screen %s -> %s", self._screen, screen)
            self._screen = screen
            if self.speaker is not None and self.settings.voice and screen in PROMPTS:
                self.speaker.say(PROMPTS[screen])
        emit(self.stateChanged)
        self._arm_idle()

    def _arm_idle(self) -> None:
        if self._screen in _IDLE_EXEMPT:
            self.idle_timer.stop()
        elif self._screen in _DONE_SCREENS:
            # The citizen has what they came for; the next one should find the home screen.
            self.idle_timer.start(int(min(self.settings.idle_seconds,
                                          self.settings.done_seconds) * 1000))
        else:
            self.idle_timer.start(int(self.settings.idle_seconds * 1000))

    def _reset_flow(self) -> None:
        self._domain = ""
        self._service = {}
        self._green = {}
        self._phone = ""
        self._phone_consent = False
        self._phone_target = "ticket"
        self._print_materials = False
        self._code = ""
        self._notice = {}
        self._complaint = {}
        self._rating = {}
        self._pin = {"staff": "", "pin": "", "field": "staff", "error": ""}
        self.help_timer.stop()
        self._help = {}
        self._ticket = {}
        self._print_error = {}

    def _show_message(self, title: dict, body: dict, kind: str = "info",
                      next_step: dict | None = None) -> None:
        self._notice = {"title": title, "body": body, "kind": kind,
                        "next": next_step or _text("", "")}
        self._set_screen("message")

    def _error_message(self, exc: BaseException) -> None:
        if isinstance(exc, HallError):
            self._show_message(_text("未能办理", "Not possible"),
                               _text(exc.message, exc.message_en), "error",
                               _text("如需帮助，请按「帮办」呼叫工作人员",
                                     "For assistance, press Help to call a staff member"))
        else:
            log.error("unexpected kiosk error: %r", exc)
            self._show_message(_text("出现问题", "Something went wrong"),
                               _text("请稍后再试，或呼叫工作人员",
                                     "Please try again later, or ask a staff member"), "error")

    # -- navigation ----------------------------------------------------------------------------

    @Slot()
    def goHome(self) -> None:
        if self._pending is not None:
            return  # an issue is in flight; the screen shows it until the hall answers
        self._reset_flow()
        self._set_screen("home" if self._online else "unreachable")

    @Slot()
    def back(self) -> None:
        back_to = {"domain": "home", "confirm": "domain" if self._domain else "home",
                   "green": "confirm", "phone": "complaint" if self._phone_target ==
                   "complaint" else "confirm", "pin": "home", "manager": "home"}
        target = back_to.get(self._screen, "home")
        if target == "home":
            self.goHome()
        else:
            self._set_screen(target)

    @Slot()
    def userActivity(self) -> None:
        """Any touch: push the idle timeout back."""
        self._arm_idle()

    def _idle(self) -> None:
        if self._screen not in _IDLE_EXEMPT:
            log.info("idle on %s: back home", self._screen)
            self.goHome()

    @Slot()
    def toggleLanguage(self) -> None:
        self._lang = "en" if self._lang == "zh" else "zh"
        emit(self.stateChanged)
        self._arm_idle()

    @Slot()
    def toggleElder(self) -> None:
        self._elder = not self._elder
        emit(self.stateChanged)
        self._arm_idle()

    # -- take a number --------------------------------------------------------------------------

    @Slot(str)
    def openDomain(self, name: str) -> None:
        self._domain = name
        emit(self.servicesChanged)
        self._set_screen("domain")

    def _find_service(self, service_id: str) -> dict | None:
        return next((s for s in self._services if s.get("id") == service_id), None)

    @Slot(str)
    def chooseService(self, service_id: str) -> None:
        svc = self._find_service(service_id)
        if svc is None:
            return
        if not svc.get("open_now", True) or svc.get("full"):
            why = (_text("今日号已取完", "All of today's tickets have been taken")
                   if svc.get("full") else
                   _text("该业务当前不在办理时间", "This service is closed at the moment"))
            self._show_message(why, _text(svc.get("name_zh", ""), svc.get("name_en", "")),
                               "info", _text("可选择其他业务，或咨询工作人员",
                                             "Choose another service, or ask a staff member"))
            return
        self._service = svc
        self._green = {}
        self._print_materials = False
        self._set_screen("confirm")

    @Slot()
    def togglePrintMaterials(self) -> None:
        self._print_materials = not self._print_materials
        emit(self.stateChanged)
        self._arm_idle()

    @Slot()
    def openGreen(self) -> None:
        self._set_screen("green")

    @Slot(str)
    def chooseGreen(self, reason_id: str) -> None:
        reason = next((r for r in self.settings.green_reasons if r["id"] == reason_id), None)
        self._green = dict(reason) if reason else {}
        self._set_screen("confirm")

    @Slot()
    def clearGreen(self) -> None:
        self._green = {}
        self._set_screen("confirm")

    @Slot()
    def openPhone(self) -> None:
        self._phone_target = "ticket"
        self._set_screen("phone")

    @Slot(str)
    def phoneKey(self, key: str) -> None:
        if key == "back":
            self._phone = self._phone[:-1]
        elif key == "clear":
            self._phone = ""
        elif key.isdigit() and len(self._phone) < 11:
            self._phone += key
        emit(self.stateChanged)
        self._arm_idle()

    @Slot()
    def togglePhoneConsent(self) -> None:
        self._phone_consent = not self._phone_consent
        emit(self.stateChanged)
        self._arm_idle()

    def _phone_ok(self) -> bool:
        return len(self._phone) == 11 and self._phone.startswith("1")

    phoneValid = Property(bool, _phone_ok, notify=stateChanged)

    @Slot()
    def phoneDone(self) -> None:
        """Keep the phone only if it is complete and consented to; say why otherwise."""
        if self._phone and not self._phone_ok():
            self._notice = {"title": _text("手机号不完整", "Incomplete phone number"),
                            "body": _text("请输入 11 位手机号", "Enter an 11-digit mobile number")}
            emit(self.stateChanged)
            return
        if self._phone and not self._phone_consent:
            self._notice = {"title": _text("请先勾选同意", "Please agree first"),
                            "body": _text("勾选后才会发送通知", "Tick the consent to get notices")}
            emit(self.stateChanged)
            return
        self._notice = {}
        self._set_screen("complaint" if self._phone_target == "complaint" else "confirm")

    @Slot()
    def phoneSkip(self) -> None:
        self._phone = ""
        self._phone_consent = False
        self._notice = {}
        self._set_screen("complaint" if self._phone_target == "complaint" else "confirm")

    @Slot()
    def issue(self) -> None:
        """Take the number. One idempotency key per intent, reused by every retry."""
        if self._pending is not None or not self._service:
            return
        self._pending = self._new_pending(
            "issue", key=new_idempotency_key(), service=dict(self._service),
            priority_reason=self._green.get("id") if self._green else None,
            phone=self._phone if (self._phone_ok() and self._phone_consent) else None,
            print_materials=self._print_materials)
        # Network first: loading the busy screen is not on the way to the printer.
        self._submit_pending()
        self._busy_text = _text("正在取号，请稍候", "Issuing your ticket")
        self._set_screen("printing")

    def _new_pending(self, kind: str, **fields) -> dict:
        """Everything the worker needs, copied now: it must not read UI state later."""
        return {"kind": kind, "lang": self._lang, "green_zh": (self._green or {}).get("zh", ""),
                "hall_name": self.settings.hall_name, "elder": self._elder,
                "names": {s.get("id"): (s.get("name_zh", ""), s.get("name_en", ""))
                          for s in self._services},
                "started": time.monotonic(), **fields}

    def _submit_pending(self) -> None:
        p = self._pending
        if p is None:
            return
        client, printer = self.client, self.printer

        def job():
            if p["kind"] == "issue":
                result = client.issue_ticket(
                    p["service"]["id"], idempotency_key=p["key"],
                    priority_reason=p["priority_reason"], phone=p["phone"], lang=p["lang"])
            else:
                result = client.check_in(p["code"])
            # The hall has committed the ticket: print it from this worker thread at once,
            # without a round trip through the UI thread (commit first, print second).
            ticket = _complete_ticket(result, p)
            try:
                printer.print_ticket(ticket, hall_name=p["hall_name"], elder=p["elder"])
                service = p.get("service") or {}
                if p.get("print_materials") and service.get("materials"):
                    printer.print_notice(service.get("name_zh", ""),
                                         list(service.get("materials") or []), NOTICE_NEXT_STEP)
                print_error = None
            except Exception as exc:  # shown on screen and reported; the ticket stands
                print_error = exc
            return ticket, print_error

        self.hall.submit(job, self._pending_done)

    def _pending_done(self, result: Any, error: BaseException | None) -> None:
        p = self._pending
        if p is None:
            return
        if isinstance(error, HallUnreachable):
            # The hall may or may not have committed; the retry with the same key settles it.
            self._went_offline()
            self.retry_timer.start(int(self.settings.retry_seconds * 1000))
            return
        self._pending = None
        if isinstance(error, HallError) and error.status in (401, 403):
            # The hall does not accept this kiosk: staff must fix it, citizens cannot.
            self._auth_problem = True
        elif error is None:
            self._auth_problem = False
        if error is not None:
            if p["kind"] == "checkin":
                self._checkin_error(error)
            else:
                self._error_message(error)
            return
        self._came_online()
        ticket, print_error = result
        self._ticket = ticket
        log.info("ticket %s issued for %s", ticket.get("number"), ticket.get("service_id"))
        self._ticket_printed(None, print_error)

    def _ticket_printed(self, _result: Any, error: BaseException | None) -> None:
        if error is None:
            self._set_screen("ticket")
            emit(self.ticketPrinted, self._ticket)
            return
        failure = error if isinstance(error, PrintFailure) else PrintFailure(
            "print_error", "打印机故障", "Printer error")
        log.warning("ticket %s not printed: %s", self._ticket.get("number"), failure)
        self._print_error = {"zh": failure.message, "en": failure.message_en,
                             "code": failure.code}
        self._printer_status = {
            "state": "out" if failure.code in ("out", "paper_out") else "offline",
            "text_zh": failure.message, "text_en": failure.message_en}
        self._set_screen("printer_failed")
        emit(self.ticketShownOnScreen, self._ticket)
        if self._ticket.get("id"):
            self._send_alert(str(self._ticket["id"]), f"{failure.code}: {failure.message_en}")
        self.check_printer()

    def _send_alert(self, ticket_id: str, reason: str) -> None:
        """Tell staff through the hall; kept and resent if the hall is unreachable now."""
        def done(_r, err):
            if isinstance(err, HallUnreachable):
                self._unsent_alerts.append((ticket_id, reason))
            elif err is not None:
                log.warning("print-failure alert refused: %s", err)

        self.hall.submit(lambda: self.client.report_print_failure(ticket_id, reason), done)

    # -- appointment check-in ----------------------------------------------------------------

    @Slot()
    def openCheckin(self) -> None:
        self._code = ""
        self._notice = {}
        self._set_screen("checkin")

    @Slot(str)
    def codeKey(self, key: str) -> None:
        if key == "back":
            self._code = self._code[:-1]
        elif key == "clear":
            self._code = ""
        elif key.isdigit() and len(self._code) < 8:
            self._code += key
        self._notice = {}
        emit(self.stateChanged)
        self._arm_idle()

    @Slot()
    def submitCode(self) -> None:
        if len(self._code) != 8:
            self._notice = {"title": _text("预约码为 8 位数字", "The code has 8 digits"),
                            "body": _text("请核对后重新输入", "Please check and type it again")}
            emit(self.stateChanged)
            return
        self._check_in(self._code)

    def _check_in(self, code: str) -> None:
        if self._pending is not None:
            return
        self._pending = self._new_pending("checkin", code=code)
        self._submit_pending()
        self._busy_text = _text("正在签到，请稍候", "Checking you in")
        self._set_screen("printing")

    def _checkin_error(self, error: BaseException) -> None:
        if not isinstance(error, HallError):
            self._error_message(error)
            return
        code = error.code.lower()
        if "early" in code:
            title = _text("签到时间未到", "Too early to check in")
            nxt = _text("请在预约时段开始前再来签到，或现在取普通号",
                        "Come back shortly before your slot, or take a normal ticket now")
        elif "late" in code or "expired" in code:
            title = _text("已过签到时间", "Check-in time has passed")
            nxt = _text("请返回首页取普通号，工作人员会尽快为您办理",
                        "Go back and take a normal ticket; staff will serve you soon")
        elif "wrong_date" in code:
            title = _text("不是今天的预约", "Not today's appointment")
            nxt = _text("请在预约当天前来签到，或现在取普通号",
                        "Come on the day of your appointment, or take a normal ticket now")
        elif "cancel" in code:
            title = _text("该预约已取消", "This appointment was cancelled")
            nxt = _text("请返回首页取普通号", "Go back and take a normal ticket")
        elif "unknown" in code or "not_found" in code or error.status == 404:
            title = _text("没有找到该预约", "Appointment not found")
            nxt = _text("请核对预约码后重试，或按「帮办」呼叫工作人员",
                        "Check the code and try again, or press Help for staff")
        elif "already" in code or error.status == 409:
            title = _text("该预约已签到", "Already checked in")
            nxt = _text("请留意叫号屏，如票据遗失请联系工作人员",
                        "Watch the calling screen; ask staff if you lost the ticket")
        else:
            title = _text("未能签到", "Check-in not possible")
            nxt = _text("请按「帮办」呼叫工作人员", "Press Help to call a staff member")
        self._show_message(title, _text(error.message, error.message_en), "error", nxt)

    # -- scans (any screen) ----------------------------------------------------------------

    @Slot(str)
    def scan(self, text: str) -> None:
        """A code from the scanner, on whatever screen is showing."""
        if self._busy():
            return
        try:
            code = codes.parse(text)
        except codes.BadCode as exc:
            self._scan_rejected(exc.message, exc.message_en)
            return
        self.scanned(code.kind, code.value)

    def _busy(self) -> bool:
        # Finish what is under way first; the citizen scans again after.
        return self._screen in ("printing", "pin", "manager") or self._pending is not None

    @Slot(str, str)
    def _scan_rejected(self, message: str, message_en: str) -> None:
        if self._busy():
            return
        self._show_message(_text("无法识别", "Not recognised"), _text(message, message_en),
                           "error")

    @Slot(str, str)
    def scanned(self, kind: str, value: str) -> None:
        """A code already parsed (kind appointment|ticket|pickup)."""
        if self._busy():
            return
        log.info("scanned %s code", kind)
        if kind == "appointment":
            self._reset_flow()
            self._check_in(value)
        elif kind == "ticket":
            self._reset_flow()
            self._open_rating(value)
        elif kind == "pickup":
            self._reset_flow()
            self.openPickup()

    @Slot()
    def openRateHint(self) -> None:
        self._reset_flow()
        self._show_message(_text("扫码评价", "Rate by scanning"),
                           _text("请将号票上的二维码对准扫码口", "Hold the QR on your ticket to the scanner"),
                           "info", _text("办结后即可评价；也可用手机扫码评价",
                                         "You can rate once served; or scan it with your phone"))

    # -- pickup ------------------------------------------------------------------------------

    @Slot()
    def openPickup(self) -> None:
        svc = self._pickup_service()
        if not svc:
            self._show_message(_text("暂无出件服务", "No pickup service"),
                               _text("请咨询工作人员", "Please ask a staff member"))
            return
        self._domain = ""
        self.chooseService(svc["id"])

    # -- help ----------------------------------------------------------------------------------

    @Slot()
    def requestHelp(self) -> None:
        if self._help.get("state") in ("sending", "waiting", "acknowledged"):
            self._set_screen("help")
            return
        self._reset_flow()
        self._help = {"state": "sending", "raised_at": time.strftime("%H:%M")}
        self._set_screen("help")

        def done(result, err):
            if err is not None:
                self._help = {}
                if isinstance(err, HallUnreachable):
                    self._went_offline()
                else:
                    self._error_message(err)
                return
            self._help = {"state": "waiting", "id": str((result or {}).get("id", "")),
                          "raised_at": time.strftime("%H:%M")}
            emit(self.stateChanged)
            self.help_timer.start(int(self.settings.help_poll_seconds * 1000))

        self.hall.submit(lambda: self.client.raise_help("kiosk"), done)

    def _poll_help(self) -> None:
        help_id = self._help.get("id")
        if not help_id or self._screen != "help":
            self.help_timer.stop()
            return

        def done(result, err):
            if err is not None or not result or self._help.get("id") != help_id:
                return
            state = str(result.get("state") or "")
            acked = result.get("ack_at") or result.get("acknowledged_at")
            if acked or state in ("acknowledged", "closed"):
                self.help_timer.stop()
                self._help = dict(self._help, state="acknowledged",
                                  acknowledged_at=_clock(acked) or time.strftime("%H:%M"),
                                  by=str(result.get("ack_by_name") or ""))
                emit(self.stateChanged)

        self.hall.submit(lambda: self.client.help_request(help_id), done)

    # -- complaints ----------------------------------------------------------------------------

    @Slot()
    def openComplaint(self) -> None:
        self._reset_flow()
        self._complaint = {"category": "", "phrases": [], "kind": "complaint", "error": ""}
        self._set_screen("complaint")

    @Slot(str)
    def chooseCategory(self, category_id: str) -> None:
        self._complaint = dict(self._complaint, category=category_id, error="")
        emit(self.stateChanged)
        self._arm_idle()

    @Slot(str)
    def togglePhrase(self, phrase_id: str) -> None:
        self._complaint = dict(self._complaint, phrases=_toggled(self._complaint.get("phrases"), phrase_id))
        emit(self.stateChanged)
        self._arm_idle()

    @Slot()
    def toggleComplaintKind(self) -> None:
        kind = "suggestion" if self._complaint.get("kind") == "complaint" else "complaint"
        self._complaint = dict(self._complaint, kind=kind)
        emit(self.stateChanged)
        self._arm_idle()

    @Slot()
    def complaintPhone(self) -> None:
        self._phone_target = "complaint"
        self._set_screen("phone")

    @Slot()
    def submitComplaint(self) -> None:
        c = self._complaint
        if not c.get("category"):
            self._complaint = dict(c, error="请先选择一个类别 / Choose a category first")
            emit(self.stateChanged)
            return
        if self._pending is not None or c.get("sending"):
            return
        cat = next((x for x in self.settings.complaint_categories
                    if x["id"] == c["category"]),
                   {"id": c["category"], "zh": c["category"], "en": c["category"]})
        phrase_text = [p["zh"] for p in self.settings.complaint_phrases
                       if p["id"] in (c.get("phrases") or [])]
        phone = self._phone if (self._phone_ok() and self._phone_consent) else None
        self._complaint = dict(c, sending=True)
        self._busy_text = _text("正在提交，请稍候", "Submitting")
        self._set_screen("printing")

        def call():
            # The hall knows categories by id (hall.toml [kiosk] complaint_categories).
            return self.client.file_complaint(cat["id"], phrases=phrase_text, phone=phone,
                                              kind=c.get("kind", "complaint"))

        def done(result, err):
            if err is not None:
                self._complaint = dict(self._complaint, sending=False)
                if isinstance(err, HallUnreachable):
                    self._went_offline()
                    self._set_screen("unreachable")
                else:
                    self._error_message(err)
                return
            code = str((result or {}).get("code", ""))
            status_url = (result or {}).get("status_url")
            self._complaint = dict(self._complaint, sending=False, code=code,
                                   category_zh=cat["zh"], category_en=cat["en"], printed=None)
            self._set_screen("complaint_done")
            self.print_lane.submit(
                lambda: self.printer.print_complaint_receipt(code, cat["zh"], status_url),
                self._receipt_printed)

        self.hall.submit(call, done)

    def _receipt_printed(self, _r, err) -> None:
        self._complaint = dict(self._complaint, printed=err is None,
                               print_error=getattr(err, "message", "") if err else "")
        emit(self.stateChanged)

    # -- rating --------------------------------------------------------------------------------

    def _open_rating(self, token: str) -> None:
        self._busy_text = _text("正在查询", "Looking up your ticket")
        self._set_screen("printing")

        def done(result, err):
            if err is not None:
                if isinstance(err, HallError) and err.status == 404:
                    self._show_message(_text("未找到该号票", "Ticket not found"),
                                       _text(err.message, err.message_en), "error")
                elif isinstance(err, HallUnreachable):
                    self._went_offline()
                    self._set_screen("unreachable")
                else:
                    self._error_message(err)
                return
            view = dict(result or {})
            if not view.get("can_rate"):
                self._show_message(
                    _text("暂不能评价", "Cannot rate yet"),
                    _text(f"{view.get('number', '')} 号的业务尚未办结或已评价",
                          f"Ticket {view.get('number', '')} is not finished or already rated"),
                    "info", _text("办结后可在此扫码评价", "Scan here again after your service"))
                return
            self._rating = {"token": token, "number": view.get("number", ""),
                            "service_zh": view.get("service_name_zh", ""),
                            "service_en": view.get("service_name_en", ""),
                            "level": 0, "reasons": []}
            self._set_screen("rate")

        self.hall.submit(lambda: self.client.ticket(token), done)

    @Slot(int)
    def chooseLevel(self, level: int) -> None:
        self._rating = dict(self._rating, level=int(level), reasons=[])
        emit(self.stateChanged)
        self._arm_idle()

    @Slot(str)
    def toggleRatingReason(self, reason_id: str) -> None:
        self._rating = dict(self._rating, reasons=_toggled(self._rating.get("reasons"), reason_id))
        emit(self.stateChanged)
        self._arm_idle()

    @Slot()
    def submitRating(self) -> None:
        r = self._rating
        if not r.get("level") or r.get("sending"):
            return
        self._rating = dict(r, sending=True)
        reasons = list(r.get("reasons") or [])

        def done(_result, err):
            self._rating = dict(self._rating, sending=False)
            if err is not None:
                if isinstance(err, HallUnreachable):
                    self._went_offline()
                    self._set_screen("unreachable")
                else:
                    self._error_message(err)
                return
            self._set_screen("rate_done")

        self.hall.submit(lambda: self.client.rate(r["token"], r["level"], reasons), done)

    # -- manager ---------------------------------------------------------------------------

    @Slot()
    def cornerTap(self) -> None:
        """Hidden gesture: five taps on the top-left corner within three seconds."""
        now = time.monotonic()
        self._corner_taps = [t for t in self._corner_taps if now - t < 3.0] + [now]
        if len(self._corner_taps) >= 5:
            self._corner_taps = []
            self._pin = {"staff": "", "pin": "", "field": "staff", "error": ""}
            self._set_screen("pin")

    @Slot(str)
    def pinKey(self, key: str) -> None:
        field = self._pin.get("field", "staff")
        value = self._pin.get(field, "")
        if key == "back":
            value = value[:-1]
        elif key == "clear":
            value = ""
        elif key == "next":
            self._pin = dict(self._pin, field="pin" if field == "staff" else "staff")
            emit(self.stateChanged)
            return
        elif len(value) < 16 and len(key) == 1 and key.isalnum():
            value += key
        self._pin = dict(self._pin, **{field: value}, error="")
        emit(self.stateChanged)
        self._arm_idle()

    @Slot(str)
    def pinField(self, field: str) -> None:
        self._pin = dict(self._pin, field=field)
        emit(self.stateChanged)

    @Slot()
    def submitPin(self) -> None:
        staff, pin = self._pin.get("staff", ""), self._pin.get("pin", "")
        if not staff or not pin:
            self._pin = dict(self._pin, error="请输入工号和密码 / Enter staff ID and PIN")
            emit(self.stateChanged)
            return

        def done(result, err):
            if err is not None:
                msg = ("无法连接大厅服务器 / Hall unreachable" if isinstance(err, HallUnreachable)
                       else "工号或密码不正确 / Wrong staff ID or PIN")
                self._pin = {"staff": staff, "pin": "", "field": "pin", "error": msg}
                emit(self.stateChanged)
                return
            role = str((result or {}).get("role")
                       or ((result or {}).get("staff") or {}).get("role") or "")
            if role != "manager":
                self._pin = {"staff": "", "pin": "", "field": "staff",
                             "error": "需要大厅管理员 / A hall manager is required"}
                emit(self.stateChanged)
                return
            self._pin = {"staff": "", "pin": "", "field": "staff", "error": ""}
            self._set_screen("manager")
            self.check_printer()

        self.hall.submit(lambda: self.client.sign_in(staff, pin), done)

    @Slot()
    def testPrint(self) -> None:
        if self._screen != "manager":
            return

        def job():
            self.printer.print_notice("打印测试 Test print",
                                      ["中文：一窗受理·一次办好", "English: OK", "123456789"],
                                      "测试完成 / Test done")

        def done(_r, err):
            self._notice = {"title": _text("测试打印完成", "Test print sent") if err is None
                            else _text("测试打印失败", "Test print failed"),
                            "body": _text(getattr(err, "message", ""),
                                          getattr(err, "message_en", "")) if err else {}}
            self.check_printer()
            emit(self.stateChanged)

        self.print_lane.submit(job, done)

    @Slot()
    def exitKiosk(self) -> None:
        if self._screen == "manager":
            log.info("manager closed the kiosk")
            emit(self.quitRequested)

    # -- hall link -----------------------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        """Reload services (waiting counts, open/full) and learn whether the hall answers."""
        if self._polling:
            return
        self._polling = True
        need_name = not self._named

        def fetch():
            health = self.client.health() or {}
            # The hall's own name goes on screen and on tickets; the sync mark on the
            # manager screen.
            hall = health.get("hall") if need_name else None
            self._sync = health.get("sync") or {}
            if need_name:
                if not self.settings.complaint_url and self.client.page_exists(COMPLAINT_PAGE):
                    # The "write it on your phone" QR only when the hall has that page.
                    self.settings.complaint_url = self.settings.hall_url.rstrip("/") \
                        + COMPLAINT_PAGE
            return hall, self.client.services()

        def done(result, err):
            self._polling = False
            if isinstance(err, HallUnreachable):
                self._went_offline()
                if self._pending is None:
                    self.retry_timer.start(int(self.settings.retry_seconds * 1000))
                return
            if err is not None:
                log.warning("services refused: %s", err)
                return
            hall, services = result
            if isinstance(hall, dict) and hall.get("name_zh"):
                self.settings.hall_name = hall["name_zh"]
                self.settings.hall_name_en = hall.get("name_en") or self.settings.hall_name_en
                self._named = True
            elif need_name:
                self._named = True   # an older hall without a name: keep the configured one
            self._services = [dict(s) for s in (services or [])]
            emit(self.servicesChanged)
            self._came_online()

        self.hall.submit(fetch, done)

    def _retry(self) -> None:
        if self._pending is not None:
            self._submit_pending()
        else:
            self.refresh()

    def _went_offline(self) -> None:
        was = self._online
        self._online = False
        if was:
            log.warning("hall unreachable: tickets paused")
        if self._screen not in _STAY_WHEN_OFFLINE:
            self._set_screen("unreachable")
        else:
            emit(self.stateChanged)

    def _came_online(self) -> None:
        self._last_ok = time.time()
        if not self._online:
            log.info("hall reachable again")
            self._online = True
            if self._screen == "unreachable" and self._pending is None:
                self._reset_flow()
                self._set_screen("home")
            emit(self.stateChanged)
        while self._unsent_alerts:
            self._send_alert(*self._unsent_alerts.pop(0))

    # -- devices ---------------------------------------------------------------------------------

    @Slot()
    def check_printer(self) -> None:
        if self.scanner is not None and self.scanner.url:
            ok = self.scanner.connected()
            if ok != self._scanner_ok:
                self.set_scanner_ok(ok)
        if not self.printer.url:
            return

        def done(status, err):
            if err is None and status:
                self._printer_status = status
                emit(self.stateChanged)

        self.print_lane.submit(self.printer.status, done)

    def set_scanner_ok(self, ok: bool | None) -> None:
        self._scanner_ok = ok
        emit(self.stateChanged)

    scannerOk = Property(bool, lambda self: self._scanner_ok is not False, notify=stateChanged)


def _complete_ticket(result: dict | None, pending: dict) -> dict:
    """The hall's answer plus what the printer and the screen need (service names, the
    green-channel reason, the masked phone). Pure: safe on a worker thread."""
    ticket = dict(result or {})
    names = pending.get("names", {}).get(ticket.get("service_id"), ("", ""))
    service = pending.get("service") or {}
    ticket.setdefault("service_name_zh", service.get("name_zh") or names[0])
    ticket.setdefault("service_name_en", service.get("name_en") or names[1])
    ticket.setdefault("priority_reason", pending.get("priority_reason"))
    ticket.setdefault("issued_at", time.time())
    ticket["green_zh"] = pending.get("green_zh", "") if pending.get("priority_reason") else ""
    ticket["phone_masked"] = mask_phone(pending.get("phone")) if pending.get("phone") else ""
    return ticket


def _clock(value: Any) -> str:
    """HH:MM from unix seconds or an ISO string; '' when unknown."""
    if value in (None, ""):
        return ""
    try:
        return time.strftime("%H:%M", time.localtime(float(value)))
    except (TypeError, ValueError):
        text = str(value)
        return text[11:16] if len(text) >= 16 else text
