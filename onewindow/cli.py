"""The `onewindow` command: one entry point, subcommands contributed by each package."""

from __future__ import annotations

import argparse
import logging
import sys

from onewindow import __version__, import_if_present

# Each module here exposes `add_commands(subparsers)`; it adds its subcommands, each with a
# `func(args) -> int` default. Listed explicitly so that a broken module fails loudly
# instead of silently losing its commands.
COMMAND_MODULES = [
    "hall.cli",            # config, db, report, sim-day
    "hall.api.cli",        # hall (the server), device, staff
    "onewindow.demo",      # demo
    "drivers.cli",         # sim, devices, print-test
    "kiosk.cli",           # kiosk
    "caller_display.cli",  # display
    "sync.cli",            # sync
    "central.cli",         # central
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="onewindow",
        description="OneWindow hall-floor software: queue, kiosk, displays, devices, sync.",
    )
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR")
    parser.add_argument("--version", action="version", version=f"onewindow {__version__}",
                        help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = import_if_present(name)
        if module is not None:
            module.add_commands(sub)
    return parser


def setup_logging(level: str = "INFO") -> None:
    """Log at `level`, but never the HTTP client's request lines: httpx logs every URL at INFO,
    and a kiosk's URLs hold citizens' ticket tokens (/api/v1/tickets/TOKEN)."""
    logging.basicConfig(
        level=getattr(logging, str(level).upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.log_level)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a person reads this, not a traceback
        from hall.errors import DomainError

        if isinstance(exc, DomainError):
            print(f"错误：{exc.message}\nError: {exc.message_en}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
