"""What the engine keeps between operations (services, the stored business date, averages,
the estimate's window grouping) never outlives a write it did not make itself."""

import datetime as dt
import sqlite3

import pytest

from hall.engine import Engine
from hall.errors import Refused


def issue(engine, service="tal-highend"):
    return engine.issue_ticket(service)[0]


def test_a_cap_changed_by_another_writer_on_the_same_connection_is_seen(engine, store):
    issue(engine)                                   # the engine now keeps the service row
    with store.transaction() as c:
        c.execute("UPDATE services SET daily_cap = 2 WHERE id = 'tal-highend'")
    issue(engine)
    with pytest.raises(Refused) as info:
        issue(engine)
    assert info.value.code == "full"


def test_a_cap_changed_by_another_connection_is_seen(engine, store):
    issue(engine)
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("UPDATE services SET daily_cap = 1 WHERE id = 'tal-highend'")
    other.close()
    with pytest.raises(Refused) as info:
        issue(engine)
    assert info.value.code == "full" and "今日号源已满" in info.value.message


def test_two_engines_on_one_store_share_numbers_and_the_day(store, hall_config, clock):
    a = Engine(store, hall_config, clock)
    b = Engine(store, hall_config, clock)
    numbers = [issue(a)["number"], issue(b)["number"], issue(a)["number"], issue(b)["number"]]
    assert [int(n[-3:]) for n in numbers] == [1, 2, 3, 4]
    clock.advance(24 * 3600)                        # Saturday: the hall is closed
    with pytest.raises(Refused):
        issue(b)
    clock.advance(2 * 24 * 3600)                    # Monday: b rolls the day over
    assert issue(b)["number"].endswith("001")
    assert a.business_date() == b.business_date() == "2026-11-30"
    assert issue(a)["number"].endswith("002")       # a sees the new day b opened


def test_a_service_average_changed_by_a_finished_service_moves_the_next_estimate(engine, clock):
    engine.sign_in("w03", "c1")
    engine.open_window("w03")
    first = issue(engine, "biz-setup")
    engine.call_next("w03")
    before = issue(engine, "biz-setup")["eta_at_issue"]
    clock.advance(60 * 60)                          # an hour-long service drags the average up
    engine.finish("w03", "completed")
    after = issue(engine, "biz-setup")["eta_at_issue"]
    # one citizen waits ahead of the next at the one open window, now at about an hour each
    assert first and before < 30 <= after


def test_a_reloaded_config_with_a_new_holiday_closes_the_hall_that_day(engine, hall_config, clock):
    issue(engine)
    today = dt.date(2026, 11, 27)
    holiday = hall_config.model_copy(update={
        "calendar": hall_config.calendar.model_copy(update={"holidays": [today]})})
    engine.apply_config(holiday)
    with pytest.raises(Refused) as info:
        issue(engine)
    assert info.value.code == "closed_today"
