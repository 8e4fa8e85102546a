"""Working days for case deadlines: weekends and holidays skipped, make-up days (调休) counted."""

import datetime as dt

from hall.workdays import WorkCalendar

D = dt.date
# National Day 2026 as in the example config: Oct 1-7 off except weekends; Sep 20 and Oct 10 work.
CAL = WorkCalendar(holidays=[D(2026, 10, d) for d in (1, 2, 5, 6, 7)] + [D(2026, 9, 25)],
                   workdays=[D(2026, 9, 20), D(2026, 10, 10)])


def test_plain_week():
    assert CAL.add_working_days(D(2026, 11, 27), 1) == D(2026, 11, 30)     # Fri -> Mon
    assert CAL.add_working_days(D(2026, 11, 23), 5) == D(2026, 11, 30)     # Mon -> next Mon
    assert CAL.add_working_days(D(2026, 11, 28), 0) == D(2026, 11, 30)     # Sat, due today -> Mon


def test_across_holidays_and_make_up_days():
    # From Wed Sep 30: Oct 1,2 holiday, 3,4 weekend, 5-7 holiday, Oct 8 Thu is the 1st working day,
    # Oct 9 the 2nd, Sat Oct 10 (调休) the 3rd.
    assert CAL.add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert CAL.add_working_days(D(2026, 9, 30), 3) == D(2026, 10, 10)
    assert CAL.add_working_days(D(2026, 9, 18), 1) == D(2026, 9, 20)      # Sunday make-up day
    assert CAL.add_working_days(D(2026, 9, 24), 1) == D(2026, 9, 28)      # Fri 25 holiday


def test_counting_between():
    assert CAL.working_days_between(D(2026, 9, 30), D(2026, 10, 10)) == 3
    assert CAL.working_days_between(D(2026, 10, 10), D(2026, 9, 30)) == -3
    assert CAL.is_working_day(D(2026, 10, 10)) and not CAL.is_working_day(D(2026, 10, 1))
