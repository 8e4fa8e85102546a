"""Working-day arithmetic for case deadlines: weekends and holidays skipped, 调休 days counted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable


class WorkCalendar:
    def __init__(self, holidays: Iterable[dt.date] = (), workdays: Iterable[dt.date] = (),
                 weekdays: Iterable[int] = (1, 2, 3, 4, 5)):
        self.holidays = set(holidays)
        self.workdays = set(workdays)     # make-up working days on a weekend
        self.weekdays = set(weekdays)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.isoweekday() in self.weekdays

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The date by which something due within `n` working days after `start` must be done.

        Counting starts the day after `start`; n=0 means the same day (or, when `start` is
        not a working day, the next working day)."""
        day = start
        if n <= 0:
            while not self.is_working_day(day):
                day += dt.timedelta(days=1)
            return day
        counted = 0
        while counted < n:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(1 for i in range(1, (end - start).days + 1)
                   if self.is_working_day(start + dt.timedelta(days=i)))
