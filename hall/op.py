"""One transaction in progress (`Op`), the clocks, and small helpers shared by the engine modules.

Rules kept here:
- a state change and its events commit together or not at all (transactional outbox);
- every write to a state table goes through `Op.put`, which also puts the full new row in
  the next event's payload, so the events alone rebuild the state (hall/replay.py); a ticket
  row leaves its NULL columns out (compact), so a missing column means NULL;
- no payload carries a phone number, a token, an idempotency key or a hash of a request:
  those live in hall-only tables that are not event-sourced (see hall/replay.py);
- an illegal move raises a DomainError before anything is written, and the transaction rolls
  back, so it changes nothing;
- a phone number is a mainland mobile number (11 digits, starting with 1), normalised once here.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from typing import TYPE_CHECKING, Any

from hall.errors import InvalidInput
from hall.events import append_event, time_ordered_id
from onewindow import import_if_present

if TYPE_CHECKING:
    from hall.engine import Engine

# Phone notices hook into the same transaction when the module is present.
_notices = import_if_present("hall.notices")

_PHONE = re.compile(r"^1[3-9]\d{9}$")


class SystemClock:
    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that moves only when told: simulations and tests."""

    def __init__(self, start: float):
        self.t = float(start)

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds

    def set(self, t: float) -> None:
        self.t = float(t)


def _mobile(phone: str | None) -> str | None:
    """A mainland mobile number without spaces or dashes, or InvalidInput; None stays None."""
    if phone is None:
        return None
    phone = re.sub(r"[\s-]", "", str(phone))
    if not _PHONE.match(phone):
        raise InvalidInput("bad_phone", "手机号应为 11 位数字，以 1 开头，请重新输入",
                           "a mobile number has 11 digits and starts with 1")
    return phone


new_id = time_ordered_id     # ticket and other row ids: time-ordered (see hall/events.py)


def _j(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Op:
    """One transaction in progress: its time, business date, row writes and events."""

    def __init__(self, engine: Engine, conn: sqlite3.Connection, now: float):
        self.engine = engine
        self.c = conn
        self.now = now
        self.business_date = ""
        self._rows: dict[str, list[dict]] = {}
        self.last_seq = 0

    def put(self, key: str, row: dict, *, issued: bool = False, was: dict | None = None) -> dict:
        """Upsert one full row of a state table and keep it for the next event.
        A ticket comes back with its derived token (hall/tokens.py); the event never has it.
        The engine's kept waiting counts (hall/views.py `_kept_waiting`) follow a ticket write
        that says what it changes: `issued`, a new ticket; `was`, the ticket's row as this
        operation read it. Any other ticket write drops them until they are read again."""
        table, cols, sql, hall_only = self.engine._upsert_sql(key)
        values = [row.get(c) for c in cols]
        self.c.execute(sql, values)
        full = dict(zip(cols, values, strict=True))
        # The event carries the full row, less its hall-only columns (HALL_ONLY_COLUMNS). A
        # ticket row (the widest, in most events) also leaves its NULL columns out: replay
        # reads a missing column as NULL (hall/replay.py).
        if key == "ticket":
            event_row = {c: v for c, v in full.items() if v is not None}
        elif hall_only:
            event_row = {c: v for c, v in full.items() if c not in hall_only}
        else:
            event_row = full
        self._rows.setdefault(key, []).append(event_row)
        if key == "ticket":
            full["token"] = self.engine.token_for(full["id"])
        self.engine._written(key, full, issued=issued, was=was)
        return full

    def emit(self, type_: str, **extra: Any) -> int:
        payload: dict[str, Any] = {k: (v[0] if len(v) == 1 else v) for k, v in self._rows.items()}
        payload.update(extra)
        self._rows = {}
        self.last_seq = append_event(self.c, type_, payload, at=self.now, business_date=self.business_date)
        if _notices is not None:
            _notices.queue_notices(self.c, type_, payload, self.engine.config)
        return self.last_seq


