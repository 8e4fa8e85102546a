"""Small helpers and screen sets shared by the kiosk's flows and its shell."""

from __future__ import annotations

# Screens where the hall link dropping must not tear the citizen away: a ticket the hall
# has already committed is being printed or shown, and must stay in front of them.
# The manager's screens stay too: checking the printer matters most when the hall is down.
STAY_WHEN_OFFLINE = {"ticket", "printer_failed", "complaint_done", "rate_done", "manager"}
# Screens that end a visit: back home sooner.
DONE_SCREENS = {"ticket", "complaint_done", "rate_done"}
# Screens the idle timer leaves alone.
IDLE_EXEMPT = {"home", "unreachable", "printing"}


def text(zh: str, en: str) -> dict:
    """A bilingual line for QML (Simplified Chinese first)."""
    return {"zh": zh, "en": en}


def toggled(items, item) -> list:
    """A copy of `items` with `item` added, or removed if it was there (a tapped chip)."""
    items = list(items or [])
    if item in items:
        items.remove(item)
    else:
        items.append(item)
    return items
