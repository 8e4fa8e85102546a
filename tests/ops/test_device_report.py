"""A kiosk whose printer runs out of paper tells the hall, and the hall's health report (the
one sync sends to the central's fleet view) says so: the real kiosk stack, the printer
simulator speaking ESC/POS status bytes, a hall on a loopback port."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kiosk"))

from kiosk_ui import Kiosk  # noqa: E402

from drivers.sim.printer import PrinterSimulator  # noqa: E402
from hall.health_report import build_report  # noqa: E402
from tests.support.hallserver import HallServer  # noqa: E402


def _status(db: Path) -> dict:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT name, status FROM device_status").fetchall()
    finally:
        conn.close()
    return {name: json.loads(status) for name, status in rows}


def test_paper_out_reaches_the_halls_health_report(tmp_path, qtbot):
    with HallServer(tmp_path) as hall, PrinterSimulator.tcp() as printer:
        kiosk = Kiosk(hall.url, hall.device_token("kiosk", "kiosk-1"), printer.url, qtbot)
        try:
            kiosk.vm.check_printer()
            kiosk.vm.refresh()
            qtbot.waitUntil(lambda: _status(hall.db_path).get("kiosk-1", {})
                            .get("printer", {}).get("state") == "ok", timeout=5000)
            printer.set_state(paper="out")
            kiosk.vm.check_printer()
            qtbot.waitUntil(lambda: "缺纸" in kiosk.vm.banner.get("zh", ""), timeout=3000)
            kiosk.vm.refresh()      # a change is reported at the next refresh
            qtbot.waitUntil(lambda: _status(hall.db_path)["kiosk-1"]["printer"]["state"] == "out",
                            timeout=5000)
        finally:
            kiosk.close()
        conn = sqlite3.connect(hall.db_path)
        try:
            report = build_report(conn, hall.db_path, pending_events=0)
        finally:
            conn.close()
    kiosks = [d for d in report["devices"] if d["name"] == "kiosk-1"]
    assert kiosks and kiosks[0]["printer"]["state"] == "out"
    assert kiosks[0]["reported_age_s"] is not None and kiosks[0]["reported_age_s"] < 30
