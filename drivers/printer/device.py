"""The ticket printer device: a transport plus a profile; owns status checks and reconnection."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from ..transport import FileTransport, Transport, TransportError, open_transport
from . import layouts
from .codec import STATUS_QUERIES, parse_status, status_query

log = logging.getLogger(__name__)


class PrintError(Exception):
    """A print that did not happen, with a reason a person can act on (Chinese, then English)."""

    def __init__(self, code: str, message: str, message_en: str):
        super().__init__(f"{message} / {message_en}")
        self.code = code
        self.message = message
        self.message_en = message_en


@dataclass(frozen=True)
class PrinterStatus:
    online: bool | None
    paper: str              # ok | near_end | out | unknown
    cover_open: bool | None
    text_zh: str
    text_en: str

    @property
    def ready(self) -> bool:
        return self.online is True and self.paper in ("ok", "near_end") and self.cover_open is False


def _describe(online, paper, cover_open) -> tuple[str, str]:
    if online is None and paper == "unknown":
        return "打印机无响应", "printer not responding"
    if cover_open:
        return "打印机盖子打开", "printer cover open"
    if paper == "out":
        return "打印机缺纸", "printer out of paper"
    if online is False:
        return "打印机离线", "printer offline"
    if paper == "near_end":
        return "纸将用尽，请及时换纸", "paper nearly out"
    if paper == "unknown" or online is None or cover_open is None:
        return "打印机状态未知", "printer status unknown"
    return "打印机正常", "printer ready"


def _status(online, paper, cover_open) -> PrinterStatus:
    zh, en = _describe(online, paper, cover_open)
    return PrinterStatus(online, paper, cover_open, zh, en)


class Printer:
    """An ESC/POS printer reached through a URL. Thread-safe; reopens its transport after a fault.

    print_* check status first and raise PrintError (缺纸, 打印机离线, 盖子打开, 无响应…) instead of
    sending a job that would be lost. A file:// sink cannot answer status and is printed to blind.
    """

    def __init__(self, url: str, profile: str = "80mm", *, timeout: float = 0.3,
                 timezone: str = "Asia/Shanghai"):
        self.url = url
        self.profile = layouts.get_profile(profile)
        self.timeout = timeout
        self.timezone = timezone
        self._transport: Transport | None = None
        self._open_error: TransportError | None = None  # why the link could not be opened
        self._lock = threading.Lock()

    # -- transport lifecycle ---------------------------------------------------------------
    def _link(self) -> Transport:
        if self._transport is None:
            self._transport = open_transport(self.url, timeout=self.timeout)
        return self._transport

    def _drop(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def close(self) -> None:
        with self._lock:
            self._drop()

    # -- status -----------------------------------------------------------------------------
    def _query(self) -> PrinterStatus:
        try:
            link = self._link()
        except TransportError as exc:
            log.warning("printer %s cannot be opened: %s", self.url, exc.message_en)
            self._open_error = exc
            return _status(None, "unknown", None)
        self._open_error = None
        if isinstance(link, FileTransport):
            return _status(None, "unknown", None)
        replies: dict[int, int | None] = {}
        try:
            link.reset_input()
            for n in STATUS_QUERIES:
                link.write(status_query(n))
                reply = self._read_one(link)
                replies[n] = reply
                if reply is None:
                    break  # a mute printer would cost a timeout per query; one is enough
        except TransportError as exc:
            log.warning("printer %s link failed: %s", self.url, exc.message_en)
            self._drop()
            return _status(None, "unknown", None)
        bits = parse_status(replies)
        return _status(bits.online, bits.paper, bits.cover_open)

    def _read_one(self, link: Transport) -> int | None:
        deadline = time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            data = link.read(1, timeout=left)
            if data:
                return data[-1]

    def status(self) -> PrinterStatus:
        """Online, paper, cover by DLE EOT with short timeouts; no reply is 'unknown'."""
        with self._lock:
            return self._query()

    # -- printing ---------------------------------------------------------------------------
    def _send(self, data: bytes) -> None:
        with self._lock:
            st = self._query()
            blind = isinstance(self._transport, FileTransport)
            if not blind:
                if self._open_error is not None:
                    # Say why it cannot be opened (no libusb, no permission, no device)
                    # rather than blaming the power and the cable.
                    raise PrintError("cannot_open", self._open_error.message,
                                     self._open_error.message_en)
                if st.online is None and st.paper == "unknown":
                    raise PrintError("no_response", "打印机无响应，请检查电源和连线",
                                     "printer does not respond; check power and cable")
                if st.cover_open:
                    raise PrintError("cover_open", "打印机盖子打开", "printer cover is open")
                if st.paper == "out":
                    raise PrintError("paper_out", "打印机缺纸", "printer is out of paper")
                if st.online is False:
                    raise PrintError("offline", "打印机离线", "printer is offline")
                if st.paper == "unknown" or st.online is None:
                    raise PrintError("unknown", "打印机状态未知，未打印", "printer status unknown; not printed")
            if self._transport is None:
                raise PrintError("offline", "打印机无法连接", "cannot reach the printer")
            try:
                self._transport.write(data)
            except TransportError as exc:
                self._drop()
                raise PrintError("offline", f"打印失败：{exc.message}", f"print failed: {exc.message_en}") from exc

    def print_ticket(self, ticket: dict, *, hall_name: str, elder: bool = False) -> None:
        self._send(layouts.ticket(ticket, hall_name=hall_name, profile=self.profile, elder=elder,
                                  tz=self.timezone))

    def print_notice(self, service_name: str, materials: list[str], next_step: str | None = None,
                     *, hall_name: str = "", when=None, free: list[str] | None = None) -> None:
        self._send(layouts.notice(service_name, list(materials), next_step, hall_name=hall_name,
                                  profile=self.profile, when=when if when is not None else time.time(),
                                  tz=self.timezone, free=free))

    def print_materials_slip(self, service_name: str, materials: list[str], *, number: str,
                             hall_name: str = "", service_name_en: str = "",
                             materials_en: list[str] | None = None, free: list[str] | None = None,
                             when=None) -> None:
        self._send(layouts.materials_slip(service_name, list(materials), number=number,
                                          hall_name=hall_name, profile=self.profile,
                                          service_name_en=service_name_en,
                                          materials_en=materials_en, free=free,
                                          when=when if when is not None else time.time(),
                                          tz=self.timezone))

    def print_complaint_receipt(self, code: str, category: str, status_url: str | None = None,
                                *, hall_name: str = "", when=None) -> None:
        self._send(layouts.complaint_receipt(code, category, status_url, hall_name=hall_name,
                                             profile=self.profile,
                                             when=when if when is not None else time.time(),
                                             tz=self.timezone))

    def print_rating_slip(self, number: str, rating_url: str, *, hall_name: str = "") -> None:
        self._send(layouts.rating_slip(number, rating_url, hall_name=hall_name, profile=self.profile))

    def print_acceptance_slip(self, slip: dict) -> None:
        self._send(layouts.acceptance_slip(slip, profile=self.profile, tz=self.timezone))

    def print_raw(self, data: bytes) -> None:
        self._send(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_printer(url: str, profile: str = "80mm", **kw) -> Printer:
    """A Printer for url; opening the link is lazy, so an absent printer is a status, not a crash."""
    return Printer(url, profile, **kw)
