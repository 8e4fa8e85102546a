"""The kiosk's own printer and scanner: thin supervisors over drivers/, safe to fail."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class PrintFailure(Exception):
    """A print job did not come out. The message is shown to staff and sent to the hall."""

    def __init__(self, code: str, message: str, message_en: str):
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message = message
        self.message_en = message_en


# drivers.printer raises these before it writes any job byte: safe to try once more.
RETRY_CODES = {"no_response", "unknown"}
RETRY_PAUSE = 0.15

NO_PRINTER = PrintFailure("no_printer", "未连接打印机", "No printer is connected")


def _status_dict(status: Any) -> dict:
    """Flatten a drivers PrinterStatus into what the screens show."""
    online = getattr(status, "online", None)
    paper = getattr(status, "paper", "unknown")
    cover = getattr(status, "cover_open", None)
    # A printer out of paper or with its cover open also reports itself offline (that is how
    # the status bits work), so the specific causes are checked first.
    if cover:
        state = "cover_open"
    elif paper == "out":
        state = "out"
    elif online is False or (online is None and paper == "unknown"):
        state = "offline"
    elif paper == "near_end":
        state = "near_end"
    elif paper == "unknown" or online is None:
        state = "unknown"
    else:
        state = "ok"
    return {"state": state,
            "text_zh": getattr(status, "text_zh", "") or STATE_TEXT[state][0],
            "text_en": getattr(status, "text_en", "") or STATE_TEXT[state][1]}


STATE_TEXT = {
    "ok": ("打印机正常", "Printer ready"),
    "near_end": ("打印纸将尽", "Paper is running low"),
    "out": ("打印机缺纸", "Printer is out of paper"),
    "cover_open": ("打印机盖子打开", "Printer cover is open"),
    "offline": ("打印机离线", "Printer is offline"),
    "unknown": ("打印机状态未知", "Printer status unknown"),
    "none": ("未连接打印机", "No printer connected"),
}


class PrinterPort:
    """Owns the kiosk printer: opens it on first use, reopens after a failure.

    Called only from the kiosk's printer lane (one thread), so no locking beyond that.
    `opener(url)` returns a drivers Printer; injectable so tests can use the simulator
    or any object with the same methods.
    """

    def __init__(self, url: str | None, opener: Callable[[str], Any] | None = None):
        self.url = url
        self._opener = opener
        self._printer = None
        # Tickets print from the hall worker (straight after the commit) and status checks
        # run on the printer lane: one port, so one at a time.
        self._lock = threading.RLock()

    def _open(self):
        if not self.url:
            raise NO_PRINTER
        if self._printer is None:
            opener = self._opener
            if opener is None:
                from drivers.printer import open_printer
                opener = open_printer
            try:
                self._printer = opener(self.url)
            except Exception as exc:
                raise _as_failure(exc) from exc
        return self._printer

    def _call(self, method: str, *args, **kwargs):
        with self._lock:
            return self._call_locked(method, *args, **kwargs)

    def _call_locked(self, method: str, *args, **kwargs):
        printer = self._open()
        try:
            return getattr(printer, method)(*args, **kwargs)
        except Exception as exc:
            failure = _as_failure(exc)
            if failure.code not in RETRY_CODES:
                self._drop()
                raise failure from exc
        # The status query before the job went unanswered; nothing was sent yet, so one more
        # try cannot print twice. A printer still busy with the previous job (or the
        # simulator, which then drops a query that arrives glued to the job) answers now.
        time.sleep(RETRY_PAUSE)
        try:
            return getattr(self._open(), method)(*args, **kwargs)
        except Exception as exc:
            self._drop()
            raise _as_failure(exc) from exc

    def _drop(self) -> None:
        printer, self._printer = self._printer, None
        if printer is not None:
            try:
                printer.close()
            except Exception:  # a dead port may fail to close; it is dropped either way
                log.debug("printer close failed", exc_info=True)

    def status(self) -> dict:
        if not self.url:
            return {"state": "none", "text_zh": STATE_TEXT["none"][0],
                    "text_en": STATE_TEXT["none"][1]}
        try:
            return _status_dict(self._call("status"))
        except PrintFailure as exc:
            return {"state": "offline", "text_zh": exc.message, "text_en": exc.message_en}

    def print_ticket(self, ticket: dict, *, hall_name: str, elder: bool = False) -> None:
        self._call("print_ticket", ticket, hall_name=hall_name, elder=elder)

    def print_notice(self, service_name: str, materials: list[str],
                     next_step: str | None = None, free: list[str] | None = None) -> None:
        if free:    # 免提交 materials, marked on the slip (issue 16)
            self._call("print_notice", service_name, materials, next_step, free=free)
        else:
            self._call("print_notice", service_name, materials, next_step)

    def print_materials_slip(self, service_name: str, materials: list[str], *, number: str,
                             hall_name: str = "", service_name_en: str = "",
                             materials_en: list[str] | None = None,
                             free: list[str] | None = None) -> None:
        """办理所需材料 (a first visit's list, with hall, service and ticket number)."""
        self._call("print_materials_slip", service_name, materials, number=number,
                   hall_name=hall_name, service_name_en=service_name_en,
                   materials_en=materials_en, free=free)

    def print_complaint_receipt(self, code: str, category: str,
                                status_url: str | None = None) -> None:
        self._call("print_complaint_receipt", code, category, status_url)

    def print_rating_slip(self, number: str, rating_url: str) -> None:
        self._call("print_rating_slip", number, rating_url)

    def close(self) -> None:
        with self._lock:
            self._drop()


def _as_failure(exc: BaseException) -> PrintFailure:
    if isinstance(exc, PrintFailure):
        return exc
    message = getattr(exc, "message", None)
    message_en = getattr(exc, "message_en", None)
    if message and message_en:
        return PrintFailure(str(getattr(exc, "code", "print_error")), message, message_en)
    if isinstance(exc, ImportError):
        return PrintFailure("no_driver", "打印机驱动未安装", "Printer driver is not installed")
    return PrintFailure("print_error", "打印机故障", f"Printer error: {type(exc).__name__}")


class ScannerPort:
    """A serial (line-mode) scanner from drivers.scanner; it reconnects by itself after an
    unplug. Parsed codes go to on_code(kind, value), rejected ones to on_error(zh, en).

    A USB HID scanner needs no port: it types into the kiosk window, which the app's key
    filter turns into the same scan.
    """

    def __init__(self, url: str | None, on_code: Callable[[str, str], None],
                 on_error: Callable[[str, str], None] | None = None):
        self.url = url
        self.on_code = on_code
        self.on_error = on_error or (lambda zh, en: None)
        self.device = None

    def open(self) -> None:
        if not self.url or self.device is not None:
            return
        from drivers.scanner import SerialScanner

        self.device = SerialScanner(
            self.url, lambda code: self.on_code(code.kind, code.value),
            on_error=lambda exc, raw: self.on_error(exc.message, exc.message_en)).start()

    def connected(self) -> bool | None:
        if not self.url:
            return None
        return bool(self.device is not None and self.device.connected)

    def close(self) -> None:
        if self.device is not None:
            self.device.stop()
            self.device = None
