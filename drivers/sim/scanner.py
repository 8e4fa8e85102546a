"""Scanner simulators: a serial scanner on a pty, and a keyboard wedge typing input events."""

from __future__ import annotations

import os
import time

from ..scanner.device import CHAR_TO_KEY, EV_KEY, EVENT, KEY_ENTER, KEY_LEFTSHIFT
from ..transport import register_sim, unregister_sim
from .pty import PtyPort


class SerialScannerSimulator:
    """Sends codes, each ended by CR, as a serial-mode scanner does. `sim.url` is what to open."""

    def __init__(self, name: str | None = None, suffix: bytes = b"\r"):
        self._port = PtyPort("scanner")
        self.url = f"serial://{self._port.path}?baud=9600"
        self.suffix = suffix
        self.name = name
        if name:
            register_sim(name, self.url)

    def send(self, code: str, *, split_at: int | None = None, gap: float = 0.02) -> None:
        """Send one code; split_at sends it in two writes with a gap (a USB packet boundary)."""
        data = code.encode("utf-8") + self.suffix
        fd = self._port.master
        if fd is None:
            raise OSError("scanner unplugged")
        if split_at is None:
            os.write(fd, data)
        else:
            os.write(fd, data[:split_at])
            time.sleep(gap)
            os.write(fd, data[split_at:])

    def send_raw(self, data: bytes) -> None:
        if self._port.master is not None:
            os.write(self._port.master, data)

    def unplug(self) -> None:
        self._port.unplug()

    def replug(self) -> None:
        self._port.replug()

    def close(self) -> None:
        self._port.close()
        if self.name:
            unregister_sim(self.name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def key_events(text: str, enter: bool = True) -> bytes:
    """The input_event stream a US-layout keyboard wedge produces for text (plus Enter)."""
    out = bytearray()

    def ev(code: int, value: int) -> None:
        now = time.time()
        out.extend(EVENT.pack(int(now), int((now % 1) * 1e6), EV_KEY, code, value))
        out.extend(EVENT.pack(int(now), int((now % 1) * 1e6), 0, 0, 0))   # EV_SYN

    for ch in text:
        if ch not in CHAR_TO_KEY:
            raise ValueError(f"character {ch!r} cannot be typed by the wedge")
        code, shift = CHAR_TO_KEY[ch]
        if shift:
            ev(KEY_LEFTSHIFT, 1)
        ev(code, 1)
        ev(code, 0)
        if shift:
            ev(KEY_LEFTSHIFT, 0)
    if enter:
        ev(KEY_ENTER, 1)
        ev(KEY_ENTER, 0)
    return bytes(out)


class HidScannerSimulator:
    """A keyboard wedge in software: a FIFO that carries real input_event records."""

    def __init__(self, directory: str):
        self.path = os.path.join(directory, "event-scanner")
        os.mkfifo(self.path)
        self._w: int | None = None

    def type(self, text: str, enter: bool = True) -> None:
        if self._w is None:
            self._w = os.open(self.path, os.O_WRONLY)
        os.write(self._w, key_events(text, enter))

    def close(self) -> None:
        if self._w is not None:
            os.close(self._w)
            self._w = None


__all__ = ["SerialScannerSimulator", "HidScannerSimulator", "key_events"]
