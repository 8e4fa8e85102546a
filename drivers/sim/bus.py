"""Modbus RTU slaves for the window bus (rating pads, LED screens, keypads) on one pty, with faults."""

from __future__ import annotations

import os
import random
import select
import threading
import time
from collections import deque

from pymodbus.pdu.register_message import (
    ReadHoldingRegistersRequest,
    WriteMultipleRegistersRequest,
    WriteSingleRegisterRequest,
)

from ..bus import registers as R
from ..bus.codec import ModbusCodec
from ..transport import register_sim, unregister_sim
from .pty import PtyPort

ILLEGAL_FUNCTION, ILLEGAL_ADDRESS = 1, 2


class SlaveDevice:
    """Register file of one device plus its event queue (the key presses not yet acknowledged)."""

    kind: R.DeviceKind

    def __init__(self, address: int):
        self.address = address
        self.regs: dict[int, int] = {R.REG_TYPE: int(self.kind)}
        self._events: deque[tuple[int, int, int]] = deque()   # (seq, code, ref)
        self._seq = 0
        self._acked = 0
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.writes = 0

    def power_cycle(self) -> None:
        """Lose every written register, as a device does when its power is cut."""
        with self.lock:
            self.regs = {R.REG_TYPE: int(self.kind)}

    def push_event(self, code: int, ref: int = 0) -> int:
        with self.lock:
            self._seq = self._seq % 0xFFFF + 1     # 1..65535, 0 means "none yet"
            self._events.append((self._seq, code, ref))
            return self._seq

    def read(self, start: int, count: int) -> list[int]:
        with self.lock:
            head = self._events[0] if self._events else (self._last_seq_acked(), 0, 0)
            status = {R.REG_EVENT_SEQ: head[0], R.REG_EVENT_CODE: head[1],
                      R.REG_EVENT_PENDING: len(self._events), R.REG_EVENT_REF: head[2]}
            return [status.get(a, self.regs.get(a, 0)) for a in range(start, start + count)]

    def _last_seq_acked(self) -> int:
        return self._acked

    def write(self, start: int, values: list[int]) -> None:
        with self.changed:
            for i, v in enumerate(values):
                a = start + i
                if a == R.REG_EVENT_ACK:
                    if self._events and self._events[0][0] == v:
                        self._events.popleft()
                        self._acked = v
                else:
                    self.regs[a] = v
            self.writes += 1
            self.on_write(start, values)
            self.changed.notify_all()

    def on_write(self, start: int, values: list[int]) -> None:
        pass

    @property
    def pending(self) -> int:
        with self.lock:
            return len(self._events)


class PadSlave(SlaveDevice):
    """Rating pad: five keys, accepted only while lit (for a level, or for a reason after a
    bad level); then it says thank you."""

    kind = R.DeviceKind.PAD

    @property
    def mode(self) -> int:
        return self.regs.get(R.REG_PAD_MODE, 0)

    @property
    def text(self) -> str:
        return R.registers_to_text([self.regs.get(R.REG_PAD_TEXT + i, 0) for i in range(R.PAD_TEXT_REGS)])

    def press(self, level: int) -> bool:
        """A citizen presses key `level` (1..5). Ignored (False) unless the pad is lit."""
        if not 1 <= level <= 5:
            raise ValueError("level 1..5")
        with self.lock:
            if self.regs.get(R.REG_PAD_MODE, 0) not in (R.PadMode.RATING, R.PadMode.REASON):
                return False
            ref = self.regs.get(R.REG_PAD_REQUEST, 0)
            self.regs[R.REG_PAD_MODE] = R.PadMode.THANKS
        self.push_event(level, ref)
        return True


class KeypadSlave(SlaveDevice):
    """Clerk's call keypad: every key press is queued until the master acknowledges it."""

    kind = R.DeviceKind.KEYPAD

    def press(self, key: R.KeypadKey | int) -> int:
        return self.push_event(int(key))


