"""`onewindow sim-day`: a whole business day at accelerated time against a real database.

Citizens arrive through the day (morning and afternoon peaks), some on the green channel,
some with appointments; clerks call, recall, serve, transfer and refuse (with the no-veto
report); citizens rate, complain and ask for help. The engine is the real one, on a real
SQLite file, driven by a manual clock; the outcome is the day's summary.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field

from hall.config import HallConfig
from hall.engine import Engine, ManualClock
from hall.errors import DomainError
from hall.reports import day_summary
from hall.store import Store

STEP_SECONDS = 20


@dataclass
class _Desk:
    window_id: str
    phase: str = "idle"        # idle | called | serving
    ticket: dict | None = None
    until: float = 0.0
    recalls: int = 0
    coming: bool = True


@dataclass
class SimResult:
    business_date: str
    summary: dict
    refused_tickets: int = 0
    errors_seen: dict = field(default_factory=dict)


def _hm(t: str) -> tuple[int, int]:
    h, m = t.split(":")
    return int(h), int(m)


def last_working_day(cfg: HallConfig, before: dt.date) -> dt.date:
    from hall.workdays import WorkCalendar
    cal = WorkCalendar(cfg.calendar.holidays, cfg.calendar.workdays, cfg.day.weekdays)
    d = before
    while not cal.is_working_day(d):
        d -= dt.timedelta(days=1)
    return d


def simulate_day(store: Store, cfg: HallConfig, date: dt.date, *, tickets: int = 600, seed: int = 1,
                 open_at: str = "08:30", close_at: str = "17:30", staff_prefix: str = "sim") -> SimResult:
    """Run one business day on `store`; returns the day's summary."""
    rng = random.Random(seed)
    tz = cfg.tz
    oh, om = _hm(open_at)
    ch, cm = _hm(close_at)
    t0 = dt.datetime(date.year, date.month, date.day, oh, om, tzinfo=tz).timestamp()
    t_end = dt.datetime(date.year, date.month, date.day, ch, cm, tzinfo=tz).timestamp()
    clock = ManualClock(t0 - 1800)
    engine = Engine(store, cfg, clock)
    bd = engine.ensure_business_day()
    if bd != date.isoformat():
        raise DomainError("date_in_past", f"数据库的营业日已是 {bd}，不能模拟更早的 {date}",
                          f"the database is already at business day {bd}; cannot simulate {date}")
    errors: dict[str, int] = {}

    def attempt(fn, *args, **kw):
        try:
            return fn(*args, **kw)
        except DomainError as exc:
            errors[exc.code] = errors.get(exc.code, 0) + 1
            return None

    # Staff and windows: every window opens with its clerk; two windows open an hour late.
    desks = []
    late = []
    for i, w in enumerate(cfg.windows):
        sid = f"{staff_prefix}{w.number:02d}"
        engine.add_staff(sid, f"窗口{w.number}号 工作人员", "clerk")
        engine.sign_in(w.id, sid)
        if i in (3, 9):
            late.append(w.id)
        else:
            engine.open_window(w.id)
        desks.append(_Desk(w.id))
    engine.add_staff(f"{staff_prefix}-mgr", "大厅负责人", "manager")
    helper = f"{staff_prefix}-help"
    engine.add_staff(helper, "帮办员", "helper")

    # Appointments for the day, some checked in early, some late.
    appt_services = [s for s in cfg.services if s.appointments]
    appointments = []
    for n in range(max(4, tickets // 15)):
        s = rng.choice(appt_services)
        slot = t0 + 1800 + rng.randrange(0, int(t_end - t0 - 7200), 1800)
        start = dt.datetime.fromtimestamp(slot, tz)
        end = start + dt.timedelta(minutes=30)
        code = f"{date:%m%d}{n:04d}"
        appointments.append({"code": code, "service_id": s.id, "date": date.isoformat(),
                             "slot_start": start.strftime("%H:%M"), "slot_end": end.strftime("%H:%M"),
                             "name_masked": rng.choice(["张*", "李*", "王*", "刘*", "陈*"]),
                             "arrive": slot + rng.gauss(-600, 900)})
    engine.upsert_appointments([{k: v for k, v in a.items() if k != "arrive"} for a in appointments])

    # Arrivals: two peaks; weights favour the common services.
    weights = {s.id: (3.0 if s.pinned else 1.0) * (0.4 if s.kind in ("complaint", "help") else 1.0) for s in cfg.services}
    services = list(weights)
    day_len = t_end - t0 - 1800          # no arrivals in the last half hour (cut-off)

    def intensity(x: float) -> float:
        return 0.6 + math.exp(-((x - 0.2) / 0.12) ** 2) + 0.8 * math.exp(-((x - 0.65) / 0.12) ** 2)

    arrivals = []
    while len(arrivals) < tickets:
        x = rng.random()
        if rng.random() * 2.0 < intensity(x):
            arrivals.append(t0 + x * day_len)
    arrivals.sort()
    green = [r.id for r in cfg.green_channel.reasons]
    complaints_cats = [c.id for c in cfg.kiosk.complaint_categories] or ["general"]
    help_open: list[tuple[float, dict]] = []
    refused = 0

    clock.set(t0)
    ai = 0
    appt_i = sorted(appointments, key=lambda a: a["arrive"])
    aj = 0
    while clock.now() < t_end + 3600:
        now = clock.now()
        if late and now >= t0 + 3600:
            for wid in late:
                engine.open_window(wid)
            late = []
        while ai < len(arrivals) and arrivals[ai] <= now:
            sid = rng.choices(services, weights=[weights[s] for s in services])[0]
            reason = rng.choice(green) if rng.random() < 0.08 else None
            phone = f"13{rng.randrange(10**9):09d}" if rng.random() < 0.3 else None
            attempt(engine.issue_ticket, sid, priority_reason=reason, phone=phone,
                    idempotency_key=f"sim-{date:%Y%m%d}-{ai:06d}")
            ai += 1
        while aj < len(appt_i) and appt_i[aj]["arrive"] <= now:
            attempt(engine.check_in_appointment, appt_i[aj]["code"])
            aj += 1
        if rng.random() < 0.004:
            help_open.append((now + rng.uniform(60, 300), attempt(engine.raise_help, f"kiosk-{rng.randint(1, 3)}")))
        for item in list(help_open):
            due, h = item
            if h is None or now < due:
                if h is None:
                    help_open.remove(item)
                continue
            help_open.remove(item)
            if h["state"] == "open":
                acked = attempt(engine.acknowledge_help, h["id"], helper)
                if acked:
                    help_open.append((now + rng.uniform(120, 600), acked))
            else:
                attempt(engine.close_help, h["id"], helper)
        if rng.random() < 0.003:
            attempt(engine.file_complaint, rng.choice(complaints_cats), "",
                    rng.sample(cfg.kiosk.complaint_phrases or ["等候时间太长"], 1),
                    kind="suggestion" if rng.random() < 0.3 else "complaint")
        for desk in desks:
            if desk.window_id in late:
                continue
            _step_desk(engine, desk, rng, now, attempt, cfg)
            if desk.phase == "refused":
                refused += 1
                desk.phase = "idle"
        clock.advance(STEP_SECONDS)
        if now > t_end and all(d.phase == "idle" for d in desks):
            break
    engine.apply_default_ratings()
    engine.close_business_day()
    return SimResult(date.isoformat(), day_summary(store, date.isoformat()), refused, errors)


def _step_desk(engine: Engine, desk: _Desk, rng: random.Random, now: float, attempt, cfg: HallConfig) -> None:
    wid = desk.window_id
    if desk.phase == "idle":
        ticket = attempt(engine.call_next, wid)
        if ticket:
            desk.phase, desk.ticket, desk.recalls = "called", ticket, 0
            desk.coming = rng.random() < 0.94
            desk.until = now + rng.uniform(30, 120)
        return
    if desk.phase == "called" and now >= desk.until:
        if desk.coming:
            attempt(engine.start, wid)
            svc = cfg.service(desk.ticket["service_id"])
            mean = 60 * (svc.avg_minutes or cfg.queue.default_service_minutes)
            desk.phase, desk.until = "serving", now + max(60.0, rng.gammavariate(4, mean / 4))
        elif desk.recalls < cfg.queue.recalls_before_no_show:
            attempt(engine.recall, wid)
            desk.recalls += 1
            desk.until = now + 60
        else:
            attempt(engine.no_show, wid)
            desk.phase, desk.ticket = "idle", None
        return
    if desk.phase == "serving" and now >= desk.until:
        ticket = desk.ticket
        svc = cfg.service(ticket["service_id"])
        roll = rng.random()
        served = True
        if roll < 0.03 and svc.kind == "accept":
            served = False
            others = [s.id for s in cfg.services if s.kind == "accept" and s.id != svc.id]
            attempt(engine.transfer, wid, rng.choice(others), return_to_me=rng.random() < 0.3)
        elif roll < 0.07 and svc.kind == "accept":
            kind = rng.choice(["missing_materials", "missing_materials", "redirect", "escalate"])
            if kind == "missing_materials":
                held = {r.name for r in svc.electronic_materials}    # 免提交: never "missing"
                missing = [m for m in svc.materials if m not in held]
                mats = rng.sample(missing, k=min(len(missing), rng.randint(1, 2))) or ["补充材料"]
                attempt(engine.refuse, wid, kind, materials=mats, text="材料不全，已出具一次性告知单")
            elif kind == "redirect":
                others = [s.id for s in cfg.services if s.kind == "accept" and s.id != svc.id]
                attempt(engine.refuse, wid, kind, target_service_id=rng.choice(others), text="不属于本窗口事项，已指引")
                served = False
            else:
                attempt(engine.refuse, wid, kind, escalate_to=rng.choice(["chief_representative", "manager"]),
                        text="政策适用不明确，提交研究")
            desk.phase = "refused"
        else:
            r = rng.random()
            # Only services a window accepts for the back office open matters (hall/matters.py).
            outcome = "completed" if r < 0.8 or svc.kind != "accept" else ("accepted" if r < 0.95 else "accepted_pending")
            pending = rng.sample(svc.material_names, 1) if outcome == "accepted_pending" and svc.materials else ["补充材料"]
            attempt(engine.finish, wid, outcome, pending_materials=pending)
        if served and rng.random() < 0.7:
            level = rng.choices([5, 4, 3, 2, 1], weights=[70, 18, 7, 3, 2])[0]
            reasons = cfg.ratings.reasons.get(str(level), [])
            pick = rng.sample(reasons, 1) if reasons and (level <= 2 or rng.random() < 0.5) else []
            attempt(engine.rate, level, pick, ticket_id=ticket["id"], channel=rng.choice(["pad", "pad", "qr"]))
        if desk.phase != "refused":
            desk.phase = "idle"
        desk.ticket = None
