"""The manager's office over HTTP: /api/v1/admin/… (live hall, cases, refusals, config, reports,
advice) and the /admin pages. Every endpoint needs a signed-in manager."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from hall import advice as hall_advice
from hall import config_layers, exits
from hall import reports_period as rp
from hall.api.auth import require_manager
from hall.auth import Principal
from hall.errors import InvalidInput, NotFound
from hall.models import RATING_ZH, REFUSAL_ZH, mask_phone

router = APIRouter()
api = APIRouter(prefix="/api/v1/admin", tags=["admin"], dependencies=[Depends(require_manager)])

ADMIN_DIR = Path(__file__).resolve().parent.parent / "web" / "admin"
# Same rules as the other pages (no CDN, nothing inline); plots arrive as data: URLs.
_CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'")
ObjectId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Period = Literal["day", "week", "month"]
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AdvanceIn(Body):
    step: Literal["assign", "contact", "verify", "rectify", "revisit", "close", "appeal",
                  "appeal_upheld", "appeal_rejected"]
    note: str = Field(default="", max_length=1000)
    assignee: str | None = Field(default=None, max_length=40)


class ReviewIn(Body):
    decision: Literal["confirmed", "follow_up"]
    note: str = Field(default="", max_length=500)


class SectionIn(Body):
    value: Any
    note: str = Field(default="", max_length=500)
    version: str | None = Field(default=None, max_length=40,
                                description="the section's version as read; a stale one is refused (409)")


def _engine(request: Request):
    return request.app.state.engine


def _store(request: Request):
    return request.app.state.store


def _base(request: Request):
    """The configuration in force before the local layer (set at start by create_app)."""
    return getattr(request.app.state, "base_config", None) or request.app.state.config


def _date(request: Request, date: str | None) -> str:
    if date is None:
        return _engine(request).business_date()
    if not _DATE.match(date):
        raise InvalidInput("bad_date", "日期格式应为 2026-11-26", "date must look like 2026-11-26")
    try:
        dt.date.fromisoformat(date)
    except ValueError:
        raise InvalidInput("bad_date", f"没有这一天：{date}", f"no such date: {date}") from None
    return date


# -- live hall --------------------------------------------------------------------------------
@api.get("/live")
def live(request: Request) -> dict:
    """Waiting per service, windows, longest wait, unanswered help calls and alerts."""
    return hall_advice.live_view(_engine(request))


# -- cases --------------------------------------------------------------------------------------
def next_due(case: dict) -> str | None:
    """The earliest deadline still ahead of an open case (回访, 整改, 答复): what the board sorts by."""
    if case["state"] == "closed":
        return None
    due = [case["reply_due"]]
    if not case["contacted_at"]:
        due.append(case["revisit_due"])
    if case["state"] in ("open", "verified", "appealing"):
        due.append(case["rectify_due"])
    return min(due)


def _case_row(c, case: dict, names: dict, windows: dict) -> dict:
    out = {**case, "service": names.get(case["service_id"]), "window_number": windows.get(case["window_id"]),
           "next_due": next_due(case)}
    if case["complaint_id"]:
        comp = c.execute("SELECT code, kind, category, adopted, has_contact FROM complaints WHERE id = ?",
                         (case["complaint_id"],)).fetchone()
        if comp:
            out["complaint"] = dict(comp)
            phone = c.execute("SELECT phone FROM complaint_contacts WHERE complaint_id = ?",
                              (case["complaint_id"],)).fetchone()
            out["complaint"]["phone"] = mask_phone(phone[0]) if phone else None
    if case["rating_id"]:
        r = c.execute("SELECT level, reasons, comment, channel, excluded FROM ratings WHERE id = ?",
                      (case["rating_id"],)).fetchone()
        if r:
            out["rating"] = {**dict(r), "reasons": json.loads(r["reasons"]), "level_zh": RATING_ZH[r["level"]]}
    from hall.revisit import masked_contact

    out["contact"] = masked_contact(c, case)     # masked; the full number only by an audited reveal
    if case["ticket_id"]:
        t = c.execute("SELECT number FROM tickets WHERE id = ?", (case["ticket_id"],)).fetchone()
        out["ticket_number"] = t[0] if t else None
    return out


@api.get("/cases")
def list_cases(request: Request, state: str | None = Query(default=None, max_length=20),
               overdue: bool | None = None, include_closed: bool = False) -> dict:
    """Cases by deadline (earliest reply due first), overdue flagged; closed ones on request."""
    engine = _engine(request)
    cases = engine.list_cases(state=state or None, overdue=overdue)
    if not include_closed and not state:
        cases = [c for c in cases if c["state"] != "closed"]
    with _store(request).read() as c:
        names = dict(c.execute("SELECT id, name_zh FROM services").fetchall())
        windows = dict(c.execute("SELECT id, number FROM windows").fetchall())
        rows = [_case_row(c, case, names, windows) for case in cases]
    rows.sort(key=lambda r: (r["next_due"] or "9999", r["reply_due"], r["opened_at"]))
    return exits.for_staff({"today": engine.business_date(), "cases": rows,
                            "overdue": sum(1 for r in rows if r["overdue"]),
                            "open": sum(1 for r in rows if r["state"] != "closed")})


@api.get("/cases/{case_id}")
def get_case(case_id: str, request: Request) -> dict:
    case = _engine(request).get_case(case_id)
    with _store(request).read() as c:
        names = dict(c.execute("SELECT id, name_zh FROM services").fetchall())
        windows = dict(c.execute("SELECT id, number FROM windows").fetchall())
        staff = dict(c.execute("SELECT id, name FROM staff").fetchall())
        out = _case_row(c, case, names, windows)
    from hall.engine import CASE_STEP_ZH

    out["steps"] = [{**s, "step_zh": CASE_STEP_ZH.get(s["step"], s["step"]), "staff_name": staff.get(s["staff_id"])}
                    for s in case["steps"]]
    out["staff_name"] = staff.get(case["staff_id"])
    return exits.for_staff(out)


@api.post("/cases/{case_id}/advance")
def advance_case(case_id: str, body: AdvanceIn, request: Request,
                 principal: Principal = Depends(require_manager)) -> dict:
    """One step of the closed loop, recorded with who and when; close needs a revisit first."""
    _engine(request).advance_case(case_id, body.step, principal.id, body.note, assignee=body.assignee)
    return get_case(case_id, request)


@api.post("/complaints/{complaint_id}/adopt")
def adopt(complaint_id: str, request: Request, principal: Principal = Depends(require_manager)) -> dict:
    """An adopted suggestion marks the citizen as a 啄木鸟 contributor."""
    c = _engine(request).adopt_suggestion(complaint_id, principal.id)
    return {"code": c["code"], "adopted": bool(c["adopted"])}


# -- refusals (窗口无权否决) ---------------------------------------------------------------------
@api.get("/refusals")
def refusals(request: Request, start: str | None = None, end: str | None = None,
             review_state: Literal["new", "confirmed", "follow_up", "all"] = "all") -> dict:
    """Every refusal in the dates with window, clerk, service, kind and details; counts."""
    end = _date(request, end)
    start = _date(request, start) if start else end
    sql = ("SELECT f.*, t.number AS ticket_number, s.name_zh AS service, w.number AS window_number, "
           "st.name AS staff_name, ts.name_zh AS target_service FROM refusals f "
           "LEFT JOIN tickets t ON t.id = f.ticket_id LEFT JOIN services s ON s.id = f.service_id "
           "LEFT JOIN windows w ON w.id = f.window_id LEFT JOIN staff st ON st.id = f.staff_id "
           "LEFT JOIN services ts ON ts.id = f.target_service_id "
           "WHERE f.business_date BETWEEN ? AND ?")
    args: list[Any] = [start, end]
    if review_state != "all":
        sql += " AND f.review_state = ?"
        args.append(review_state)
    where = sql[sql.index(" WHERE "):]
    with _store(request).read() as c:
        rows = [dict(r) for r in c.execute(sql + " ORDER BY f.at DESC LIMIT 500", args)]
        # Counts over every matching report, not just the rows listed.
        by_kind = c.execute("SELECT f.kind, COUNT(*) FROM refusals f" + where + " GROUP BY f.kind ORDER BY f.kind",
                            args).fetchall()
        by_service = c.execute("SELECT COALESCE(s.name_zh, f.service_id), COUNT(*) FROM refusals f "
                               "LEFT JOIN services s ON s.id = f.service_id" + where
                               + " GROUP BY 1 ORDER BY 2 DESC, 1", args).fetchall()
        to_review = c.execute("SELECT COUNT(*) FROM refusals f" + where + " AND f.review_state = 'new'",
                              args).fetchone()[0]
        total = sum(n for _, n in by_kind)
    for r in rows:
        r["materials"] = json.loads(r["materials"] or "[]")
        r["kind_zh"] = REFUSAL_ZH.get(r["kind"], r["kind"])
    return {"start": start, "end": end, "refusals": rows, "total": total, "shown": len(rows),
            "by_kind": [{"kind": k, "kind_zh": REFUSAL_ZH.get(k, k), "count": n} for k, n in by_kind],
            "by_service": [{"service": k, "count": n} for k, n in by_service],
            "to_review": to_review}


@api.post("/refusals/{refusal_id}/review")
def review(refusal_id: str, body: ReviewIn, request: Request,
           principal: Principal = Depends(require_manager)) -> dict:
    """Confirm a refusal, or flag it for follow-up."""
    return _engine(request).review_refusal(refusal_id, principal.id, body.decision, body.note)


# -- configuration (local layer) ---------------------------------------------------------------
@api.get("/config")
def get_config(request: Request) -> dict:
    """The editable sections as in force now, and which of them are local edits."""
    store = _store(request)
    effective = _engine(request).config
    data = config_layers.config_dict(effective)
    layer = config_layers.local_layer(store)
    in_force = config_layers.sections_in_force(store, _base(request), effective)
    return {"sections": [{"id": s, "name_zh": config_layers.SECTION_ZH[s], "value": data[s],
                          "version": config_layers.section_version(data[s]),
                          "local": s in layer, "in_force": in_force.get(s, True),
                          "updated_at": layer.get(s, {}).get("updated_at"),
                          "updated_by": layer.get(s, {}).get("updated_by")}
                         for s in config_layers.EDITABLE_SECTIONS],
            "central_managed": bool(getattr(effective, "sync", None) and effective.sync.enabled)}


def _applied(request: Request, config) -> None:
    request.app.state.config = config


@api.put("/config/{section}")
def put_section(section: str, body: SectionIn, request: Request,
                principal: Principal = Depends(require_manager)) -> dict:
    """Validate like hall.toml, store as a local edit with an audit row, apply at once."""
    config = config_layers.set_section(_store(request), _engine(request), _base(request), section, body.value,
                                       principal.id, body.note, body.version)
    _applied(request, config)
    return {"ok": True, "section": section, "value": config_layers.config_dict(config)[section]}


@api.delete("/config/{section}")
def revert_section(section: str, request: Request, principal: Principal = Depends(require_manager)) -> dict:
    """Drop the local edit of a section: the base value (hall.toml or central) is in force again."""
    config = config_layers.revert_section(_store(request), _engine(request), _base(request), section, principal.id)
    _applied(request, config)
    return {"ok": True, "section": section, "value": config_layers.config_dict(config)[section]}


@api.get("/config/audit")
def config_audit(request: Request, limit: int = Query(default=100, ge=1, le=1000)) -> list[dict]:
    return config_layers.audit_log(_store(request), limit)


# -- reports ----------------------------------------------------------------------------------
_REPORT_CACHE_SIZE = 8


def _report(request: Request, period: str, date: str | None) -> dict:
    """The period's report; the page asks for it once per table, plot and export, so it is
    kept until the next event (the event seq is part of the key: never stale)."""
    start, end = rp.period_range(period, _date(request, date))
    store = _store(request)
    with store.read() as c:
        seq = c.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
    cache = getattr(request.app.state, "manager_reports", None)
    if cache is None:
        cache = request.app.state.manager_reports = {}
    today = _engine(request).business_date()
    key = (start, end, seq, today)
    report = cache.get(key)
    if report is None:
        report = rp.period_report(store, start, end, _engine(request).config.tz, today=today)
        while len(cache) >= _REPORT_CACHE_SIZE:
            cache.pop(next(iter(cache)))
        cache[key] = report
    return {**report, "period": period, "hall": _engine(request).config.hall.name_zh}


@api.get("/reports")
def report(request: Request, period: Period = "day", date: str | None = None) -> dict:
    """Tables and totals for the day, ISO week or month holding `date` (default today)."""
    out = _report(request, period, date)
    out["plots"] = list(rp.PLOTS)
    return out


@api.get("/reports/csv")
def report_csv(request: Request, table: str = Query(max_length=40), period: Period = "day",
               date: str | None = None) -> Response:
    rep = _report(request, period, date)
    found = next((t for t in rep["tables"] if t["id"] == table), None)
    if found is None:
        raise NotFound("unknown_table", f"没有这张表：{table}", f"no such table: {table}")
    name = f"{table}_{rep['start']}_{rep['end']}.csv"
    return Response(rp.table_csv(found), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@api.get("/reports/plot/{name}.{fmt}")
def report_plot(name: str, fmt: Literal["png", "svg"], request: Request, period: Period = "day",
                date: str | None = None) -> Response:
    if name not in rp.PLOTS:
        raise NotFound("unknown_plot", f"没有这张图：{name}", f"no such plot: {name}")
    rep = _report(request, period, date)
    media = "image/png" if fmt == "png" else "image/svg+xml"
    return Response(rp.render_plot(rep, name, fmt), media_type=media, headers={"Cache-Control": "no-store"})


@api.get("/advice")
def get_advice(request: Request, period: Period = "month", date: str | None = None) -> dict:
    """Service-optimisation advice with the figures behind it; 五减 against the previous period."""
    start, end = rp.period_range(period, _date(request, date))
    prev = rp.previous_range(start, end, period)
    config = _engine(request).config
    return hall_advice.advice(_store(request), start, end, config.tz, prev_range=prev,
                              target=config.manager.wait_target_p90_minutes)


router.include_router(api)


# -- pages ------------------------------------------------------------------------------------
def _page() -> HTMLResponse:
    html = (ADMIN_DIR / "admin.html").read_text(encoding="utf-8")
    return HTMLResponse(html, headers={"Content-Security-Policy": _CSP, "Cache-Control": "no-store",
                                       "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})


@router.get("/admin", include_in_schema=False)
def admin_page() -> HTMLResponse:
    return _page()


# One page app: the path only picks the tab it opens on (bookmarkable, printable). Explicit
# paths rather than /admin/{page}, so other /admin/… pages (display layouts) stay theirs.
for _tab in ("live", "cases", "refusals", "config", "reports", "advice", "print"):
    router.add_api_route(f"/admin/{_tab}", _page, methods=["GET"], include_in_schema=False,
                         response_class=HTMLResponse)
