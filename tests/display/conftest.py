"""Shared pieces for the caller display tests: canned hall events shaped like the real feed."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

WINDOWS = [
    {"id": f"w{n}", "number": n, "name_zh": f"{n}号窗口", "kind": kind, "state": "open",
     "services": [], "current": None}
    for n, kind in [(1, "accept"), (2, "accept"), (3, "accept"), (4, "consult"),
                    (5, "pickup"), (6, "pickup"), (12, "accept"), (13, "accept")]
]
SERVICES = [
    {"id": "s-biz", "name_zh": "企业开办", "name_en": "Business start-up", "prefix": "A",
     "waiting": 7, "eta_minutes": 21},
    {"id": "s-soc", "name_zh": "社保医保", "name_en": "Social insurance", "prefix": "B",
     "waiting": 3, "eta_minutes": 9},
    {"id": "s-pick", "name_zh": "统一出件", "name_en": "Pick-up", "prefix": "C",
     "waiting": 0, "eta_minutes": 0},
]


def window(number: int) -> dict:
    return next(w for w in WINDOWS if w["number"] == number)


def call_event(seq: int, number: str, window_number: int, recall: bool = False) -> dict:
    w = window(window_number)
    return {
        "seq": seq, "id": f"e{seq}", "type": "ticket.recalled" if recall else "ticket.called",
        "at": 1800000000.0 + seq, "business_date": "2026-11-28",
        "payload": {
            "ticket": {"id": f"t-{number}", "number": number, "service_id": "s-biz",
                       "state": "called", "window_id": w["id"], "recalls": int(recall)},
            "window": {**{k: w[k] for k in ("id", "number", "name_zh", "kind")},
                       "state": "open"},
        },
    }


def event(seq: int, etype: str, number: str, window_number: int) -> dict:
    e = call_event(seq, number, window_number)
    e["type"] = etype
    return e


@pytest.fixture
def windows():
    return [dict(w) for w in WINDOWS]


@pytest.fixture
def services():
    return [dict(s) for s in SERVICES]
