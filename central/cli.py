"""`onewindow central`: serve the reference central, register halls, push hall configuration."""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path

DEFAULT_DB = os.environ.get("ONEWINDOW_CENTRAL_DB", "central.db")


def _open(args):
    from central.db import CentralDB

    return CentralDB(args.db)


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def unsafe_listen_reason(host: str, admin_token: str | None, tls_cert: str | None,
                         trusted_network: bool) -> tuple[str, str] | None:
    """Why the central must not listen on `host` as configured; None when it may.

    Beyond loopback the central serves every hall's figures and takes every hall's events:
    it needs an admin token and TLS, unless the operator says the network is trusted.
    """
    if _is_loopback(host) or trusted_network:
        return None
    missing = [zh_en for ok, zh_en in ((admin_token, ("管理令牌 --admin-token", "an admin token "
                                                      "(--admin-token)")),
                                        (tls_cert, ("TLS 证书 --tls-cert/--tls-key", "TLS "
                                                    "(--tls-cert/--tls-key)"))) if not ok]
    if not missing:
        return None
    return ("、".join(z for z, _ in missing), " and ".join(e for _, e in missing))


class RedactQuery(logging.Filter):
    """Access-log lines never carry a credential from a query string, nor a citizen's ticket
    token from the relayed phone page's paths (/t/TOKEN, /api/v1/tickets/TOKEN…)."""

    _pattern = re.compile(r"((?:token|key|secret|pin)[^=&]*=)[^&\s\"]*", re.IGNORECASE)
    _ticket = re.compile(r"(/t/|/api/v1/tickets/)[A-Za-z0-9_-]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self._ticket.sub(r"\1***", self._pattern.sub(r"\1***", a))
                                if isinstance(a, str) else a for a in record.args)
        return True


def _serve(args) -> int:
    import ssl

    import uvicorn

    from central.app import create_app

    admin_token = args.admin_token or os.environ.get("ONEWINDOW_CENTRAL_TOKEN")
    why = unsafe_listen_reason(args.host, admin_token, args.tls_cert, args.trusted_network)
    if why is not None:
        print(f"错误：在 {args.host} 上监听（本机以外可达）需要{why[0]}；或确认网络可信时加 "
              f"--trusted-network\nError: listening on {args.host} (reachable beyond this machine) "
              f"needs {why[1]}; or add --trusted-network if the network is trusted",
              file=sys.stderr)
        return 2
    if args.tls_client_ca and not args.tls_cert:
        print("错误：--tls-client-ca 需要同时给出 --tls-cert/--tls-key\n"
              "Error: --tls-client-ca needs --tls-cert/--tls-key", file=sys.stderr)
        return 2
    db = _open(args)
    app = create_app(db, admin_token=admin_token)
    from central.server import CENTRAL_BODY_TIMEOUT
    from onewindow.httpguard import DEFAULT_HEAD_TIMEOUT, guarded_h11

    logging.getLogger("uvicorn.access").addFilter(RedactQuery())
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level="info",
                            http=guarded_h11(DEFAULT_HEAD_TIMEOUT, CENTRAL_BODY_TIMEOUT),
                            ssl_certfile=args.tls_cert, ssl_keyfile=args.tls_key,
                            ssl_ca_certs=args.tls_client_ca,
                            ssl_cert_reqs=ssl.CERT_REQUIRED if args.tls_client_ca else ssl.CERT_NONE)
    server = uvicorn.Server(config)
    if args.port_file:
        # Tests and supervisors start us on port 0 and read the real port from this file.
        import threading
        import time

        def report():
            while not server.started:
                time.sleep(0.01)
            port = server.servers[0].sockets[0].getsockname()[1]
            tmp = Path(args.port_file + ".tmp")
            tmp.write_text(str(port))
            tmp.replace(args.port_file)

        threading.Thread(target=report, daemon=True).start()
    server.run()
    return 0


_HALL_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def _hall_add(args) -> int:
    from sync.signing import new_secret

    if not _HALL_ID.match(args.hall):
        print(f"错误：大厅编号只能用小写字母、数字、- 和 _：{args.hall!r}\n"
              f"Error: a hall id uses lower-case letters, digits, - and _ only: {args.hall!r}",
              file=sys.stderr)
        return 2
    db = _open(args)
    if db.hall_secret(args.hall) is not None:
        print(f"错误：大厅 {args.hall} 已登记\nError: hall {args.hall} is already registered",
              file=sys.stderr)
        return 1
    secret = new_secret()
    db.add_hall(args.hall, args.name or args.hall, secret)
    print(f"# 大厅 {args.hall} 已登记；把下面的密钥写入大厅 hall.toml 的 [sync] hall_key")
    print(f"# hall {args.hall} registered; put this key in the hall's hall.toml [sync] hall_key")
    print(secret)
    return 0


def _hall_list(args) -> int:
    for h in _open(args).halls():
        print(f"{h['id']}\t{h['name']}\tacked_upto={h['hwm']}")
    return 0


def strip_sync_section(text: str) -> str:
    """The pushed configuration never carries a hall's own [sync] section (its credential).

    Whole TOML tables are removed (a "[" inside a comment or a value does not end one)."""
    from sync.config_guard import without_tables

    return without_tables(text, ("sync",))


