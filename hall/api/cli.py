"""`onewindow hall` (run the hall node's HTTP server), `onewindow device …` and `onewindow staff …`."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from pathlib import Path

from hall.errors import DomainError

log = logging.getLogger(__name__)


def _paths(args) -> tuple[Path, Path]:
    from hall.cli import db_path_for

    config = Path(args.config)
    return config, db_path_for(config, args.db)


def _open(args, need_engine: bool = True):
    """(config, store, engine) for a command; a bad config is a clear message, not a traceback."""
    from hall.central_layer import load_effective
    from hall.store import Store

    config_path, db_path = _paths(args)
    # hall.toml with the central's applied configuration over it (sync keeps it in the db).
    config = load_effective(config_path, db_path) if need_engine else None
    store = Store.open(db_path)
    engine = None
    if need_engine:
        from hall.engine import Engine

        engine = Engine(store, config)
    return config, store, engine


def add_staff(store, engine, staff_id: str, name: str, role: str, pin: str):
    """Create or update a staff member and set their PIN (argon2id)."""
    from hall.auth import AuthService, check_pin_format

    check_pin_format(pin)
    row = engine.add_staff(staff_id, name, role)
    AuthService(store).set_pin(staff_id, pin)
    return row


def _read_pin(args) -> str:
    if getattr(args, "pin", None):
        return args.pin
    if not sys.stdin.isatty():
        return sys.stdin.readline().strip()
    first = getpass.getpass("PIN（4–12 位数字 / 4-12 digits）: ")
    again = getpass.getpass("再输入一次 / again: ")
    if first != again:
        raise DomainError("pin_mismatch", "两次输入的 PIN 不一致", "The two PINs differ", 400)
    return first


def _run(fn):
    """Wrap a command: configuration and domain errors become two-language messages."""

    def wrapper(args) -> int:
        from hall.config import ConfigError

        try:
            return fn(args) or 0
        except ConfigError as exc:
            print(f"配置错误：{exc}\nConfiguration error: {exc}", file=sys.stderr)
            return 2
        except DomainError as exc:
            print(f"错误：{exc.message}\nError: {exc.message_en}", file=sys.stderr)
            return 1
        except FileNotFoundError as exc:
            print(f"找不到文件：{exc.filename}\nFile not found: {exc.filename}", file=sys.stderr)
            return 2

    return wrapper


# -- hall -------------------------------------------------------------------------------------
@_run
def cmd_hall(args) -> int:
    import socket

    import uvicorn

    from hall import dblock
    from hall.api.app import create_app

    _, db_path = _paths(args)
    try:
        # Held until this process ends: `onewindow db restore` refuses while it is held.
        lock_fd = dblock.hold_shared(db_path)  # noqa: F841 - kept open on purpose
    except dblock.DatabaseBusy:
        print(f"数据库 {db_path} 正在恢复中，请稍后再启动\n"
              f"The database {db_path} is being restored; start the hall afterwards", file=sys.stderr)
        return 1
    from hall.restore import refuse_if_recovery_pending

    if refuse_if_recovery_pending(db_path):
        return 2        # needs a person (`db recover`): the unit does not restart it
    config, store, engine = _open(args)
    problems = _quick_check(store)
    if problems:
        print(f"数据库损坏，拒绝启动：{db_path}\n  " + "\n  ".join(problems[:5]) +
              "\n可以用 `onewindow db restore 备份文件` 从备份恢复\n"
              f"The database {db_path} is damaged; refusing to start. "
              "Restore a backup with `onewindow db restore FILE`.", file=sys.stderr)
        return 2        # needs a person: restarting would not help
    host = args.host or config.server.host
    port = args.port if args.port is not None else config.server.port
    # Bind first, so a busy port is a clear message rather than a uvicorn traceback.
    # proto=IPPROTO_TCP: asyncio only sets TCP_NODELAY on accepted sockets that say they are
    # TCP; without it every kept-alive reply waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM,
                         socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        print(f"无法监听 {host}:{port}（{exc.strerror}）；端口被占用或地址不属于本机\n"
              f"Cannot listen on {host}:{port} ({exc.strerror}); the port is busy or the address "
              f"is not this machine's", file=sys.stderr)
        return 2
    # Listen now: a client that connects between "listening on" and uvicorn's start waits in
    # the backlog instead of being refused.
    sock.listen(2048)
    actual = sock.getsockname()[1]
    app = create_app(config, store, engine, config_path=args.config, start_devices=True)
    print(f"hall node listening on http://{host}:{actual}  (console: /console)", flush=True)
    from hall.api.limits import http_protocol
    from hall.config import phone_reach_warnings

    for zh, en in phone_reach_warnings(config):
        log.warning("%s / %s", zh, en)
    server = uvicorn.Server(uvicorn.Config(app, log_level=args.log_level_uvicorn, lifespan="on",
                                           http=http_protocol(app.state.limits),
                                           timeout_graceful_shutdown=2, access_log=False))
    import asyncio

    from hall.liveness import serve_notifying

    try:
        asyncio.run(serve_notifying(server, [sock], store, describe=f"on {host}:{actual}"))
    finally:
        store.close()
    return 0


def _quick_check(store) -> list[str]:
    """SQLite's quick_check (structure, without the slow index cross-check) before serving."""
    with store.read() as c:
        rows = [r[0] for r in c.execute("PRAGMA quick_check")]
    return [] if rows == ["ok"] else rows


