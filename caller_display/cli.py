"""`onewindow display`: run a hall calling display that follows the hall's event stream."""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

log = logging.getLogger(__name__)


def _fail(zh: str, en: str) -> int:
    print(f"错误：{zh}\nError: {en}", file=sys.stderr)
    return 2


def cmd_display(args) -> int:
    url = urlsplit(args.hall or "")
    if url.scheme not in ("http", "https") or not url.hostname:
        return _fail(f"大厅地址无效：{args.hall!r}（应如 http://192.168.1.10:8470）",
                     f"invalid hall address {args.hall!r} (e.g. http://192.168.1.10:8470)")
    from onewindow.secrets import DISPLAY_TOKEN, SecretError, read_secret

    try:
        token = read_secret(DISPLAY_TOKEN, file=args.token_file, value=args.token,
                            env="ONEWINDOW_DISPLAY_TOKEN")
    except SecretError as exc:
        return _fail(exc.zh, exc.en)
    if not token:
        return _fail("缺少显示屏设备令牌：用 --token-file、systemd 凭据 display-token 或环境变量 "
                     "ONEWINDOW_DISPLAY_TOKEN 提供（由 onewindow device add --role display 生成）",
                     "a display device token is needed: --token-file, the systemd credential "
                     "display-token, or ONEWINDOW_DISPLAY_TOKEN "
                     "(made by `onewindow device add --role display`)")
    from hall.display_layouts import NAME_PATTERN

    if args.layout and not re.match(NAME_PATTERN, args.layout):
        return _fail(f"布局名称无效：{args.layout!r}", f"invalid layout name {args.layout!r}")
    from onewindow.screen import require_screen

    # Screenshots render offscreen; otherwise a real screen, or offscreen only when asked.
    no_screen = require_screen("叫号显示屏", "display", offscreen=bool(args.offscreen or args.screenshot))
    if no_screen is not None:
        return no_screen

    from onewindow.halltime import take_hall_timezone

    take_hall_timezone(args.hall, token)    # the board's clock shows the hall's time
    from caller_display.app import DisplayApp
    from caller_display.screen import FontMissing
    from caller_display.voice import Announcer

    screenshot_dir = Path(args.screenshot) if args.screenshot else None
    announcer = None
    if args.voice != "off":
        wav_dir = screenshot_dir / "voice" if screenshot_dir and args.voice == "wav" else None
        announcer = Announcer(wav_dir, play=args.voice == "play").start()
    try:
        app = DisplayApp(args.hall, token, layout_name=args.layout, announcer=announcer,
                         screenshot_dir=screenshot_dir)
    except FontMissing as exc:
        return _fail(*str(exc).split(" / ", 1))
    app.start(full_screen=not args.windowed and not screenshot_dir)
    log.info("display following %s (layout %s)", args.hall, args.layout or "assigned")
    try:
        if args.run_seconds:
            app.pump(args.run_seconds)
        else:
            _run_until_signal(app)
    finally:
        if screenshot_dir is not None:
            app.screen.save(screenshot_dir / "latest.png")
        app.stop()
    return 0


def _run_until_signal(app) -> None:
    import signal

    from PySide6.QtCore import QTimer

    # Qt's loop does not run Python between events; a light timer lets SIGTERM (systemd stop)
    # and Ctrl-C reach the handler below promptly.
    keepalive = QTimer(interval=250)
    keepalive.timeout.connect(lambda: None)
    keepalive.start()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: app.qt_app.quit())
    app.qt_app.exec()


def add_commands(sub) -> None:
    p = sub.add_parser("display", help="run a hall calling display (big screen, optional voice)",
                       description="叫号显示屏：跟随大厅事件流显示叫号，可选语音播报。 "
                                   "A hall calling display following the hall's event stream.")
    p.add_argument("--hall", default=os.environ.get("ONEWINDOW_HALL"),
                   help="hall node address, e.g. http://127.0.0.1:8470 (or $ONEWINDOW_HALL)")
    p.add_argument("--token", help="display device token (for developers: visible in ps; prefer "
                                   "--token-file, the credential display-token, or env "
                                   "ONEWINDOW_DISPLAY_TOKEN)")
    p.add_argument("--token-file", metavar="PATH", help="file holding the display's token (0600)")
    p.add_argument("--layout", help="show this layout instead of the one the hall assigns")
    p.add_argument("--screenshot", metavar="DIR",
                   help="render offscreen and save DIR/latest.png after every call")
    p.add_argument("--windowed", action="store_true", help="a window instead of full screen")
    p.add_argument("--offscreen", action="store_true",
                   help="render without a screen (tests, diagnosis); without it and without a "
                        "screen the display exits with code 5")
    p.add_argument("--voice", choices=["play", "wav", "off"], default="play",
                   help="when the layout's voice is on: play it (default), only write WAVs "
                        "(into DIR/voice with --screenshot), or never speak")
    p.add_argument("--run-seconds", type=float, default=0, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_display)
