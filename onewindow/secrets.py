"""Device tokens and the hall key: read from a file or a systemd credential, not argv.

Where a secret comes from, first found wins:
1. `--token-file PATH` (or `--hall-key-file`): a file, mode 0600, holding the secret;
2. `--token VALUE`: for developers; it is visible to every user in `ps`, so we warn;
3. `$CREDENTIALS_DIRECTORY/<name>`: what systemd's `LoadCredential=<name>:/etc/onewindow/...`
   hands the service (names: kiosk-token, display-token, hall-key);
4. an environment variable (ONEWINDOW_KIOSK_TOKEN, ...), kept for existing set-ups.

The value is stripped of surrounding whitespace (files end with a newline).
"""

from __future__ import annotations

import logging
import os
import stat
import sys
from pathlib import Path

log = logging.getLogger(__name__)

KIOSK_TOKEN = "kiosk-token"
DISPLAY_TOKEN = "display-token"
HALL_KEY = "hall-key"


class SecretError(Exception):
    """A secret that was named but cannot be read; message in Chinese and English."""

    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


def _read_file(path: Path) -> str:
    try:
        st = path.stat()
        value = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise SecretError(f"找不到密钥文件 {path}", f"secret file {path} does not exist") from None
    except PermissionError:
        raise SecretError(f"无权读取密钥文件 {path}（应属于本服务的用户，权限 0600）",
                          f"cannot read secret file {path} (it should belong to this "
                          f"service's user, mode 0600)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretError(f"无法读取密钥文件 {path}：{exc}",
                          f"cannot read secret file {path}: {exc}") from None
    if not value:
        raise SecretError(f"密钥文件 {path} 是空的", f"secret file {path} is empty")
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("secret file %s is readable by group or others (mode %o); "
                    "run: chmod 600 %s", path, stat.S_IMODE(st.st_mode), path)
    return value


def credential_path(name: str) -> Path | None:
    """$CREDENTIALS_DIRECTORY/name when systemd passed that credential, else None."""
    directory = os.environ.get("CREDENTIALS_DIRECTORY")
    if not directory:
        return None
    path = Path(directory) / name
    return path if path.exists() else None


def read_secret(name: str, *, file: str | os.PathLike | None = None, value: str | None = None,
                env: str | None = None, flag: str = "--token") -> str | None:
    """The secret `name`, or None when no source has it. Raises SecretError when a named
    file cannot be read (a typo in a path must not look like a missing token)."""
    if file:
        return _read_file(Path(file))
    if value:
        print(f"警告：{flag} 的值在进程列表（ps）中对所有用户可见；请改用 {flag}-file 或 "
              f"systemd 凭据 {name}。\nWarning: the value of {flag} is visible to every user "
              f"in the process list (ps); use {flag}-file or the systemd credential {name}.",
              file=sys.stderr)
        return value.strip()
    path = credential_path(name)
    if path is not None and path.stat().st_size > 0:
        # The package installs an empty placeholder so that LoadCredential= can start the
        # unit before the technician fills it in: empty means "not set".
        return _read_file(path)
    if env and os.environ.get(env):
        return os.environ[env].strip()
    return None