# -- device -----------------------------------------------------------------------------------
@_run
def cmd_device_add(args) -> int:
    from hall.auth import AuthService

    config, store, _ = _open(args, need_engine=False)
    if args.window and args.role != "window":
        print("--window 只用于 window 角色的设备\n--window is only for devices with role window",
              file=sys.stderr)
        return 2
    device, token = AuthService(store).add_device(args.role, args.name, args.window)
    print(f"设备已添加 / device added: {device['name']} ({device['role']})", file=sys.stderr)
    print("令牌只显示这一次，请妥善保存 / the token is shown once only:", file=sys.stderr)
    print(token)
    return 0


@_run
def cmd_device_list(args) -> int:
    from hall.auth import AuthService

    _, store, _ = _open(args, need_engine=False)
    devices = AuthService(store).list_devices()
    if not devices:
        print("（没有设备 / no devices）")
    for d in devices:
        state = "revoked" if d["revoked_at"] else "active"
        window = f" window={d['window_id']}" if d["window_id"] else ""
        print(f"{d['name']:<24} {d['role']:<8} {state}{window}")
    return 0


@_run
def cmd_device_revoke(args) -> int:
    from hall.auth import AuthService

    _, store, _ = _open(args, need_engine=False)
    AuthService(store).revoke_device(args.name)
    print(f"已吊销 / revoked: {args.name}")
    return 0


# -- staff ------------------------------------------------------------------------------------
@_run
def cmd_staff_add(args) -> int:
    _, store, engine = _open(args)
    pin = _read_pin(args)
    add_staff(store, engine, args.id, args.name, args.role, pin)
    print(f"已添加工作人员 / staff added: {args.id} {args.name} ({args.role})")
    return 0


@_run
def cmd_staff_list(args) -> int:
    _, store, _ = _open(args, need_engine=False)
    with store.read() as db:
        rows = db.execute(
            "SELECT s.id, s.name, s.role, s.active, EXISTS (SELECT 1 FROM pin_throttle p WHERE"
            " p.kind = 'account' AND p.key = s.id AND p.failed_count >= 5),"
            " c.staff_id IS NOT NULL FROM staff s LEFT JOIN staff_credentials c ON c.staff_id = s.id"
            " ORDER BY s.id").fetchall()
    if not rows:
        print("（没有工作人员 / no staff）")
    for r in rows:
        flags = [] if r[3] else ["inactive"]
        if r[4]:
            flags.append("slowed")   # many wrong PINs: attempts spaced out, never locked
        if not r[5]:
            flags.append("no-pin")
        print(f"{r[0]:<12} {r[1]:<12} {r[2]:<8} {' '.join(flags)}")
    return 0


@_run
def cmd_staff_pin(args) -> int:
    from hall.auth import AuthService

    _, store, _ = _open(args, need_engine=False)
    AuthService(store).set_pin(args.id, _read_pin(args))
    print(f"PIN 已重置并解锁 / PIN reset and unlocked: {args.id}")
    return 0