class LedSlave(SlaveDevice):
    """LED window screen: shows GB2312 text in a mode; keeps a history with arrival times."""

    kind = R.DeviceKind.LED

    def __init__(self, address: int):
        super().__init__(address)
        self.history: list[tuple[float, int, str]] = []

    @property
    def mode(self) -> int:
        return self.regs.get(R.REG_LED_MODE, 0)

    @property
    def text(self) -> str:
        n = self.regs.get(R.REG_LED_LEN, 0)
        return R.registers_to_text([self.regs.get(R.REG_LED_TEXT + i, 0) for i in range(R.LED_TEXT_REGS)], n)

    def on_write(self, start: int, values: list[int]) -> None:
        if start <= R.REG_LED_MODE < start + len(values):
            self.history.append((time.monotonic(), self.mode, self.text))

    def wait_for_text(self, needle: str, timeout: float = 2.0, *, after: float = 0.0) -> float | None:
        """Monotonic time a text containing needle was shown (at or after `after`), or None."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for t, _, text in self.history:
                    if t >= after and needle in text:
                        return t
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.changed.wait(left)


class BusSimulator:
    """All slaves of one RS-485 line behind one pty. Fault knobs:

    garble(n): corrupt the next n replies (CRC errors at the master); garble_rate: a random
    fraction of replies corrupted (the request was still applied); silence(addresses or
    None for all): those devices stop answering; split = True: each reply arrives in two
    pieces; noise(n): n garbage bytes before the next reply; unplug()/replug() the adapter.
    `baud` adds the wire time of each request and reply, as a real line would.
    """

    def __init__(self, *, baud: int = 115200, name: str | None = None, wire_delay: bool = True):
        self.port = PtyPort("rs485")
        self.url = f"serial://{self.port.path}?baud={baud}"
        self.baud = baud
        self.wire_delay = wire_delay
        self.slaves: dict[int, SlaveDevice] = {}
        self.name = name
        self.requests = 0
        self.replies = 0
        self._garble = 0
        self._noise = 0
        self._silent: set[int] | None = set()
        self.split = False
        self.garble_rate = 0.0      # fraction of replies corrupted at random (seeded)
        self._codec = ModbusCodec(slave=True)
        self._stop = threading.Event()
        self._rng = random.Random(4)
        self._thread = threading.Thread(target=self._run, daemon=True, name="bus-sim")
        self._thread.start()
        if name:
            register_sim(name, self.url)

    def add(self, device: SlaveDevice) -> SlaveDevice:
        self.slaves[device.address] = device
        return device

    def add_window(self, base_address: int) -> tuple[PadSlave, LedSlave, KeypadSlave]:
        """The three devices of one window at base, base+1, base+2."""
        return (self.add(PadSlave(base_address)), self.add(LedSlave(base_address + 1)),
                self.add(KeypadSlave(base_address + 2)))

    # fault knobs ------------------------------------------------------------------------
    def garble(self, n: int = 1) -> None:
        self._garble += n

    def noise(self, n: int = 5) -> None:
        self._noise += n

    def silence(self, addresses: set[int] | None) -> None:
        """Devices that stop answering (None: the whole bus); an empty set restores all."""
        self._silent = None if addresses is None else set(addresses)

    def unplug(self) -> None:
        self.port.unplug()

    def replug(self) -> None:
        self.port.replug()

    # the line ---------------------------------------------------------------------------
    def _wire(self, nbytes: int) -> None:
        if self.wire_delay:
            time.sleep(nbytes * 10 / self.baud)    # 8N1: ten bits per byte

    def _run(self) -> None:
        buf = bytearray()
        while not self._stop.is_set():
            fd = self.port.master
            if fd is None:
                buf.clear()
                time.sleep(0.01)
                continue
            try:
                ready, _, _ = select.select([fd], [], [], 0.02)
                if not ready:
                    buf.clear()   # an RTU frame is contiguous: silence ends any partial frame
                    continue
                buf += os.read(fd, 4096)
            except OSError:
                buf.clear()
                time.sleep(0.01)
                continue
            while buf:
                res = self._codec.decode(buf)
                if res.status == "more":
                    break
                del buf[:res.used]
                if res.status == "frame":
                    self._answer(fd, res.address, res.pdu)

    def _answer(self, fd: int, address: int, pdu) -> None:
        self.requests += 1
        dev = self.slaves.get(address)
        if dev is None or self._silent is None or address in self._silent:
            return
        if isinstance(pdu, ReadHoldingRegistersRequest):
            reply = self._codec.read_response(address, dev.read(pdu.address, pdu.count))
            req_len = 8
        elif isinstance(pdu, (WriteMultipleRegistersRequest, WriteSingleRegisterRequest)):
            dev.write(pdu.address, list(pdu.registers))
            reply = self._codec.write_response(address, pdu)
            req_len = 9 + 2 * len(pdu.registers) if isinstance(pdu, WriteMultipleRegistersRequest) else 8
        else:
            reply = self._codec.exception_response(address, pdu.function_code, ILLEGAL_FUNCTION)
            req_len = 8
        if self._garble > 0 or (self.garble_rate and self._rng.random() < self.garble_rate):
            self._garble = max(0, self._garble - 1)
            i = self._rng.randrange(2, len(reply))
            reply = reply[:i] + bytes((reply[i] ^ 0x5A,)) + reply[i + 1:]
        if self._noise > 0:
            reply = bytes(self._rng.randrange(256) for _ in range(self._noise)) + reply
            self._noise = 0
        self._wire(req_len + len(reply))
        try:
            if self.split:
                half = len(reply) // 2
                os.write(fd, reply[:half])
                time.sleep(0.003)
                os.write(fd, reply[half:])
            else:
                os.write(fd, reply)
            self.replies += 1
        except OSError:
            pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1)
        self.port.close()
        if self.name:
            unregister_sim(self.name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
