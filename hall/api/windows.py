"""Staff sessions (sign in with id + PIN) and the window actions a signed-in clerk performs."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from hall.api.auth import current_principal, forget_session, require_any, require_staff
from hall.api.limits import client_address, public_rate_limit
from hall.api.routes import ticket_out
from hall.auth import Principal
from hall.errors import Forbidden, NotFound

router = APIRouter()

WindowId = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SessionIn(Body):
    staff_id: str = Field(min_length=1, max_length=40)
    pin: str = Field(min_length=1, max_length=12)
    window_id: str | None = Field(default=None, max_length=40)


class SessionWindowIn(Body):
    window_id: str | None = Field(default=None, max_length=40)


class FinishIn(Body):
    outcome: Literal["completed", "accepted", "accepted_pending"] = "completed"
    pending_materials: list[Annotated[str, Field(max_length=60)]] | None = Field(default=None, max_length=30)
    note: str | None = Field(default=None, max_length=500)
    # 受理 / 容缺受理 open a matter (hall/matters.py): what was received (default: the
    # service's list less what is owed), and a theme (一件事) for one matter per service.
    received_materials: list[Annotated[str, Field(max_length=60)]] | None = Field(default=None, max_length=30)
    theme_id: str | None = Field(default=None, max_length=40)


class TransferIn(Body):
    service_id: str = Field(min_length=1, max_length=40)
    return_to_me: bool = False
    note: str | None = Field(default=None, max_length=500)


class RefuseIn(Body):
    kind: Literal["redirect", "missing_materials", "escalate"]
    target_service_id: str | None = Field(default=None, max_length=40)
    materials: list[Annotated[str, Field(min_length=1, max_length=60)]] | None = Field(default=None, max_length=30)
    escalate_to: Literal["chief_representative", "manager"] | None = None
    text: str = Field(default="", max_length=1000)


class ResumeIn(Body):
    ticket_id: str | None = Field(default=None, max_length=64)


class RequeueIn(Body):
    position: Literal["first", "last"] = "first"


def _session_out(principal: Principal, token: str | None = None) -> dict:
    out = {"staff": {"id": principal.id, "name": principal.name, "role": principal.role},
           "window_id": principal.window_id}
    if token:
        out["token"] = token
    return out


def _check_window(request: Request, window_id: str | None) -> None:
    if window_id is not None and request.app.state.config.window(window_id) is None:
        raise NotFound("no_window", f"没有窗口 {window_id}", f"No window {window_id}")


@router.post("/session", status_code=201, tags=["session"])
def sign_in(body: SessionIn, request: Request, _: None = Depends(public_rate_limit)) -> dict:
    """Sign a staff member in with id + PIN; optionally at a window. Returns a session token."""
    _check_window(request, body.window_id)
    auth = request.app.state.auth
    principal, token = auth.sign_in(body.staff_id, body.pin, body.window_id,
                                    remote=client_address(request))
    if body.window_id:
        request.app.state.engine.sign_in(body.window_id, principal.id)
    return _session_out(principal, token)


@router.get("/session", tags=["session"])
def whoami(principal: Principal = Depends(require_staff())) -> dict:
    return _session_out(principal)


@router.put("/session/window", tags=["session"])
def pick_window(body: SessionWindowIn, request: Request,
                principal: Principal = Depends(require_staff())) -> dict:
    """Move the session to a window (or to none); signs the clerk in/out there."""
    _check_window(request, body.window_id)
    engine = request.app.state.engine
    if principal.window_id and principal.window_id != body.window_id:
        engine.sign_out(principal.window_id)
    if body.window_id:
        engine.sign_in(body.window_id, principal.id)
    principal = request.app.state.auth.set_session_window(principal, body.window_id)
    forget_session(request, principal.session_id)
    return _session_out(principal)


@router.delete("/session", status_code=204, tags=["session"])
def sign_out(request: Request, principal: Principal = Depends(require_staff())) -> Response:
    if principal.window_id:
        try:
            request.app.state.engine.sign_out(principal.window_id)
        except Exception:  # noqa: BLE001 - the session ends even if the window was closed meanwhile
            pass
    request.app.state.auth.end_session(principal)
    forget_session(request, principal.session_id)
    return Response(status_code=204)


# -- window actions -------------------------------------------------------------------------
def window_actor(request: Request, window_id: WindowId,
                 principal: Principal = Depends(require_any(("window",), ("clerk",)))) -> Principal:
    """A clerk acts only on the window they signed in to; a window device only on its own
    window; a manager on any. Kiosks and displays never reach here (403)."""
    _check_window(request, window_id)
    if principal.kind == "staff" and principal.role == "manager":
        return principal
    if principal.window_id != window_id:
        raise Forbidden("not_your_window", f"您没有登录到窗口 {window_id}，只能操作自己登录的窗口",
                        f"You are not signed in to window {window_id}; act only on your own window")
    return principal


def _window_reply(request: Request, window_id: str, ticket: dict | None, **extra) -> dict:
    out = {"window": _window_view(request, window_id, True), "ticket": None, **extra}
    if ticket:
        out["ticket"] = staff_ticket(request, ticket)
    return out


def staff_ticket(request: Request, ticket: dict) -> dict:
    """A ticket as staff see it: everything but the phone, which is masked."""
    from hall.models import mask_phone

    out = {**ticket, **ticket_out(request, ticket)}
    # The token is the citizen's key to their ticket page and its rating: staff never get it,
    # so a window cannot rate its own service.
    for private in ("phone", "idempotency_key", "request_hash", "token", "status_url"):
        out.pop(private, None)
    if ticket.get("has_phone"):
        out["phone_masked"] = mask_phone(request.app.state.engine.phone_for(ticket["id"]))
    return out


def _window_view(request: Request, window_id: str, staff: bool) -> dict:
    """The window overview row; for staff its current ticket in full (phone masked)."""
    engine = request.app.state.engine
    state = engine.window_state(window_id)
    if staff:
        with request.app.state.store.read() as db:
            row = db.execute("SELECT current_ticket_id FROM windows WHERE id = ?", (window_id,)).fetchone()
        if row and row[0]:
            state = {**state, "current": staff_ticket(request, engine.get_ticket(row[0]))}
        state = {**state, "held_tickets": held_tickets(request, window_id)}
    return state


def held_tickets(request: Request, window_id: str) -> list[dict]:
    """The tickets parked (挂起) at this window, oldest call first, for the resume list."""
    config = request.app.state.config
    with request.app.state.store.read() as db:
        # The redundant IN term keeps SQLite on the partial index of open tickets.
        rows = db.execute("SELECT id, number, service_id, priority, called_at, started_at FROM tickets "
                          "WHERE window_id = ? AND state = 'held' AND state IN ('called', 'serving', 'held') "
                          "ORDER BY called_at", (window_id,)).fetchall()
    out = []
    for r in rows:
        svc = config.service(r["service_id"])
        out.append({"id": r["id"], "number": r["number"], "service_id": r["service_id"],
                    "service_name_zh": svc.name_zh if svc else r["service_id"],
                    "service_name_en": (svc.name_en or svc.name_zh) if svc else r["service_id"],
                    "priority": r["priority"], "called_at": r["called_at"], "started": r["started_at"] is not None})
    return out


@router.get("/windows/{window_id}", tags=["windows"])
def window_detail(window_id: WindowId, request: Request,
                  principal: Principal = Depends(require_any(("window", "display"), ("clerk", "helper")))) -> dict:
    _check_window(request, window_id)
    return _window_view(request, window_id, principal.kind == "staff")


@router.post("/windows/{window_id}/call-next", tags=["windows"],
             responses={204: {"description": "nobody is waiting"}})
def call_next(window_id: WindowId, request: Request, principal: Principal = Depends(window_actor)):
    ticket = request.app.state.engine.call_next(window_id)
    if ticket is None:
        return Response(status_code=204)
    return _window_reply(request, window_id, ticket)


def _ticket_action(action: str):
    def handler(window_id: WindowId, request: Request,
                principal: Principal = Depends(window_actor)) -> dict:
        ticket = getattr(request.app.state.engine, action)(window_id)
        return _window_reply(request, window_id, ticket)

    handler.__name__ = action
    return handler


def _window_action(action: str):
    def handler(window_id: WindowId, request: Request,
                principal: Principal = Depends(window_actor)) -> dict:
        getattr(request.app.state.engine, action)(window_id)
        return _window_reply(request, window_id, None)

    handler.__name__ = action
    return handler


for _path, _method in (("recall", "recall"), ("hold", "hold"), ("no-show", "no_show"),
                       ("start", "start")):
    router.add_api_route(f"/windows/{{window_id}}/{_path}", _ticket_action(_method), methods=["POST"],
                         tags=["windows"], name=f"window_{_method}")
for _path, _method in (("open", "open_window"), ("pause", "pause_window"), ("close", "close_window")):
    router.add_api_route(f"/windows/{{window_id}}/{_path}", _window_action(_method), methods=["POST"],
                         tags=["windows"], name=f"window_{_method}")


@router.post("/windows/{window_id}/resume", tags=["windows"])
def resume(window_id: WindowId, request: Request, body: ResumeIn | None = None,
           principal: Principal = Depends(window_actor)) -> dict:
    ticket = request.app.state.engine.resume(window_id, ticket_id=body.ticket_id if body else None)
    return _window_reply(request, window_id, ticket)


@router.post("/windows/{window_id}/requeue", tags=["windows"])
def requeue(window_id: WindowId, request: Request, body: RequeueIn | None = None,
            principal: Principal = Depends(window_actor)) -> dict:
    ticket = request.app.state.engine.return_to_queue(window_id, position=body.position if body else "first")
    return _window_reply(request, window_id, None, returned=staff_ticket(request, ticket))


@router.post("/windows/{window_id}/finish", tags=["windows"])
def finish(window_id: WindowId, body: FinishIn, request: Request,
           principal: Principal = Depends(window_actor)) -> dict:
    engine = request.app.state.engine
    ticket = engine.finish(window_id, body.outcome, pending_materials=body.pending_materials, note=body.note,
                           received_materials=body.received_materials, theme_id=body.theme_id)
    extra = {}
    if body.outcome in ("accepted", "accepted_pending"):
        from hall.api.matters import slip_data

        opened = engine.matter_for_ticket(ticket["id"])
        if opened:
            extra["slip"] = slip_data(request, opened, engine.matter_access(opened[0]["code"]), with_qr=True)
            extra["matters"] = [{"id": m["id"], "code": m["code"], "service_id": m["service_id"],
                                 "due_date": m["due_date"], "state": m["state"]} for m in opened]
    return _window_reply(request, window_id, None, finished=staff_ticket(request, ticket), **extra)


@router.post("/windows/{window_id}/transfer", tags=["windows"])
def transfer(window_id: WindowId, body: TransferIn, request: Request,
             principal: Principal = Depends(window_actor)) -> dict:
    new = request.app.state.engine.transfer(window_id, body.service_id,
                                            return_to_me=body.return_to_me, note=body.note)
    return _window_reply(request, window_id, None, transferred_to=staff_ticket(request, new))


@router.post("/windows/{window_id}/refuse", tags=["windows"])
def refuse(window_id: WindowId, body: RefuseIn, request: Request,
           principal: Principal = Depends(window_actor)) -> dict:
    """The no-veto report (无权否决): redirect, missing materials (一次性告知), or escalate."""
    config = request.app.state.config
    engine = request.app.state.engine
    with request.app.state.store.read() as db:
        row = db.execute("SELECT current_ticket_id FROM windows WHERE id = ?", (window_id,)).fetchone()
    current = engine.get_ticket(row[0]) if row and row[0] else None
    refusal = engine.refuse(window_id, body.kind, target_service_id=body.target_service_id,
                            materials=body.materials, escalate_to=body.escalate_to, text=body.text)
    out = _window_reply(request, window_id, None, refusal=refusal)
    if body.kind == "missing_materials" and current:
        svc = config.service(current["service_id"])
        win = config.window(window_id)
        out["notice"] = {
            "title_zh": "一次性告知单", "title_en": "One-time notice of missing materials",
            "hall_zh": config.hall.name_zh, "ticket_number": current["number"],
            "service_zh": svc.name_zh if svc else current["service_id"],
            "window_number": win.number if win else None,
            "materials": list(refusal["materials"]), "text": refusal["text"],
            # 免提交: what the platform already holds, marked so the citizen does not bring it
            "materials_electronic": [m.name for m in svc.electronic_materials] if svc else [],
            "free_mark_zh": "免提交（平台已有电子证照）",
            "business_date": current.get("business_date"),
            "footer_zh": "请备齐以上材料后再来办理，无需重新排队咨询。",
        }
    return out


@router.get("/windows/{window_id}/ratings", tags=["windows"])
def window_ratings(window_id: WindowId, request: Request,
                   limit: Annotated[int, Query(ge=1, le=50)] = 10,
                   principal: Principal = Depends(window_actor)) -> list[dict]:
    with request.app.state.store.read() as db:
        cur = db.execute("SELECT * FROM ratings WHERE window_id = ? ORDER BY at DESC LIMIT ?",
                         (window_id, limit))
        cols = [c[0] for c in cur.description]
        rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    return rows


__all__ = ["router", "current_principal"]
