"""QR scanners: serial line mode and USB HID keyboard wedge (Linux input events), each with on_code."""

from __future__ import annotations

import fcntl
import logging
import os
import select
import struct
import threading
from collections.abc import Callable

from ..transport import TransportError, open_transport
from .codes import ScanError, ScannedCode, parse_code

log = logging.getLogger(__name__)

OnCode = Callable[[ScannedCode], None]
OnError = Callable[[ScanError, str], None]


class LineAssembler:
    """Reassembles scanner lines from bytes that arrive in arbitrary pieces (CR, LF or CRLF end)."""

    def __init__(self, max_len: int = 1024):
        self._buf = bytearray()
        self.max_len = max_len
        self.overflows = 0
        self._discarding = False

    def feed(self, data: bytes) -> list[str]:
        lines = []
        for b in data:
            if b in (0x0D, 0x0A):
                if self._buf and not self._discarding:
                    lines.append(self._buf.decode("utf-8", "replace"))
                self._buf.clear()
                self._discarding = False
            elif not self._discarding:
                self._buf.append(b)
                if len(self._buf) > self.max_len:   # a terminator was lost: drop to the next one
                    self._buf.clear()
                    self._discarding = True
                    self.overflows += 1
        return lines


def _deliver(raw: str, base_url: str | None, on_code: OnCode, on_error: OnError | None) -> None:
    try:
        code = parse_code(raw, base_url)
    except ScanError as exc:
        log.info("scan rejected: %s", exc.message_en)
        if on_error:
            on_error(exc, raw)
        return
    on_code(code)


class SerialScanner:
    """A scanner in serial (CDC-ACM/RS-232) line mode. start() runs a reader thread that
    reconnects after an unplug; each complete line goes to on_code or on_error."""

    def __init__(self, url: str, on_code: OnCode, *, on_error: OnError | None = None,
                 base_url: str | None = None, reconnect_delay: float = 0.5):
        self.url = url
        self.on_code = on_code
        self.on_error = on_error
        self.base_url = base_url
        self.reconnect_delay = reconnect_delay
        self.connected = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> SerialScanner:
        self._thread = threading.Thread(target=self._run, daemon=True, name="scanner-serial")
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                link = open_transport(self.url, timeout=0.1)
            except TransportError as exc:
                self.connected = False
                log.warning("scanner %s unavailable: %s", self.url, exc.message_en)
                self._stop.wait(self.reconnect_delay)
                continue
            self.connected = True
            lines = LineAssembler()
            try:
                while not self._stop.is_set():
                    for raw in lines.feed(link.read(256, timeout=0.1)):
                        _deliver(raw, self.base_url, self.on_code, self.on_error)
            except TransportError as exc:
                log.warning("scanner %s lost: %s", self.url, exc.message_en)
            finally:
                self.connected = False
                link.close()
            self._stop.wait(self.reconnect_delay)

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=2)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# --- HID keyboard wedge --------------------------------------------------------------------
# struct input_event on 64-bit Linux: timeval (2 x long), u16 type, u16 code, s32 value.
EVENT = struct.Struct("llHHi")
EV_KEY = 1
EVIOCGRAB = 0x40044590
KEY_ENTER, KEY_KPENTER, KEY_LEFTSHIFT, KEY_RIGHTSHIFT = 28, 96, 42, 54
_PLAIN = {2: "1", 3: "2", 4: "3", 5: "4", 6: "5", 7: "6", 8: "7", 9: "8", 10: "9", 11: "0",
          12: "-", 13: "=", 16: "q", 17: "w", 18: "e", 19: "r", 20: "t", 21: "y", 22: "u",
          23: "i", 24: "o", 25: "p", 26: "[", 27: "]", 30: "a", 31: "s", 32: "d", 33: "f",
          34: "g", 35: "h", 36: "j", 37: "k", 38: "l", 39: ";", 40: "'", 41: "`", 43: "\\",
          44: "z", 45: "x", 46: "c", 47: "v", 48: "b", 49: "n", 50: "m", 51: ",", 52: ".",
          53: "/", 57: " "}
_SHIFTED = {2: "!", 3: "@", 4: "#", 5: "$", 6: "%", 7: "^", 8: "&", 9: "*", 10: "(", 11: ")",
            12: "_", 13: "+", 26: "{", 27: "}", 39: ":", 40: '"', 41: "~", 43: "|", 51: "<",
            52: ">", 53: "?"}
CHAR_TO_KEY = {v: (k, False) for k, v in _PLAIN.items()}
CHAR_TO_KEY.update({v: (k, True) for k, v in _SHIFTED.items()})
CHAR_TO_KEY.update({v.upper(): (k, True) for k, v in _PLAIN.items() if v.isalpha()})


class KeyDecoder:
    """Turns key-down events of a US-layout keyboard wedge into lines (Enter ends a code)."""

    def __init__(self):
        self.shift = False
        self._chars: list[str] = []
        self._buf = b""

    def feed(self, data: bytes) -> list[str]:
        self._buf += data
        lines = []
        while len(self._buf) >= EVENT.size:
            _, _, etype, code, value = EVENT.unpack_from(self._buf)
            self._buf = self._buf[EVENT.size:]
            if etype != EV_KEY:
                continue
            if code in (KEY_LEFTSHIFT, KEY_RIGHTSHIFT):
                self.shift = value != 0
            elif value == 1:                      # key down (2 = autorepeat is ignored)
                if code in (KEY_ENTER, KEY_KPENTER):
                    if self._chars:
                        lines.append("".join(self._chars))
                        self._chars = []
                else:
                    ch = (_SHIFTED.get(code) or _PLAIN.get(code, "").upper()) if self.shift \
                        else _PLAIN.get(code)
                    if ch:
                        self._chars.append(ch)
        return lines


class HidScanner:
    """A keyboard-wedge scanner read from /dev/input/eventN, grabbed so its keystrokes do not
    also reach the kiosk UI. (The kiosk may instead take them as Qt key events.)"""

    def __init__(self, device_path: str, on_code: OnCode, *, on_error: OnError | None = None,
                 base_url: str | None = None, grab: bool = True):
        self.device_path = device_path
        self.on_code = on_code
        self.on_error = on_error
        self.base_url = base_url
        self.grab = grab
        self.grabbed = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._fd: int | None = None

    def start(self) -> HidScanner:
        try:
            self._fd = os.open(self.device_path, os.O_RDONLY | os.O_NONBLOCK)
        except OSError as exc:
            raise TransportError(f"无法打开扫码枪 {self.device_path}：{exc}",
                                 f"cannot open scanner {self.device_path}: {exc}") from exc
        if self.grab:
            try:
                fcntl.ioctl(self._fd, EVIOCGRAB, 1)
                self.grabbed = True
            except OSError as exc:   # not an evdev node (tests use a pipe) or no permission
                log.warning("scanner %s not grabbed: %s", self.device_path, exc)
        self._thread = threading.Thread(target=self._run, daemon=True, name="scanner-hid")
        self._thread.start()
        return self

    def _run(self) -> None:
        decoder = KeyDecoder()
        fd = self._fd
        while not self._stop.is_set():
            ready, _, _ = select.select([fd], [], [], 0.1)
            if not ready:
                continue
            try:
                data = os.read(fd, EVENT.size * 64)
            except BlockingIOError:
                continue
            except OSError as exc:
                log.warning("scanner %s lost: %s", self.device_path, exc)
                return
            if not data:
                return
            for raw in decoder.feed(data):
                _deliver(raw, self.base_url, self.on_code, self.on_error)

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=2)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
