"""The ID-card reader device: a transport URL, a polling thread, one callback per card placed.

The reader is polled with "find card" every `poll_interval`; when a card is found it is
selected and its base information read, and `on_card(CardInfo)` is called once. The same card
is not delivered again until the reader has reported "no card" (the citizen lifted it).
Faults (reader absent, unplugged, SAM module failing, garbled replies) never raise into the
caller: they show in `status` and go to `on_status`, and the port is reopened.

Nothing here logs the ID number or the name.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..transport import Transport, TransportError, open_transport
from .codec import (
    SW3,
    SW3_TEXT,
    CardInfo,
    Command,
    Frame,
    FrameError,
    Framer,
    encode_request,
    parse_base_info,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReaderStatus:
    state: str            # ok | absent | fault | starting
    text_zh: str
    text_en: str

    @property
    def ok(self) -> bool:
        return self.state == "ok"


STARTING = ReaderStatus("starting", "身份证阅读器启动中", "ID-card reader starting")
READY = ReaderStatus("ok", "请将身份证放在阅读区", "place your ID card on the reader")


class ReaderError(Exception):
    def __init__(self, message: str, message_en: str, *, state: str = "fault"):
        super().__init__(f"{message} / {message_en}")
        self.message = message
        self.message_en = message_en
        self.state = state


class IdCardReader:
    """A GA 467 reader behind a URL (serial://…?baud=115200, tcp://, sim://idcard).

    Use as `with IdCardReader(url, on_card) as r:` or start()/stop(). Thread-safe reads of
    `status`; callbacks run on the reader thread.
    """

    def __init__(self, url: str, on_card: Callable[[CardInfo], None], *,
                 on_status: Callable[[ReaderStatus], None] | None = None,
                 on_error: Callable[[str, str], None] | None = None,
                 poll_interval: float = 0.25, timeout: float = 1.0, reconnect_delay: float = 1.0):
        self.url = url
        self.on_card = on_card
        self.on_status = on_status
        self.on_error = on_error
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.reconnect_delay = reconnect_delay
        self.status: ReaderStatus = STARTING
        self.cards_read = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._framer = Framer()

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> IdCardReader:
        self._thread = threading.Thread(target=self._run, daemon=True, name="idcard-reader")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=3)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _set_status(self, st: ReaderStatus) -> None:
        if st != self.status:
            self.status = st
            log.info("id-card reader %s: %s", self.url, st.text_en)
            if self.on_status:
                try:
                    self.on_status(st)
                except Exception:     # a UI callback must not kill the reader thread
                    log.exception("id-card reader status callback failed")

    # -- one exchange --------------------------------------------------------------------------
    def _exchange(self, link: Transport, command: Command, timeout: float | None = None) -> Frame:
        self._framer.clear()
        link.reset_input()
        link.write(encode_request(command))
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ReaderError("身份证阅读器无响应，请检查电源和连线",
                                  "the ID-card reader does not answer; check power and cable")
            frames = self._framer.feed(link.read(2048, timeout=min(left, 0.1)))
            if frames:
                return frames[-1]

    def transact(self, link: Transport) -> CardInfo | None:
        """find → select → read once; None when no card is on the reader."""
        found = self._exchange(link, Command.FIND_CARD)
        if found.sw3 == SW3.FIND_FAILED:
            return None
        if found.sw3 != SW3.CARD_FOUND:
            raise ReaderError(*_sw_text(found.sw3), state="card")
        sel = self._exchange(link, Command.SELECT_CARD)
        if sel.sw3 != SW3.OK:
            raise ReaderError(*_sw_text(sel.sw3), state="card")
        base = self._exchange(link, Command.READ_BASE, timeout=max(self.timeout, 2.0))
        if base.sw3 != SW3.OK:
            raise ReaderError(*_sw_text(base.sw3), state="card")
        try:
            return parse_base_info(base.data)
        except FrameError as exc:
            raise ReaderError("身份证信息无法识别，请重新放置", f"card data unreadable: {exc}", state="card") from exc

    # -- loop ----------------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                link = open_transport(self.url, timeout=0.2)
            except TransportError as exc:
                self._set_status(ReaderStatus("absent", f"身份证阅读器未连接：{exc.message}",
                                              f"ID-card reader not connected: {exc.message_en}"))
                self._stop.wait(self.reconnect_delay)
                continue
            try:
                self._serve(link)
            except TransportError as exc:
                self._set_status(ReaderStatus("absent", f"身份证阅读器已断开：{exc.message}",
                                              f"ID-card reader disconnected: {exc.message_en}"))
            except ReaderError as exc:
                self._set_status(ReaderStatus("fault", exc.message, exc.message_en))
            finally:
                link.close()
            self._stop.wait(self.reconnect_delay)

    def _serve(self, link: Transport) -> None:
        sam = self._exchange(link, Command.SAM_STATUS)
        if sam.sw3 != SW3.OK:
            raise ReaderError("身份证阅读器安全模块异常，请联系工作人员",
                              f"the reader's SAM module reports 0x{sam.sw3:02X}; call staff")
        self._set_status(READY)
        card_present = False
        while not self._stop.is_set():
            if card_present:
                # the card that was read is still lying there: wait until it is lifted
                found = self._exchange(link, Command.FIND_CARD)
                if found.sw3 == SW3.FIND_FAILED:
                    card_present = False
                self._stop.wait(self.poll_interval)
                continue
            try:
                info = self.transact(link)
            except ReaderError as exc:
                if exc.state != "card":
                    raise
                log.info("id-card read failed: %s", exc.message_en)
                if self.on_error:
                    self.on_error(exc.message, exc.message_en)
                self._stop.wait(self.poll_interval)
                continue
            self._set_status(READY)
            if info is not None:
                card_present = True
                self.cards_read += 1
                log.info("id-card read (%d so far)", self.cards_read)   # never the number or name
                try:
                    self.on_card(info)
                except Exception:
                    log.exception("id-card callback failed")
            self._stop.wait(self.poll_interval)


def _sw_text(sw3: int) -> tuple[str, str]:
    zh, en = SW3_TEXT.get(sw3, (f"身份证阅读器返回错误 0x{sw3:02X}，请重新放置", f"reader error 0x{sw3:02X}; place the card again"))
    return zh, en
