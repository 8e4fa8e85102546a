"""Matters (办件) as a state machine: random acceptances (with and without owed materials),
back-office steps, supplies, kiosk scans and hand-overs in any order, legal or not, against a
small model. After every step the database agrees with the model and `db check` is clean; at
the end the events rebuild every state table exactly."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from hall.check import check_invariants
from hall.config import load_config, write_example_config
from hall.engine import Engine, ManualClock
from hall.errors import DomainError
from hall.events import last_seq, read_events
from hall.matters import FINAL_STATES, MATTER_STEPS
from hall.replay import replay_into, state_digest
from hall.store import Store

FRIDAY_9AM = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp()
_CFG: dict = {}


def _config():
    if not _CFG:
        d = Path(tempfile.mkdtemp(prefix="ow-matters-cfg-"))
        _CFG["cfg"] = load_config(write_example_config(d / "hall.toml"))
        shutil.rmtree(d, ignore_errors=True)
    return _CFG["cfg"]


class MatterMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="ow-matters-"))
        self.store = Store.open(self.dir / "hall.db", synchronous="NORMAL")
        self.clock = ManualClock(FRIDAY_9AM)
        self.engine = Engine(self.store, _config(), self.clock)
        self.engine.add_staff("c1", "张", "clerk")
        self.engine.sign_in("w03", "c1")
        self.engine.open_window("w03")
        self.model: dict[str, dict] = {}          # matter id -> {"state", "owed": set}

    def teardown(self):
        try:
            rebuilt = Store.open(self.dir / "rebuilt.db", synchronous="OFF")
            replay_into(read_events(self.store, 0, 10**7), rebuilt)
            assert state_digest(rebuilt) == state_digest(self.store)
            rebuilt.close()
        finally:
            self.store.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    def _illegal(self, fn, *args, **kw):
        before = last_seq(self.store)
        with pytest.raises(DomainError):
            fn(*args, **kw)
        assert last_seq(self.store) == before

    def _pick(self, k: int) -> str | None:
        ids = sorted(self.model)
        return ids[k % len(ids)] if ids else None

    @rule(owed=st.sampled_from([[], ["住所使用证明"], ["住所使用证明", "公司章程"]]))
    def accept(self, owed):
        self.clock.advance(60)
        self.engine.issue_ticket("biz-setup")
        self.engine.call_next("w03")
        self.engine.finish("w03", "accepted_pending" if owed else "accepted", pending_materials=owed)
        m = self.engine.list_matters(limit=5000)
        new = [x for x in m if x["id"] not in self.model]
        assert len(new) == 1
        self.model[new[0]["id"]] = {"state": "accepted", "owed": set(owed)}

    @rule(k=st.integers(0, 30), step=st.sampled_from(sorted(MATTER_STEPS)))
    def step(self, k, step):
        mid = self._pick(k)
        if mid is None:
            return
        mm = self.model[mid]
        ok = mm["state"] in MATTER_STEPS[step][0] and not (step == "ready" and mm["owed"])
        if not ok:
            self._illegal(self.engine.advance_matter, mid, step, "a1", "说明", role="approver",
                          materials=["补正材料"])
            return
        self.clock.advance(60)
        self.engine.advance_matter(mid, step, "a1", "说明", role="approver", materials=["补正材料"])
        mm["state"] = MATTER_STEPS[step][1]
        if step == "ask_more":
            mm["owed"].add("补正材料")

    @rule(k=st.integers(0, 30))
    def progress(self, k):
        """The usual path, so that later steps (ready, pickup) are reached often."""
        mid = self._pick(k)
        if mid is None:
            return
        mm = self.model[mid]
        self.clock.advance(60)
        if mm["owed"] and mm["state"] in ("approved", "more_requested"):
            name = sorted(mm["owed"])[0]
            self.engine.supply_material(mid, name, "c1")
            mm["owed"].discard(name)
            return
        nxt = {"accepted": "approve", "approved": "ready", "more_requested": "resume"}.get(mm["state"])
        if nxt is None:
            return
        self.engine.advance_matter(mid, nxt, "a1", role="approver")
        mm["state"] = MATTER_STEPS[nxt][1]

    @rule(k=st.integers(0, 30), which=st.integers(0, 3))
    def supply(self, k, which):
        mid = self._pick(k)
        if mid is None:
            return
        mm = self.model[mid]
        owed = sorted(mm["owed"])
        if mm["state"] in FINAL_STATES or not owed:
            self._illegal(self.engine.supply_material, mid, "公司章程-不欠", "c1")
            return
        self.clock.advance(60)
        name = owed[which % len(owed)]
        self.engine.supply_material(mid, name, "c1")
        mm["owed"].discard(name)

    @rule(k=st.integers(0, 30))
    def scan_and_hand_over(self, k):
        ready = sorted(i for i, mm in self.model.items() if mm["state"] == "ready")
        mid = ready[k % len(ready)] if ready and k % 2 == 0 else self._pick(k)
        if mid is None:
            return
        mm = self.model[mid]
        code = self.engine.get_matter(mid)["code"]
        token = self.engine.matter_access(code)["pickup_token"]
        self.clock.advance(60)
        if mm["state"] == "ready":
            out = self.engine.scan_pickup_code("OW1:P:" + token)
            assert out["action"] == "ticket" and out["ticket"]["service_id"] == "pickup"
            self.engine.hand_over(mid, "c2", "李四", ticket_id=out["ticket"]["id"])
            mm["state"] = "collected"
        elif mm["owed"] and mm["state"] not in FINAL_STATES:
            assert self.engine.scan_pickup_code("OW1:P:" + token)["action"] == "filed"
        else:
            self._illegal(self.engine.scan_pickup_code, "OW1:P:" + token)
            self._illegal(self.engine.hand_over, mid, "c2", "李四")

    @rule(k=st.integers(0, 30), proxy=st.booleans())
    def collect(self, k, proxy):
        ready = sorted(i for i, mm in self.model.items() if mm["state"] == "ready")
        if not ready:
            return
        mid = ready[k % len(ready)]
        token = self.engine.matter_access(self.engine.get_matter(mid)["code"])["pickup_token"]
        self.clock.advance(60)
        ticket = self.engine.scan_pickup_code("OW1:P:" + token)["ticket"]
        assert self.engine.scan_pickup_code("OW1:P:" + token)["ticket"]["id"] == ticket["id"]   # same ticket
        self.engine.hand_over(mid, "c2", "王五", by_proxy=proxy, note="委托书" if proxy else "", ticket_id=ticket["id"])
        self.model[mid]["state"] = "collected"
        visits = [v["kind"] for v in self.engine.get_matter(mid)["visits"]]
        assert visits[0] == "accept" and visits[-1] == "pickup" and visits.count("pickup") == 1

    @invariant()
    def database_agrees(self):
        for mid, mm in self.model.items():
            m = self.engine.get_matter(mid)
            assert m["state"] == mm["state"] and set(m["owed_open"]) == mm["owed"]
            assert (m["closed_at"] is not None) == (mm["state"] in FINAL_STATES)
        assert check_invariants(self.store) == []


MatterMachine.TestCase.settings = settings(
    max_examples=25, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
TestMatters = MatterMachine.TestCase
