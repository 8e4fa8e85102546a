"""Case deadlines in working days across weekends, public holidays and make-up working days.

Expected dates are read off the 2026 State Council holiday notice by hand (National Day:
1-7 Oct off, Sunday 20 Sep and Saturday 10 Oct worked), not computed by the code under test.
"""

from __future__ import annotations

import datetime as dt

import pytest

from hall.api.manager import next_due
from hall.engine import Engine, ManualClock
from hall.workdays import WorkCalendar

D = dt.date


@pytest.fixture
def cal(hall_config):
    return WorkCalendar(hall_config.calendar.holidays, hall_config.calendar.workdays)


@pytest.mark.parametrize("start, n, due", [
    (D(2026, 11, 27), 1, D(2026, 11, 30)),   # Friday + 1 -> Monday
    (D(2026, 11, 27), 5, D(2026, 12, 4)),
    (D(2026, 11, 28), 0, D(2026, 11, 30)),   # a Saturday, due "today" -> next working day
    (D(2026, 9, 30), 1, D(2026, 10, 8)),     # the Golden Week holiday is skipped
    (D(2026, 9, 30), 3, D(2026, 10, 10)),    # ... and Saturday 10 Oct is worked (调休)
    (D(2026, 9, 30), 15, D(2026, 10, 27)),
    (D(2026, 9, 18), 1, D(2026, 9, 20)),     # Sunday 20 Sep is a make-up working day
    (D(2026, 4, 3), 1, D(2026, 4, 7)),       # weekend, then Qingming Monday
])
def test_add_working_days(cal, start, n, due):
    assert cal.add_working_days(start, n) == due


def test_working_days_between_counts_make_up_days_and_skips_holidays(cal):
    assert cal.working_days_between(D(2026, 9, 30), D(2026, 10, 12)) == 4    # 8, 9, 10 (调休), 12
    assert cal.working_days_between(D(2026, 10, 12), D(2026, 9, 30)) == -4


def _engine_at(store, config, when: dt.datetime) -> tuple[Engine, ManualClock]:
    # A fresh engine whose first business day is `when`'s: the business date never runs back.
    clock = ManualClock(when.timestamp())
    engine = Engine(store, config, clock)
    engine.add_staff("c1", "张晓明", "clerk")
    engine.add_staff("m1", "王主任", "manager")
    return engine, clock


def test_case_opened_before_golden_week_gets_deadlines_after_it(store, hall_config):
    engine, _ = _engine_at(store, hall_config, dt.datetime(2026, 9, 30, 10, 0, tzinfo=hall_config.tz))
    engine.file_complaint("attitude", "窗口推诿")
    case = engine.list_cases()[-1]
    # complaint: revisit 1, rectify 5, reply 5 working days (hall.example.toml)
    assert (case["revisit_due"], case["rectify_due"], case["reply_due"]) == ("2026-10-08", "2026-10-13", "2026-10-13")
    assert next_due(case) == "2026-10-08"
    # on the last holiday it is not overdue; the day after the revisit date it is
    assert engine.case_overdue(case, "2026-10-07") is False
    assert engine.case_overdue(case, "2026-10-09") is True
    # once the citizen is contacted the next deadline is the rectification
    engine.advance_case(case["id"], "contact", "m1", "已电话回访核实")
    case = engine.get_case(case["id"])
    assert next_due(case) == "2026-10-13"
    assert engine.case_overdue(case, "2026-10-09") is False
    assert engine.case_overdue(case, "2026-10-14") is True


def test_bad_rating_case_over_a_make_up_weekend(store, hall_config):
    engine, _ = _engine_at(store, hall_config, dt.datetime(2026, 9, 18, 10, 0, tzinfo=hall_config.tz))  # Friday
    engine.sign_in("w03", "c1")
    engine.open_window("w03")
    ticket, _ = engine.issue_ticket("biz-setup")
    engine.call_next("w03")
    engine.start("w03")
    engine.finish("w03", "completed")
    engine.rate(1, ["推诿扯皮"], ticket_id=ticket["id"])
    case = engine.list_cases()[-1]
    assert case["business_date"] == "2026-09-18"
    # rating: revisit 1 -> the worked Sunday 20 Sep; rectify 5 -> 20, 21, 22, 23, 24;
    # reply 15 -> skips Mid-Autumn (25 Sep) and Golden Week, counts Saturday 10 Oct.
    assert case["revisit_due"] == "2026-09-20"
    assert case["rectify_due"] == "2026-09-24"
    assert case["reply_due"] == "2026-10-15"
