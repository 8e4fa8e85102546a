"""Feedback: ratings (好差评), cases (差评 closed loop) and complaints/suggestions (吐槽找茬).

Rules kept here:
- one rating per ticket (一次一评), only once the service is finished (done or refused);
- a bad rating (level <= BAD_RATING_MAX) needs a reason and opens a case;
- a ticket not rated within `default_after_days` gets the default rating, once, looking only
  at days not yet handled;
- a case follows CASE_STEPS (核实 → 整改 → 回访 → 办结, or 申诉复核); it cannot close without a
  revisit; an upheld appeal excludes the rating; deadlines count working days;
- every complaint or suggestion gets a tracking code TSyyyymmdd-nnnn and opens a case; its
  phone lives only in complaint_contacts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

from hall.errors import (
    Conflict,
    IdempotencyConflict,
    IllegalTransition,
    InvalidInput,
    NotFound,
)
from hall.models import (
    BAD_RATING_MAX,
    RATING_ZH,
    CaseState,
)
from hall.op import Op, _j, _mobile

CASE_STEPS = {
    # step: (states it may start from, state after or None to keep, note required)
    "assign": (None, None, False),
    "contact": (None, None, True),
    "verify": ({CaseState.OPEN}, CaseState.VERIFIED, False),
    "rectify": ({CaseState.VERIFIED}, CaseState.RECTIFIED, True),
    "revisit": ({CaseState.RECTIFIED}, CaseState.REVISITED, True),
    "close": ({CaseState.REVISITED}, CaseState.CLOSED, True),
    "appeal": ({CaseState.OPEN, CaseState.VERIFIED}, CaseState.APPEALING, True),
    "appeal_upheld": ({CaseState.APPEALING}, CaseState.CLOSED, True),
    "appeal_rejected": ({CaseState.APPEALING}, CaseState.VERIFIED, True),
}
CASE_STEP_ZH = {"assign": "指派", "contact": "联系群众（回访核实）", "verify": "核实", "rectify": "整改",
                "revisit": "整改后回访", "close": "办结", "appeal": "申诉复核",
                "appeal_upheld": "申诉成立", "appeal_rejected": "申诉驳回"}


class FeedbackMixin:
    """Engine methods: feedback: ratings (好差评), cases (差评 closed loop) and complaints/suggestions (吐槽找茬). Composed into hall.engine.Engine."""

    def rate(self, level: int, reasons=(), *, ticket_id: str | None = None, token: str | None = None,
             comment: str | None = None, channel: str = "pad", idempotency_key: str | None = None,
             contact_phone: str | None = None, contact_consent: bool = False) -> dict:
        """One rating per ticket (一次一评). A 差评 (level <= 2) needs a reason and opens a case.

        The same idempotency key returns the rating already given (a resend after a lost
        reply); a 差评 may leave a phone for the revisit, only with the rater's consent."""
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 5:
            raise InvalidInput("bad_level", "评价等级为 1 到 5", "level must be 1 to 5")
        if channel not in ("pad", "qr", "web", "kiosk", "hotline", "default"):
            raise InvalidInput("bad_channel", "评价渠道无效", "unknown rating channel")
        reasons = [str(r).strip() for r in (reasons or []) if str(r).strip()]
        allowed = self.config.ratings.reasons.get(str(level), [])
        bad = [r for r in reasons if r not in allowed]
        if bad:
            raise InvalidInput("bad_reason", f"评价理由不在可选范围内：{bad[0]}", f"unknown reason for level {level}: {bad[0]}")
        if level <= BAD_RATING_MAX and not reasons:
            raise InvalidInput("reason_required", "差评请至少选择一个原因，便于我们整改",
                               "a bad rating needs at least one reason")
        phone = _mobile(contact_phone) if contact_phone else None
        if phone and level > BAD_RATING_MAX:
            phone = None    # only a 差评 is revisited; nobody else's number is kept
        if phone and not contact_consent:
            raise InvalidInput("consent_required", "留下手机号请勾选同意回访；不想被联系可不填",
                               "to leave a number, tick the call-back consent (or leave it empty)")
        if token is not None:
            ticket_id = self.ticket_by_token(token)["id"]
        if not ticket_id:
            raise InvalidInput("ticket_required", "缺少号票信息", "ticket_id or token is required")
        with self._op() as op:
            if idempotency_key:
                row = op.c.execute("SELECT * FROM ratings WHERE idempotency_key = ?", (idempotency_key,)).fetchone()
                if row:
                    return dict(row)
            ticket = self._live_ticket(op.c, self._ticket(op.c, ticket_id))
            rating = self._rate(op, ticket, level, reasons, (comment or "").strip()[:500] or None, channel, False,
                                idempotency_key=idempotency_key)
            if phone:
                purge = (dt.date.fromisoformat(op.business_date)
                         + dt.timedelta(days=max(self.config.privacy.phone_retention_days, 30))).isoformat()
                op.c.execute("INSERT INTO rating_contacts (rating_id, phone, consent, purge_after) VALUES (?, ?, 1, ?)",
                             (rating["id"], phone, purge))
            return rating

    def _rate(self, op: Op, ticket: dict, level: int, reasons: list[str], comment, channel: str, is_default: bool,
              idempotency_key: str | None = None) -> dict:
        if ticket["state"] not in ("done", "refused"):
            raise IllegalTransition("not_finished", "业务办理完成后才能评价", "you can rate once the service is finished")
        if op.c.execute("SELECT 1 FROM ratings WHERE ticket_id = ?", (ticket["id"],)).fetchone():
            raise Conflict("already_rated", "这次服务已经评价过了，感谢您的参与", "this service has already been rated")
        rating = op.put("rating", {
            "id": uuid.uuid4().hex, "ticket_id": ticket["id"], "window_id": ticket["window_id"],
            "staff_id": ticket["staff_id"], "service_id": ticket["service_id"],
            "business_date": ticket["business_date"], "level": level, "reasons": _j(reasons),
            "comment": comment, "channel": channel, "is_default": int(is_default), "excluded": 0, "at": op.now,
            "idempotency_key": idempotency_key})
        op.emit("rating.given", level=level, level_zh=RATING_ZH[level], number=ticket["number"])
        if level <= BAD_RATING_MAX:
            summary = f"{ticket['number']} 差评（{RATING_ZH[level]}）：{'、'.join(reasons)}" + (f"；{comment}" if comment else "")
            self._open_case(op, "rating", summary, rating_id=rating["id"], ticket=ticket)
        return rating

    def _default_ratings(self, op: Op) -> int:
        """Tickets not rated within the configured days get the default level (e.g. 基本满意)."""
        cutoff = (dt.date.fromisoformat(op.business_date)
                  - dt.timedelta(days=self.config.ratings.default_after_days)).isoformat()
        # Only the days not yet handled: a year of history must not be rescanned every morning.
        done_through = self._meta(op.c, "default_ratings_through") or ""
        if done_through >= cutoff:
            return 0
        rows = op.c.execute(
            "SELECT t.* FROM tickets t LEFT JOIN ratings r ON r.ticket_id = t.id "
            "WHERE t.business_date > ? AND t.business_date <= ? AND t.state IN ('done', 'refused') "
            "AND r.id IS NULL", (done_through, cutoff)).fetchall()
        for row in rows:
            self._rate(op, dict(row), self.config.ratings.default_level, [], None, "default", True)
        op.put("meta", {"key": "default_ratings_through", "value": cutoff})
        return len(rows)

    def apply_default_ratings(self) -> int:
        with self._op() as op:
            return self._default_ratings(op)

    def _open_case(self, op: Op, source: str, summary: str, *, rating_id=None, complaint_id=None, ticket=None) -> dict:
        day = dt.date.fromisoformat(op.business_date)
        cc = self.config.cases
        reply_days = cc.reply_working_days if source == "rating" else cc.complaint_reply_working_days
        case = op.put("case", {
            "id": uuid.uuid4().hex, "source": source, "rating_id": rating_id, "complaint_id": complaint_id,
            "ticket_id": ticket["id"] if ticket else None, "window_id": ticket["window_id"] if ticket else None,
            "staff_id": ticket["staff_id"] if ticket else None, "service_id": ticket["service_id"] if ticket else None,
            "summary": summary[:500], "state": "open", "opened_at": op.now, "business_date": op.business_date,
            "revisit_due": self.calendar.add_working_days(day, cc.revisit_working_days).isoformat(),
            "rectify_due": self.calendar.add_working_days(day, min(cc.rectify_working_days, reply_days)).isoformat(),
            "reply_due": self.calendar.add_working_days(day, reply_days).isoformat(),
            "assigned_to": None, "contacted_at": None, "closed_at": None, "resolution": None})
        op.emit("case.opened", source=source, summary=case["summary"])
        return case

    def advance_case(self, case_id: str, step: str, staff_id: str, note: str = "", *, assignee: str | None = None) -> dict:
        """One step of the closed loop (核实 → 整改 → 回访 → 办结, or 申诉复核), logged with who and when."""
        if step not in CASE_STEPS:
            raise InvalidInput("bad_step", f"未知的处理步骤：{step}", f"unknown case step: {step}")
        allowed_from, to_state, note_required = CASE_STEPS[step]
        note = (note or "").strip()[:1000]
        if note_required and not note:
            raise InvalidInput("note_required", f"“{CASE_STEP_ZH[step]}”需要填写说明", f"step '{step}' needs a note")
        with self._op() as op:
            row = op.c.execute("SELECT * FROM cases WHERE id = ?", (case_id,)).fetchone()
            if not row:
                raise NotFound("unknown_case", "找不到该工单", "no such case")
            case = dict(row)
            if case["state"] == CaseState.CLOSED:
                raise IllegalTransition("case_closed", "工单已办结", "the case is closed")
            if allowed_from is not None and case["state"] not in allowed_from:
                raise IllegalTransition("bad_case_step", f"当前状态（{case['state']}）不能执行“{CASE_STEP_ZH[step]}”",
                                        f"cannot '{step}' a case in state {case['state']}")
            if step == "close" and not op.c.execute(
                    "SELECT 1 FROM case_steps WHERE case_id = ? AND step = 'revisit'", (case_id,)).fetchone():
                raise IllegalTransition("revisit_required", "办结前必须有回访记录", "a case cannot close without a revisit note")
            updated = {**case}
            if to_state is not None:
                updated["state"] = str(to_state)
            if step == "assign":
                updated["assigned_to"] = assignee or note or staff_id
            if step == "contact" and not case["contacted_at"]:
                updated["contacted_at"] = op.now
            if step in ("revisit",) and not case["contacted_at"]:
                updated["contacted_at"] = op.now
            if updated["state"] == CaseState.CLOSED:
                updated["closed_at"] = op.now
                updated["resolution"] = "appeal_upheld" if step == "appeal_upheld" else "closed"
                if step == "appeal_upheld" and case["rating_id"]:
                    r = op.c.execute("SELECT * FROM ratings WHERE id = ?", (case["rating_id"],)).fetchone()
                    op.put("rating", {**dict(r), "excluded": 1})
            case = op.put("case", updated)
            op.put("case_step", {"id": uuid.uuid4().hex, "case_id": case_id, "step": step, "staff_id": staff_id,
                                 "note": note, "at": op.now})
            op.emit("case.advanced", step=step, step_zh=CASE_STEP_ZH[step])
            return case

    def case_overdue(self, case: dict, today: str | None = None) -> bool:
        today = today or self.business_date()
        if case["state"] == CaseState.CLOSED:
            return False
        if today > case["reply_due"]:
            return True
        if not case["contacted_at"] and today > case["revisit_due"]:
            return True
        return case["state"] in (CaseState.OPEN, CaseState.VERIFIED) and today > case["rectify_due"]

    def list_cases(self, *, state: str | None = None, overdue: bool | None = None) -> list[dict]:
        sql, args = "SELECT * FROM cases", []
        if state:
            sql += " WHERE state = ?"
            args.append(state)
        sql += " ORDER BY reply_due, opened_at"
        today = self.business_date()
        with self.store.read() as c:
            cases = [dict(r) for r in c.execute(sql, args)]
        for case in cases:
            case["overdue"] = self.case_overdue(case, today)
        if overdue is not None:
            cases = [c for c in cases if c["overdue"] == overdue]
        return cases

    def get_case(self, case_id: str) -> dict:
        with self.store.read() as c:
            row = c.execute("SELECT * FROM cases WHERE id = ?", (case_id,)).fetchone()
            if not row:
                raise NotFound("unknown_case", "找不到该工单", "no such case")
            case = dict(row)
            case["steps"] = [dict(r) for r in c.execute("SELECT * FROM case_steps WHERE case_id = ? ORDER BY at, rowid", (case_id,))]
        case["overdue"] = self.case_overdue(case)
        return case

    def file_complaint(self, category: str, text: str = "", phrases=(), phone: str | None = None,
                       kind: str = "complaint", source: str = "kiosk", ticket_token: str | None = None,
                       idempotency_key: str | None = None, contact_consent: bool = False) -> dict:
        """吐槽找茬: a complaint or suggestion with a tracking code; each opens a case.

        The same idempotency key returns the complaint already filed (one code, one case); the
        key with a different request is refused. The phone is kept with the consent given."""
        if kind not in ("complaint", "suggestion"):
            raise InvalidInput("bad_kind", "类型只能是投诉或建议", "kind must be complaint or suggestion")
        cats = {c.id: c for c in self.config.kiosk.complaint_categories}
        if cats and category not in cats:
            raise InvalidInput("bad_category", "请选择一个问题类别", f"unknown category: {category}")
        text = (text or "").strip()
        if len(text) > 1000:
            raise InvalidInput("text_too_long", "内容请控制在 1000 字以内", "text: at most 1000 characters")
        phrases = [str(p).strip()[:50] for p in (phrases or []) if str(p).strip()][:10]
        if not text and not phrases and not cats:
            raise InvalidInput("empty", "请选择或填写反映的问题", "choose or write what happened")
        phone = _mobile(phone)
        ticket = self.ticket_by_token(ticket_token) if ticket_token else None
        # Tells a retry from a different request under the same key. It travels in events, so
        # it covers no phone and no token (issue 15): only whether a phone was given, and the
        # ticket's id. The phone differing under one key is not worth telling apart.
        rhash = hashlib.sha256(_j([category, text, phrases, bool(phone), kind,
                                   ticket["id"] if ticket else "", bool(contact_consent)]).encode()
                               ).hexdigest()[:32]
        with self._op() as op:
            if idempotency_key:
                row = op.c.execute("SELECT * FROM complaints WHERE idempotency_key = ?", (idempotency_key,)).fetchone()
                if row:
                    if row["request_hash"] != rhash:
                        raise IdempotencyConflict("idempotency_conflict", "同一请求标识用于不同的反映",
                                                  "this Idempotency-Key was already used for a different complaint")
                    return dict(row)
            return self._insert_complaint(op, kind=kind, category=category, text=text, phrases=phrases,
                                          phone=phone, source=source, ticket=ticket, cats=cats,
                                          idempotency_key=idempotency_key, request_hash=rhash,
                                          contact_consent=contact_consent)

    def _insert_complaint(self, op: Op, *, kind: str, category: str, text: str, phrases: list, phone,
                          source: str, ticket: dict | None, cats: dict, idempotency_key: str | None = None,
                          request_hash: str | None = None, contact_consent: bool = False) -> dict:
        """Inside an op: the complaint row, its tracking code and its case (also used by hall/hotline.py)."""
        row = op.c.execute("SELECT last_number FROM counters WHERE business_date = ? AND service_id = ?",
                           (op.business_date, "~complaints")).fetchone()
        n = (row[0] if row else 0) + 1
        op.put("counter", {"business_date": op.business_date, "service_id": "~complaints", "last_number": n})
        code = f"TS{op.business_date.replace('-', '')}-{n:04d}"
        complaint = op.put("complaint", {
            "id": uuid.uuid4().hex, "code": code, "kind": kind, "category": category, "text": text,
            "phrases": _j(phrases), "has_contact": int(bool(phone)), "source": source,
            "ticket_id": ticket["id"] if ticket else None, "business_date": op.business_date,
            "at": op.now, "adopted": 0, "idempotency_key": idempotency_key, "request_hash": request_hash})
        if phone:
            purge = (dt.date.fromisoformat(op.business_date)
                     + dt.timedelta(days=max(self.config.privacy.phone_retention_days, 30))).isoformat()
            op.c.execute("INSERT INTO complaint_contacts (complaint_id, phone, purge_after, consent) "
                         "VALUES (?, ?, ?, ?)", (complaint["id"], phone, purge, int(bool(contact_consent))))
        cat = cats.get(category)
        op.emit("complaint.filed", code=code, category_zh=cat.zh if cat else category)
        summary = f"{'建议' if kind == 'suggestion' else '吐槽'}（{cat.zh if cat else category}）：" + "；".join(phrases + ([text] if text else []))
        self._open_case(op, "complaint", summary, complaint_id=complaint["id"], ticket=ticket)
        return complaint

    def adopt_suggestion(self, complaint_id: str, staff_id: str) -> dict:
        """An adopted suggestion marks its author as a 啄木鸟 contributor."""
        with self._op() as op:
            row = op.c.execute("SELECT * FROM complaints WHERE id = ?", (complaint_id,)).fetchone()
            if not row:
                raise NotFound("unknown_complaint", "找不到该条反映", "no such complaint")
            complaint = op.put("complaint", {**dict(row), "adopted": 1})
            op.emit("complaint.adopted", code=complaint["code"], staff_id=staff_id)
            return complaint

    def complaint_by_code(self, code: str) -> dict:
        with self.store.read() as c:
            row = c.execute("SELECT * FROM complaints WHERE code = ?", (code,)).fetchone()
            if not row:
                raise NotFound("unknown_complaint", "找不到该编号的反映", "no complaint with this code")
            out = dict(row)
            case = c.execute("SELECT state, reply_due FROM cases WHERE complaint_id = ?", (out["id"],)).fetchone()
        out["case_state"] = case["state"] if case else None
        out["reply_due"] = case["reply_due"] if case else None
        return out
