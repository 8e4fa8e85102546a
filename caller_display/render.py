"""Renders a layout with sample calls to PNG: the manager's preview and the demo's screenshots.

`python -m caller_display.render < job.json > frame.png`, where job is
{"layout": {...}, "windows": [...], "hall_name": "..."}; the hall runs it as a child process so
the hall node itself never loads Qt.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from hall.display_layouts import Layout, parse_layout

SAMPLE_WINDOWS = [
    {"id": f"w{n}", "number": n, "name_zh": f"{n}号窗口", "kind": kind, "state": "open"}
    for n, kind in [(1, "accept"), (2, "accept"), (3, "accept"), (4, "accept"), (5, "consult"),
                    (6, "consult"), (7, "pickup"), (8, "pickup")]
]
SAMPLE_SERVICES = [
    {"id": "biz", "name_zh": "企业开办", "name_en": "Business start-up", "waiting": 12},
    {"id": "soc", "name_zh": "社保医保", "name_en": "Social insurance", "waiting": 5},
    {"id": "tax", "name_zh": "税务办理", "name_en": "Tax", "waiting": 8},
    {"id": "pick", "name_zh": "统一出件", "name_en": "Pick-up", "waiting": 2},
]
PREFIX = {"accept": "A", "consult": "B", "pickup": "C", "help": "H", "complaint": "T"}


def sample_events(layout: Layout, windows: list[dict], count: int = 8) -> list[dict]:
    """Calls to the windows this layout shows, oldest first, like the hall would send."""
    shown = [w for w in windows if layout.shows_window(w)] or windows
    events = []
    for i in range(count):
        w = shown[i % len(shown)] if shown else None
        if w is None:
            break
        number = f"{PREFIX.get(w.get('kind'), 'A')}{17 + i * 3:03d}"
        events.append({"seq": i + 1, "type": "ticket.called", "business_date": "",
                       "payload": {"ticket": {"number": number, "service_id": "biz",
                                              "window_id": w["id"]},
                                   "window": dict(w)}})
    return events


def render_frames(layout: Layout, out: dict[str, Path], *, windows: list[dict] | None = None,
                  services: list[dict] | None = None, hall_name: str = "",
                  connected: bool = True, size=None) -> dict[str, Path]:
    """Render named states ('idle', 'calling', 'flash', 'offline') of `layout` to PNG files."""
    from caller_display.screen import DisplayScreen, ensure_app
    from caller_display.viewmodel import DisplayViewModel

    ensure_app()
    vm = DisplayViewModel(layout, hall_name=hall_name)
    windows = windows or SAMPLE_WINDOWS
    vm.load_snapshot(windows, services if services is not None else SAMPLE_SERVICES)
    vm.set_connected(connected)
    screen = DisplayScreen(vm, size)
    screen.show()
    try:
        if "idle" in out:
            screen.save(out["idle"])
        for e in sample_events(layout, windows):
            vm.apply_event(e)
        if "calling" in out:
            vm.freeze_flash(False)
            screen.save(out["calling"])
        if "flash" in out:
            vm.freeze_flash(True)
            screen.save(out["flash"])
        if "offline" in out:
            vm.freeze_flash(False)
            vm.set_connected(False)
            screen.save(out["offline"])
    finally:
        vm.shutdown()
        screen.close()
    return out


def main() -> int:
    import tempfile

    job = json.loads(sys.stdin.buffer.read() or b"{}")
    layout = parse_layout(job.get("layout") or {"name": "preview"})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "preview.png"
        render_frames(layout, {"calling": path}, windows=job.get("windows") or None,
                      hall_name=job.get("hall_name", ""))
        sys.stdout.buffer.write(path.read_bytes())
    return 0


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.exit(main())
