"""The kiosk's view-model shell: the state QML binds to; the citizen flows are mixed in.

One QObject carries every property and slot the QML screens use. The flows live in
kiosk/flows/ (one module per flow, each with the rules it owns in its docstring):
take_ticket (domain -> service -> confirm -> issue -> print, pickup), appointment
(check-in), scan (routing scanned codes), rating, complaint, help, manager (PIN, status,
test print, exit) and hall_link (service refresh, offline/online, printer and scanner).
This shell owns the signals, the properties, screen changes, the idle timer, messages
and navigation. Rules it owns:
- Idle: any screen but home/unreachable/printing goes home after idle_seconds; a screen
  that ends a visit (ticket, receipt, rating done) after min(idle, done) seconds.
- Each new citizen finds the hall's default language and elder mode: the home button, the
  idle timeout and leaving a done screen (after a ticket) reset them; "back" to home does not.
- Home is refused while an issue is pending; with the hall offline "home" is the
  offline screen.
- Errors reach the screen as a bilingual message with a next step, never a traceback.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Property, QObject, QTimer, Signal, Slot

from kiosk.devices import PrinterPort
from kiosk.flows.appointment import AppointmentFlow
from kiosk.flows.common import DONE_SCREENS as _DONE_SCREENS
from kiosk.flows.common import IDLE_EXEMPT as _IDLE_EXEMPT
from kiosk.flows.common import STAY_WHEN_OFFLINE as _STAY_WHEN_OFFLINE  # noqa: F401
from kiosk.flows.common import text as _text
from kiosk.flows.common import toggled as _toggled  # noqa: F401
from kiosk.flows.complaint import COMPLAINT_PAGE, ComplaintFlow  # noqa: F401
from kiosk.flows.hall_link import HallLinkFlow
from kiosk.flows.help import HelpFlow, _clock  # noqa: F401
from kiosk.flows.idcard import IdCardFlow
from kiosk.flows.manager import ManagerFlow
from kiosk.flows.matter_pickup import MatterPickupFlow
from kiosk.flows.rating import RATING_LEVELS, RatingFlow
from kiosk.flows.scan import ScanFlow
from kiosk.flows.take_ticket import NOTICE_NEXT_STEP, TakeTicketFlow, _complete_ticket  # noqa: F401
from kiosk.settings import KioskSettings
from kiosk.worker import Lane
from onewindow.client import HallError
from onewindow.qtcompat import emit

log = logging.getLogger(__name__)

# Every screen the view-model can show; Main.qml maps each to a file in qml/screens/.
SCREENS = ["home", "domain", "confirm", "green", "phone", "printing", "ticket",
           "printer_failed", "unreachable", "checkin", "message", "help", "complaint",
           "complaint_done", "rate", "rate_done", "pin", "manager"]

PROMPTS = {
    "home": "请选择要办理的业务",
    "confirm": "请确认业务，然后按取号",
    "ticket": "取号成功，请取走您的号票",
    "printer_failed": "打印失败，请拍照保存屏幕上的号码",
    "unreachable": "暂停取号，请稍候",
    "help": "已呼叫工作人员，请稍候",
    "checkin": "请扫描或输入预约码",
}



class KioskViewModel(TakeTicketFlow, AppointmentFlow, ScanFlow, RatingFlow, ComplaintFlow,
                     HelpFlow, ManagerFlow, HallLinkFlow, MatterPickupFlow, IdCardFlow, QObject):
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
    cardRead = Signal(str, str)                # (id hash, masked name) from the ID-card reader
    cardStatus = Signal(str, str, str)         # (state, message, message_en) of the reader

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
        self.idcard = None                     # kiosk.idcard.IdCardPort, when configured
        self.cardRead.connect(self._card_read)
        self.cardStatus.connect(self._reader_status)
        self._card: dict = {}                  # the masked name of the card tapped this visit
        self._reader: dict = {"state": "none", "text_zh": "", "text_en": "", "hint_zh": "", "hint_en": ""}

        self._screen = "home"
        self._lang = self.settings.default_lang
        self._elder = self.settings.default_elder
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
    phone = Property(str, TakeTicketFlow._phone_display, notify=stateChanged)
    phoneTarget = Property(str, _get("_phone_target"), notify=stateChanged)
    phoneValid = Property(bool, TakeTicketFlow._phone_ok, notify=stateChanged)
    domains = Property("QVariantList", TakeTicketFlow._domains, notify=servicesChanged)
    domainName = Property("QVariantMap", TakeTicketFlow._domain_name, notify=stateChanged)
    domainServices = Property("QVariantList", TakeTicketFlow._domain_services,
                              notify=servicesChanged)
    pinned = Property("QVariantList", TakeTicketFlow._pinned, notify=servicesChanged)
    pickupService = Property("QVariantMap", TakeTicketFlow._pickup_service,
                             notify=servicesChanged)
    banner = Property("QVariantMap", HallLinkFlow._banner, notify=stateChanged)
    deviceStatus = Property("QVariantList", HallLinkFlow._status_rows, notify=stateChanged)
    scannerOk = Property(bool, lambda self: self._scanner_ok is not False, notify=stateChanged)
    card = Property("QVariantMap", _get("_card"), notify=stateChanged)
    reader = Property("QVariantMap", _get("_reader"), notify=stateChanged)

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
    ratingReasons = Property("QVariantList", RatingFlow._rating_reasons, notify=stateChanged)
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
        if self._screen in _IDLE_EXEMPT or self._help_open():
            # an open help call: the screen follows it until staff close it
            self.idle_timer.stop()
        elif self._screen == "help" and self._help.get("state") == "closed":
            self.idle_timer.start(int(min(self.settings.idle_seconds,
                                          self.settings.done_seconds) * 1000))
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
        self._card = {}

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
        self._go_home(new_citizen=True)

    def _go_home(self, new_citizen: bool) -> None:
        if self._pending is not None:
            return  # an issue is in flight; the screen shows it until the hall answers
        self._reset_flow()
        if new_citizen:
            self._reset_citizen()
        self._set_screen("home" if self._online else "unreachable")

    def _reset_citizen(self) -> None:
        """The next citizen finds the hall's default language and text size."""
        self._lang = self.settings.default_lang
        self._elder = self.settings.default_elder

    @Slot()
    def back(self) -> None:
        back_to = {"domain": "home", "confirm": "domain" if self._domain else "home",
                   "green": "confirm", "phone": "complaint" if self._phone_target ==
                   "complaint" else "confirm", "pin": "home", "manager": "home"}
        target = back_to.get(self._screen, "home")
        if target == "home":
            # the same citizen stepping back keeps their language and text size,
            # unless they are leaving a screen that ends a visit
            self._go_home(new_citizen=self._screen in _DONE_SCREENS)
        else:
            self._set_screen(target)

    @Slot()
    def userActivity(self) -> None:
        """Any touch: push the idle timeout back."""
        self._arm_idle()

    def _idle(self) -> None:
        if self._screen not in _IDLE_EXEMPT and not self._help_open():
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
