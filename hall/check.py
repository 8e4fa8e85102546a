"""`onewindow db check`: SQLite integrity plus the queue's own invariants."""

from __future__ import annotations

import json

from hall.store import Store

OPEN = ("waiting", "called", "serving", "held")


def check_invariants(store: Store) -> list[str]:
    """Problems found (empty list: all good). Each is a sentence a person can act on."""
    problems = list(store.integrity_problems())
    with store.read() as c:
        # Numbers from counters: unique per service per day and without gaps up to the counter.
        for bd, sid, last in c.execute("SELECT business_date, service_id, last_number FROM counters "
                                       "WHERE service_id NOT LIKE '~%'"):
            rows = [r[0] for r in c.execute("SELECT seq_no FROM tickets WHERE business_date = ? AND service_id = ? "
                                            "AND seq_no IS NOT NULL ORDER BY seq_no", (bd, sid))]
            if rows != list(range(1, last + 1)):
                missing = sorted(set(range(1, last + 1)) - set(rows))
                problems.append(f"{bd} {sid}: counter at {last} but tickets numbered {len(rows)} "
                                f"(missing {missing[:5]}, extra {sorted(set(rows) - set(range(1, last + 1)))[:5]})")
        dup = c.execute("SELECT business_date, service_id, number, COUNT(*) FROM tickets WHERE seq_no IS NOT NULL "
                        "GROUP BY business_date, service_id, seq_no HAVING COUNT(*) > 1").fetchall()
        problems += [f"number {r[2]} issued {r[3]} times on {r[0]}" for r in dup]
        # Each window holds at most its one current ticket, and that ticket points back at it.
        for w in c.execute("SELECT id, number, current_ticket_id FROM windows WHERE current_ticket_id IS NOT NULL"):
            t = c.execute("SELECT state, window_id FROM tickets WHERE id = ?", (w[2],)).fetchone()
            if not t or t[0] not in ("called", "serving") or t[1] != w[0]:
                problems.append(f"window {w[1]} points at ticket {w[2]} which is not at this window")
        at_window = c.execute("SELECT window_id, COUNT(*) FROM tickets WHERE state IN ('called', 'serving') "
                              "GROUP BY window_id HAVING COUNT(*) > 1").fetchall()
        problems += [f"window {r[0]} has {r[1]} tickets called or being served at once" for r in at_window]
        for t in c.execute("SELECT t.number, t.window_id FROM tickets t LEFT JOIN windows w ON w.current_ticket_id = t.id "
                           "WHERE t.state IN ('called', 'serving') AND w.id IS NULL"):
            problems.append(f"ticket {t[0]} is called at window {t[1]} but that window does not show it")
        # Transfers: the follow-up keeps the original issue time. (Not sort_at: a clerk may
        # later send the follow-up to the back of the queue, which rightly moves sort_at.)
        for a, b, n in c.execute("SELECT a.issued_at, b.issued_at, a.number FROM tickets a JOIN tickets b "
                                 "ON b.id = a.transferred_to"):
            if a != b:
                problems.append(f"transferred ticket {n} lost its original issue time")
        # Every ticket appears in the event log.
        # NOT IN builds the set of issued ids once; a correlated NOT EXISTS re-scanned every
        # ticket.issued event per ticket (quadratic: minutes at 20,000 tickets a day).
        missing = c.execute("SELECT COUNT(*) FROM tickets t WHERE t.seq_no IS NOT NULL "
                            "AND t.source NOT LIKE 'appointment%' AND t.id NOT IN (SELECT "
                            "json_extract(e.payload, '$.ticket.id') FROM events e WHERE e.type = 'ticket.issued' "
                            "AND json_extract(e.payload, '$.ticket.id') IS NOT NULL)").fetchone()[0]
        if missing:
            problems.append(f"{missing} issued tickets have no ticket.issued event")
        bad_rating = c.execute("SELECT COUNT(*) FROM ratings r JOIN tickets t ON t.id = r.ticket_id "
                               "WHERE t.state NOT IN ('done', 'refused', 'transferred')").fetchone()[0]
        if bad_rating:
            problems.append(f"{bad_rating} ratings belong to tickets that were never served")
        seqs = c.execute("SELECT COUNT(*), COALESCE(MIN(seq), 0), COALESCE(MAX(seq), 0) FROM events").fetchone()
        if seqs[0] and seqs[2] - seqs[1] + 1 != seqs[0]:
            problems.append(f"event log has gaps: {seqs[0]} events between seq {seqs[1]} and {seqs[2]}")
        for row in c.execute("SELECT key, value FROM meta WHERE key = 'business_date'"):
            latest = c.execute("SELECT MAX(business_date) FROM tickets").fetchone()[0]
            if latest and latest > row[1]:
                problems.append(f"tickets exist for {latest}, after the business date {row[1]}")
        _ = json  # payloads are checked through json_extract above
        problems += _matter_problems(c)
    return problems


def _matter_problems(c) -> list[str]:
    """Matters (hall/matters.py): one acceptance visit each, closed states closed, nothing
    ready while materials are owed, every matter reachable by its citizen's keys."""
    out = []
    for code, n in c.execute("SELECT m.code, COUNT(v.id) FROM matters m LEFT JOIN matter_visits v ON v.matter_id = m.id "
                             "AND v.kind = 'accept' GROUP BY m.id HAVING COUNT(v.id) != 1"):
        out.append(f"matter {code} has {n} acceptance visits (should be 1)")
    for code, state in c.execute("SELECT code, state FROM matters WHERE (state IN ('collected', 'mailed', 'rejected')) "
                                 "!= (closed_at IS NOT NULL)"):
        out.append(f"matter {code} is {state} but its closed time says otherwise")
    for code, owed in c.execute("SELECT code, owed FROM matters WHERE state = 'ready'"):
        if any(not o.get("supplied_at") for o in json.loads(owed or "[]")):
            out.append(f"matter {code} is ready for pickup while materials are still owed")
    for (code,) in c.execute("SELECT DISTINCT m.code FROM matters m LEFT JOIN matter_access a ON a.code = m.code "
                             "WHERE a.code IS NULL"):
        out.append(f"matter {code} has no page token or pickup code (matter_access)")
    return out
