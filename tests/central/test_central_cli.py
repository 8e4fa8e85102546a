"""`onewindow central`: register a hall, push configuration versions, serve — with clear refusals."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from central.db import CentralDB

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "assets" / "hall.example.toml"


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "onewindow.cli", "central", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=60)


def test_hall_add_prints_credential_once(tmp_path):
    db = str(tmp_path / "central.db")
    out = _cli("--db", db, "hall", "add", "demo-city-hall", "--name", "示范市政务服务中心")
    assert out.returncode == 0, out.stderr
    key = out.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"[0-9a-f]{64}", key) and "hall_key" in out.stdout
    assert CentralDB(db).hall_secret("demo-city-hall") == key
    again = _cli("--db", db, "hall", "add", "demo-city-hall")
    assert again.returncode == 1 and "已登记" in again.stderr and "Traceback" not in again.stderr
    bad = _cli("--db", db, "hall", "add", "Bad Hall!")
    assert bad.returncode == 2 and "大厅编号" in bad.stderr
    assert "demo-city-hall" in _cli("--db", db, "hall", "list").stdout


def test_config_push_validates_before_storing(tmp_path):
    db = str(tmp_path / "central.db")
    _cli("--db", db, "hall", "add", "demo-city-hall")
    ok = _cli("--db", db, "config", "push", "demo-city-hall", str(EXAMPLE))
    assert ok.returncode == 0 and "配置版本 1" in ok.stdout
    broken = tmp_path / "broken.toml"
    broken.write_text(EXAMPLE.read_text(encoding="utf-8").replace("daily_cap = 200", "daily_kap = 200", 1),
                      encoding="utf-8")
    out = _cli("--db", db, "config", "push", "demo-city-hall", str(broken))
    assert out.returncode == 2 and "daily_kap" in out.stderr and "未推送" in out.stderr
    other = _cli("--db", db, "config", "push", "another-hall", str(EXAMPLE))
    assert other.returncode == 2 and "demo-city-hall" in other.stderr
    missing = _cli("--db", db, "config", "push", "demo-city-hall", str(tmp_path / "nope.toml"))
    assert missing.returncode == 2 and "找不到文件" in missing.stderr
    version, text = CentralDB(db).current_config("demo-city-hall")
    # a hall's credential never stored here (a comment may still mention the section)
    assert version == 1 and "sync" not in tomllib.loads(text) and "hall_key" not in text
