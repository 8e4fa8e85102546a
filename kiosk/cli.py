"""`onewindow kiosk`: start the touchscreen kiosk, or render every screen to PNG files."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

log = logging.getLogger(__name__)


def add_commands(sub) -> None:
    p = sub.add_parser("kiosk", help="the self-service kiosk (touchscreen): take a number, "
                                     "check in, help, complaints, ratings")
    p.add_argument("--hall", default=os.environ.get("ONEWINDOW_HALL", "http://127.0.0.1:8470"),
                   help="hall node URL (default http://127.0.0.1:8470, or $ONEWINDOW_HALL)")
    p.add_argument("--token", default=None,
                   help="this kiosk's device token (for developers: visible in ps; prefer "
                        "--token-file, the systemd credential kiosk-token, or "
                        "$ONEWINDOW_KIOSK_TOKEN)")
    p.add_argument("--token-file", metavar="PATH", default=None,
                   help="file holding this kiosk's device token (mode 0600)")
    p.add_argument("--printer", default=os.environ.get("ONEWINDOW_PRINTER") or None,
                   help="ticket printer URL: usb://VID:PID, serial:///dev/onewindow/printer0, "
                        "tcp://HOST:9100, file://PATH or sim://NAME (or $ONEWINDOW_PRINTER)")
    p.add_argument("--scanner", default=os.environ.get("ONEWINDOW_SCANNER") or None,
                   help="serial QR scanner URL, e.g. serial:///dev/onewindow/scanner0 (or "
                        "$ONEWINDOW_SCANNER; a USB HID scanner needs no option)")
    p.add_argument("--idcard", default=os.environ.get("ONEWINDOW_IDCARD") or None,
                   help="ID-card reader URL, e.g. serial:///dev/ttyUSB1?baud=115200 or sim://idcard "
                        "(or $ONEWINDOW_IDCARD)")
    p.add_argument("--screenshot", metavar="DIR", default=None,
                   help="render every screen offscreen to PNG files in DIR and exit")
    p.add_argument("--orientation", choices=["portrait", "landscape"], default=None,
                   help="screen layout (default portrait; --screenshot renders both)")
    p.add_argument("--offscreen", action="store_true",
                   help="render without a screen (tests, diagnosis); without it and without a "
                        "screen the kiosk exits with code 5")
    p.add_argument("--windowed", action="store_true",
                   help="a normal window instead of the locked-down fullscreen kiosk")
    p.add_argument("--idle-seconds", type=float, default=60.0,
                   help="go back to the home screen after this long untouched (default 60)")
    p.add_argument("--hall-config", metavar="HALL_TOML", default=None,
                   help="read domain names, green-channel and rating reasons from the hall's "
                        "hall.toml (the hall API does not publish them yet)")
    p.add_argument("--complaint-url", default=None,
                   help="page citizens open on their own phone to file a complaint (shown as "
                        "a QR; default: the hall's /complaint page when it has one)")
    p.add_argument("--voice", action="store_true",
                   help="speak prompts in Mandarin (hall config voice.enabled)")
    p.set_defaults(func=_cmd_kiosk)


def _cmd_kiosk(args) -> int:
    from kiosk.settings import KioskSettings

    if args.screenshot:
        # Rendering needs no display; say so before Qt starts.
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        return _screenshots(Path(args.screenshot), args.orientation)
    from onewindow.secrets import KIOSK_TOKEN, SecretError, read_secret

    try:
        token = read_secret(KIOSK_TOKEN, file=args.token_file, value=args.token,
                            env="ONEWINDOW_KIOSK_TOKEN")
    except SecretError as exc:
        print(f"错误：{exc.zh}\nError: {exc.en}", file=sys.stderr)
        return 2
    if not token:
        print("错误：缺少本机的设备令牌（--token-file、systemd 凭据 kiosk-token 或 "
              "ONEWINDOW_KIOSK_TOKEN）。"
              "请用 `onewindow device add --role kiosk --name NAME` 生成。\n"
              "Error: this kiosk's device token is missing (--token-file, the systemd "
              "credential kiosk-token, or ONEWINDOW_KIOSK_TOKEN); "
              "create one with `onewindow device add --role kiosk --name NAME`.", file=sys.stderr)
        return 2
    if not args.hall.startswith(("http://", "https://")):
        print(f"错误：大厅地址应以 http:// 或 https:// 开头：{args.hall}\n"
              f"Error: the hall URL must start with http:// or https://: {args.hall}",
              file=sys.stderr)
        return 2
    from onewindow.screen import require_screen

    no_screen = require_screen("自助取号机", "kiosk", offscreen=args.offscreen)
    if no_screen is not None:
        return no_screen
    settings = KioskSettings(hall_url=args.hall, token=token, printer_url=args.printer,
                             scanner_url=args.scanner, idcard_url=args.idcard,
                             orientation=args.orientation or "portrait",
                             idle_seconds=args.idle_seconds, voice=args.voice,
                             complaint_url=args.complaint_url)
    if args.hall_config:
        try:
            settings.apply_hall_config(args.hall_config)
        except Exception as exc:  # ConfigError names file, key and line
            print(f"错误：无法读取大厅配置 {args.hall_config}：{exc}\n"
                  f"Error: cannot read the hall config {args.hall_config}: {exc}",
                  file=sys.stderr)
            return 2
    else:
        _take_choices_from_hall(settings)
    from onewindow.halltime import take_hall_timezone, use_hall_timezone

    # The screen's clock in the hall's zone (as the tickets print it), not the machine's.
    if not use_hall_timezone(getattr(settings, "timezone", None)):
        take_hall_timezone(settings.hall_url, token)
    from kiosk.app import FontMissing, run

    try:
        return run(settings, windowed=args.windowed)
    except FontMissing:
        print(f"错误：{FontMissing.message}\nError: {FontMissing.message_en}", file=sys.stderr)
        return 1


def _screenshots(out: Path, orientation: str | None) -> int:
    from kiosk.app import FontMissing
    from kiosk.screenshots import render_all

    orientations = (orientation,) if orientation else ("portrait", "landscape")
    try:
        result = render_all(out, orientations)
    except FontMissing:
        print(f"错误：{FontMissing.message}\nError: {FontMissing.message_en}", file=sys.stderr)
        return 1
    print(f"{len(result['files'])} 张截图 / screenshots written to {out}/")
    for message in result["warnings"]:
        print(f"QML warning: {message}", file=sys.stderr)
    for name, problems in result["problems"].items():
        for problem in problems:
            print(f"layout problem in {name}: {problem}", file=sys.stderr)
    return 1 if result["warnings"] or result["problems"] else 0


def _take_choices_from_hall(settings) -> None:
    """Domain names, reasons and complaint categories as the hall publishes them. If the
    hall cannot be reached now the kiosk starts on its defaults (and shows 暂停取号 until the
    hall answers)."""
    import logging

    from onewindow.client import HallClient, HallError, HallUnreachable

    client = HallClient(settings.hall_url, settings.token, timeout=3)
    try:
        settings.apply_choices(client.kiosk_config())
    except (HallUnreachable, HallError, KeyError, TypeError) as exc:
        logging.getLogger(__name__).warning("hall choices not loaded, using defaults: %s", exc)
    finally:
        client.close()
