"""`onewindow sim-month`: working days of a month back to back (hall/simday.py for each), with
what happens to the matters (办件) the windows accept: the back office decides within or past
the promise, asks for more now and then, citizens bring owed materials (容缺) on a later day
(filed at the kiosk, marked supplied by a clerk), results are mailed or collected at 统一出件
(scanned pickup code -> pickup ticket served by the day's pickup windows -> hand-over), some
pickups need a second trip. The report is the one-visit rate and time against the promise.

Per working day D: a morning phase (07:40: decisions due, materials brought, pickup codes
scanned), the simulated day, an evening phase (17:45: hand-overs of served pickup tickets,
plans for the matters opened that day). One real engine per phase on the same SQLite file.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from hall.config import HallConfig
from hall.engine import Engine, ManualClock
from hall.errors import DomainError
from hall.matters_report import one_visit_report
from hall.simday import simulate_day
from hall.store import Store
from hall.workdays import WorkCalendar

APPROVER = "sim-approver"


@dataclass
class _Plan:
    decide_on: str                      # the day the back office decides
    reject: bool = False
    ask_more: bool = False
    supply_on: str | None = None        # the day owed materials arrive
    pickup_on: str | None = None        # the day the citizen comes to collect
    mail: bool = False


@dataclass
class MonthResult:
    days: list[str]
    report: dict
    tickets: int = 0
    errors_seen: dict = field(default_factory=dict)


def simulate_month(store: Store, cfg: HallConfig, start: dt.date, *, working_days: int = 20,
                   tickets: int = 300, seed: int = 1) -> MonthResult:
    rng = random.Random(seed)
    hall_days = WorkCalendar(cfg.calendar.holidays, cfg.calendar.workdays, cfg.day.weekdays)
    work = WorkCalendar(cfg.calendar.holidays, cfg.calendar.workdays, (1, 2, 3, 4, 5))
    plans: dict[str, _Plan] = {}
    errors: dict[str, int] = {}
    days: list[str] = []
    issued = 0

    def engine_at(day: dt.date, hhmm: str) -> Engine:
        h, m = (int(x) for x in hhmm.split(":"))
        clock = ManualClock(dt.datetime(day.year, day.month, day.day, h, m, tzinfo=cfg.tz).timestamp())
        return Engine(store, cfg, clock)

    def attempt(fn, *args, **kw):
        try:
            return fn(*args, **kw)
        except DomainError as exc:
            errors[exc.code] = errors.get(exc.code, 0) + 1
            return None

    day = start
    while len(days) < working_days:
        if not hall_days.is_working_day(day):
            day += dt.timedelta(days=1)
            continue
        today = day.isoformat()
        # -- morning: the back office and returning citizens
        e = engine_at(day, "07:40")
        e.ensure_business_day()
        if not days:
            e.add_staff(APPROVER, "审批员", "approver")
        for m in e.list_matters(limit=5000):
            p = plans.get(m["id"])
            if p is None:
                continue
            clock = e.clock
            clock.advance(2)
            if m["state"] == "accepted" and p.decide_on <= today:
                if p.reject:
                    attempt(e.advance_matter, m["id"], "reject", APPROVER, "不符合受理条件")
                elif p.ask_more:
                    attempt(e.advance_matter, m["id"], "ask_more", APPROVER, "需补正", materials=["补正说明"])
                    p.ask_more = False
                    p.supply_on = work.add_working_days(day, rng.randint(1, 4)).isoformat()
                    p.decide_on = work.add_working_days(day, rng.randint(2, 5)).isoformat()
                else:
                    attempt(e.advance_matter, m["id"], "approve", APPROVER)
            if m["owed_open"] and p.supply_on and p.supply_on <= today:
                acc = e.matter_access(m["code"])
                attempt(e.scan_pickup_code, "OW1:P:" + acc["pickup_token"])         # filed at the kiosk
                for name in m["owed_open"]:
                    attempt(e.supply_material, m["id"], name, "sim15")
                p.supply_on = None
            cur = e.get_matter(m["id"])
            if cur["state"] == "more_requested" and not cur["owed_open"]:
                attempt(e.advance_matter, m["id"], "resume", APPROVER)
            if cur["state"] == "approved" and not cur["owed_open"]:
                if p.mail:
                    attempt(e.advance_matter, m["id"], "mail", APPROVER, f"EMS{rng.randrange(10**9):09d}")
                else:
                    attempt(e.advance_matter, m["id"], "ready", APPROVER)
                    p.pickup_on = work.add_working_days(day, rng.choice([1, 1, 2, 3, 6])).isoformat()
            if cur["state"] == "ready" and p.pickup_on and p.pickup_on <= today:
                acc = e.matter_access(m["code"])
                attempt(e.scan_pickup_code, "OW1:P:" + acc["pickup_token"])
                p.pickup_on = None
        # -- the day itself
        result = simulate_day(store, cfg, day, tickets=tickets, seed=seed * 1000 + len(days))
        issued += result.summary.get("issued", 0) if isinstance(result.summary, dict) else 0
        for k, v in result.errors_seen.items():
            errors[k] = errors.get(k, 0) + v
        # -- evening: hand-overs and plans for today's new matters
        e = engine_at(day, "17:45")
        with store.read() as c:
            served = [tuple(r) for r in c.execute(
                "SELECT v.matter_id, t.id, t.state FROM matter_visits v JOIN tickets t ON t.id = v.ticket_id "
                "WHERE v.kind = 'pickup' AND t.business_date = ?", (today,))]
            new = [r[0] for r in c.execute("SELECT id FROM matters WHERE business_date = ? AND closed_at IS NULL",
                                           (today,))]
        for matter_id, ticket_id, state in served:
            m = e.get_matter(matter_id)
            if m["state"] != "ready":
                continue
            if state == "done":
                proxy = rng.random() < 0.1
                attempt(e.hand_over, matter_id, "sim15", rng.choice(["张*", "李*", "王*"]), by_proxy=proxy,
                        note="授权委托书" if proxy else "", ticket_id=ticket_id)
            else:          # the ticket expired unserved: the citizen comes back another day
                plans[matter_id].pickup_on = work.add_working_days(day, 1).isoformat()
        for matter_id in new:
            m = e.get_matter(matter_id)
            promise = max(1, m["promise_days"])
            spread = rng.choice([0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.3])
            plans[matter_id] = _Plan(
                decide_on=work.add_working_days(day, max(1, round(promise * spread))).isoformat(),
                reject=rng.random() < 0.03, ask_more=rng.random() < 0.08, mail=rng.random() < 0.15,
                supply_on=work.add_working_days(day, rng.randint(1, cfg.matters.owed_working_days + 1)).isoformat()
                if m["owed_open"] else None)
        days.append(today)
        day += dt.timedelta(days=1)
    e = engine_at(day, "07:40")
    report = one_visit_report(store, e.calendar, days[0], days[-1], today=e.business_date(),
                              tz=cfg.hall.timezone)
    return MonthResult(days, report, issued, errors)


def format_month(result: MonthResult) -> str:
    t = result.report["total"] or {}

    def pct(v):
        return "—" if v is None else f"{v * 100:.1f}%"

    lines = [f"模拟 {len(result.days)} 个工作日 Simulated working days: {result.days[0]} – {result.days[-1]}",
             f"办件 Matters: {t.get('matters', 0)}  已办结 settled: {t.get('settled', 0)}",
             f"一次办好率（不含取件）One visit, pickup apart: {pct(t.get('one_visit_rate'))}",
             f"一次办好率（含取件）One visit in all: {pct(t.get('one_visit_incl_pickup_rate'))}",
             f"平均跑动次数 Visits per matter: {t.get('visits_per_matter')}",
             f"实际/承诺用时 Actual / promised time: {t.get('time_ratio')} (目标 target 0.5); "
             f"半数时限内办结 within half: {pct(t.get('within_half_rate'))}",
             f"平均用时 Average working days: {t.get('actual_days')} / 承诺 promised {t.get('promised_days')}",
             f"超期 Overdue: {t.get('overdue')}",
             "最常补交的材料 Most often owed: " + "、".join(f"{m['material']}({m['count']})"
                                                     for m in result.report["most_owed"][:5])]
    return "\n".join(lines)
