"""Calling and serving: call next, recall, hold, resume, requeue, no-show, start, finish,
transfer, refuse.

Rules kept here:
- a window calls only when open, signed in and without a called/serving ticket; who is next
  is decided by hall.policy.pick_next;
- a no-show needs `recalls_before_no_show` recalls first;
- finishing records the outcome (容缺受理 needs the pending materials), updates the service's
  running average and asks for a rating;
- a transfer keeps the citizen's number and place (a follow-up ticket with the same sort_at);
  "return to me" sends them back to the first window after the second service;
- 窗口无权否决: a window may not just say no; every refusal (redirect, missing materials,
  escalate) is a report the manager reviews.
"""

from __future__ import annotations

import json
import uuid

from hall import policy
from hall.errors import (
    IllegalTransition,
    InvalidInput,
    NotFound,
    Refused,
)
from hall.models import (
    OUTCOME_ZH,
    Outcome,
    RefusalKind,
    TicketState,
)
from hall.op import Op, _j, new_id

ESCALATE_TO = {"chief_representative": "首席代表", "manager": "大厅负责人"}


class QueueMixin:
    """Engine methods: calling and serving: call next, recall, hold, resume, requeue, no-show, start, finish. Composed into hall.engine.Engine."""

    def call_next(self, window_id: str) -> dict | None:
        """Call the next citizen to this window; None when nobody waits for it."""
        with self._op() as op:
            window = self._window(op.c, window_id)
            if window["state"] != "open" or not window["staff_id"]:
                raise IllegalTransition("window_not_open", f"{window['number']} 号窗口未开放（{window['state']}），请先开窗",
                                        f"window {window['number']} is not open")
            if window["current_ticket_id"]:
                cur = self._ticket(op.c, window["current_ticket_id"])
                if cur["state"] in ("called", "serving"):
                    raise IllegalTransition("window_busy", f"请先处理当前号 {cur['number']}（办结、过号、挂起或转办）",
                                            f"deal with the current ticket {cur['number']} first")
            ticket = policy.pick_next(op.c, window, op.now)
            if ticket is None:
                return None
            ticket = op.put("ticket", {**ticket, "state": "called", "called_at": op.now, "window_id": window_id,
                                       "staff_id": window["staff_id"]}, was=ticket)
            served = json.loads(window["served_counts"] or "{}")
            served[ticket["service_id"]] = served.get(ticket["service_id"], 0) + 1
            window = op.put("window", {**window, "current_ticket_id": ticket["id"], "served_counts": _j(served),
                                       "changed_at": op.now})
            self._record_call(op, ticket, window, "call")
            op.emit("ticket.called", number=ticket["number"], window_number=window["number"],
                    window_name_zh=window["name_zh"])
            return ticket

    @staticmethod
    def _record_call(op: Op, ticket: dict, window: dict, kind: str) -> None:
        op.put("call", {"id": uuid.uuid4().hex, "ticket_id": ticket["id"], "window_id": window["id"],
                        "staff_id": window["staff_id"], "kind": kind, "at": op.now})

    def recall(self, window_id: str) -> dict:
        with self._op() as op:
            window = self._window(op.c, window_id)
            ticket = self._current(op.c, window, states=(TicketState.CALLED,))
            ticket = op.put("ticket", {**ticket, "recalls": ticket["recalls"] + 1}, was=ticket)
            self._record_call(op, ticket, window, "recall")
            op.emit("ticket.recalled", number=ticket["number"], window_number=window["number"],
                    window_name_zh=window["name_zh"])
            return ticket

    def hold(self, window_id: str) -> dict:
        """Park the current citizen (挂起), e.g. to fill in a form; the window may call others."""
        with self._op() as op:
            window = self._window(op.c, window_id)
            ticket = self._current(op.c, window)
            ticket = op.put("ticket", {**ticket, "state": "held"})
            window = op.put("window", {**window, "current_ticket_id": None, "changed_at": op.now})
            op.emit("ticket.held", number=ticket["number"], window_number=window["number"])
            return ticket

    def resume(self, window_id: str, ticket_id: str | None = None) -> dict:
        with self._op() as op:
            window = self._window(op.c, window_id)
            if window["current_ticket_id"]:
                cur = self._ticket(op.c, window["current_ticket_id"])
                if cur["state"] in ("called", "serving"):
                    raise IllegalTransition("window_busy", f"请先处理当前号 {cur['number']}",
                                            f"deal with the current ticket {cur['number']} first")
            if ticket_id:
                ticket = self._ticket(op.c, ticket_id)
            else:
                # The redundant IN term lets SQLite use the partial index of open tickets
                # (tickets_open_at_window) instead of scanning every ticket ever issued.
                row = op.c.execute("SELECT * FROM tickets WHERE window_id = ? AND state = 'held' "
                                   "AND state IN ('called', 'serving', 'held') "
                                   "ORDER BY called_at DESC LIMIT 1", (window_id,)).fetchone()
                if not row:
                    raise IllegalTransition("nothing_held", "本窗口没有挂起的号", "no held ticket at this window")
                ticket = dict(row)
            if ticket["state"] != "held" or ticket["window_id"] != window_id:
                raise IllegalTransition("not_held_here", f"{ticket['number']} 不是本窗口挂起的号",
                                        f"{ticket['number']} is not held at this window")
            state = "serving" if ticket["started_at"] else "called"
            ticket = op.put("ticket", {**ticket, "state": state})
            window = op.put("window", {**window, "current_ticket_id": ticket["id"], "changed_at": op.now})
            op.emit("ticket.resumed", number=ticket["number"], window_number=window["number"])
            return ticket

    def return_to_queue(self, window_id: str, position: str = "first") -> dict:
        """Send the current citizen back to the queue: first keeps their place, last queues anew."""
        if position not in ("first", "last"):
            raise InvalidInput("bad_position", "位置只能是 first 或 last", "position must be first or last")
        with self._op() as op:
            window = self._window(op.c, window_id)
            ticket = self._current(op.c, window)
            ticket = op.put("ticket", {**ticket, "state": "waiting", "window_id": None, "staff_id": None,
                                       "called_at": None, "started_at": None, "recalls": 0,
                                       "sort_at": ticket["sort_at"] if position == "first" else op.now})
            window = op.put("window", {**window, "current_ticket_id": None, "changed_at": op.now})
            op.emit("ticket.requeued", number=ticket["number"], position=position)
            return ticket

    def no_show(self, window_id: str) -> dict:
        with self._op() as op:
            window = self._window(op.c, window_id)
            ticket = self._current(op.c, window, states=(TicketState.CALLED,))
            need = self.config.queue.recalls_before_no_show
            if ticket["recalls"] < need:
                raise Refused("recall_first", f"请再呼叫 {need - ticket['recalls']} 次后再标记过号",
                              f"recall {need - ticket['recalls']} more time(s) before marking a no-show")
            ticket = op.put("ticket", {**ticket, "state": "no_show", "finished_at": op.now}, was=ticket)
            window = op.put("window", {**window, "current_ticket_id": None, "changed_at": op.now})
            op.emit("ticket.no_show", number=ticket["number"], window_number=window["number"])
            return ticket

    def start(self, window_id: str) -> dict:
        with self._op() as op:
            window = self._window(op.c, window_id)
            ticket = self._current(op.c, window, states=(TicketState.CALLED,))
            ticket = op.put("ticket", {**ticket, "state": "serving", "started_at": op.now}, was=ticket)
            op.emit("ticket.started", number=ticket["number"], window_number=window["number"])
            return ticket

    def finish(self, window_id: str, outcome: str, *, pending_materials: list[str] | None = None,
               note: str | None = None, received_materials: list[str] | None = None,
               theme_id: str | None = None) -> dict:
        """Finish the current ticket. 受理 / 容缺受理 also opens its matter(s) (hall/matters.py)
        in the same transaction; `theme_id` opens one per service of a theme (一件事)."""
        try:
            outcome = Outcome(outcome)
        except ValueError:
            raise InvalidInput("bad_outcome", "办理结果只能是 办结、受理 或 容缺受理",
                               "outcome must be completed, accepted or accepted_pending") from None
        pending = [str(m).strip() for m in (pending_materials or []) if str(m).strip()]
        if outcome == Outcome.ACCEPTED_PENDING and not pending:
            raise InvalidInput("pending_materials_required", "容缺受理需列出待补齐的材料",
                               "accepted_pending needs the list of materials still to be supplied")
        with self._op() as op:
            window = self._window(op.c, window_id)
            ticket = self._current(op.c, window)
            started = ticket["started_at"] or ticket["called_at"]
            detail = {"pending_materials": pending, "note": (note or "")[:500]}
            ticket = op.put("ticket", {**ticket, "state": "done", "started_at": started, "finished_at": op.now,
                                       "outcome": str(outcome), "outcome_detail": _j(detail)}, was=ticket)
            window = op.put("window", {**window, "current_ticket_id": None, "changed_at": op.now})
            self._record_service_time(op, ticket["service_id"], op.now - started)
            op.emit("ticket.finished", number=ticket["number"], window_number=window["number"],
                    outcome_zh=OUTCOME_ZH[outcome])
            if outcome in (Outcome.ACCEPTED, Outcome.ACCEPTED_PENDING):
                owed = pending if outcome == Outcome.ACCEPTED_PENDING else []
                self._open_matters(op, ticket, window, pending=owed, received=received_materials,
                                   theme_id=theme_id)
            self._after_service(op, ticket, window)
            return ticket

    def _record_service_time(self, op: Op, service_id: str, seconds: float) -> None:
        row = op.c.execute("SELECT * FROM service_stats WHERE service_id = ?", (service_id,)).fetchone()
        service = self._service_any(op.c, service_id)
        avg, n = (row["avg_seconds"], row["samples"]) if row else (self._avg_seconds(op.c, service), 0)
        avg, n = policy.updated_average(avg, n, seconds, self.config.queue.eta_samples)
        op.put("service_stat", {"service_id": service_id, "avg_seconds": avg, "samples": n})

    def _after_service(self, op: Op, ticket: dict, window: dict) -> None:
        """After a service: ask for a rating; send a 'return to me' citizen back."""
        op.emit("rating.requested", ticket_id=ticket["id"], window_id=window["id"],
                window_number=window["number"], staff_id=window["staff_id"], number=ticket["number"])
        if ticket["return_window_id"]:
            origin = self._ticket(op.c, ticket["transferred_from"])
            back = self._follow_up(op, ticket, origin["service_id"], target_window_id=ticket["return_window_id"])
            op.put("ticket", {**ticket, "transferred_to": back["id"]})
            op.emit("ticket.transferred", number=back["number"], returning=True)

    def _follow_up(self, op: Op, ticket: dict, service_id: str, *, target_window_id=None,
                   return_window_id=None) -> dict:
        """A new waiting ticket for another service that keeps the citizen's number and place."""
        return op.put("ticket", {
            "id": new_id(op.now), "business_date": ticket["business_date"], "service_id": service_id,
            "number": ticket["number"], "seq_no": None, "priority": ticket["priority"],
            "priority_reason": ticket["priority_reason"], "rank": ticket["rank"],
            "not_before": ticket["not_before"], "target_window_id": target_window_id,
            "return_window_id": return_window_id, "source": "transfer", "source_detail": ticket["id"],
            "state": "waiting", "checked_in": 1,
            "issued_at": ticket["issued_at"], "sort_at": ticket["sort_at"], "recalls": 0,
            "has_phone": ticket["has_phone"], "lang": ticket["lang"], "transferred_from": ticket["id"],
            "appointment_id": ticket["appointment_id"]})

    def transfer(self, window_id: str, service_id: str, *, return_to_me: bool = False, note: str | None = None) -> dict:
        """Send the current citizen to another service, keeping number and place. Returns the new ticket."""
        with self._op() as op:
            window = self._window(op.c, window_id)
            ticket = self._current(op.c, window)
            target = self._service(op.c, service_id)
            if target["id"] == ticket["service_id"]:
                raise InvalidInput("same_service", "不能转到同一项业务", "cannot transfer to the same service")
            new = self._do_transfer(op, window, ticket, target, return_to_me)
            op.emit("ticket.transferred", number=ticket["number"], to_service_name_zh=target["name_zh"],
                    return_to_me=bool(return_to_me), note=(note or "")[:200])
            return new

    def _do_transfer(self, op: Op, window: dict, ticket: dict, target: dict, return_to_me: bool) -> dict:
        new = self._follow_up(op, ticket, target["id"], return_window_id=window["id"] if return_to_me else None)
        started = ticket["started_at"] or ticket["called_at"]
        op.put("ticket", {**ticket, "state": "transferred", "started_at": started, "finished_at": op.now,
                          "transferred_to": new["id"]})
        op.put("window", {**window, "current_ticket_id": None, "changed_at": op.now})
        return new

    def refuse(self, window_id: str, kind: str, *, target_service_id: str | None = None,
               materials: list[str] | None = None, escalate_to: str | None = None, text: str = "") -> dict:
        """窗口无权否决: a window may not just say no. Every refusal is a report the manager sees.

        redirect: the citizen is transferred to the right service and keeps their place;
        missing_materials: the list for the one-time notice (一次性告知单);
        escalate: the path (chief representative or manager) when law or policy is unclear."""
        try:
            kind = RefusalKind(kind)
        except ValueError:
            raise InvalidInput("bad_refusal_kind", "类型只能是 指引转办(redirect)、材料不全(missing_materials) 或 提交研究(escalate)",
                               "kind must be redirect, missing_materials or escalate") from None
        text = (text or "").strip()[:1000]
        with self._op() as op:
            window = self._window(op.c, window_id)
            ticket = self._current(op.c, window)
            service = self._service_any(op.c, ticket["service_id"])
            items: list[str] = []
            new = None
            if kind == RefusalKind.REDIRECT:
                if not target_service_id:
                    raise InvalidInput("target_required", "请选择应办理的业务", "choose the service the citizen needs")
                target = self._service(op.c, target_service_id)
                if target["id"] == ticket["service_id"]:
                    raise InvalidInput("same_service", "指引的业务不能是当前业务", "redirect to a different service")
                new = self._do_transfer(op, window, ticket, target, False)
            elif kind == RefusalKind.MISSING_MATERIALS:
                items = list(dict.fromkeys(str(m).strip()[:100] for m in (materials or []) if str(m).strip()))
                if not items:
                    raise InvalidInput("materials_required", "请勾选或填写缺少的材料，以便出具一次性告知单",
                                       "list the missing materials for the one-time notice")
                held = {m["name"] for m in json.loads(service.get("materials_electronic") or "[]")}
                free = [m for m in items if m in held]
                if free:   # 一处填报、全网通用: what the platform holds is never "missing"
                    raise InvalidInput("material_held_electronically",
                                       f"“{free[0]}”平台已有电子证照，免提交，不能列为缺少的材料",
                                       f"'{free[0]}' is held by the platform as an electronic licence; "
                                       "it cannot be listed as missing")
                self._end_refused(op, ticket, window)
            else:
                if escalate_to not in ESCALATE_TO:
                    raise InvalidInput("escalate_to_required", "请选择提交给首席代表还是大厅负责人",
                                       "escalate_to must be chief_representative or manager")
                if not text:
                    raise InvalidInput("text_required", "请简要说明需要研究的问题", "describe the question to escalate")
                self._end_refused(op, ticket, window)
            refusal = op.put("refusal", {
                "id": uuid.uuid4().hex, "ticket_id": ticket["id"], "window_id": window_id,
                "staff_id": window["staff_id"], "service_id": ticket["service_id"], "kind": str(kind),
                "target_service_id": target_service_id if kind == RefusalKind.REDIRECT else None,
                "materials": _j(items), "escalate_to": escalate_to if kind == RefusalKind.ESCALATE else None,
                "text": text, "business_date": op.business_date, "at": op.now, "review_state": "new",
                "reviewed_by": None, "review_note": None})
            op.emit("ticket.refused", number=ticket["number"], window_number=window["number"],
                    service_name_zh=service["name_zh"], kind=str(kind))
            self._after_service(op, {**ticket, "return_window_id": None}, window)
            result = dict(refusal)
            result["materials"] = items
            result["new_ticket_id"] = new["id"] if new else None
            return result

    @staticmethod
    def _end_refused(op: Op, ticket: dict, window: dict) -> None:
        op.put("ticket", {**ticket, "state": "refused", "started_at": ticket["started_at"] or ticket["called_at"],
                          "finished_at": op.now})
        op.put("window", {**window, "current_ticket_id": None, "changed_at": op.now})

    def review_refusal(self, refusal_id: str, staff_id: str, decision: str, note: str = "") -> dict:
        """The manager confirms a refusal or flags it for follow-up."""
        if decision not in ("confirmed", "follow_up"):
            raise InvalidInput("bad_decision", "只能确认(confirmed)或跟进(follow_up)", "decision: confirmed or follow_up")
        with self._op() as op:
            row = op.c.execute("SELECT * FROM refusals WHERE id = ?", (refusal_id,)).fetchone()
            if not row:
                raise NotFound("unknown_refusal", "找不到该报告", "no such refusal report")
            refusal = op.put("refusal", {**dict(row), "review_state": decision, "reviewed_by": staff_id,
                                         "review_note": (note or "")[:500]})
            op.emit("refusal.reviewed", decision=decision)
            return refusal
