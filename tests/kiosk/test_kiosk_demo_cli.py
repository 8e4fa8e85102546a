"""`onewindow kiosk --screenshot` and the kiosk demo stage, as the lead's demo runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))

ROOT = Path(__file__).resolve().parents[2]


def test_screenshot_command_writes_every_screen(tmp_path):
    out = tmp_path / "shots"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "onewindow.cli", "kiosk", "--screenshot", str(out),
         "--orientation", "landscape"], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    names = sorted(p.name for p in out.glob("*.png"))
    assert "landscape_printer_failure.png" in names and "landscape_en_home.png" in names and "landscape_elder_en_confirm.png" not in names and "landscape_elder_en_materials.png" in names
    assert not [n for n in names if n.startswith("portrait")]
    assert "Traceback" not in proc.stderr


def test_live_kiosk_without_token_says_what_to_do(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "ONEWINDOW_KIOSK_TOKEN"}
    proc = subprocess.run([sys.executable, "-m", "onewindow.cli", "kiosk", "--hall",
                           "http://127.0.0.1:9"], cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "设备令牌" in proc.stderr and "device token" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_demo_stage_renders_screens_and_prints_real_tickets(tmp_path, qapp):
    from hallserver import HallServer

    from kiosk import demo
    from onewindow.demo import DemoContext

    with HallServer(tmp_path / "hall") as hall:
        ctx = DemoContext(out=tmp_path / "demo", config_path=ROOT / "assets" / "hall.example.toml",
                          db_path=hall.db_path)
        ctx.hall_url = hall.url
        ctx.tokens["kiosk"] = hall.device_token("kiosk", "kiosk-demo")
        demo.run(ctx)
    summary = ctx.summary["kiosk"]
    # Every screen in both orientations (the count grows as screens are added).
    shots = sorted(p.name for p in (ctx.out / summary["screens_dir"]).glob("*.png"))
    portrait = {n.removeprefix("portrait_") for n in shots if n.startswith("portrait_")}
    landscape = {n.removeprefix("landscape_") for n in shots if n.startswith("landscape_")}
    assert summary["screens"] == len(shots) >= 48 and portrait == landscape
    live = summary["live_tickets"]
    assert [t["printed_jobs"] for t in live[:2]] == [1, 2]   # the second adds the materials list
    assert live[2]["shown_on_screen"] is True
    printed = sorted(p.name for p in (ctx.out / "kiosk" / "live").glob("printed-*.png"))
    assert printed == ["printed-1-1.png", "printed-2-1.png", "printed-2-2.png"]
    import zxingcpp
    from PIL import Image

    codes = zxingcpp.read_barcodes(Image.open(ctx.out / "kiosk" / "live" / "printed-1-1.png"))
    assert len(codes) == 1 and codes[0].text.startswith(hall.url + "/t/")


def test_live_kiosk_command_runs_and_stops_cleanly_on_sigterm(tmp_path):
    """`onewindow kiosk` as systemd runs it: up against a real hall, down on SIGTERM."""
    import signal
    import time

    from hallserver import HallServer

    with HallServer(tmp_path / "hall") as hall:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT),
               "ONEWINDOW_KIOSK_TOKEN": hall.device_token("kiosk")}
        proc = subprocess.Popen(
            [sys.executable, "-m", "onewindow.cli", "--log-level", "INFO", "kiosk",
             "--hall", hall.url, "--hall-config", str(ROOT / "assets" / "hall.example.toml")],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(3)
            assert proc.poll() is None, proc.stderr.read()[-2000:]
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 0, err[-2000:]
    assert "Traceback" not in err
