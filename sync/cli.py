"""`onewindow sync` (the uploader/puller process), `sync status`, and `onewindow notices` (the sender)."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import signal
import sys
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)


def _load(args):
    from hall.central_layer import load_effective
    from hall.cli import db_path_for
    from hall.config import ConfigError

    config_path = Path(args.config)
    db = db_path_for(config_path, args.db)
    try:
        cfg = load_effective(config_path, db)
    except ConfigError as exc:
        print(f"配置错误：{exc}\nConfiguration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    return cfg, config_path, db


def _recover_after_restore(cfg, db: Path, hall_key: str, stop, *, once: bool) -> int | None:
    """A database restored from a backup first takes back from the central what the hall
    wrote after that backup (docs/sync-protocol.md §10), before anything here writes an
    event. None when done (or nothing to do); an exit code when stopping instead."""
    from hall.restore import central_client, recover_from_central, recovery_pending
    from sync.client import SyncError

    attempt = 0
    while recovery_pending(db):
        client = central_client(cfg, hall_key)
        try:
            got = recover_from_central(db, cfg, client=client)
            log.info("restored database: took back %d events from the central (up to seq %d)",
                     got["recovered"], got["last_seq"])
            print(f"已从中心取回 {got['recovered']} 条事件 / took back {got['recovered']} events "
                  f"from the central after the restore (up to seq {got['last_seq']})")
            return None
        except SyncError as exc:
            log.warning("restored database: cannot take back the events written after the "
                        "backup yet (%s); retrying", exc.message_en)
            if once:
                print(f"错误：{exc.message}\nError: {exc.message_en}", file=sys.stderr)
                return 3
        finally:
            client.close()
        attempt += 1
        if stop.wait(min(60.0, 2.0 * attempt)):
            return 0
    return None


def _hold_db(db: Path) -> int | None:
    """A shared lock on the database for this process's life (`db restore` waits for it)."""
    from hall import dblock

    try:
        return dblock.hold_shared(db)
    except dblock.DatabaseBusy:
        print(f"数据库 {db} 正在恢复中，请稍后再启动\nThe database {db} is being restored; "
              "start again afterwards", file=sys.stderr)
        return None


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def _ago(t: float | None, now: float, tz=None) -> str:
    if t is None:
        return "从未 never"
    stamp = dt.datetime.fromtimestamp(t, tz).strftime("%Y-%m-%d %H:%M:%S")
    minutes = int((now - t) // 60)
    return f"{stamp}（{minutes} 分钟前 / {minutes} min ago）"


def _cmd_status(args) -> int:
    from sync import hallside

    cfg, _, db = _load(args)
    if not db.exists():
        print(f"错误：数据库不存在 {db}\nError: no database at {db}", file=sys.stderr)
        return 1
    conn = hallside.open_hall_db(db)
    st = hallside.status(conn, interval=cfg.sync.interval_seconds)
    conn.close()
    from zoneinfo import ZoneInfo

    from hall.timesync import clock_status, hall_time

    now = time.time()
    tz = ZoneInfo(cfg.hall.timezone)        # the hall's time, as tickets print it
    zone = hall_time(cfg.hall.timezone, now)
    synced = {True: "已同步 synchronised", False: "未同步 NOT synchronised",
              None: "未知 unknown"}[clock_status()["synchronized"]]
    mark = "在线 online" if st["online"] else "离线 offline"
    lines = [
        f"同步状态 Sync status: {mark}" + ("" if cfg.sync.enabled else "（未启用 sync is disabled in hall.toml）"),
        f"  中心 central: {cfg.sync.central_url or '未配置 not configured'}",
        f"  已确认到 acknowledged up to: seq {st['cursor']}",
        f"  待上传 pending: {st['pending']} 条事件 events",
        f"  上次成功 last success: {_ago(st['last_success_at'], now, tz)}",
    ]
    if st["last_error"] and (st["last_success_at"] or 0) <= (st["last_error_at"] or 0):
        lines.append(f"  上次错误 last error: {_ago(st['last_error_at'], now, tz)}")
        lines.append(f"    {st['last_error']}")
        lines.append(f"    {st['last_error_en']}")
    lines.append(f"  大厅时间 hall time: {dt.datetime.fromtimestamp(now, tz):%Y-%m-%d %H:%M:%S} "
                 f"{zone['timezone']} (UTC{zone['utc_offset']})；本机时钟 clock {synced}")
    lines.append(f"  配置版本 configuration version: {st['config_version'] or '本地 local'}")
    from hall.restore import recovery_pending

    if recovery_pending(db):
        lines.append("  从备份恢复后待取回 restored from a backup, not yet recovered: "
                     "run `onewindow db recover` (the hall will not start before)")
    if st["config_refused"]:
        lines.append(f"  已拒绝的配置 refused configuration: {st['config_refused']}")
    if st.get("config_ignored"):
        lines.append(f"  已忽略的中心设置 ignored central settings: {st['config_ignored']}")
    if abs(st["clock_offset"]) > 1:
        lines.append(f"  时钟偏差 clock offset to central: {st['clock_offset']:+.0f} s")
    print("\n".join(lines))
    return 0


def _cmd_sync(args) -> int:
    if getattr(args, "sync_command", None) == "status":
        return _cmd_status(args)
    from hall.engine import Engine
    from hall.store import Store
    from onewindow.sdnotify import EXIT_DISABLED
    from sync import hallside
    from sync.client import CentralClient
    from sync.runner import Syncer, engine_hooks

    cfg, config_path, db = _load(args)
    logging.getLogger("httpx").setLevel(logging.WARNING)   # our own log says what matters
    if not cfg.sync.enabled:
        # Not a failure: systemd must not restart it (exit code 4, RestartPreventExitStatus).
        print(f"同步未启用（{config_path} 中 [sync] enabled = false），退出 / sync is disabled in "
              f"{config_path} ([sync] enabled = false); exiting", file=sys.stderr)
        return EXIT_DISABLED
    from onewindow.secrets import HALL_KEY, SecretError, read_secret

    try:
        key = read_secret(HALL_KEY, file=args.hall_key_file, flag="--hall-key")
    except SecretError as exc:
        print(f"错误：{exc.zh}\nError: {exc.en}", file=sys.stderr)
        return 2
    hall_key = key or cfg.sync.hall_key  # a file or credential keeps it out of hall.toml
    if not cfg.sync.central_url or not hall_key:
        print("错误：hall.toml 的 [sync] 需要 central_url 和 hall_key（由 onewindow central hall add 生成）\n"
              "Error: [sync] in hall.toml needs central_url and hall_key "
              "(from `onewindow central hall add`)", file=sys.stderr)
        return 2
    if len(hall_key) != 64:
        print("错误：hall_key 应为 64 位十六进制密钥\nError: hall_key must be 64 hex digits",
              file=sys.stderr)
        return 2
    lock = _hold_db(db)
    if lock is None:
        return 1
    stop = _stop_on_signals()
    recovered = _recover_after_restore(cfg, db, hall_key, stop, once=args.once)
    if recovered is not None:
        return recovered
    store = Store.open(db)
    engine = Engine(store, cfg)
    conn = hallside.open_hall_db(db)
    client = CentralClient.from_config(cfg, hall_key=hall_key)
    syncer = Syncer(conn, client, batch_size=cfg.sync.batch_size, config_path=config_path,
                    staff_names=cfg.sync.staff_names,
                    **engine_hooks(engine))
    log.info("sync: %s → %s every %.0f s", cfg.hall.id, cfg.sync.central_url, cfg.sync.interval_seconds)
    try:
        if args.once:
            result = syncer.cycle()
            print(result)
        else:
            syncer.run(stop, interval=cfg.sync.interval_seconds)
    finally:
        client.close()
        conn.close()
        store.close()
    return 0


def _cmd_notices(args) -> int:
    from hall.store import Store
    from onewindow.sdnotify import EXIT_DISABLED
    from sync import hallside
    from sync.notice_sender import NoticeSender

    cfg, config_path, db = _load(args)
    if not cfg.notices.enabled:
        print(f"短信通知未启用（{config_path} 中 [notices] enabled = false），退出 / notices are "
              f"disabled in {config_path} ([notices] enabled = false); exiting", file=sys.stderr)
        return EXIT_DISABLED
    if not cfg.notices.gateway_url:
        print("错误：hall.toml 的 [notices] 缺少 gateway_url\n"
              "Error: [notices] has no gateway_url", file=sys.stderr)
        return 2
    lock = _hold_db(db)
    if lock is None:
        return 1
    Store.open(db).close()  # make sure the notices table exists
    conn = hallside.open_hall_db(db)
    sender = NoticeSender(conn, cfg.notices.gateway_url)
    stop = _stop_on_signals()
    try:
        sender.run(stop)
    finally:
        sender.close()
        conn.close()
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("sync", help="sync with the central platform (run; `sync status`)")
    p.add_argument("--config", default="hall.toml", help="hall.toml (default ./hall.toml)")
    p.add_argument("--db", help="SQLite file (default: hall.db beside the config, or $ONEWINDOW_DB)")
    p.add_argument("--once", action="store_true", help="one round, then exit")
    p.add_argument("--hall-key-file", metavar="PATH", default=None,
                   help="file holding hall_key (0600); default: the systemd credential "
                        "hall-key, else [sync] hall_key in hall.toml")
    p.set_defaults(func=_cmd_sync)
    ssub = p.add_subparsers(dest="sync_command", metavar="ACTION")
    st = ssub.add_parser("status", help="cursor, pending events, last success, last error")
    # SUPPRESS: `sync --config X status` and `sync status --config X` both work.
    st.add_argument("--config", default=argparse.SUPPRESS, help="hall.toml (default ./hall.toml)")
    st.add_argument("--db", default=argparse.SUPPRESS, help="SQLite file")
    st.set_defaults(func=_cmd_status)
    n = sub.add_parser("notices", help="send queued phone notices through the SMS gateway")
    n.add_argument("--config", default="hall.toml", help="hall.toml (default ./hall.toml)")
    n.add_argument("--db", help="SQLite file (default: hall.db beside the config, or $ONEWINDOW_DB)")
    n.set_defaults(func=_cmd_notices)
