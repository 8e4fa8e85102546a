"""Binds the window bus (rating pads, LED window screens, call keypads) to the queue engine."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from dataclasses import dataclass

from drivers.bus import BusEvent, BusMaster, DeviceSpec, KeypadKey, LedMode, PadMode
from hall.errors import Conflict, DomainError
from hall.events import last_seq, read_events
from hall.models import BAD_RATING_MAX

log = logging.getLogger(__name__)

THANKS_SECONDS = 3.0     # the pad says thank you this long, then shows the clerk again
ROUTINE_SECONDS = 3.0    # LED screens and idle pads: polled this often, just to know they are there
LIT_PAD_EVERY = 10       # a pad lit for a rating: every 10th cycle (about 1 s); every cycle after a key


@dataclass
class _PendingRating:
    ticket_id: str
    ref: int
    deadline: float
    level: int | None = None          # set once a bad level asked for a reason
    reasons: tuple[str, ...] = ()


def _rows(payload: dict, key: str) -> list[dict]:
    v = payload.get(key)
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


class DeviceBinding:
    """Keypad keys become engine calls; engine events drive the LED screens and pads.

    Screens follow the event log (not the keypad), so a call from the web console shows on
    the LED exactly like one from the keypad. A pad lights up on `rating.requested`; the first
    key within `pad_timeout` seconds is stored once as a 'pad' rating. A bad level (≤ 2)
    first asks for one of the configured reasons (the engine requires one), with another
    `pad_timeout`. No key in time: no rating; the default-rating rule applies later.
    """

    def __init__(self, engine, url: str | None = None, *, windows=None, pad_timeout: float | None = None,
                 timeout: float | None = None, retries: int | None = None, clock=time.monotonic):
        cfg = engine.config
        bus = cfg.devices.bus
        self.engine = engine
        self.clock = clock
        self.pad_timeout = float(pad_timeout if pad_timeout is not None else cfg.ratings.pad_timeout_seconds)
        self.window_numbers = {w.id: w.number for w in cfg.windows}
        specs: list[DeviceSpec] = []
        self.pad_of: dict[str, int] = {}
        self.led_of: dict[str, int] = {}
        for wd in (windows if windows is not None else cfg.devices.windows):
            if wd.pad:
                specs.append(DeviceSpec("pad", wd.pad, wd.window))
                self.pad_of[wd.window] = wd.pad
            if wd.led:
                specs.append(DeviceSpec("led", wd.led, wd.window))
                self.led_of[wd.window] = wd.led
            if wd.keypad:
                specs.append(DeviceSpec("keypad", wd.keypad, wd.window))
        url = url or bus.port
        if not url:
            raise ValueError("未配置窗口总线端口 [devices.bus] port / no window bus port configured")
        # Keypads (and lit pads) every poll_ms, or back to back when the line needs longer;
        # LED screens and idle pads have no keys to fetch: a routine poll every few seconds
        # tells they are there, and what they show is written to them when it changes.
        self.master = BusMaster(url, specs, self._on_bus_event,
                                timeout=(timeout if timeout is not None else bus.timeout_ms / 1000),
                                retries=retries if retries is not None else bus.retries,
                                poll_interval=bus.poll_ms / 1000, routine_interval=ROUTINE_SECONDS,
                                pad_every=LIT_PAD_EVERY)
        self._pending: dict[str, _PendingRating] = {}
        self._pad_texts: dict[str, str] = {}           # window -> what its pad shows when idle
        self.bad_without_reason = 0                    # bad levels whose reason never came
        self._thanks_until: dict[str, float] = {}
        self._refs = itertools.count(1)
        self._lock = threading.Lock()
        self._seq = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.ratings_stored = 0
        self.key_errors: list[tuple[str, str]] = []   # (window, message) of refused key presses

    # lifecycle --------------------------------------------------------------------------
    def start(self) -> DeviceBinding:
        self._seq = last_seq(self.engine.store)
        self._show_all()
        self.master.start()
        self._thread = threading.Thread(target=self._follow, daemon=True, name="device-binding")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=2)
        self.master.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # screens ----------------------------------------------------------------------------
    def _idle_text(self, window_id: str) -> str:
        return f"{self.window_numbers.get(window_id, '')}号窗口 欢迎办理"

    def _show_all(self) -> None:
        for w in self.engine.windows_overview():
            wid = w["id"]
            if wid in self.led_of:
                cur = w.get("current")
                if cur and cur["state"] in ("called", "serving"):
                    self._led(wid, LedMode.CALLING, self._call_text(cur["number"], wid))
                elif w["state"] == "open":
                    self._led(wid, LedMode.IDLE, self._idle_text(wid))
                else:
                    self._led(wid, LedMode.PAUSED, "暂停服务")
            if wid in self.pad_of:
                self._pad_texts[wid] = self._pad_text(wid, w.get("staff_name"))
                self.master.pad_text(self.pad_of[wid], self._pad_texts[wid])
                self.master.pad_mode(self.pad_of[wid], PadMode.IDLE)

    def _call_text(self, number: str, window_id: str) -> str:
        return f"{number} 请到 {self.window_numbers.get(window_id, '')} 号窗口"

    def _pad_text(self, window_id: str, staff_name: str | None) -> str:
        return f"{self.window_numbers.get(window_id, '')}号窗口 {staff_name or ''}".strip()

    def _led(self, window_id: str, mode: LedMode, text: str) -> None:
        addr = self.led_of.get(window_id)
        if addr is not None:
            self.master.show_led(addr, mode, text)

    # following the event log ------------------------------------------------------------
    def _follow(self) -> None:
        while not self._stop.is_set():
            self.engine.feed.wait_after(self._seq, 0.2)
            try:
                for ev in read_events(self.engine.store, self._seq, 200):
                    self._seq = ev["seq"]
                    self._apply(ev)
            except Exception:   # a bad event must not stop the screens
                log.exception("device binding failed on an event")
            self._expire()

    def _window_of(self, payload: dict) -> str | None:
        for w in _rows(payload, "window"):
            return w.get("id")
        if payload.get("window_id"):
            return payload["window_id"]
        for t in _rows(payload, "ticket"):
            if t.get("window_id"):
                return t["window_id"]
        return None

    def _apply(self, ev: dict) -> None:
        t, p = ev["type"], ev["payload"]
        wid = self._window_of(p)
        if wid is None:
            return
        if t in ("ticket.called", "ticket.recalled", "ticket.resumed"):
            self._led(wid, LedMode.CALLING, self._call_text(p.get("number", ""), wid))
        elif t in ("ticket.finished", "ticket.no_show", "ticket.held", "ticket.requeued",
                   "ticket.refused", "window.opened"):
            self._led(wid, LedMode.IDLE, self._idle_text(wid))
        elif t in ("ticket.transferred",) and _rows(p, "window"):
            self._led(wid, LedMode.IDLE, self._idle_text(wid))
        elif t in ("window.paused", "window.closed"):
            self._led(wid, LedMode.PAUSED, "暂停服务")
        elif t in ("window.signed_in", "window.signed_out") and wid in self.pad_of:
            name = p.get("staff_name") if t == "window.signed_in" else None
            self._pad_texts[wid] = self._pad_text(wid, name)
            self.master.pad_text(self.pad_of[wid], self._pad_texts[wid])
        elif t == "rating.requested" and wid in self.pad_of:
            with self._lock:
                ref = self._next_ref()
                self._pending[wid] = _PendingRating(p["ticket_id"], ref, self.clock() + self.pad_timeout)
            self.master.pad_mode(self.pad_of[wid], PadMode.RATING, ref)
        elif t == "rating.given":
            # rated another way (QR, web) while the pad was lit: put the pad out
            ticket_ids = {r.get("ticket_id") for r in _rows(p, "rating")}
            with self._lock:
                pend = self._pending.get(wid)
                if pend and pend.ticket_id in ticket_ids:
                    del self._pending[wid]
                    lit_out = True
                else:
                    lit_out = False
            if lit_out:
                self._pad_idle(wid)

    def _next_ref(self) -> int:
        ref = next(self._refs) & 0xFFFF
        return ref or self._next_ref()      # 0 means "no request" on the pad

    def _pad_idle(self, wid: str) -> None:
        self.master.pad_text(self.pad_of[wid], self._pad_texts.get(wid, self._pad_text(wid, None)))
        self.master.pad_mode(self.pad_of[wid], PadMode.IDLE)

    def _expire(self) -> None:
        now = self.clock()
        with self._lock:
            expired = [w for w, p in self._pending.items() if p.deadline <= now]
            for w in expired:
                # No key in time: no rating; the default rule applies later. A bad level
                # whose reason never came cannot be stored (the engine needs a reason).
                if self._pending[w].level is not None:
                    self.bad_without_reason += 1
                    log.warning("pad at %s: bad rating %d without a reason, not stored", w,
                                self._pending[w].level)
                del self._pending[w]
            thanked = [w for w, until in self._thanks_until.items() if until <= now]
            for w in thanked:
                del self._thanks_until[w]
        for w in expired + thanked:
            self._pad_idle(w)

    # keys -------------------------------------------------------------------------------
    def _on_bus_event(self, ev: BusEvent) -> None:
        if ev.kind != "key" or not ev.device.window_id:
            if ev.kind in ("online", "offline"):
                log.info("window device %s@%d %s", ev.device.kind, ev.device.address, ev.kind)
            return
        wid = ev.device.window_id
        if ev.device.kind == "keypad":
            self._keypad(wid, ev.code)
        elif ev.device.kind == "pad":
            self._pad(wid, ev.code, ev.ref)

    def _keypad(self, wid: str, code: int) -> None:
        e = self.engine
        try:
            key = KeypadKey(code)
        except ValueError:
            log.warning("keypad at %s sent unknown key %d", wid, code)
            return
        try:
            if key == KeypadKey.CALL_NEXT:
                if e.call_next(wid) is None:
                    self._led(wid, LedMode.IDLE, "暂无等候 " + self._idle_text(wid))
            elif key == KeypadKey.RECALL:
                e.recall(wid)
            elif key == KeypadKey.NO_SHOW:
                e.no_show(wid)
            elif key == KeypadKey.HOLD:
                e.hold(wid)
            elif key == KeypadKey.PAUSE_RESUME:
                state = e.window_state(wid)["state"]
                e.open_window(wid) if state == "paused" else e.pause_window(wid)
            elif key == KeypadKey.START:
                e.start(wid)
            elif key == KeypadKey.FINISH:
                e.finish(wid, "completed")
        except DomainError as exc:
            # The clerk pressed a key that does not apply now (e.g. call-next with a citizen
            # still at the window): nothing changes; the console shows the state.
            log.info("keypad %s at window %s refused: %s", key.name, wid, exc.message_en)
            self.key_errors.append((wid, exc.message))

    def _pad(self, wid: str, key: int, ref: int) -> None:
        """First key: the level. A bad level (差评) needs a reason: the pad then lists the
        configured reasons for that level, numbered, and the next key picks one."""
        reasons = ()
        with self._lock:
            pend = self._pending.get(wid)
            if pend is None or pend.ref != ref or pend.deadline <= self.clock():
                log.info("pad key at %s ignored: no rating request %d open", wid, ref)
                return
            if pend.level is None:
                level = key
                reasons = tuple(self.engine.config.ratings.reasons.get(str(level), []))[:5]
                if level <= BAD_RATING_MAX and reasons:
                    pend.level, pend.reasons, pend.ref = level, reasons, self._next_ref()
                    pend.deadline = self.clock() + self.pad_timeout
                    ask = pend.ref
                else:
                    del self._pending[wid]
                    reasons, ask = (), None
            else:
                level = pend.level
                if not 1 <= key <= len(pend.reasons):
                    pend.ref = self._next_ref()     # no such reason: ask again
                    ask, reasons = pend.ref, pend.reasons
                    level = None
                else:
                    del self._pending[wid]
                    reasons, ask = (pend.reasons[key - 1],), None
        if ask is not None:
            listed = " ".join(f"{i}{r}" for i, r in enumerate(pend.reasons, 1))
            self.master.pad_text(self.pad_of[wid], "请选择原因 " + listed)
            self.master.pad_mode(self.pad_of[wid], PadMode.REASON, ask)
            return
        with self._lock:
            self._thanks_until[wid] = self.clock() + THANKS_SECONDS
        try:
            self.engine.rate(level, reasons, ticket_id=pend.ticket_id, channel="pad")
            self.ratings_stored += 1
        except Conflict:
            pass   # already rated by QR or web a moment earlier: one rating per ticket
        except DomainError as exc:
            log.warning("pad rating %d at %s not stored: %s", level, wid, exc.message_en)

    def status(self) -> list[dict]:
        return self.master.status()


def start_from_config(engine) -> DeviceBinding | None:
    """The hall process calls this at start: a running binding, or None when no bus is set.

    Opening is lazy and retried in the background, so an unplugged adapter at start-up is a
    logged condition, not a failed hall.
    """
    if not engine.config.devices.bus.port or not engine.config.devices.windows:
        return None
    return DeviceBinding(engine).start()
