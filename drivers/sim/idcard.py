"""ID-card reader simulator on a pty: answers GA 467 SAM frames for a card you place on it.

The test person is fictional: region code 990000 does not exist, every text field says it is
test data, and the ID number has a valid GB 11643 check digit so the driver's checks pass.
"""

from __future__ import annotations

import os
import select
import threading
import time

from ..idcard.codec import SW3, CardInfo, Command, Framer, encode_base_info, encode_response
from ..transport import register_sim, unregister_sim
from .pty import PtyPort

TEST_PERSON = CardInfo(
    name="张试三",
    sex="1",
    nation="01",
    birth="19900307",
    address="测试省测试市演示区样例路1号（测试数据）",
    id_number="990000199003070013",
    issuer="测试市公安局（测试）",
    valid_from="20200101",
    valid_to="20400101",
)

# A second fictional card (for "another citizen" tests); same rules as TEST_PERSON.
TEST_PERSON_2 = CardInfo(
    name="李样例",
    sex="2",
    nation="01",
    birth="19800101",
    address="测试省测试市演示区样例路2号（测试数据）",
    id_number="990000198001011234",
    issuer="测试市公安局（测试）",
    valid_from="20200101",
    valid_to="长期",
)

# A placeholder photo block: real cards carry a 1024-byte WLT image that only a licensed
# decoder can open; the kiosk never uses it.
TEST_PHOTO = (b"WLT-TEST-PHOTO\x00" * 80)[:1024]


class IdCardSimulator:
    """A reader in software. `place(card)`, `remove()`; knobs: `sam_fault`, `mute`, `fail_reads`.

    `requests` lists the commands received, `url` is what an IdCardReader opens.
    Like the readers described by public drivers: find answers 9F while a card lies on the
    reader and has not been read since it was placed, 80 otherwise; select answers 90 after a
    successful find; read answers 90 with the base information.
    """

    def __init__(self, name: str | None = None, *, baud: int = 115200):
        self._port = PtyPort("idcard")
        self.url = f"serial://{self._port.path}?baud={baud}"
        self.name = name
        self.card: CardInfo | None = None
        self.sam_fault = False
        self.mute = False
        self.fail_reads = 0
        self.requests: list[Command | None] = []
        self.reads = 0
        self._selected = False
        self._consumed = False
        self._framer = Framer()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="idcard-sim")
        self._thread.start()
        if name:
            register_sim(name, self.url)

    # -- knobs ---------------------------------------------------------------------------------
    def place(self, card: CardInfo = TEST_PERSON) -> None:
        with self._lock:
            self.card = card
            self._selected = False
            self._consumed = False

    def remove(self) -> None:
        with self._lock:
            self.card = None
            self._selected = False

    def tap(self, card: CardInfo = TEST_PERSON, *, timeout: float = 3.0) -> bool:
        """Place a card, wait until it has been read, then lift it. True when it was read."""
        before = self.reads
        self.place(card)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.reads == before:
            time.sleep(0.01)
        read = self.reads > before
        time.sleep(0.05)
        self.remove()
        return read

    def unplug(self) -> None:
        self._port.unplug()

    def replug(self) -> None:
        self._port.replug()

    # -- protocol ------------------------------------------------------------------------------
    def answer(self, command: Command | None) -> bytes:
        with self._lock:
            self.requests.append(command)
            if self.mute:
                return b""
            if command in (Command.SAM_STATUS, Command.RESET_SAM):
                return encode_response(0x60 if self.sam_fault else SW3.OK)
            if command is Command.FIND_CARD:
                if self.card is None or self._consumed:
                    return encode_response(SW3.FIND_FAILED)
                return encode_response(SW3.CARD_FOUND, b"\x00\x00\x00\x00")
            if command is Command.SELECT_CARD:
                if self.card is None:
                    return encode_response(SW3.SELECT_FAILED)
                self._selected = True
                return encode_response(SW3.OK, b"\x00" * 8)
            if command is Command.READ_BASE:
                if self.card is None or not self._selected:
                    return encode_response(SW3.READ_FAILED)
                if self.fail_reads > 0:
                    self.fail_reads -= 1
                    return encode_response(SW3.READ_FAILED)
                self._selected = False
                self._consumed = True
                self.reads += 1
                return encode_response(SW3.OK, encode_base_info(self.card, TEST_PHOTO))
            return encode_response(0x21)   # command not understood (unconfirmed code, see devices.md)

    def _loop(self) -> None:
        while not self._stop.is_set():
            fd = self._port.master
            if fd is None:
                time.sleep(0.02)
                continue
            try:
                ready, _, _ = select.select([fd], [], [], 0.1)
                if not ready:
                    continue
                data = os.read(fd, 4096)
            except OSError:
                time.sleep(0.02)
                continue
            for frame in self._framer.feed(data):
                reply = self.answer(frame.command)
                if reply:
                    try:
                        os.write(fd, reply)
                    except OSError:
                        pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1)
        self._port.close()
        if self.name:
            unregister_sim(self.name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


__all__ = ["IdCardSimulator", "TEST_PERSON", "TEST_PERSON_2", "TEST_PHOTO"]
