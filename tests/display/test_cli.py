"""`onewindow display` as a person runs it: clear errors, and a real run with screenshots."""

from __future__ import annotations

import os
import subprocess
import sys

from PySide6.QtGui import QImage

from tests.support.hallserver import REPO as ROOT
from tests.support.hallserver import HallServer


def _run(*args, timeout=60, env_extra=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen",
           **(env_extra or {})}
    if not env_extra:
        env.pop("ONEWINDOW_DISPLAY_TOKEN", None)
    return subprocess.run([sys.executable, "-m", "onewindow.cli", "display", *args],
                          capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)


def test_help_lists_the_options():
    out = _run("--help").stdout
    for option in ("--hall", "--token", "--layout", "--screenshot", "--windowed", "--voice"):
        assert option in out


def test_bad_address_and_missing_token_are_explained_without_a_traceback():
    r = _run("--hall", "localhost:8470", "--token", "x")
    assert r.returncode == 2 and "大厅地址无效" in r.stderr and "Traceback" not in r.stderr
    r = _run("--hall", "http://127.0.0.1:9")
    assert r.returncode == 2 and "令牌" in r.stderr and "token" in r.stderr
    r = _run("--hall", "http://127.0.0.1:9", "--token", "x", "--layout", "Bad Name!")
    assert r.returncode == 2 and "布局名称无效" in r.stderr


def test_a_display_run_writes_a_frame_of_the_latest_call(tmp_path):
    hall = HallServer(tmp_path / "hall", process=True, windows=("w03",)).start()
    try:
        number = hall.serve_and_call("w03")["number"]
        out = tmp_path / "shots"
        r = _run("--hall", hall.url, "--screenshot", str(out), "--voice", "off",
                 "--run-seconds", "2.5", env_extra={"ONEWINDOW_DISPLAY_TOKEN": hall.tokens["display-1"]})
        assert r.returncode == 0, r.stderr[-2000:]
        image = QImage(str(out / "latest.png"))
        assert (image.width(), image.height()) == (1920, 1080)
        # The banner's number is drawn in the accent colour (#ffd23f); an idle banner has none.
        accent = 0
        for y in range(300, 480, 4):
            for x in range(150, 700, 4):
                c = image.pixelColor(x, y)
                accent += c.red() > 200 and 170 < c.green() < 230 and c.blue() < 110
        assert accent > 200, accent
    finally:
        hall.stop()
    assert number
