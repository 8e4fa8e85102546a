"""Matter updates from central to a hall: a provincial approval system finished a matter (办件)
elsewhere, and the hall's matter takes that step (approve, reject, ask_more, ready, mail).

Central keeps a per-hall, increasing `rev` for each update; the hall pulls
`GET /sync/v1/matter-updates?after=REV` (signed like every sync request) and keeps its cursor,
and applies each update through the engine once (the update id is unique at the hall).
Updates are queued by an operator or an integration with the admin token:
`POST /api/v1/halls/{hall}/matter-updates {"matter_id", "step", "note", "id"?}`.
"""

from __future__ import annotations

import json
import re
import time
import uuid

from fastapi import Query, Request
from starlette.concurrency import run_in_threadpool

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS matter_updates (
        hall_id TEXT NOT NULL, rev BIGINT NOT NULL, id TEXT NOT NULL, matter_id TEXT NOT NULL,
        step TEXT NOT NULL, note TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (hall_id, rev), UNIQUE (hall_id, id))""",
]
STEPS = ("approve", "reject", "ask_more", "resume", "ready", "mail")
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,80}$")


def ensure_schema(db) -> None:
    with db.transaction():
        for ddl in SCHEMA:
            db.execute(ddl)


def add_update(db, hall_id: str, matter_id: str, step: str, note: str = "", update_id: str | None = None) -> dict:
    """Queue one update for a hall; the same id again changes nothing (returns the first)."""
    update_id = update_id or uuid.uuid4().hex
    if step not in STEPS:
        raise ValueError(f"step must be one of {', '.join(STEPS)}")
    if not _ID.match(update_id) or not re.match(r"^[A-Za-z0-9]{8,64}$", matter_id or ""):
        raise ValueError("bad update id or matter id")
    with db.transaction():
        old = db.execute("SELECT rev FROM matter_updates WHERE hall_id = ? AND id = ?", (hall_id, update_id)).fetchone()
        if old is None:
            # Two operators adding for one hall at the same instant on PostgreSQL: the second
            # insert fails on the (hall_id, rev) key and is retried by its sender.
            rev = db.execute("SELECT COALESCE(MAX(rev), 0) + 1 FROM matter_updates WHERE hall_id = ?",
                             (hall_id,)).fetchone()[0]
            db.execute("INSERT INTO matter_updates (hall_id, rev, id, matter_id, step, note, created_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)", (hall_id, rev, update_id, matter_id, step, note[:1000],
                                                        time.time()))
        else:
            rev = old[0]
    return {"id": update_id, "rev": int(rev), "matter_id": matter_id, "step": step}


def changes(db, hall_id: str, after: int, limit: int = 200) -> dict:
    rows = db.query("SELECT rev, id, matter_id, step, note FROM matter_updates WHERE hall_id = ? AND rev > ? "
                    "ORDER BY rev LIMIT ?", (hall_id, after, limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"updates": [{"rev": int(r[0]), "id": r[1], "matter_id": r[2], "step": r[3], "note": r[4]} for r in rows],
            "cursor": int(rows[-1][0]) if rows else after, "more": more}


def mount(app, db, authenticate, admin, refused, admin_token: str | None) -> None:
    """Add the two endpoints to the central app (called from central.app.create_app)."""
    ensure_schema(db)

    @app.get("/sync/v1/matter-updates")
    async def pull_matter_updates(request: Request, after: int = Query(0, ge=0, le=2**62),
                                  limit: int = Query(200, ge=1, le=1000)):
        hall_id, _ = await authenticate(request)
        return await run_in_threadpool(changes, db, hall_id, after, limit)

    @app.post("/api/v1/halls/{hall_id}/matter-updates", status_code=201)
    async def post_matter_update(hall_id: str, request: Request):
        if not admin_token:      # a write: never open, unlike the read-only summaries
            raise refused(403, "admin_token_required", "中心未设置管理令牌（--admin-token），不能写入办件更新",
                          "start the central with --admin-token to accept matter updates")
        admin(request)
        from central.app import read_body

        try:
            body = json.loads(await read_body(request, 64 * 1024))
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise refused(422, "bad_body", "请求体应为 JSON 对象", "the body must be a JSON object")
        if not await run_in_threadpool(db.hall_secret, hall_id):
            raise refused(404, "unknown_hall", f"没有这个大厅：{hall_id}", f"no such hall: {hall_id}")
        try:
            return await run_in_threadpool(add_update, db, hall_id, str(body.get("matter_id") or ""),
                                           str(body.get("step") or ""), str(body.get("note") or ""),
                                           str(body["id"]) if body.get("id") else None)
        except ValueError as exc:
            raise refused(422, "bad_update", f"办件更新无效：{exc}", f"bad matter update: {exc}") from None
