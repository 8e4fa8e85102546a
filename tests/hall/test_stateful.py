"""A Hypothesis state machine over the real engine, checked against a reference model.

Random sequences of what a hall does — issue (normal and green channel), call next, recall,
start, finish, hold and resume, return to the queue first or last, no-show, transfer (and
return to the first window), refuse (redirect, missing materials), walk-out, pause and
reopen a window, the next business day — run on a real SQLite file. A small in-memory model
predicts each step. After every step:

- no number is issued twice per service per day, and there are no gaps;
- every ticket is in exactly the state the model says (so in exactly one state), and each
  window shows exactly the ticket the model says;
- call next respects the order: tickets sent back to this window, then the green channel,
  FIFO within a priority class per service, FIFO across services at a fifo window, the
  service order at an order window, the call ratios at a ratio window;
- a transferred ticket keeps its issue time and its place;
- an illegal move raises a DomainError and appends no event (nothing changes);
- `onewindow db check`'s invariants hold.
At the end, replaying all events into an empty database gives the same state tables.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from hall.check import check_invariants
from hall.config import EXAMPLE_PATH, load_config, write_example_config
from hall.engine import Engine, ManualClock
from hall.errors import DomainError
from hall.events import last_seq, read_events
from hall.replay import replay_into, state_digest
from hall.store import Store

FRIDAY_10AM = 1795744800.0   # 2026-11-27 10:00 Asia/Shanghai, a Friday
WINDOW_IDS = ["w03", "w05", "w07", "w15"]   # fifo, order, ratio, pickup
RECALLS_BEFORE_NO_SHOW = 2

_TEMPLATE: dict = {}


def _template() -> tuple[Path, object]:
    """One migrated database with the windows open, copied for every example (fast)."""
    if not _TEMPLATE:
        d = Path(tempfile.mkdtemp(prefix="ow-stateful-"))
        config = load_config(write_example_config(d / "hall.toml"))
        store = Store.open(d / "template.db")
        engine = Engine(store, config, ManualClock(FRIDAY_10AM))
        for i, window_id in enumerate(WINDOW_IDS):
            engine.add_staff(f"s{i}", f"窗口{i}", "clerk")
            engine.sign_in(window_id, f"s{i}")
            engine.open_window(window_id)
        store.close()
        _TEMPLATE.update(dir=d, db=d / "template.db", config=config)
    return _TEMPLATE["db"], _TEMPLATE["config"]


@pytest.fixture(scope="module", autouse=True)
def _cleanup_template():
    yield
    if _TEMPLATE:
        shutil.rmtree(_TEMPLATE["dir"], ignore_errors=True)
        _TEMPLATE.clear()


@dataclass
class T:
    """The model's view of one ticket."""
    id: str
    token: str
    service: str
    rank: int
    number: str
    seq_no: int | None
    issued_at: float
    sort_at: float
    date: str
    state: str = "waiting"
    window: str | None = None
    target: str | None = None
    return_window: str | None = None
    origin_service: str | None = None
    recalls: int = 0
    started: bool = False
    called_at: float | None = None
    transferred_to: str | None = None


def _services_in_play() -> list[str]:
    """The services the chosen windows serve (read from the shipped example, no I/O besides)."""
    ids: list[str] = []
    for w in load_config(EXAMPLE_PATH).windows:
        if w.id in WINDOW_IDS:
            ids += [s for s in w.services if s not in ids]
    return ids


# Rules draw a number, not a window: mostly it picks a window where the move is possible (and
# preconditions keep rules that could only fail rare), sometimes any window, so illegal moves
# are tried too.
WINDOW = st.integers(min_value=0, max_value=11)


class HallMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        template, self.config = _template()
        self.dir = Path(tempfile.mkdtemp(prefix="ow-example-"))
        shutil.copy(template, self.dir / "hall.db")
        self.store = Store.open(self.dir / "hall.db")
        self.clock = ManualClock(FRIDAY_10AM)
        self.engine = Engine(self.store, self.config, self.clock)
        self.prefix = {s.id: s.prefix for s in self.config.services}
        self.win_services = {w.id: list(w.services) for w in self.config.windows if w.id in WINDOW_IDS}
        self.win_mode = {w.id: w.mode for w in self.config.windows if w.id in WINDOW_IDS}
        self.win_weights = {w.id: dict(w.weights) for w in self.config.windows if w.id in WINDOW_IDS}
        self.served: dict[str, dict[str, int]] = {w: {} for w in WINDOW_IDS}   # calls today
        self.tickets: dict[str, T] = {}
        self.windows = {w: {"state": "open", "current": None} for w in WINDOW_IDS}
        self.date = self.engine.business_date()
        self.counters: dict[tuple[str, str], int] = {}
        self.days = 0

    def teardown(self):
        try:
            self._check_replay()
        finally:
            self.store.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    # ------------------------------------------------------------------ helpers
    def _tick(self, seconds: float = 7.0) -> None:
        self.clock.advance(seconds)

    def _illegal(self, fn, *args, **kwargs) -> None:
        """An illegal move raises a DomainError and changes nothing."""
        before = last_seq(self.store)
        with pytest.raises(DomainError):
            fn(*args, **kwargs)
        assert last_seq(self.store) == before

    def _window(self, k: int, prefer) -> str:
        fits = [w for w in WINDOW_IDS if prefer(w)] if prefer else []
        return fits[k % len(fits)] if fits and k < 9 else WINDOW_IDS[k % len(WINDOW_IDS)]

    def _idle(self, w: str) -> bool:
        cur = self._current(w)
        return self.windows[w]["state"] == "open" and not (cur and cur.state in ("called", "serving"))

    def _called(self, w: str) -> bool:
        cur = self._current(w)
        return bool(cur and cur.state == "called")

    def _busy(self, w: str) -> bool:
        cur = self._current(w)
        return bool(cur and cur.state in ("called", "serving"))

    def _has_held(self, w: str) -> bool:
        return not self._busy(w) and any(t.state == "held" and t.window == w for t in self.tickets.values())

    def _current(self, window_id: str) -> T | None:
        tid = self.windows[window_id]["current"]
        return self.tickets[tid] if tid else None

    def _db_ticket(self, tid: str) -> dict:
        return self.engine.get_ticket(tid)

    def _add_follow_up(self, new: dict, origin: T, return_window: str | None, target: str | None,
                       origin_service: str | None) -> T:
        t = T(id=new["id"], token=new["token"], service=new["service_id"], rank=origin.rank,
              number=origin.number, seq_no=None, issued_at=origin.issued_at, sort_at=origin.sort_at,
              date=origin.date, target=target, return_window=return_window, origin_service=origin_service)
        self.tickets[t.id] = t
        origin.transferred_to = t.id
        # Transfers keep the issue time and the place in the queue.
        assert new["issued_at"] == origin.issued_at and new["sort_at"] == origin.sort_at
        assert new["number"] == origin.number and new["seq_no"] is None
        return t

    # ------------------------------------------------------------------ rules
    @initialize()
    def start_day(self):
        assert self.engine.business_date() == self.date

    @rule(service=st.sampled_from(_services_in_play()), green=st.booleans())
    def issue(self, service, green):
        self._tick()
        ticket, created = self.engine.issue_ticket(service, priority_reason="elderly" if green else None)
        assert created
        n = self.counters.get((self.date, service), 0) + 1
        self.counters[(self.date, service)] = n
        # Numbers come from the counter: the next one, never reused, no gaps.
        assert ticket["seq_no"] == n
        assert ticket["number"] == f"{self.prefix[service]}{n:03d}"
        assert ticket["business_date"] == self.date
        self.tickets[ticket["id"]] = T(
            id=ticket["id"], token=ticket["token"], service=service, rank=1 if green else 2,
            number=ticket["number"], seq_no=n, issued_at=ticket["issued_at"], sort_at=ticket["sort_at"],
            date=self.date)

    @rule(services=st.lists(st.sampled_from(_services_in_play()), min_size=2, max_size=5))
    def issue_several(self, services):
        for service in services:
            self.issue(service, False)

    @precondition(lambda self: any(t.state == "waiting" for t in self.tickets.values()))
    @rule(window=WINDOW)
    def call_next(self, window):
        window = self._window(window, self._idle)
        self._tick()
        w = self.windows[window]
        cur = self._current(window)
        if w["state"] != "open" or (cur and cur.state in ("called", "serving")):
            return self._illegal(self.engine.call_next, window)
        got = self.engine.call_next(window)
        waiting = [t for t in self.tickets.values() if t.state == "waiting"]
        targeted = [t for t in waiting if t.target == window]
        pool = [t for t in waiting if t.target is None and t.service in self.win_services[window]]
        if got is None:
            assert not targeted and not pool, "call next found nobody, but someone waits for this window"
            return
        t = self.tickets[got["id"]]
        if targeted:
            assert t is min(targeted, key=lambda x: x.sort_at), "a ticket sent back to this window comes first"
        else:
            assert t in pool, f"{t.number} is not for window {window}"
            assert t.rank == min(x.rank for x in pool), "green channel before normal tickets"
            same = [x for x in pool if x.rank == t.rank and x.service == t.service]
            assert t.sort_at == min(x.sort_at for x in same), "FIFO within a priority class"
            same_rank = [x for x in pool if x.rank == t.rank]
            if t.rank == 1 or self.win_mode[window] == "fifo":
                assert t.sort_at == min(x.sort_at for x in same_rank), "FIFO across the window's services"
            elif self.win_mode[window] == "order":
                first = next(s for s in self.win_services[window] if any(x.service == s for x in same_rank))
                assert t.service == first, "an order window calls its services in order"
            else:
                # Ratio: the service furthest behind its weight (calls today / weight) goes next.
                order = self.win_services[window]
                served, weights = self.served[window], self.win_weights[window]
                behind = min({x.service for x in same_rank},
                             key=lambda s: (served.get(s, 0) / max(weights.get(s, 1), 1), order.index(s)))
                assert t.service == behind, "a ratio window keeps to its call ratios"
        self.served[window][t.service] = self.served[window].get(t.service, 0) + 1
        t.state, t.window, t.recalls, t.called_at = "called", window, 0, got["called_at"]
        t.target = None if t.target == window else t.target
        w["current"] = t.id

    def _require(self, window, fn, states, *args, **kwargs):
        """Run fn(window) when the window's current ticket is in `states`, else expect refusal."""
        self._tick()
        cur = self._current(window)
        if cur is None or cur.state not in states:
            self._illegal(fn, window, *args, **kwargs)
            return None
        return cur

    @precondition(lambda self: any(map(self._called, WINDOW_IDS)))
    @rule(window=WINDOW)
    def recall(self, window):
        window = self._window(window, self._called)
        cur = self._require(window, self.engine.recall, ("called",))
        if cur:
            self.engine.recall(window)
            cur.recalls += 1

    @precondition(lambda self: any(map(self._called, WINDOW_IDS)))
    @rule(window=WINDOW)
    def start(self, window):
        window = self._window(window, self._called)
        cur = self._require(window, self.engine.start, ("called",))
        if cur:
            self.engine.start(window)
            cur.state, cur.started = "serving", True

    @precondition(lambda self: any(map(self._busy, WINDOW_IDS)))
    @rule(window=WINDOW, outcome=st.sampled_from(["completed", "accepted"]))
    def finish(self, window, outcome):
        window = self._window(window, self._busy)
        cur = self._require(window, self.engine.finish, ("called", "serving"), outcome)
        if not cur:
            return
        done = self.engine.finish(window, outcome)
        cur.state, self.windows[window]["current"] = "done", None
        if cur.return_window:
            # 'Return to me': the citizen goes back to the first window, keeping their place.
            assert done["id"] == cur.id
            back = self._db_ticket(self._db_ticket(cur.id)["transferred_to"])
            assert back["target_window_id"] == cur.return_window
            assert back["service_id"] == cur.origin_service
            self._add_follow_up(back, cur, None, cur.return_window, None)

    @precondition(lambda self: any(map(self._busy, WINDOW_IDS)))
    @rule(window=WINDOW)
    def hold(self, window):
        window = self._window(window, self._busy)
        cur = self._require(window, self.engine.hold, ("called", "serving"))
        if cur:
            self.engine.hold(window)
            cur.state, self.windows[window]["current"] = "held", None

    @precondition(lambda self: any(t.state == "held" for t in self.tickets.values()))
    @rule(window=WINDOW)
    def resume(self, window):
        window = self._window(window, self._has_held)
        self._tick()
        cur = self._current(window)
        held = [t for t in self.tickets.values() if t.state == "held" and t.window == window]
        if (cur and cur.state in ("called", "serving")) or not held:
            return self._illegal(self.engine.resume, window)
        got = self.engine.resume(window)
        t = max(held, key=lambda x: x.called_at)
        assert got["id"] == t.id
        t.state = "serving" if t.started else "called"
        self.windows[window]["current"] = t.id

    @precondition(lambda self: any(map(self._busy, WINDOW_IDS)))
    @rule(window=WINDOW, position=st.sampled_from(["first", "last"]))
    def requeue(self, window, position):
        window = self._window(window, self._busy)
        cur = self._require(window, self.engine.return_to_queue, ("called", "serving"), position)
        if not cur:
            return
        got = self.engine.return_to_queue(window, position)
        if position == "first":
            assert got["sort_at"] == cur.sort_at
        else:
            assert got["sort_at"] == self.clock.now()
        cur.sort_at, cur.state, cur.window = got["sort_at"], "waiting", None
        cur.recalls, cur.started, cur.called_at = 0, False, None
        self.windows[window]["current"] = None

    @precondition(lambda self: any(map(self._called, WINDOW_IDS)))
    @rule(window=WINDOW)
    def no_show(self, window):
        window = self._window(window, self._called)
        self._tick()
        cur = self._current(window)
        if cur is None or cur.state != "called" or cur.recalls < RECALLS_BEFORE_NO_SHOW:
            return self._illegal(self.engine.no_show, window)
        self.engine.no_show(window)
        cur.state, self.windows[window]["current"] = "no_show", None

    @precondition(lambda self: any(map(self._busy, WINDOW_IDS)))
    @rule(window=WINDOW, to_service=st.sampled_from(_services_in_play()),
          return_to_me=st.booleans())
    def transfer(self, window, to_service, return_to_me):
        window = self._window(window, self._busy)
        cur = self._require(window, self.engine.transfer, ("called", "serving"), to_service, return_to_me=return_to_me)
        if not cur:
            return
        if to_service == cur.service:
            return self._illegal(self.engine.transfer, window, to_service, return_to_me=return_to_me)
        new = self.engine.transfer(window, to_service, return_to_me=return_to_me)
        cur.state, self.windows[window]["current"] = "transferred", None
        self._add_follow_up(new, cur, window if return_to_me else None, None,
                            cur.service if return_to_me else None)

    @precondition(lambda self: any(map(self._busy, WINDOW_IDS)))
    @rule(window=WINDOW, to_service=st.sampled_from(_services_in_play()))
    def refuse_redirect(self, window, to_service):
        window = self._window(window, self._busy)
        cur = self._require(window, self.engine.refuse, ("called", "serving"), "redirect",
                            target_service_id=to_service)
        if not cur:
            return
        if to_service == cur.service:
            return self._illegal(self.engine.refuse, window, "redirect", target_service_id=to_service)
        report = self.engine.refuse(window, "redirect", target_service_id=to_service)
        cur.state, self.windows[window]["current"] = "transferred", None
        # 窗口无权否决: a redirected citizen is transferred, never dropped.
        self._add_follow_up(self._db_ticket(report["new_ticket_id"]), cur, None, None, None)

    @precondition(lambda self: any(map(self._busy, WINDOW_IDS)))
    @rule(window=WINDOW)
    def refuse_missing_materials(self, window):
        window = self._window(window, self._busy)
        cur = self._require(window, self.engine.refuse, ("called", "serving"), "missing_materials",
                            materials=["营业执照"])
        if cur:
            self.engine.refuse(window, "missing_materials", materials=["营业执照"])
            cur.state, self.windows[window]["current"] = "refused", None

    @rule(data=st.data())
    def walk_out(self, data):
        if not self.tickets:
            return
        t = self.tickets[data.draw(st.sampled_from(list(self.tickets)))]   # issue order: deterministic
        while t.transferred_to:       # the token leads to the ticket the citizen now holds
            t = self.tickets[t.transferred_to]
        self._tick()
        if t.state != "waiting":
            return self._illegal(self.engine.cancel_ticket, t.token)
        self.engine.cancel_ticket(t.token)
        t.state = "walked_out"

    @rule(window=WINDOW)
    def toggle_pause(self, window):
        window = self._window(window, None)
        self._tick()
        w = self.windows[window]
        if w["state"] == "open":
            self.engine.pause_window(window)
            w["state"] = "paused"
        else:
            self.engine.open_window(window)
            w["state"] = "open"

    @precondition(lambda self: self.days < 2)
    @rule()
    def next_business_day(self):
        """Rollover: what is still open expires, numbering starts again at 1."""
        self.clock.advance(24 * 3600)
        self.days += 1
        new_date = self.engine.ensure_business_day()
        assert new_date > self.date
        self.date = new_date
        for t in self.tickets.values():
            if t.state in ("waiting", "called", "serving", "held"):
                t.state = "expired"
        for i, (window_id, w) in enumerate(self.windows.items()):
            w["current"] = None
            self.served[window_id] = {}
            self.engine.sign_in(window_id, f"s{i}")     # day close may sign everyone out
            self.engine.open_window(window_id)
            w["state"] = "open"

    # ------------------------------------------------------------------ invariants
    @invariant()
    def states_match_the_model(self):
        with self.store.read() as c:
            db = {r["id"]: dict(r) for r in c.execute("SELECT * FROM tickets")}
            windows = {r["id"]: r["current_ticket_id"] for r in c.execute("SELECT id, current_ticket_id FROM windows")}
        assert set(db) == set(self.tickets)
        for tid, t in self.tickets.items():
            row = db[tid]
            assert row["state"] == t.state, f"{t.number}: db {row['state']}, model {t.state}"
            assert row["sort_at"] == t.sort_at and row["issued_at"] == t.issued_at
            if t.state in ("called", "serving", "held"):
                assert row["window_id"] == t.window
        for window_id, w in self.windows.items():
            assert windows[window_id] == w["current"]

    @invariant()
    def numbers_unique_and_without_gaps(self):
        with self.store.read() as c:
            rows = c.execute("SELECT business_date, service_id, seq_no, number FROM tickets "
                             "WHERE seq_no IS NOT NULL").fetchall()
        per: dict[tuple[str, str], list[int]] = {}
        for bd, service, seq_no, number in rows:
            per.setdefault((bd, service), []).append(seq_no)
            assert number == f"{self.prefix[service]}{seq_no:03d}"
        for key, numbers in per.items():
            assert sorted(numbers) == list(range(1, len(numbers) + 1)), f"{key}: {sorted(numbers)}"
            assert self.counters[key] == len(numbers)

    @invariant()
    def db_check_passes(self):
        assert check_invariants(self.store) == []

    def _check_replay(self):
        events = read_events(self.store, 0, limit=10**9)
        rebuilt = Store.open(self.dir / "replayed.db")
        try:
            replay_into(events, rebuilt)
            assert state_digest(rebuilt) == state_digest(self.store), "replaying the events gives other state"
        finally:
            rebuilt.close()


HallMachine.TestCase.settings = settings(
    max_examples=60, stateful_step_count=50, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
TestHall = HallMachine.TestCase
