"""`onewindow sim`, `onewindow devices` and `onewindow print-test` as a person runs them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from hall.config import write_example_config

ROOT = Path(__file__).resolve().parents[2]


def run(args, env, timeout=30):
    return subprocess.run([sys.executable, "-m", "onewindow.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def env(tmp_path):
    e = dict(os.environ, ONEWINDOW_SIM_REGISTRY=str(tmp_path / "sims.json"), PYTHONPATH=str(ROOT))
    return e


@pytest.fixture
def sims(env, tmp_path):
    """`onewindow sim all` in the background, for the other commands to find by sim:// name."""
    cfg = write_example_config(tmp_path / "hall.toml")
    text = cfg.read_text(encoding="utf-8")
    text = re.sub(r'(?m)^port = ""(.*)$', 'port = "sim://bus"', text, count=1)
    text += '\n[[devices.windows]]\nwindow = "w03"\npad = 7\nled = 8\nkeypad = 9\n'
    cfg.write_text(text, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "onewindow.cli", "sim", "all", "--config", str(cfg),
                             "--seconds", "60", "--baud", "115200"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    reg = Path(env["ONEWINDOW_SIM_REGISTRY"])
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if reg.exists() and set(json.loads(reg.read_text() or "{}")) >= {"printer", "scanner", "bus"}:
            break
        time.sleep(0.05)
    else:
        proc.kill()
        raise AssertionError("simulators did not start: " + proc.stderr.read())
    yield cfg
    proc.terminate()
    proc.wait(timeout=10)
    assert json.loads(reg.read_text()) == {}      # names are withdrawn on exit


def test_devices_lists_live_status(sims, env):
    out = run(["devices", "--config", str(sims)], env)
    assert out.returncode == 0, out.stderr
    assert "kiosk-1" in out.stdout and "打印机正常" in out.stdout
    assert "sim://bus" in out.stdout and "已连接" in out.stdout
    rep = json.loads(run(["devices", "--config", str(sims), "--json"], env).stdout)
    assert rep["printers"][0]["paper"] == "ok"
    assert [(d["kind"], d["online"]) for d in rep["bus"]["devices"]] == [("pad", True), ("led", True), ("keypad", True)]


def test_print_test_to_the_simulated_printer(sims, env):
    out = run(["print-test", "--config", str(sims)], env)
    assert out.returncode == 0, out.stderr
    assert "测试票已打印" in out.stdout


def test_print_test_renders_png_without_a_printer(env, tmp_path):
    png = tmp_path / "test.png"
    out = run(["print-test", "--config", str(tmp_path / "none.toml"), "--png", str(png), "--profile", "58mm"], env)
    assert out.returncode == 0, out.stderr
    img = Image.open(png)
    assert img.width == 384
    assert [r.text for r in zxingcpp.read_barcodes(img)] == ["https://hall.example/t/test"]


def test_unreachable_printer_is_a_message_not_a_traceback(env):
    out = run(["print-test", "--url", "tcp://127.0.0.1:1"], env)
    assert out.returncode == 1
    assert "打印失败" in out.stderr and "Print failed" in out.stderr and "Traceback" not in out.stderr


def test_devices_without_config_is_a_message(env, tmp_path):
    out = run(["devices", "--config", str(tmp_path / "missing.toml")], env)
    assert out.returncode == 2 and "配置错误" in out.stderr and "Traceback" not in out.stderr
