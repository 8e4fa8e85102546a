"""Roles switched off in the config exit with code 4 (the units do not restart them)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hall.config import write_example_config

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "onewindow.cli", *args], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_notices_disabled_is_exit_4_and_one_line(tmp_path):
    config = write_example_config(tmp_path / "hall.toml")
    assert "[notices]\nenabled = false" in config.read_text(encoding="utf-8")
    out = _cli("notices", "--config", str(config))
    assert out.returncode == 4, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "disabled" in out.stderr
    # Switched on but incomplete is a configuration error (2), not "disabled".
    config.write_text(config.read_text(encoding="utf-8").replace(
        "[notices]\nenabled = false", "[notices]\nenabled = true"), encoding="utf-8")
    out = _cli("notices", "--config", str(config))
    assert out.returncode == 2 and "gateway_url" in out.stderr
