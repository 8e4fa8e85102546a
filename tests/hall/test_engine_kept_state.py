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


def test_estimates_at_issue_match_a_fresh_reading_through_a_busy_random_morning(engine, store, hall_config, clock):
    """The engine keeps the day's waiting counts between issues (hall/views.py
    `_kept_waiting`); whatever happens in between (calls, transfers, walk-outs, refusals that
    roll back, another writer), each issue's estimate equals one read fresh from the tables."""
    import random

    from hall.errors import DomainError

    rng = random.Random(7)
    windows = {"w03": "c1", "w05": "c2"}
    for w, staff in windows.items():
        engine.sign_in(w, staff)
        engine.open_window(w)
    services = ["biz-setup", "biz-change", "biz-seal", "tax-invoice", "tax-return"]
    reader = Engine(store, hall_config, clock)       # reads outside any operation: no kept counts
    held = []
    for step in range(300):
        clock.advance(7)
        roll = rng.random()
        if roll < 0.55:
            service = rng.choice(services)
            priority = "elderly" if rng.random() < 0.15 else None
            rank = 1 if priority else 2
            with store.read() as c:
                fresh = reader._estimate_full(c, {"service_id": service, "rank": rank, "business_date":
                                                  reader.business_date(), "state": "waiting"}, new=True)
            ticket, _ = engine.issue_ticket(service, priority_reason=priority)
            assert (ticket["ahead_at_issue"], ticket["eta_at_issue"]) == (fresh.ahead, fresh.eta_minutes), step
            held.append(ticket["token"])
        elif roll < 0.75:
            w = rng.choice(list(windows))
            move = rng.choice([engine.start, engine.recall, engine.no_show, engine.hold])
            for act in (move, lambda w: engine.finish(w, "completed")):
                try:
                    act(w)
                except DomainError:
                    pass
            try:
                engine.call_next(w)
            except DomainError:                       # a held ticket still at the window
                pass
        elif roll < 0.82 and held:
            try:
                engine.cancel_ticket(held.pop(rng.randrange(len(held))))
            except DomainError:                       # already called: refused, rolled back
                pass
        elif roll < 0.88:
            try:
                engine.transfer(rng.choice(list(windows)), rng.choice(services))
            except DomainError:
                pass
        elif roll < 0.94:
            with pytest.raises(DomainError):          # a refusal inside an operation
                engine.issue_ticket("no-such-service")
        else:
            with store.transaction() as c:            # another writer moves a waiting ticket
                c.execute("UPDATE tickets SET state = 'walked_out' WHERE id = (SELECT id FROM tickets "
                          "WHERE state = 'waiting' ORDER BY sort_at DESC LIMIT 1)")


def test_a_window_closed_by_another_engine_on_the_same_store_is_seen_on_the_next_read(store, hall_config, clock):
    a = Engine(store, hall_config, clock)
    b = Engine(store, hall_config, clock)
    a.add_staff("c1", "张晓明", "clerk")
    a.sign_in("w01", "c1")
    a.open_window("w01")

    def open_for_consult(engine):
        return next(s["open_windows"] for s in engine.services_overview() if s["id"] == "consult")

    assert open_for_consult(a) == 1                  # a now keeps the windows' profiles
    b.close_window("w01")
    assert open_for_consult(a) == 0