@_run
def cmd_staff_unlock(args) -> int:
    from hall.auth import AuthService

    _, store, _ = _open(args, need_engine=False)
    if not args.id and not args.source:
        print("请给出 --id 或 --source\nGive --id or --source", file=sys.stderr)
        return 2
    if args.id:
        AuthService(store).unlock(args.id)
        print(f"已解锁 / unlocked: {args.id}")
    if args.source:
        found = AuthService(store).unlock_source(args.source)
        print(f"设备已解锁 / source unlocked: {args.source}" if found
              else f"设备未被锁定 / source was not locked: {args.source}")
    return 0


@_run
def cmd_staff_deactivate(args) -> int:
    _, store, engine = _open(args)
    with store.read() as db:
        row = db.execute("SELECT name, role FROM staff WHERE id = ?", (args.id,)).fetchone()
    if row is None:
        print(f"没有工号 {args.id}\nNo staff member {args.id}", file=sys.stderr)
        return 1
    engine.add_staff(args.id, row[0], row[1], active=False)
    print(f"已停用 / deactivated: {args.id}")
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default="hall.toml", help="hall.toml (default ./hall.toml)")
    p.add_argument("--db", help="SQLite file (default: hall.db beside the config, or $ONEWINDOW_DB)")


def add_commands(sub) -> None:
    p = sub.add_parser("hall", help="run the hall node: HTTP API, event stream, console, ticket page")
    _common(p)
    p.add_argument("--host", help="bind address (default from [server] host, 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default from [server] port, 8470; 0 = any free)")
    p.add_argument("--log-level-uvicorn", default="warning", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_hall)

    d = sub.add_parser("device", help="kiosk, display and window device tokens")
    dsub = d.add_subparsers(dest="device_command", metavar="ACTION", required=True)
    a = dsub.add_parser("add", help="register a device and print its token once")
    _common(a)
    a.add_argument("--role", required=True, choices=["kiosk", "display", "window"])
    a.add_argument("--name", required=True, help="a unique name, e.g. kiosk-1")
    a.add_argument("--window", help="for role window: the window id it serves, e.g. w03")
    a.set_defaults(func=cmd_device_add)
    a = dsub.add_parser("list", help="list devices (never their tokens)")
    _common(a)
    a.set_defaults(func=cmd_device_list)
    a = dsub.add_parser("revoke", help="revoke a device's token")
    _common(a)
    a.add_argument("name")
    a.set_defaults(func=cmd_device_revoke)

    s = sub.add_parser("staff", help="clerks, helpers and managers: PINs and lock-outs")
    ssub = s.add_subparsers(dest="staff_command", metavar="ACTION", required=True)
    a = ssub.add_parser("add", help="add (or update) a staff member and set a PIN")
    _common(a)
    a.add_argument("--id", required=True)
    a.add_argument("--name", required=True)
    a.add_argument("--role", required=True, choices=["clerk", "helper", "manager", "approver"])
    a.add_argument("--pin", help="4-12 digits (default: asked for, or read from stdin)")
    a.set_defaults(func=cmd_staff_add)
    a = ssub.add_parser("list", help="list staff with lock-out state")
    _common(a)
    a.set_defaults(func=cmd_staff_list)
    a = ssub.add_parser("pin", help="reset a PIN (also unlocks)")
    _common(a)
    a.add_argument("--id", required=True)
    a.add_argument("--pin")
    a.set_defaults(func=cmd_staff_pin)
    a = ssub.add_parser("unlock", help="clear failed PIN attempts of a staff id and/or a device")
    _common(a)
    a.add_argument("--id", help="staff id")
    a.add_argument("--source", help="client address of a device locked after wrong PINs")
    a.set_defaults(func=cmd_staff_unlock)
    a = ssub.add_parser("deactivate", help="stop a staff member from signing in")
    _common(a)
    a.add_argument("--id", required=True)
    a.set_defaults(func=cmd_staff_deactivate)


def main(argv: list[str] | None = None) -> int:
    """Run these commands without the `onewindow` entry point: python -m hall.api.cli …"""
    parser = argparse.ArgumentParser(prog="hall-api")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
