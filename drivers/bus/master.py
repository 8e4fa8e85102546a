"""The bus master: owns one RS-485 port, polls every device, sends writes, survives unplugging."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from pymodbus.pdu import ExceptionResponse

from ..transport import Transport, TransportError, open_transport
from . import registers as R
from .codec import ModbusCodec

log = logging.getLogger(__name__)

HOT_SECONDS = 5.0      # after a key, the next one (a pad's reason, a clerk's next key) comes soon
LIT_HOT_SECONDS = 0.6  # a pad just lit for a rating: polled every cycle this long


@dataclass(frozen=True)
class DeviceSpec:
    kind: str            # pad | led | keypad
    address: int         # Modbus slave address 1..247
    window_id: str | None = None

    def __post_init__(self):
        if self.kind not in R.KIND_NAMES:
            raise ValueError(f"设备类型无效：{self.kind}（pad/led/keypad） / invalid device kind {self.kind}")
        if not 1 <= self.address <= 247:
            raise ValueError(f"设备地址应为 1..247：{self.address} / address must be 1..247")


@dataclass
class DeviceState:
    spec: DeviceSpec
    online: bool | None = None      # None until first contact
    last_seq: int | None = None     # last event seq handed on, None before first contact
    failures: int = 0               # consecutive requests without an answer
    polls: int = 0
    lit: bool = False               # pad: showing a rating request, so keys may come
    last_seen: float | None = None
    routine_due: float = 0.0        # routine polls: when this device is next due
    hot_until: float = 0.0          # reported a key lately: a person is at it, poll every cycle


@dataclass(frozen=True)
class BusEvent:
    """What the master reports: a key (kind 'key') or a device going online/offline."""

    kind: str                # key | online | offline
    device: DeviceSpec
    code: int = 0            # pad: level 1..5; keypad: KeypadKey
    seq: int = 0
    ref: int = 0             # pad: request id showing when the key was pressed
    at: float = field(default_factory=time.monotonic)


@dataclass
class BusStats:
    transactions: int = 0
    timeouts: int = 0
    crc_errors: int = 0
    exceptions: int = 0
    retries: int = 0
    reconnects: int = 0
    cycles: int = 0
    last_cycle_s: float = 0.0
    idle_s: float = 0.0             # time the line stood idle between cycles (poll_interval)
    drained: int = 0                # queued key presses fetched at once, ahead of routine polls
    events: int = 0
    duplicates_suppressed: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class _Write:
    __slots__ = ("address", "start", "values", "done", "ok")

    def __init__(self, address: int, start: int, values: list[int]):
        self.address, self.start, self.values = address, start, values
        self.done = threading.Event()
        self.ok = False


class BusMaster:
    """One thread owns the port: every frame on the line is serialised through it.

    Priorities, highest first:
    1. Queued writes (LED text, pad modes) go before the next request, and at once while the
       line is idle between cycles: a screen update never waits for a cycle.
    2. A device that just reported a key and has more queued is read again at once: a
       burst of presses is fetched in one go, ahead of every routine poll. For HOT_SECONDS
       after a key it is polled every cycle (a citizen choosing a reason on a pad), and so
       is a pad for LIT_HOT_SECONDS after it was lit for a rating.
    3. The cycle: keypads every cycle, lit pads every `pad_every` cycles (see `_schedule`).
       A cycle starts every `poll_interval` seconds (config `poll_ms`), or back to back
       when the line needs longer than that.
    4. Routine polls (LED screens, idle pads, offline devices): every `routine_interval`
       seconds each, in the slack the cycle leaves within poll_interval and at least one
       per cycle (so a full line stretches them, never the keys' turn); or, without a
       routine_interval, every `slow_every` cycles, staggered by address.

    A poll reads one register (events pending) and the event block only when something is
    pending, so the line carries the fewest bytes while nothing happens. Requests are
    retried on the spot `retries` times, except routine polls, whose next turn is the
    retry. A polled device is offline after `retries + 1` failed polls in a row, a written
    one when a write fails. Events are delivered on a separate dispatcher thread, so slow handlers never
    stall the line.
    """

    def __init__(self, url: str, devices: list[DeviceSpec], on_event: Callable[[BusEvent], None] | None = None,
                 *, timeout: float = 0.05, retries: int = 1, slow_every: int = 10, pad_every: int = 5,
                 reconnect_delay: float = 0.3, idle_sleep: float = 0.0, poll_interval: float = 0.0,
                 routine_interval: float | None = None):
        addrs = [d.address for d in devices]
        if len(set(addrs)) != len(addrs):
            raise ValueError("总线上设备地址重复 / duplicate addresses on the bus")
        self.url = url
        self.devices = {d.address: DeviceState(d) for d in devices}
        self.on_event = on_event
        self.timeout = timeout
        self.retries = retries
        self.slow_every = max(1, slow_every)
        self.pad_every = max(1, pad_every)
        self.reconnect_delay = reconnect_delay
        self.idle_sleep = idle_sleep
        self.poll_interval = max(0.0, poll_interval)
        self.routine_interval = routine_interval
        start = time.monotonic()
        for i, st in enumerate(self.devices.values()):   # routine polls spread out, not bunched
            st.routine_due = start + (routine_interval or 0) * i / max(1, len(self.devices))
        self.stats = BusStats()
        self.connected = False
        self._codec = ModbusCodec()
        self._poll_frames: dict[int, bytes] = {}
        self._last_state: dict[tuple[int, int], list[int]] = {}
        self._link: Transport | None = None
        self._writes: deque[_Write] = deque()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._events: queue.Queue = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._cycle_done = threading.Condition()
        self._routine_pool: list[DeviceState] = []

    # lifecycle -----------------------------------------------------------------------------
    def start(self) -> BusMaster:
        for fn, name in ((self._run, "bus-master"), (self._dispatch, "bus-events")):
            t = threading.Thread(target=fn, daemon=True, name=name)
            t.start()
            self._threads.append(t)
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._events.put(None)
        for t in self._threads:
            t.join(timeout=2)
        self._close_link()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # API for the binding -------------------------------------------------------------------
    def write(self, address: int, start: int, values: list[int]) -> _Write:
        """Queue a register write; returns a handle whose .done is set when it completed."""
        w = _Write(address, start, list(values))
        # Remembered so a device that was offline (power cut, cable, re-plugged adapter) gets
        # what it should be showing as soon as it answers again.
        self._last_state[(address, start)] = w.values
        self._writes.append(w)
        self._wake.set()
        return w

    def show_led(self, address: int, mode: R.LedMode, text: str) -> _Write:
        regs, n = R.text_to_registers(text, R.LED_TEXT_REGS)
        return self.write(address, R.REG_LED_MODE, [int(mode), n] + regs)

    def pad_text(self, address: int, text: str) -> _Write:
        regs, _ = R.text_to_registers(text, R.PAD_TEXT_REGS)
        return self.write(address, R.REG_PAD_TEXT, regs)

    def pad_mode(self, address: int, mode: R.PadMode, request_id: int = 0) -> _Write:
        st = self.devices.get(address)
        if st is not None:
            st.lit = mode in (R.PadMode.RATING, R.PadMode.REASON)
            if st.lit:   # the citizen is at the pad now: the first key most often comes at once
                st.hot_until = max(st.hot_until, time.monotonic() + LIT_HOT_SECONDS)
        return self.write(address, R.REG_PAD_MODE, [int(mode), request_id & 0xFFFF])

    def status(self) -> list[dict]:
        return [{"address": s.spec.address, "kind": s.spec.kind, "window_id": s.spec.window_id,
                 "online": s.online, "failures": s.failures, "polls": s.polls}
                for s in sorted(self.devices.values(), key=lambda s: s.spec.address)]

    def wait_cycles(self, n: int = 1, timeout: float = 5.0) -> bool:
        """Block until n more full poll cycles have finished (for tests and tools)."""
        with self._cycle_done:
            target = self.stats.cycles + n
            return self._cycle_done.wait_for(lambda: self.stats.cycles >= target, timeout)

    # the line ------------------------------------------------------------------------------
    def _close_link(self) -> None:
        if self._link is not None:
            self._link.close()
            self._link = None
        self.connected = False

    def _run(self) -> None:
        cycle = 0
        while not self._stop.is_set():
            if self._link is None:
                try:
                    self._link = open_transport(self.url, timeout=self.timeout)
                    self.connected = True
                    log.info("bus %s open", self.url)
                except TransportError as exc:
                    log.warning("bus %s unavailable: %s", self.url, exc.message_en)
                    self._mark_all_offline()
                    self._stop.wait(self.reconnect_delay)
                    continue
            started = time.monotonic()
            try:
                for st in self._schedule(cycle):
                    if self._stop.is_set():
                        return
                    self._flush_writes()
                    self._poll(st)
                for st in self._routine_turns(started):
                    if self._stop.is_set():
                        return
                    self._flush_writes()
                    self._poll(st, routine=True)
                self._flush_writes()
            except TransportError as exc:
                log.warning("bus %s lost: %s; reconnecting", self.url, exc.message_en)
                self.stats.reconnects += 1
                self._close_link()
                self._mark_all_offline()
                self._fail_writes()
                self._stop.wait(self.reconnect_delay)
                continue
            cycle += 1
            with self._cycle_done:
                self.stats.cycles += 1
                self.stats.last_cycle_s = time.monotonic() - started
                self._cycle_done.notify_all()
            try:
                self._idle_until(started + self.poll_interval if self.poll_interval
                                 else time.monotonic() + self.idle_sleep)
            except TransportError as exc:
                log.warning("bus %s lost: %s; reconnecting", self.url, exc.message_en)
                self.stats.reconnects += 1
                self._close_link()
                self._mark_all_offline()
                self._fail_writes()
                self._stop.wait(self.reconnect_delay)

    def _idle_until(self, until: float) -> None:
        """Leave the line quiet until `until`, sending any write the moment it is queued."""
        while not self._stop.is_set():
            left = until - time.monotonic()
            if left <= 0:
                return
            t0 = time.monotonic()
            woke = self._wake.wait(left)
            self.stats.idle_s += time.monotonic() - t0
            if woke:
                self._wake.clear()
                self._flush_writes()

    def _schedule(self, cycle: int) -> list[DeviceState]:
        """Who is polled in this cycle.

        Keypads every cycle: a clerk is waiting on them. Pads lit for a rating every
        `pad_every` cycles (the pad thanks the citizen by itself; only the stored rating
        waits), every cycle for a while after a key or after lighting (hot). A keypad or
        lit pad that missed a poll or two keeps its turn (a busy moment is not a dead
        device); after `retries + 1` misses it is offline and routine. Everything else (LED
        screens, idle pads, offline devices) is routine: see `_routine`. Groups are
        staggered by address, so every cycle costs about the same and no single cycle makes
        a key press wait for the whole bus.
        """
        out, routine = [], []
        now = time.monotonic()
        for st in self.devices.values():
            a = st.spec.address
            alive = st.online is not False or st.failures <= self.retries
            if alive and st.spec.kind == "keypad":
                out.append(st)
            elif alive and st.spec.kind == "pad" and st.lit:
                if st.hot_until > now or a % self.pad_every == cycle % self.pad_every:
                    out.append(st)
            else:
                routine.append(st)
        return out + self._routine(routine, cycle)

    def _routine(self, devices: list[DeviceState], cycle: int) -> list[DeviceState]:
        if self.routine_interval is None:
            return [st for st in devices if st.spec.address % self.slow_every == cycle % self.slow_every]
        self._routine_pool = devices     # polled after the cycle, in its slack: _routine_turns
        return []

    def _routine_turns(self, started: float):
        """Routine polls after the cycle's keys: the devices due (each every
        routine_interval), most overdue first, while the cycle is within poll_interval, and
        at least one per cycle so none is starved when the line is full."""
        if self.routine_interval is None:
            return
        now = time.monotonic()
        due = sorted((st for st in self._routine_pool if st.routine_due <= now),
                     key=lambda s: s.routine_due)
        for i, st in enumerate(due):
            if i and time.monotonic() >= started + self.poll_interval:
                return
            st.routine_due = time.monotonic() + self.routine_interval
            yield st

    def _mark_all_offline(self) -> None:
        for st in self.devices.values():
            self._set_online(st, False)

    def _fail_writes(self) -> None:
        while self._writes:
            w = self._writes.popleft()
            w.done.set()

    def _set_online(self, st: DeviceState, online: bool) -> None:
        if st.online is online:
            return
        if online and st.online is False:
            for (addr, start), values in list(self._last_state.items()):
                if addr == st.spec.address:
                    self._writes.append(_Write(addr, start, values))
        st.online = online
        self._emit(BusEvent("online" if online else "offline", st.spec))

    def _emit(self, ev: BusEvent) -> None:
        self._events.put(ev)

    def _dispatch(self) -> None:
        while True:
            ev = self._events.get()
            if ev is None:
                return
            if self.on_event is None:
                continue
            try:
                self.on_event(ev)
            except Exception:   # a handler bug must not stop the bus
                log.exception("bus event handler failed for %s", ev)

    def _transact(self, address: int, frame: bytes, expect_len: int, retries: int | None = None):
        """Send a request and return the response PDU, or None after retries (counted)."""
        link = self._link
        assert link is not None
        for attempt in range((self.retries if retries is None else retries) + 1):
            if attempt:
                self.stats.retries += 1
            self.stats.transactions += 1
            link.reset_input()
            link.write(frame)
            buf = bytearray()
            deadline = time.monotonic() + self.timeout
            result = None
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                chunk = link.read(256, timeout=left)
                if chunk:
                    buf += chunk
                    res = self._codec.decode(buf)
                    if res.status == "frame" and res.address == address:
                        result = res.pdu
                        break
                    if res.status == "frame":      # another device's reply: noise here
                        del buf[:res.used]
                    elif res.status == "crc":
                        del buf[:res.used]
                    if len(buf) >= expect_len:
                        # enough bytes for the reply yet no valid frame: wait only for a
                        # short gap in case garbage preceded it, then call it corrupt
                        deadline = min(deadline, time.monotonic() + 0.005)
            if result is not None:
                if isinstance(result, ExceptionResponse):
                    self.stats.exceptions += 1
                    return result
                return result
            if buf:
                self.stats.crc_errors += 1
            else:
                self.stats.timeouts += 1
        return None

    def _flush_writes(self) -> None:
        while self._writes:
            w = self._writes.popleft()
            st = self.devices.get(w.address)
            resp = self._transact(w.address, self._codec.write_request(w.address, w.start, w.values), 8)
            w.ok = resp is not None and not isinstance(resp, ExceptionResponse)
            if st is not None:
                self._account(st, resp is not None)
            w.done.set()

    def _account(self, st: DeviceState, ok: bool, *, misses_allowed: int = 0) -> None:
        """Record an answer or a miss; offline once the misses in a row exceed
        `misses_allowed` (a poll allows `retries`: its retries are the next turns)."""
        if ok:
            st.failures = 0
            st.last_seen = time.monotonic()
            self._set_online(st, True)
        else:
            st.failures += 1
            if st.failures > misses_allowed or st.online is None:
                self._set_online(st, False)

    def _poll(self, st: DeviceState, routine: bool = False) -> None:
        addr = st.spec.address
        st.polls += 1
        frame = self._poll_frames.get(addr)
        if frame is None:   # the same request every cycle: build it once
            frame = self._poll_frames[addr] = self._codec.read_request(addr, R.REG_EVENT_PENDING, 1)
        # One register. A key may be waiting behind a keypad's or lit pad's poll, so a miss
        # there (often only a late answer on a busy line) is retried at once; a routine
        # poll waits for its next turn.
        resp = self._transact(addr, frame, 7, retries=0 if routine else None)
        if resp is None or isinstance(resp, ExceptionResponse):
            self._account(st, resp is not None, misses_allowed=self.retries)
            return
        self._account(st, True)
        if st.spec.kind == "led" or not resp.registers or resp.registers[0] == 0:
            return
        # Something is pending: fetch and acknowledge it, and while more are queued in the
        # device keep going (a burst of presses comes in one go, before any routine poll).
        for _ in range(16):
            pending = self._take_event(st)
            if pending <= 1:
                return
            self.stats.drained += 1

    def _take_event(self, st: DeviceState) -> int:
        """Read the event block, hand a new event on once, acknowledge; returns how many
        events the device had pending (0 when the read failed)."""
        addr = st.spec.address
        # Keypads have no request ref: three registers, two bytes fewer.
        count = R.POLL_COUNT if st.spec.kind == "pad" else R.POLL_COUNT - 1
        resp = self._transact(addr, self._codec.read_request(addr, R.REG_POLL, count), 5 + 2 * count)
        if resp is None or isinstance(resp, ExceptionResponse):
            self._account(st, resp is not None, misses_allowed=self.retries)
            return 0
        seq, code, pending, ref = (list(resp.registers) + [0] * R.POLL_COUNT)[:R.POLL_COUNT]
        if pending == 0:
            st.last_seq = seq if st.last_seq is None else st.last_seq
            return 0
        if seq == st.last_seq:
            # We handled it but the acknowledgement was lost: acknowledge again, never re-count.
            self.stats.duplicates_suppressed += 1
        else:
            st.last_seq = seq
            st.hot_until = time.monotonic() + HOT_SECONDS
            self.stats.events += 1
            if st.spec.kind == "pad":
                st.lit = False        # the pad itself went to "thank you" on the key
            self._emit(BusEvent("key", st.spec, code=code, seq=seq, ref=ref))
        self._transact(addr, self._codec.write_request(addr, R.REG_EVENT_ACK, [seq]), 8)
        return pending