def _config_push(args) -> int:
    from hall.config import ConfigError, parse_config

    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
        cfg = parse_config(text, str(path))
    except FileNotFoundError:
        print(f"错误：找不到文件 {path}\nError: file not found: {path}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"错误：配置无效，未推送：{exc}\nError: invalid configuration, not pushed: {exc}",
              file=sys.stderr)
        return 2
    if cfg.hall.id != args.hall:
        print(f"错误：文件中的大厅编号是 {cfg.hall.id}，不是 {args.hall}\n"
              f"Error: the file is for hall {cfg.hall.id}, not {args.hall}", file=sys.stderr)
        return 2
    db = _open(args)
    try:
        version = db.push_config(args.hall, strip_sync_section(text))
    except KeyError:
        print(f"错误：大厅 {args.hall} 未登记\nError: hall {args.hall} is not registered",
              file=sys.stderr)
        return 1
    print(f"配置版本 {version} 已就绪 · configuration version {version} is ready for {args.hall}")
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("central", help="the reference central platform (serve, halls, config)")
    p.add_argument("--db", default=DEFAULT_DB,
                   help="sqlite path or postgresql:// URL (default $ONEWINDOW_CENTRAL_DB or central.db)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8480)
    p.add_argument("--port-file", help="write the bound port here (for --port 0)")
    p.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    p.add_argument("--tls-key", help="private key for --tls-cert")
    p.add_argument("--admin-token", help="token for the summary pages (or $ONEWINDOW_CENTRAL_TOKEN)")
    p.add_argument("--tls-client-ca", help="require hall certificates signed by this CA (mutual TLS)")
    p.add_argument("--trusted-network", action="store_true",
                   help="allow listening beyond loopback without an admin token and TLS")
    p.set_defaults(func=_serve)
    csub = p.add_subparsers(dest="central_command", metavar="ACTION")
    s = csub.add_parser("serve", help="serve the central (the default)")
    s.set_defaults(func=_serve)
    hall = csub.add_parser("hall", help="hall registration")
    hsub = hall.add_subparsers(dest="hall_command", metavar="ACTION")
    add = hsub.add_parser("add", help="register a hall and print its credential")
    add.add_argument("hall", help="hall id as in its hall.toml [hall] id")
    add.add_argument("--name", help="display name")
    add.set_defaults(func=_hall_add)
    ls = hsub.add_parser("list", help="list registered halls")
    ls.set_defaults(func=_hall_list)
    hall.set_defaults(func=_hall_list)
    cfg = csub.add_parser("config", help="hall configuration versions")
    cfgsub = cfg.add_subparsers(dest="config_command", metavar="ACTION")
    push = cfgsub.add_parser("push", help="validate a hall.toml and make it the hall's next version")
    push.add_argument("hall")
    push.add_argument("file")
    push.set_defaults(func=_config_push)
    cfg.set_defaults(func=lambda a: (cfg.print_help(), 2)[1])
    _add_app_commands(csub)


# -- intake (issue 16): client apps of the booking and hotline APIs ------------------------------
def _app_add(args) -> int:
    from central.api_clients import register

    try:
        key = register(_open(args), args.app, args.name or args.app, args.scopes.split(","),
                       args.halls.split(","), args.rate)
    except ValueError as exc:
        print(f"错误 Error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # e.g. the id is taken (unique key)
        print(f"错误：应用 {args.app} 无法登记（已存在？）\nError: app {args.app} cannot be registered "
              f"(exists?): {type(exc).__name__}", file=sys.stderr)
        return 1
    print(f"# 应用 {args.app} 已登记（{args.scopes}）；密钥只显示这一次，请交给应用方保管")
    print(f"# app {args.app} registered ({args.scopes}); the key is shown only now")
    print(key)
    return 0


def _app_disable(args) -> int:
    from central.api_clients import set_enabled

    set_enabled(_open(args), args.app, False)
    print(f"应用 {args.app} 已停用 · app {args.app} disabled")
    return 0


def _add_app_commands(csub) -> None:
    app = csub.add_parser("app", help="client apps of the booking / 12345 hotline APIs")
    asub = app.add_subparsers(dest="app_command", metavar="ACTION")
    add = asub.add_parser("add", help="register a client app and print its key (once)")
    add.add_argument("app", help="app id, e.g. wechat-mp")
    add.add_argument("--name")
    add.add_argument("--scopes", default="booking", help="comma list: booking, hotline")
    add.add_argument("--halls", default="*", help="comma list of hall ids, or * (default)")
    add.add_argument("--rate", type=int, default=600, help="requests per minute (default 600)")
    add.set_defaults(func=_app_add)
    dis = asub.add_parser("disable", help="stop an app's key from working")
    dis.add_argument("app")
    dis.set_defaults(func=_app_disable)
    app.set_defaults(func=lambda a: (app.print_help(), 2)[1])


def main(argv: list[str] | None = None) -> int:
    """Run `central` without the rest of the onewindow command (used by tests to spawn it)."""
    import argparse
    import logging

    logging.basicConfig(level=logging.WARNING)
    parser = argparse.ArgumentParser(prog="central")
    sub = parser.add_subparsers(dest="command")
    add_commands(sub)
    args = parser.parse_args(["central", *(argv if argv is not None else sys.argv[1:])])
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
