"""Core subcommands: `db init|migrate|check|backup`, `config check`, `report day`, `sim-day`."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

from hall.config import ConfigError, load_config
from hall.errors import DomainError


def db_path_for(config_path: Path, db: str | None) -> Path:
    """--db, else $ONEWINDOW_DB, else hall.db beside the config file."""
    return Path(db) if db else Path(os.environ.get("ONEWINDOW_DB") or config_path.parent / "hall.db")


def _common(p) -> None:
    p.add_argument("--config", default="hall.toml", help="hall.toml (default ./hall.toml)")
    p.add_argument("--db", help="SQLite file (default: hall.db beside the config, or $ONEWINDOW_DB)")


def _load(args):
    config_path = Path(args.config)
    try:
        cfg = load_config(config_path)
    except ConfigError as exc:
        print(f"配置错误 Configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    return cfg, db_path_for(config_path, args.db)


def _open_store(path: Path, migrate: bool = True):
    from hall.store import Store
    return Store.open(path, migrate=migrate)


def _cmd_config_check(args) -> int:
    cfg, _ = _load(args)
    print(f"配置正确 OK: {args.config} — {cfg.hall.name_zh}: {len(cfg.services)} 项业务 services, "
          f"{len(cfg.windows)} 个窗口 windows")
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
        dest = Path(args.dest or f"{db.with_suffix('')}-{dt.datetime.now():%Y%m%d-%H%M%S}.db")
        store.backup(dest)
        print(f"已备份 backed up to {dest}")
        return 0
    return 2


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

    p = sub.add_parser("db", help="the hall database: init, migrate, check, backup")
    p.add_argument("action", choices=["init", "migrate", "check", "backup"],
                   help="init: create; migrate: apply new schema; check: integrity and queue invariants; "
                        "backup: online copy while the hall runs")
    _common(p)
    p.add_argument("--force", action="store_true", help="init: accept an existing file")
    p.add_argument("--dest", help="backup: destination file")
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
