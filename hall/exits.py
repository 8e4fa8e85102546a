"""What an event may carry when it leaves the engine: to devices and staff on the hall LAN
(the event feed and its stream), and to the central platform (sync).

The engine decides what goes into an event; these are the exits, and they hold even when an
event carries more than it should (issue 15):

- secrets never leave: ticket tokens (the key to a citizen's page), idempotency keys, request
  hashes and phone numbers, at any depth of any payload;
- free text people type (complaint text, a rating comment, a refusal note) is scrubbed of
  mobile and landline numbers and ID-card numbers before it leaves, with a note of what kind
  of thing was removed (never the value);
- to the central, by ALLOW-list: a key not listed here is dropped (and logged once), so a new
  field reaches the central only when someone decides it should. Staff appear there as ids;
  names travel only when the hall's `[sync] staff_names = true`.
"""

from __future__ import annotations

import logging
import re

log = logging.getLogger(__name__)

# Never sent to anyone, whatever the event.
SECRET_KEYS = frozenset({"token", "idempotency_key", "request_hash", "phone", "phone_hash",
                         "ticket_token", "id_number", "id_hash", "pin", "pin_hash", "token_hash",
                         "pickup_token", "salt"})

# Keys whose values are typed by people: scrubbed of phone and ID numbers on the way out.
FREE_TEXT_KEYS = frozenset({"text", "comment", "note", "summary", "resolution", "review_note",
                            "content", "reason"})

# Everything the central may receive, by key name at any depth. Built from the events a
# simulated day emits (tests/privacy/test_exits.py keeps it honest).
CENTRAL_KEYS = frozenset("""
    ack_at ack_by active adopted ahead ahead_at_issue appointment appointment_id appointments
    assigned_to at avg_minutes avg_seconds business_date call called_at case category category_zh
    changed_at channel checked_in checked_in_at closed_at closed_by code comment complaint
    complaint_id config_hash contacted_at count counter current_ticket_id daily_cap date
    domain escalate_to eta_at_issue eta_minutes excluded expired finished_at hall_id
    has_contact has_phone help_request id is_default issued_at key kind kiosk lang last_number late level
    level_zh materials meta mode name_en name_masked name_zh not_before note number opened_at
    outcome outcome_detail outcome_zh phrases pinned position prefix printed priority
    priority_reason raised_at rank rating rating_id reasons recalls rectify_due redacted
    refusal reply_due resolution return_to_me return_window_id review_note review_state
    reviewed_by revisit_due role samples seq_no served_counts service service_id
    service_name_zh service_stat services slot_end slot_start sort_at source source_detail
    staff staff_id started_at state summary target_service_id target_window_id text
    ticket ticket_cutoff ticket_id to_service_name_zh transferred_from transferred_to
    updated_at value weights window window_id window_name_zh window_number
    accepted_at action by_proxy case_id content created_at decided_at decision device_name
    due_date ended_at ext_id from_state hall_code layout_name material materials_electronic
    matter matter_id outstanding owed owed_due promise_days ready_at reason received
    received_at ref returning section step step_zh theme_id to_state updated_by version
    hotline hotline_item handed_over_at supplied_at filed_at case_step matter_step matter_visit
""".split())
STAFF_NAME_KEYS = frozenset({"name", "staff_name"})
# Deliberately not uploaded although not secret: handed_to (the name of whoever collected a
# matter's documents).

_D = "[0-9０-９]"
_SCRUBBERS = (
    # 18-digit resident ID (last may be X), and the old 15-digit form.
    ("id_number", re.compile(rf"(?<![0-9０-９A-Za-z]){_D}{{17}}[0-9０-９Xx](?![0-9０-９A-Za-z])"
                             rf"|(?<![0-9０-９]){_D}{{15}}(?![0-9０-９])")),
    # Mainland mobile, with +86 and spaces or dashes allowed between digits.
    ("phone", re.compile(rf"(?<![0-9０-９])(?:\+?86[\s-]?)?[1１][3-9３-９](?:[\s-]?{_D}){{9}}(?![0-9０-９])")),
    # Landline with area code.
    ("phone", re.compile(rf"(?<![0-9０-９])0{_D}{{2,3}}[\s-]?{_D}{{7,8}}(?![0-9０-９])")),
    # Any other long run of digits is someone's number too.
    ("number", re.compile(rf"(?<![0-9０-９]){_D}(?:[\s-]?{_D}){{10,}}(?![0-9０-９])")),
)
_MARK = {"id_number": "〔证件号已删除〕", "phone": "〔电话号码已删除〕", "number": "〔号码已删除〕"}


def scrub_text(text: str) -> tuple[str, list[str]]:
    """`text` without phone- and ID-number-like strings; and the kinds removed."""
    removed: list[str] = []
    for kind, pattern in _SCRUBBERS:
        text, n = pattern.subn(_MARK[kind], text)
        if n and kind not in removed:
            removed.append(kind)
    return text, removed


def _masked(value) -> bool:
    return isinstance(value, str) and "*" in value and sum(c.isdigit() for c in value) <= 7


def _clean(value, *, allowed: frozenset | None, removed: list[str], dropped: set[str],
           key: str | None = None, keep_masked: bool = False):
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in SECRET_KEYS and not (keep_masked and k == "phone" and _masked(v)):
                continue
            if allowed is not None and k not in allowed:
                dropped.add(k)
                continue
            out[k] = _clean(v, allowed=allowed, removed=removed, dropped=dropped, key=k,
                            keep_masked=keep_masked)
        return out
    if isinstance(value, list):
        return [_clean(v, allowed=allowed, removed=removed, dropped=dropped, key=key,
                       keep_masked=keep_masked) for v in value]
    if isinstance(value, str) and key in FREE_TEXT_KEYS:
        text, kinds = scrub_text(value)
        removed.extend(k for k in kinds if k not in removed)
        return text
    return value


def _noted(payload: dict, removed: list[str]) -> dict:
    if removed:
        payload["redacted"] = removed   # what kind of thing was taken out, never its value
    return payload


def for_devices(payload):
    """A payload as kiosks, displays, window devices and staff read it from the event feed."""
    if not isinstance(payload, dict):
        return payload
    removed: list[str] = []
    return _noted(_clean(payload, allowed=None, removed=removed, dropped=set()), removed)


def for_staff(value):
    """A response for staff pages (cases, complaints): the device rules on every row, so a
    number a citizen typed into a complaint reaches the manager as 〔电话号码已删除〕; the
    complaint's own contact phone is masked by the API as before."""
    if isinstance(value, list):
        return [for_staff(v) for v in value]
    if not isinstance(value, dict):
        return value
    removed: list[str] = []
    return _noted(_clean(value, allowed=None, removed=removed, dropped=set(), keep_masked=True),
                  removed)


_warned: set[str] = set()


def for_central(payload, *, event_type: str = "", staff_names: bool = False):
    """A payload as the central receives it: allow-listed keys only, free text scrubbed."""
    if not isinstance(payload, dict):
        return {}
    allowed = CENTRAL_KEYS | STAFF_NAME_KEYS if staff_names else CENTRAL_KEYS
    removed: list[str] = []
    dropped: set[str] = set()
    out = _noted(_clean(payload, allowed=allowed, removed=removed, dropped=dropped), removed)
    for key in dropped - STAFF_NAME_KEYS - _warned:
        _warned.add(key)
        log.info("key %r of %s events is not on the central's allow-list (hall/exits.py): "
                 "not uploaded", key, event_type or "some")
    return out
