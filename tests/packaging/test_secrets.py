"""Device tokens and the hall key come from a file or a systemd credential, not argv; the
database and its backups are the service user's alone; a missing libusb is named."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from onewindow.secrets import SecretError, read_secret

REPO = Path(__file__).resolve().parents[2]


def _onewindow(*args, env=None):
    return subprocess.run([sys.executable, "-m", "onewindow.cli", *args], capture_output=True,
                          text=True, timeout=60, cwd=REPO,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})})


def test_a_systemd_credential_is_read_and_an_empty_placeholder_is_not_a_token(tmp_path, monkeypatch):
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "kiosk-token").write_text("abc123\n")
    (creds / "display-token").write_text("")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    assert read_secret("kiosk-token") == "abc123"
    assert read_secret("display-token", env="ONEWINDOW_DISPLAY_TOKEN") is None
    monkeypatch.setenv("ONEWINDOW_DISPLAY_TOKEN", "fromenv")
    assert read_secret("display-token", env="ONEWINDOW_DISPLAY_TOKEN") == "fromenv"


def test_a_named_token_file_that_cannot_be_read_says_which_file(tmp_path):
    with pytest.raises(SecretError) as err:
        read_secret("kiosk-token", file=tmp_path / "nope.token")
    assert "nope.token" in err.value.en and "nope.token" in err.value.zh
    r = _onewindow("kiosk", "--hall", "http://127.0.0.1:9", "--token-file",
                   str(tmp_path / "nope.token"))
    assert r.returncode == 2
    assert "nope.token" in r.stderr and "Traceback" not in r.stderr


def test_a_token_on_the_command_line_works_but_warns_it_is_visible_in_ps(tmp_path):
    # The bad hall URL stops the kiosk before Qt starts; the token was read first.
    r = _onewindow("kiosk", "--hall", "ftp://x", "--token", "devtoken")
    assert r.returncode == 2
    assert "visible to every user in the process list" in r.stderr
    assert "ps" in r.stderr and "--token-file" in r.stderr


def test_the_display_without_any_token_names_every_way_to_give_one():
    r = _onewindow("display", "--hall", "http://127.0.0.1:9",
                   env={"ONEWINDOW_DISPLAY_TOKEN": "", "CREDENTIALS_DIRECTORY": ""})
    assert r.returncode == 2
    assert "--token-file" in r.stderr and "display-token" in r.stderr


def test_database_wal_and_backup_are_created_private(tmp_path):
    from hall.store import Store

    old = os.umask(0o022)
    try:
        store = Store.open(tmp_path / "hall.db")
        with store.transaction() as c:
            c.execute("INSERT INTO meta(key, value) VALUES('probe', '1') "
                      "ON CONFLICT(key) DO UPDATE SET value = excluded.value")
        backup = store.backup(tmp_path / "backups" / "b.db")
        store.close()
    finally:
        os.umask(old)
    files = [tmp_path / "hall.db", backup] + list(tmp_path.glob("hall.db-*"))
    for f in files:
        assert stat.S_IMODE(f.stat().st_mode) & 0o077 == 0, (f, oct(f.stat().st_mode))


def test_an_existing_world_readable_database_is_made_private(tmp_path):
    from hall.store import Store

    db = tmp_path / "hall.db"
    Store.open(db).close()
    db.chmod(0o644)
    Store.open(db).close()
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


def test_a_usb_printer_without_libusb_is_named_as_such(monkeypatch):
    import usb.backend.libusb0
    import usb.backend.libusb1
    import usb.backend.openusb

    from drivers.printer.device import Printer, PrintError

    # As on a box without the libusb-1.0-0 package: no backend library can be loaded.
    for backend in (usb.backend.libusb1, usb.backend.libusb0, usb.backend.openusb):
        monkeypatch.setattr(backend, "get_backend", lambda *a, **k: None)
    printer = Printer("usb://0416:5011")
    with pytest.raises(PrintError) as err:
        printer.print_ticket({"number": "A001"}, hall_name="大厅")
    assert "libusb" in err.value.message_en and "cable" in err.value.message_en
    assert "apt-get install libusb-1.0-0" in err.value.message_en
    assert "libusb" in err.value.message
