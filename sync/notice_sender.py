"""The notice sender: delivers queued phone notices through the configured HTTP SMS gateway."""

from __future__ import annotations

import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable

import httpx

from onewindow import http
from sync.runner import backoff_delay
from sync.signing import mask_phone

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
# A "called" notice is pointless once the citizen is at the window or the ticket is over;
# a "near" notice once the ticket left the queue.
_STILL_USEFUL = {"near": ("waiting",), "called": ("called",)}
# Matter notices (hall/matters.py) follow the matter, and its phone in matter_access.
_MATTER_USEFUL = {"matter_ready": ("ready",), "matter_decided": ("rejected",),
                  "matter_owed": ("accepted", "more_requested", "approved")}


class NoticeSender:
    """Sends due notices one by one. The gateway gets a generic JSON webhook:
    `{"id", "phone", "text", "kind"}` with `Idempotency-Key: <notice id>`, so a retry after a
    lost response can be recognised by the gateway; on our side a notice is marked sent once
    and never queued twice for the same event."""

    def __init__(self, conn: sqlite3.Connection, gateway_url: str, *, timeout: float = 10.0,
                 clock: Callable[[], float] = time.time, rng: Callable[[], float] = random.random,
                 base_delay: float = 5.0, cap: float = 300.0):
        self.conn, self.gateway_url = conn, gateway_url
        self.http = http.make_client(timeout_s=timeout, trust_env=True)   # an outside gateway
        self.clock, self.rng = clock, rng
        self.base_delay, self.cap = base_delay, cap

    def close(self) -> None:
        self.http.close()

    def _update(self, notice_id: str, **cols) -> None:
        sets = ", ".join(f"{k} = ?" for k in cols)
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute(f"UPDATE notices SET {sets} WHERE id = ?", (*cols.values(), notice_id))
        self.conn.execute("COMMIT")

    def send_due(self, limit: int = 50) -> dict:
        """One pass over the due notices; returns counts of sent, dropped and failed."""
        now = self.clock()
        rows = self.conn.execute(
            "SELECT n.id, n.kind, n.text, n.attempts, t.state, t.number, c.phone, m.state, m.code, a.phone "
            "FROM notices n "
            "LEFT JOIN tickets t ON t.id = n.ticket_id "
            "LEFT JOIN ticket_contacts c ON c.ticket_id = n.ticket_id "
            "LEFT JOIN matters m ON m.id = n.matter_id "
            "LEFT JOIN matter_access a ON a.code = m.code "
            "WHERE n.state = 'queued' AND n.next_at <= ? ORDER BY n.next_at LIMIT ?",
            (now, limit)).fetchall()
        counts = {"sent": 0, "dropped": 0, "failed": 0}
        for notice_id, kind, text, attempts, state, number, phone, m_state, m_code, m_phone in rows:
            reason = None
            if kind in _MATTER_USEFUL:
                state, number, phone = m_state, m_code, m_phone
            if not phone:
                reason = "no phone number (purged or never given)"
            elif state not in _STILL_USEFUL.get(kind, ()) + _MATTER_USEFUL.get(kind, ()):
                reason = f"{'matter' if kind in _MATTER_USEFUL else 'ticket'} {number} is {state} now; the notice is no longer useful"
            elif attempts >= MAX_ATTEMPTS:
                reason = f"gave up after {attempts} attempts"
            if reason:
                self._update(notice_id, state="dropped", reason=reason)
                log.info("notice %s for %s dropped: %s", kind, number, reason)
                counts["dropped"] += 1
                continue
            try:
                resp = self.http.post(self.gateway_url, headers={"Idempotency-Key": notice_id},
                                      json={"id": notice_id, "phone": phone, "text": text,
                                            "kind": kind})
                ok = 200 <= resp.status_code < 300
                why = f"gateway answered HTTP {resp.status_code}"
            except httpx.HTTPError as exc:
                ok, why = False, f"gateway unreachable: {type(exc).__name__}"
            if ok:
                self._update(notice_id, state="sent", sent_at=self.clock(), attempts=attempts + 1)
                log.info("notice %s for %s sent to %s", kind, number, mask_phone(phone))
                counts["sent"] += 1
            else:
                delay = backoff_delay(attempts, base=self.base_delay, cap=self.cap, rng=self.rng)
                self._update(notice_id, attempts=attempts + 1, next_at=self.clock() + delay,
                             reason=why)
                log.warning("notice %s for %s to %s failed (%s); retry in %.0f s", kind, number,
                            mask_phone(phone), why, delay)
                counts["failed"] += 1
        return counts

    def run(self, stop: threading.Event, interval: float = 2.0) -> None:
        while not stop.is_set():
            try:
                self.send_due()
            except sqlite3.Error as exc:  # a busy or locked database: try again shortly
                log.warning("notice sender: %s", exc)
            stop.wait(interval)
