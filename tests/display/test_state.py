"""Screen state folded from hall events: calls, recalls, replays, per-layout filters."""

from __future__ import annotations

from caller_display.state import DisplayState
from hall.display_layouts import parse_layout

from .conftest import call_event, event


def _state(window_rows, service_rows, **layout):
    st = DisplayState(parse_layout({"name": "t", **layout}))
    st.load_windows(window_rows)
    st.load_services(service_rows)
    return st


def test_a_call_sets_banner_tile_and_recent(windows, services):
    st = _state(windows, services)
    call = st.apply(call_event(1, "A001", 3))
    assert call is not None and call.number == "A001" and call.window_number == "3"
    assert st.banner == call
    assert st.windows["w3"].current == "A001"
    assert [c.number for c in st.recent] == ["A001"]


def test_replayed_events_after_reconnect_change_nothing(windows, services):
    st = _state(windows, services)
    events = [call_event(i, f"A{i:03d}", 1 + i % 3) for i in range(1, 6)]
    for e in events:
        st.apply(e)
    before = list(st.recent)
    assert all(st.apply(e) is None for e in events[2:])  # the hall sent them again
    assert list(st.recent) == before and st.calls_seen == 5


def test_recall_moves_ticket_to_top_once(windows, services):
    st = _state(windows, services)
    st.apply(call_event(1, "A001", 1))
    st.apply(call_event(2, "A002", 2))
    recall = st.apply(call_event(3, "A001", 1, recall=True))
    assert recall.recall is True
    assert [c.number for c in st.recent] == ["A001", "A002"]


def test_recent_list_is_bounded_by_layout(windows, services):
    st = _state(windows, services, recent_count=3)
    for i in range(1, 10):
        st.apply(call_event(i, f"A{i:03d}", 1))
    assert [c.number for c in st.recent] == ["A009", "A008", "A007"]


def test_floor_layout_ignores_other_windows(windows, services):
    st = _state(windows, services, windows=list(range(1, 13)))
    assert st.apply(call_event(1, "A001", 13)) is None
    assert st.banner is None and not st.recent
    assert [t.number for t in st.visible_windows()] == ["1", "2", "3", "4", "5", "6", "12"]
    assert st.apply(call_event(2, "A002", 12)).number == "A002"


def test_pickup_layout_shows_only_pickup_windows(windows, services):
    st = _state(windows, services, window_kinds=["pickup"])
    assert st.apply(call_event(1, "A001", 1)) is None
    assert st.apply(call_event(2, "C001", 5)).window_number == "5"
    assert [t.number for t in st.visible_windows()] == ["5", "6"]


def test_no_show_clears_the_window_tile(windows, services):
    st = _state(windows, services)
    st.apply(call_event(1, "A001", 2))
    st.apply(event(2, "ticket.started", "A001", 2))
    assert st.windows["w2"].current == "A001"
    st.apply(event(3, "ticket.no_show", "A001", 2))
    assert st.windows["w2"].current == ""
    assert st.last_seq == 3


def test_snapshot_current_numbers_are_kept(windows, services):
    windows[0]["current"] = {"number": "B007", "state": "serving"}
    st = _state(windows, services)
    assert st.windows["w1"].current == "B007"
    assert st.waiting[0]["waiting"] == 7


def test_masked_name_only_when_hall_enables_it(windows, services):
    e = call_event(1, "A001", 1)
    e["payload"]["masked_name"] = "张*"
    assert _state(windows, services).apply(dict(e)).masked_name == ""
    assert _state(windows, services, show_masked_name=True).apply(e).masked_name == "张*"


def test_waiting_lists_busy_queues_of_the_windows_shown(windows, services):
    for w in windows:
        w["services"] = ["s-pick"] if w["kind"] == "pickup" else ["s-biz", "s-soc"]
    services[2]["waiting"] = 4
    everything = _state(windows, services)
    assert [w["id"] for w in everything.waiting_to_show(6)] == ["s-biz", "s-pick", "s-soc"]
    assert [w["id"] for w in everything.waiting_to_show(1)] == ["s-biz"]
    pickup = _state(windows, services, window_kinds=["pickup"])
    assert [w["id"] for w in pickup.waiting_to_show(6)] == ["s-pick"]
    services[2]["waiting"] = 0
    assert _state(windows, services, window_kinds=["pickup"]).waiting_to_show(6) == []


def _with_window(e: dict, current: str | None) -> dict:
    """The event as the hall sends it: the window row carries its current ticket."""
    e["payload"]["window"]["current_ticket_id"] = current
    return e


def test_a_new_layout_keeps_only_its_windows_in_recent_and_banner(windows, services):
    st = _state(windows, services)
    st.apply(call_event(1, "A001", 1))
    st.apply(call_event(2, "C001", 5))
    st.apply(call_event(3, "A002", 2))
    st.set_layout(parse_layout({"name": "pickup", "window_kinds": ["pickup"]}))
    assert [c.number for c in st.recent] == ["C001"]
    assert st.banner is None                     # A002 went to window 2, not shown here
    st.set_layout(parse_layout({"name": "floor", "windows": [1, 2]}))
    assert [c.number for c in st.recent] == []    # C001 was at window 5


def test_tiles_and_the_main_call_agree_through_hold_resume_and_finish(windows, services):
    st = _state(windows, services)
    st.apply(_with_window(call_event(1, "B001", 3), "t-B001"))
    assert st.banner.number == "B001" and st.windows["w3"].current == "B001"
    st.apply(_with_window(event(2, "ticket.held", "B001", 3), None))
    # nobody at window 3: the tile is empty and the banner no longer sends B001 there
    assert st.windows["w3"].current == "" and st.banner is None
    st.apply(_with_window(event(3, "ticket.resumed", "B001", 3), "t-B001"))
    assert st.windows["w3"].current == "B001"    # back at the counter (was left empty)
    st.apply(_with_window(call_event(4, "B002", 4), "t-B002"))
    st.apply(_with_window(event(5, "ticket.finished", "B001", 3), None))
    assert st.windows["w3"].current == "" and st.windows["w4"].current == "B002"
    assert st.banner.number == "B002"            # another window's call stays up
    st.apply(_with_window(event(6, "ticket.finished", "B002", 4), None))
    assert st.banner is None
