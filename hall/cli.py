"""Core subcommands: `db init|migrate|check|backup`, `config check`, `report day`, `sim-day`."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

from hall.config import ConfigError
from hall.errors import DomainError

PACKAGED_CONFIG_DIR = Path("/etc/onewindow")
PACKAGED_STATE_DIR = Path("/var/lib/onewindow")


def db_path_for(config_path: Path, db: str | None) -> Path:
    """--db, else $ONEWINDOW_DB, else /var/lib/onewindow/hall.db for the packages' config
    /etc/onewindow/hall.toml (so every command a technician types finds the hall's
    database), else hall.db beside the config file."""
    if db:
        return Path(db)
    if os.environ.get("ONEWINDOW_DB"):
        return Path(os.environ["ONEWINDOW_DB"])
    if config_path.absolute().parent == PACKAGED_CONFIG_DIR and PACKAGED_STATE_DIR.is_dir():
        return PACKAGED_STATE_DIR / "hall.db"
    return config_path.parent / "hall.db"


def _common(p) -> None:
    p.add_argument("--config", default="hall.toml", help="hall.toml (default ./hall.toml)")
    p.add_argument("--db", help="SQLite file (default: hall.db beside the config, or $ONEWINDOW_DB)")


def _load(args):
    from hall.central_layer import load_effective

    config_path = Path(args.config)
    db = db_path_for(config_path, args.db)
    try:
        cfg = load_effective(config_path, db)   # hall.toml + the central's applied snapshot
    except ConfigError as exc:
        print(f"配置错误 Configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    return cfg, db


def _open_store(path: Path, migrate: bool = True):
    from hall.store import Store
    return Store.open(path, migrate=migrate)


def _cmd_config_check(args) -> int:
    cfg, _ = _load(args)
    print(f"配置正确 OK: {args.config} — {cfg.hall.name_zh}: {len(cfg.services)} 项业务 services, "
          f"{len(cfg.windows)} 个窗口 windows")
    from hall.config import phone_reach_warnings

    for zh, en in phone_reach_warnings(cfg):
        print(f"注意 warning: {zh}\n  {en}")
    return 0


def _cmd_db(args) -> int:
    from hall.check import check_invariants
    from hall.engine import Engine

    cfg, db = _load(args)
    if args.action == "init":
        if db.exists() and not args.force:
            print(f"{db} 已存在 already exists (use --force to migrate it anyway)", file=sys.stderr)
            return 1
        store = _open_store(db)
        Engine(store, cfg)
        print(f"数据库已创建 created: {db}")
        return 0
    if args.action == "restore":
        return _cmd_restore(args, cfg, db)
    if args.action == "recover":
        return _cmd_recover(args, cfg, db)
    if not db.exists():
        print(f"找不到数据库 no database at {db}; run `onewindow db init` first", file=sys.stderr)
        return 1
    if args.action == "migrate":
        store = _open_store(db, migrate=False)
        pending = [p.stem for p in store.pending_migrations()]
        store.migrate()
        print("已是最新 up to date" if not pending else "已应用 applied: " + ", ".join(pending))
        return 0
    if args.action == "check":
        store = _open_store(db, migrate=False)
        pending = store.pending_migrations()
        problems = check_invariants(store) if not pending else []
        if pending:
            problems.append("schema not migrated: " + ", ".join(p.stem for p in pending) + " (run `onewindow db migrate`)")
        if problems:
            print("发现问题 problems found:")
            for p in problems:
                print(f"  - {p}")
            return 1
        print(f"检查通过 OK: {db}")
        return 0
    if args.action == "backup":
        store = _open_store(db, migrate=False)
        if args.scheduled:
            return _scheduled_backup(store, cfg)
        dest = Path(args.dest or f"{db.with_suffix('')}-{dt.datetime.now():%Y%m%d-%H%M%S}.db")
        store.backup(dest)
        print(f"已备份 backed up to {dest}")
        return 0
    return 2


def _scheduled_backup(store, cfg) -> int:
    from hall.backup import scheduled_backup

    try:
        result = scheduled_backup(store, cfg.backup)
    except OSError as exc:
        print(f"备份失败：{exc}\nBackup failed: {exc}", file=sys.stderr)
        return 1
    print(f"已备份 backed up: {result.path} ({result.bytes} bytes)")
    if result.copied_to:
        print(f"已复制 copied to: {result.copied_to}")
    for path in result.removed:
        print(f"已删除过期备份 removed (older than {cfg.backup.keep_days} days): {path}")
    for warning in result.warnings:
        print(f"警告：未能复制到外部存储，备份只保存在本机 {cfg.backup.dir} / Warning: no copy "
              f"outside this machine: {warning}", file=sys.stderr)
    return 0


def _cmd_restore(args, cfg, db: Path) -> int:
    from hall import dblock
    from hall.restore import RestoreRefused, restore

    if not args.file:
        print("用法 usage: onewindow db restore BACKUP_FILE --config hall.toml", file=sys.stderr)
        return 2
    from hall.restore import give_back, owner_of

    owner = owner_of(db)
    try:
        lock = dblock.take_exclusive(db)
    except dblock.DatabaseBusy:
        print("大厅服务、同步或短信进程正在使用数据库，拒绝恢复；请先停止它们"
              "（systemctl stop onewindow-hall onewindow-sync onewindow-notices）\n"
              f"Refusing to restore: a hall, sync or notices process has {db} open; stop them first",
              file=sys.stderr)
        return 1
    try:
        try:
            done = restore(Path(args.file), db)
        except RestoreRefused as exc:
            print(f"错误：{exc.message}\nError: {exc.message_en}", file=sys.stderr)
            return 1
        print(f"已恢复 restored {args.file} -> {db} (events up to seq {done['max_seq']})")
        if done["kept"]:
            print(f"原数据库保存在 the replaced database is kept as {done['kept']}")
        return _recover(cfg, db, skip=False)
    finally:
        dblock.release(lock)
        give_back(db, owner)


def _cmd_recover(args, cfg, db: Path) -> int:
    from hall import dblock

    try:
        lock = dblock.take_exclusive(db)
    except dblock.DatabaseBusy:
        print(f"数据库正在使用中 / {db} is in use by a running process; stop it first", file=sys.stderr)
        return 1
    from hall.restore import give_back, owner_of

    owner = owner_of(db)
    try:
        return _recover(cfg, db, skip=args.skip_central)
    finally:
        dblock.release(lock)
        give_back(db, owner)


def _recover(cfg, db: Path, *, skip: bool) -> int:
    from hall.restore import recover_from_central, recovery_pending, skip_recovery

    if not recovery_pending(db):
        print("无需取回 nothing to recover")
        return 0
    if skip or not cfg.sync.enabled:
        skip_recovery(db)
        why = "--skip-central" if skip else "sync is disabled in the config"
        print(f"未从中心取回备份之后的事件（{why}）；今天备份之后发出的号码可能重复\n"
              f"Not taking back events written after the backup ({why}); numbers handed out "
              "after the backup today may be given again", file=sys.stderr)
        return 0
    from sync.client import SyncError

    try:
        got = recover_from_central(db, cfg)
    except SyncError as exc:
        print(f"无法从中心取回备份之后的事件：{exc.message}；大厅服务在取回前不会启动。"
              "网络恢复后运行 `onewindow db recover`\n"
              f"Could not take back the events written after the backup: {exc.message_en}; "
              "the hall will not start until they are. Run `onewindow db recover` when the "
              "central is reachable (or `--skip-central`).", file=sys.stderr)
        return 3
    print(f"已从中心取回 {got['recovered']} 条事件（seq {got['from_seq'] + 1}–{got['last_seq']}）"
          f" / took back {got['recovered']} events from the central; numbering and sync go on "
          f"after seq {got['last_seq']}")
    return 0


def _cmd_report_day(args) -> int:
    from hall.reports import day_summary, format_day_summary
    from hall.store import Store

    cfg, db = _load(args)
    if not db.exists():
        print(f"找不到数据库 no database at {db}", file=sys.stderr)
        return 1
    store = Store.open(db, migrate=False)
    date = args.date
    if not date:
        with store.read() as c:
            row = c.execute("SELECT value FROM meta WHERE key = 'business_date'").fetchone()
        date = row[0] if row else dt.date.today().isoformat()
    summary = day_summary(store, date)
    print(json.dumps(summary, ensure_ascii=False, indent=2) if args.json else format_day_summary(summary))
    return 0


def _cmd_sim_day(args) -> int:
    from hall.reports import format_day_summary
    from hall.simday import last_working_day, simulate_day

    cfg, db = _load(args)
    store = _open_store(db)
    if args.date:
        date = dt.date.fromisoformat(args.date)
    else:
        date = last_working_day(cfg, dt.datetime.now(cfg.tz).date())
    try:
        result = simulate_day(store, cfg, date, tickets=args.tickets, seed=args.seed)
    except DomainError as exc:
        print(f"错误：{exc.message}\nError: {exc.message_en}", file=sys.stderr)
        return 1
    print(json.dumps(result.summary, ensure_ascii=False, indent=2) if args.json else format_day_summary(result.summary))
    return 0


def _cmd_sim_month(args) -> int:
    from hall.simmonth import format_month, simulate_month

    cfg, db = _load(args)
    store = _open_store(db)
    start = dt.date.fromisoformat(args.start)
    try:
        result = simulate_month(store, cfg, start, working_days=args.days, tickets=args.tickets, seed=args.seed)
    except DomainError as exc:
        print(f"错误：{exc.message}\nError: {exc.message_en}", file=sys.stderr)
        return 1
    print(json.dumps(result.report, ensure_ascii=False, indent=2) if args.json else format_month(result))
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("config", help="check a hall.toml")
    csub = p.add_subparsers(dest="action", required=True)
    c = csub.add_parser("check", help="validate the file and say what is wrong, with its line")
    _common(c)
    c.set_defaults(func=_cmd_config_check)

    p = sub.add_parser("db", help="the hall database: init, migrate, check, backup, restore")
    p.add_argument("action", choices=["init", "migrate", "check", "backup", "restore", "recover"],
                   help="init: create; migrate: apply new schema; check: integrity and queue invariants; "
                        "backup: online copy while the hall runs; restore FILE: put a backup back "
                        "(the hall stopped) and take back from the central what came after it; "
                        "recover: retry that taking back")
    p.add_argument("file", nargs="?", help="restore: the backup file")
    _common(p)
    p.add_argument("--force", action="store_true", help="init: accept an existing file")
    p.add_argument("--dest", help="backup: destination file")
    p.add_argument("--scheduled", action="store_true",
                   help="backup: into [backup] dir, copy to [backup] copy_to, keep keep_days days")
    p.add_argument("--skip-central", action="store_true",
                   help="recover: go on without the events written after the backup")
    p.set_defaults(func=_cmd_db)

    p = sub.add_parser("report", help="reports from the hall database")
    rsub = p.add_subparsers(dest="report", required=True)
    r = rsub.add_parser("day", help="the summary of one business day")
    _common(r)
    r.add_argument("--date", help="YYYY-MM-DD (default: the current business day)")
    r.add_argument("--json", action="store_true", help="print JSON instead of a table")
    r.set_defaults(func=_cmd_report_day)

    p = sub.add_parser("sim-day", help="simulate a whole business day at accelerated time into the database")
    _common(p)
    p.add_argument("--date", help="YYYY-MM-DD (default: the last working day up to today)")
    p.add_argument("--tickets", type=int, default=600, help="citizens arriving (default 600)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_sim_day)

    p = sub.add_parser("sim-month", help="simulate working days back to back with the back office, "
                                         "missing materials and pickups; prints the one-visit rate")
    _common(p)
    p.add_argument("--start", required=True, help="YYYY-MM-DD, the first day (after the database's business day)")
    p.add_argument("--days", type=int, default=20, help="working days (default 20)")
    p.add_argument("--tickets", type=int, default=300, help="citizens per day (default 300)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_sim_month)
