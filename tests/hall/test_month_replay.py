"""A simulated month: replay rebuilds every state table exactly, and no event carries a
phone number, a token, an idempotency key or a hash of a request (issues 12 and 15)."""

import datetime as dt
import json

from hall.check import check_invariants
from hall.engine import Engine, ManualClock
from hall.events import count_events_of_day, last_seq_before, read_events
from hall.replay import replay_into, state_digest
from hall.store import Store

PRIVATE_KEYS = {"token", "phone", "idempotency_key", "request_hash", "request_mac"}


def _keys(value, out: set) -> set:
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(k)
            _keys(v, out)
    elif isinstance(value, list):
        for v in value:
            _keys(v, out)
    return out


def _month(store: Store, config, first: dt.date, last: dt.date) -> int:
    """Every working day: 30 citizens (some with a phone, some on the green channel, some
    retrying with an Idempotency-Key), served at two windows with transfers, refusals,
    recalls and no-shows; some rate by their token, one complains; the rest wait until the
    day closes. The next day's first operation rolls the day over."""
    tz = config.tz
    clock = ManualClock(dt.datetime(first.year, first.month, first.day, 9, 0, tzinfo=tz).timestamp())
    engine = Engine(store, config, clock)
    engine.add_staff("c1", "张晓明", "clerk")
    engine.add_staff("c3", "李红", "clerk")
    days, day = 0, first
    while day <= last:
        clock.set(dt.datetime(day.year, day.month, day.day, 9, 0, tzinfo=tz).timestamp())
        if not engine.hall_days.is_working_day(day):
            day += dt.timedelta(days=1)
            continue
        days += 1
        for wid, sid in (("w01", "c1"), ("w03", "c3")):
            engine.sign_in(wid, sid)
            engine.open_window(wid)
        held = []
        for i in range(30):
            clock.advance(30)
            service = ("consult", "biz-setup", "biz-change")[i % 3]
            key = f"m-{day:%Y%m%d}-{i:03d}" if i % 4 == 0 else None
            ticket, _ = engine.issue_ticket(service, phone=f"139{days:04d}{i:04d}" if i % 5 == 0 else None,
                                            priority_reason="elderly" if i % 7 == 0 else None,
                                            idempotency_key=key)
            if key:
                assert engine.issue_ticket(service, idempotency_key=key,
                                           phone=f"139{days:04d}{i:04d}" if i % 5 == 0 else None,
                                           priority_reason="elderly" if i % 7 == 0 else None)[0]["id"] == ticket["id"]
            held.append(ticket)
        for n in range(20):
            wid = ("w01", "w03")[n % 2]
            clock.advance(120)
            called = engine.call_next(wid)
            if called is None:
                continue
            if n % 9 == 4:
                engine.recall(wid)
                engine.recall(wid)
                engine.no_show(wid)
            elif n % 7 == 3 and called["service_id"] != "consult":
                engine.transfer(wid, "consult", return_to_me=n % 2 == 1)
            elif n % 11 == 5:
                engine.refuse(wid, "missing_materials", materials=["营业执照"])
            else:
                engine.start(wid)
                clock.advance(300)
                engine.finish(wid, "completed")
        for t in held[:12:3]:
            try:
                engine.rate(5 if days % 3 else 1, [] if days % 3 else ["等候时间太长"], token=t["token"])
            except Exception:           # not served (yet), or already rated: a citizen's retry
                pass
        engine.file_complaint(config.kiosk.complaint_categories[0].id if config.kiosk.complaint_categories
                              else "general", "叫号太慢", phone="13800000000" if days % 2 else None)
        for wid in ("w01", "w03"):
            try:
                engine.sign_out(wid)
            except Exception:           # a transferred-back citizen still at the window
                pass
        day += dt.timedelta(days=1)
    engine.ensure_business_day()
    return days


def test_a_month_replays_exactly_and_no_event_carries_personal_keys(tmp_path, hall_config):
    store = Store.open(tmp_path / "month.db")
    days = _month(store, hall_config, dt.date(2026, 11, 2), dt.date(2026, 12, 1))
    assert days >= 20
    assert check_invariants(store) == []
    with store.read() as c:
        issued = c.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
        phones = [r[0] for r in c.execute("SELECT phone FROM ticket_contacts")]
        keys = [r[0] for r in c.execute("SELECT idempotency_key FROM issue_requests")]
        defaults = c.execute("SELECT COUNT(*) FROM ratings WHERE is_default = 1").fetchone()[0]
        secret = c.execute("SELECT value FROM hall_secrets").fetchone()[0]
    assert issued >= 30 * days and phones and keys
    assert defaults > 0                       # the month crossed the default-rating deadline

    events = read_events(store, 0, 10**7)
    # A day's events are found by bisecting on seq (no date index): the same as a full scan.
    with store.read() as c:
        by_day = dict(c.execute("SELECT business_date, COUNT(*) FROM events GROUP BY 1").fetchall())
        for date, n in by_day.items():
            assert count_events_of_day(c, date) == n
            assert last_seq_before(c, date, inclusive=True) == c.execute(
                "SELECT MAX(seq) FROM events WHERE business_date <= ?", (date,)).fetchone()[0]
        assert count_events_of_day(c, "2026-12-25") == 0 and last_seq_before(c, "2000-01-01") == 0
    fresh = Store.open(tmp_path / "replayed.db")
    replay_into(events, fresh)
    assert state_digest(fresh) == state_digest(store)

    engine = Engine(store, hall_config, ManualClock(events[-1]["at"]))
    with store.read() as c:
        rows = c.execute("SELECT id, transferred_to FROM tickets ORDER BY issued_at DESC LIMIT 200").fetchall()
    tokens = [engine.token_for(r[0]) for r in rows]
    # A derived token leads to its ticket (or, after a transfer, to where the citizen is now).
    for (ticket_id, moved_to), token in zip(rows, tokens, strict=True):
        found = engine.ticket_by_token(token)["id"]
        assert found == ticket_id or (moved_to and found != ticket_id)
    text = "\n".join(json.dumps(e["payload"], ensure_ascii=False) for e in events)
    assert not (_keys([e["payload"] for e in events], set()) & PRIVATE_KEYS)
    leaked = [p for p in set(phones) if p in text]
    assert not leaked and "13800000000" not in text
    assert not [t for t in tokens if t in text]
    assert not [k for k in keys if k in text]
    assert secret not in text
