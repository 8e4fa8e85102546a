"""Matters (办件): from acceptance at a window, through the back office, to the citizen
holding the result at 统一出件 ("前台综合受理、后台分类审批、统一窗口出件").

Rules kept here:
- finishing a ticket as 受理 / 容缺受理 opens one matter per service (a theme, 一件事, opens one
  per service behind one tracking code) in the finishing transaction;
- the promised date is the service's 承诺时限 in working days of the hall's work calendar
  (holidays and 调休 counted); an instant matter (即办件) is settled at the window;
- every step names who, when and a note; a step from the wrong state is an IllegalTransition
  and changes nothing; central may set a step too, applied once per update id;
- a matter is ready for pickup only when nothing owed is outstanding;
- each visit the citizen makes for a matter (acceptance, bringing materials, pickup) is a row,
  so the one-visit rate (一次办好率) is counted, not estimated;
- the citizen's keys (phone page token, pickup code) and phone live in matter_access, never in
  events: the code (BJYYYYMMDD-NNNN) is for people, the tokens are unguessable.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import uuid
from typing import Any

from hall.errors import Forbidden, IllegalTransition, InvalidInput, NotFound, Refused

FINAL_STATES = ("collected", "mailed", "rejected")
STATE_ZH = {"accepted": "审批中", "more_requested": "待补正材料", "approved": "已批准，制证中",
            "ready": "已办结，待领取", "collected": "已领取", "mailed": "已邮寄", "rejected": "不予批准"}
STATE_EN = {"accepted": "Under review", "more_requested": "More materials needed",
            "approved": "Approved, result in preparation", "ready": "Ready for pickup",
            "collected": "Collected", "mailed": "Mailed", "rejected": "Not approved"}
# step: (states it may start from, state after, note required, who may take it)
MATTER_STEPS: dict[str, tuple[tuple[str, ...], str, bool, tuple[str, ...]]] = {
    "approve": (("accepted",), "approved", False, ("approver",)),
    "reject": (("accepted", "more_requested", "approved"), "rejected", True, ("approver",)),
    "ask_more": (("accepted", "approved"), "more_requested", True, ("approver",)),
    "resume": (("more_requested",), "accepted", False, ("approver", "clerk")),
    "ready": (("approved",), "ready", False, ("approver", "clerk")),
    "mail": (("approved", "ready"), "mailed", True, ("approver", "clerk")),
}
STEP_ZH = {"accept": "受理", "approve": "批准", "reject": "不予批准", "ask_more": "要求补正",
           "resume": "恢复审批", "ready": "办结待领取", "mail": "邮寄送达", "handover": "窗口出件",
           "supplied": "补交材料", "filed": "自助机登记补交", "instant": "即办即结"}
_CODE = re.compile(r"^BJ\d{8}-\d{4}$")
_TOKEN = re.compile(r"^[A-Za-z0-9]{16,64}$")


def _j(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _clean(items, limit: int = 30) -> list[str]:
    return list(dict.fromkeys(str(m).strip()[:60] for m in (items or []) if str(m).strip()))[:limit]


def _key() -> str:
    """An unguessable key made only of letters and digits (fits the kiosk's OW1:P: pattern)."""
    return secrets.token_hex(12)


def mask_name(name: str) -> str:
    """张三 -> 张*, 欧阳娜娜 -> 欧***: enough for the record, not a person's full name."""
    name = (name or "").strip()
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


def overdue(matter: dict, today: str) -> bool:
    return matter["state"] not in FINAL_STATES and matter["state"] != "ready" and today > matter["due_date"]


def owed_open(matter: dict) -> list[str]:
    return [o["name"] for o in json.loads(matter["owed"] or "[]") if not o.get("supplied_at")]


class MattersMixin:
    """Engine operations on matters; each public method is one transaction with its events."""

    # ------------------------------------------------------------------ opening
    def _matter_service(self, service_id: str):
        svc = self.config.service(service_id)
        if svc is None:
            raise NotFound("unknown_service", f"没有这项业务：{service_id}", f"no such service: {service_id}")
        return svc

    def _open_matters(self, op, ticket: dict, window: dict, *, pending: list[str],
                      received: list[str] | None = None, theme_id: str | None = None) -> list[dict]:
        """Open the matter(s) a 受理 / 容缺受理 finish creates, inside the finishing transaction.
        A ticket taken for a theme (一件事) opens the theme's matters without being told."""
        detail = ticket.get("source_detail") or ""
        if not theme_id and detail.startswith("theme:"):
            theme_id = detail[6:]
        if theme_id:
            theme = next((t for t in self.config.themes if t.id == theme_id), None)
            if theme is None:
                raise NotFound("unknown_theme", f"没有这个主题事项：{theme_id}", f"no such theme: {theme_id}")
            service_ids = list(theme.services)
        else:
            service_ids = [ticket["service_id"]]
        row = op.c.execute("SELECT last_number FROM counters WHERE business_date = ? AND service_id = ?",
                           (op.business_date, "~matters")).fetchone()
        n = (row[0] if row else 0) + 1
        op.put("counter", {"business_date": op.business_date, "service_id": "~matters", "last_number": n})
        code = f"BJ{op.business_date.replace('-', '')}-{n:04d}"
        phone = op.c.execute("SELECT phone FROM ticket_contacts WHERE ticket_id = ?", (ticket["id"],)).fetchone()
        op.c.execute("INSERT INTO matter_access (code, token, pickup_token, phone) VALUES (?, ?, ?, ?)",
                     (code, _key(), _key(), phone[0] if phone else None))
        day = dt.date.fromisoformat(op.business_date)
        owed_due = (self.calendar.add_working_days(day, self.config.matters.owed_working_days).isoformat()
                    if pending else None)
        matters = []
        for sid in service_ids:
            svc = self._matter_service(sid)
            got = _clean(received) if received is not None else [m for m in svc.material_names if m not in pending]
            instant = svc.matter_kind == "instant" and not pending
            matter = {
                "id": uuid.uuid4().hex, "code": code, "theme_id": theme_id, "service_id": sid,
                "ticket_id": ticket["id"], "window_id": window["id"], "staff_id": window["staff_id"],
                "accepted_at": op.now, "business_date": op.business_date, "kind": svc.matter_kind,
                "promise_days": svc.promise_days,
                "due_date": self.calendar.add_working_days(day, svc.promise_days).isoformat(),
                "state": "collected" if instant else "accepted", "received": _j(got),
                "owed": _j([{"name": m, "supplied_at": None, "supplied_by": None} for m in pending]),
                "owed_due": owed_due, "has_phone": int(bool(phone)), "decided_at": op.now if instant else None,
                "ready_at": op.now if instant else None, "closed_at": op.now if instant else None,
                "handed_to": None, "by_proxy": 0, "reason": None, "updated_at": op.now}
            matter = op.put("matter", matter)
            self._matter_step(op, matter, "accept", None, "accepted", window["staff_id"], "")
            if instant:
                self._matter_step(op, matter, "instant", "accepted", "collected", window["staff_id"], "")
            matters.append(matter)
            op.put("matter_visit", {"id": uuid.uuid4().hex, "matter_id": matter["id"], "ticket_id": ticket["id"],
                                    "kind": "accept", "at": op.now, "business_date": op.business_date})
        if len(matters) == 1:
            op.emit("matter.opened", code=code, service_id=service_ids[0])
        else:
            op.emit("matter.opened", code=code, theme_id=theme_id, services=service_ids)
        self._close_access(op, code)      # every matter settled at the window (即办件)
        return matters

    @staticmethod
    def _matter_step(op, matter: dict, step: str, from_state, to_state: str, staff_id, note: str,
                     source: str = "hall", ext_id: str | None = None) -> dict:
        return op.put("matter_step", {"id": uuid.uuid4().hex, "matter_id": matter["id"], "step": step,
                                      "from_state": from_state, "to_state": to_state, "staff_id": staff_id,
                                      "source": source, "ext_id": ext_id, "note": note, "at": op.now})

    def _close_access(self, op, code: str) -> None:
        """When every matter behind a code is closed, its phone is kept only for the retention."""
        if op.c.execute("SELECT 1 FROM matters WHERE code = ? AND closed_at IS NULL", (code,)).fetchone():
            return
        purge = (dt.date.fromisoformat(op.business_date)
                 + dt.timedelta(days=self.config.privacy.phone_retention_days)).isoformat()
        op.c.execute("UPDATE matter_access SET purge_after = ? WHERE code = ?", (purge, code))

    def issue_theme_ticket(self, theme_id: str, **kw) -> tuple[dict, bool]:
        """一件事: one ticket for a theme, in its ticket service's queue; the window that
        accepts it opens one matter per service of the theme."""
        theme = next((t for t in self.config.themes if t.id == theme_id), None)
        if theme is None:
            raise NotFound("unknown_theme", f"没有这个主题事项：{theme_id}", f"no such theme: {theme_id}")
        return self.issue_ticket(theme.ticket_service or theme.services[0], source_detail=f"theme:{theme_id}", **kw)

    @staticmethod
    def _purge_matter_phones(op, today: str) -> None:
        """A closed matter's phone goes after the retention (matter_access.purge_after). It
        never was in an event, so there is nothing central must have first; the keys stay so
        the citizen's page still shows the outcome."""
        op.c.execute("UPDATE matter_access SET phone = NULL, handed_to = NULL WHERE purge_after < ? "
                     "AND (phone IS NOT NULL OR handed_to IS NOT NULL)", (today,))

    # ------------------------------------------------------------------ reading
    def _matter(self, c, matter_id: str) -> dict:
        row = c.execute("SELECT * FROM matters WHERE id = ?", (matter_id,)).fetchone()
        if not row:
            raise NotFound("unknown_matter", "找不到该办件", "no such matter")
        return dict(row)

    def get_matter(self, matter_id: str) -> dict:
        with self.store.read() as c:
            return self._matter_view(c, self._matter(c, matter_id))

    def _matter_view(self, c, m: dict, today: str | None = None) -> dict:
        today = today or self.business_date()
        svc = c.execute("SELECT name_zh, name_en FROM services WHERE id = ?", (m["service_id"],)).fetchone()
        win = c.execute("SELECT number FROM windows WHERE id = ?", (m["window_id"],)).fetchone()
        out = {**m, "received": json.loads(m["received"]), "owed": json.loads(m["owed"]),
               "service_name_zh": svc[0] if svc else m["service_id"], "service_name_en": svc[1] if svc else "",
               "window_number": win[0] if win else None, "state_zh": STATE_ZH.get(m["state"], m["state"]),
               "state_en": STATE_EN.get(m["state"], m["state"]), "overdue": overdue(m, today),
               "owed_open": owed_open(m)}
        out["steps"] = [dict(r) for r in c.execute(
            "SELECT step, from_state, to_state, staff_id, source, note, at FROM matter_steps WHERE matter_id = ? "
            "ORDER BY at, rowid", (m["id"],))]
        for s in out["steps"]:
            s["step_zh"] = STEP_ZH.get(s["step"], s["step"])
        out["visits"] = [dict(r) for r in c.execute(
            "SELECT kind, ticket_id, at FROM matter_visits WHERE matter_id = ? ORDER BY at, rowid", (m["id"],))]
        return out

    def matters_by_code(self, code: str) -> list[dict]:
        code = (code or "").strip().upper()
        if not _CODE.match(code):
            raise InvalidInput("bad_matter_code", "办件编号格式应为 BJ年月日-四位序号，如 BJ20261130-0001",
                               "a matter code looks like BJ20261130-0001")
        with self.store.read() as c:
            rows = [dict(r) for r in c.execute("SELECT * FROM matters WHERE code = ? ORDER BY rowid", (code,))]
            if not rows:
                raise NotFound("unknown_matter", "找不到该编号的办件", "no matter with this code")
            today = self.business_date()
            return [self._matter_view(c, m, today) for m in rows]

    def _access(self, c, *, token: str | None = None, pickup_token: str | None = None) -> dict:
        value = token if token is not None else pickup_token
        if not isinstance(value, str) or not _TOKEN.match(value):
            raise NotFound("unknown_matter_link", "办件链接或取件码无效", "invalid matter link or pickup code")
        col = "token" if token is not None else "pickup_token"
        row = c.execute(f"SELECT * FROM matter_access WHERE {col} = ?", (value,)).fetchone()
        if not row:
            raise NotFound("unknown_matter_link", "找不到该办件，请核对链接或取件码",
                           "no matter for this link or pickup code")
        return dict(row)

    def matter_access(self, code: str) -> dict:
        """The keys behind a code (hall only: the slip and the citizen's page need them)."""
        with self.store.read() as c:
            row = c.execute("SELECT code, token, pickup_token FROM matter_access WHERE code = ?", (code,)).fetchone()
            if not row:
                raise NotFound("unknown_matter", "找不到该办件", "no such matter")
            return dict(row)

    def public_matters(self, token: str) -> dict:
        """What the citizen's phone page shows: no staff, no phone, no ticket ids."""
        with self.store.read() as c:
            acc = self._access(c, token=token)
            today = self.business_date()
            rows = [self._matter_view(c, dict(r), today)
                    for r in c.execute("SELECT * FROM matters WHERE code = ? ORDER BY rowid", (acc["code"],))]
        items = [{k: m[k] for k in ("service_name_zh", "service_name_en", "state", "state_zh", "state_en",
                                    "kind", "due_date", "owed_due", "received", "owed_open", "reason",
                                    "accepted_at", "ready_at", "closed_at", "overdue")}
                 | {"steps": [{"step_zh": s["step_zh"], "at": s["at"]} for s in m["steps"]]} for m in rows]
        ready = any(m["state"] == "ready" for m in rows)
        return {"code": acc["code"], "hall_name_zh": self.config.hall.name_zh, "matters": items,
                "pickup_code": f"OW1:P:{acc['pickup_token']}" if any(m["state"] not in FINAL_STATES for m in rows)
                else None, "ready": ready}

    def list_matters(self, *, state: str | None = None, open_only: bool = True, service_id: str | None = None,
                     filed: bool | None = None, limit: int = 500) -> list[dict]:
        """The back office's queue: overdue first, then by promised date."""
        sql, args = "SELECT * FROM matters WHERE 1=1", []
        if open_only:
            sql += " AND closed_at IS NULL"
        if state:
            sql += " AND state = ?"
            args.append(state)
        if service_id:
            sql += " AND service_id = ?"
            args.append(service_id)
        if filed is not None:
            sql += " AND EXISTS (SELECT 1 FROM matter_visits v WHERE v.matter_id = matters.id " \
                   "AND v.kind = 'supply' AND v.ticket_id IS NULL)" if filed else ""
        sql += " ORDER BY due_date, accepted_at LIMIT ?"
        args.append(max(1, min(int(limit), 5000)))
        today = self.business_date()
        with self.store.read() as c:
            rows = [self._matter_view(c, dict(r), today) for r in c.execute(sql, args)]
        if filed:
            rows = [m for m in rows if m["owed_open"]]
        rows.sort(key=lambda m: (not m["overdue"], m["due_date"], m["accepted_at"]))
        return rows

    def matter_for_ticket(self, ticket_id: str) -> list[dict]:
        """Matters a ticket is a visit for (the pickup clerk sees which result to fetch)."""
        with self.store.read() as c:
            today = self.business_date()
            return [self._matter_view(c, self._matter(c, r[0]), today) for r in c.execute(
                "SELECT DISTINCT matter_id FROM matter_visits WHERE ticket_id = ?", (ticket_id,))]

    # ------------------------------------------------------------------ back office
    def advance_matter(self, matter_id: str, step: str, staff_id: str | None, note: str = "", *,
                       role: str = "approver", materials: list[str] | None = None,
                       source: str = "hall", ext_id: str | None = None) -> dict:
        """One back-office step (approve / reject / ask_more / resume / ready / mail)."""
        if step not in MATTER_STEPS:
            raise InvalidInput("bad_step", f"未知的办件步骤：{step}", f"unknown matter step: {step}")
        allowed_from, to_state, note_required, roles = MATTER_STEPS[step]
        if source == "hall" and role != "manager" and role not in roles:
            raise Forbidden("not_your_step", f"“{STEP_ZH[step]}”须由审批人员办理",
                            f"step '{step}' is for {', '.join(roles)} staff")
        note = (note or "").strip()[:1000]
        if note_required and not note:
            what = {"reject": "不予批准的理由", "ask_more": "需补正的材料或说明", "mail": "邮寄单号"}[step]
            raise InvalidInput("note_required", f"“{STEP_ZH[step]}”需要填写{what}", f"step '{step}' needs a note")
        extra = _clean(materials)
        if step == "ask_more" and not extra and not note:
            raise InvalidInput("materials_required", "请列出需补正的材料", "list the materials needed")
        with self._op() as op:
            if ext_id and op.c.execute("SELECT 1 FROM matter_steps WHERE ext_id = ?", (ext_id,)).fetchone():
                return self._matter(op.c, matter_id)        # central's update, already applied
            m = self._matter(op.c, matter_id)
            if m["state"] not in allowed_from:
                raise IllegalTransition(
                    "bad_matter_step", f"办件当前为“{STATE_ZH.get(m['state'], m['state'])}”，不能“{STEP_ZH[step]}”",
                    f"cannot '{step}' a matter that is {m['state']}")
            if step == "ready" and owed_open(m):
                raise IllegalTransition("materials_owed", f"尚缺材料：{'、'.join(owed_open(m))}，补齐后才能出件",
                                        "materials are still owed; the result cannot be handed out yet")
            upd = {**m, "state": to_state, "updated_at": op.now}
            if step in ("approve", "reject"):
                upd["decided_at"] = op.now
            if step == "reject":
                upd["reason"] = note
            if step == "ready":
                upd["ready_at"] = op.now
            if step in ("reject", "mail"):
                upd["closed_at"] = op.now
            if step == "ask_more":
                owed = json.loads(m["owed"])
                # Asked again for something already supplied (a corrected version): owed anew.
                have = {o["name"] for o in owed if not o.get("supplied_at")}
                owed += [{"name": x, "supplied_at": None, "supplied_by": None} for x in extra if x not in have]
                upd["owed"] = _j(owed)
                upd["owed_due"] = self.calendar.add_working_days(
                    dt.date.fromisoformat(op.business_date), self.config.matters.owed_working_days).isoformat()
            prev = m["state"]
            m = op.put("matter", upd)
            self._matter_step(op, m, step, prev, to_state, staff_id, note, source, ext_id)
            op.emit("matter.ready" if step == "ready" else "matter.advanced", code=m["code"], step=step,
                    step_zh=STEP_ZH[step], source=source)
            if m["closed_at"]:
                self._close_access(op, m["code"])
            return m

    # ------------------------------------------------------------------ 容缺 follow-up
    def supply_material(self, matter_id: str, name: str, staff_id: str | None, *,
                        ticket_id: str | None = None) -> dict:
        """The clerk marks one owed material supplied (at any window). With the ticket the
        citizen came on, that ticket counts as a visit for the matter (once)."""
        with self._op() as op:
            m = self._matter(op.c, matter_id)
            if m["closed_at"]:
                raise IllegalTransition("matter_closed", "该办件已办结", "the matter is closed")
            owed = json.loads(m["owed"])
            items = [o for o in owed if o["name"] == name]
            if not items:
                raise NotFound("not_owed", f"该办件没有待补交的“{name}”", f"'{name}' is not owed for this matter")
            item = next((o for o in items if not o.get("supplied_at")), None)
            if item is None:
                raise IllegalTransition("already_supplied", f"“{name}”已登记补交", f"'{name}' was already supplied")
            item.update(supplied_at=op.now, supplied_by=staff_id)
            upd = {**m, "owed": _j(owed), "updated_at": op.now}
            received = json.loads(m["received"])
            upd["received"] = _j(received + [name])
            if ticket_id and not op.c.execute("SELECT 1 FROM matter_visits WHERE matter_id = ? AND ticket_id = ?",
                                              (matter_id, ticket_id)).fetchone():
                self._ticket(op.c, ticket_id)
                op.put("matter_visit", {"id": uuid.uuid4().hex, "matter_id": matter_id, "ticket_id": ticket_id,
                                        "kind": "supply", "at": op.now, "business_date": op.business_date})
            m = op.put("matter", upd)
            self._matter_step(op, m, "supplied", m["state"], m["state"], staff_id, name)
            op.emit("matter.supplied", code=m["code"], material=name, outstanding=len(owed_open(m)))
            return m

    def scan_pickup_code(self, code: str, *, source_detail: str | None = None) -> dict:
        """A pickup code (OW1:P:…) scanned at the kiosk.

        Ready: a ticket for 统一出件 with the matter attached (the same open ticket on a second
        scan). Only waiting for owed materials: filed for the pickup/consult window as a visit,
        without a new queue number. Otherwise: refused with where the matter stands."""
        token = (code or "").strip()
        if token.upper().startswith("OW1:P:"):
            token = token[6:]
        with self._op() as op:
            acc = self._access(op.c, pickup_token=token)
            rows = [dict(r) for r in op.c.execute("SELECT * FROM matters WHERE code = ? ORDER BY rowid", (acc["code"],))]
            ready = [m for m in rows if m["state"] == "ready"]
            if ready:
                open_ticket = op.c.execute(
                    "SELECT t.* FROM matter_visits v JOIN tickets t ON t.id = v.ticket_id WHERE v.matter_id = ? "
                    "AND v.kind = 'pickup' AND t.state IN ('waiting', 'called', 'serving', 'held')",
                    (ready[0]["id"],)).fetchone()
                if open_ticket:
                    return {"action": "ticket", "ticket": dict(open_ticket), "code": acc["code"], "created": False}
                svc = self._pickup_service_row(op.c)
                from hall.models import Priority
                ticket = self._new_ticket(op, svc, priority=Priority.NORMAL, source="matter",
                                          source_detail=acc["code"], enforce_cap=False)
                for m in ready:
                    op.put("matter_visit", {"id": uuid.uuid4().hex, "matter_id": m["id"], "ticket_id": ticket["id"],
                                            "kind": "pickup", "at": op.now, "business_date": op.business_date})
                op.emit("matter.pickup_queued", code=acc["code"], number=ticket["number"])
                return {"action": "ticket", "ticket": ticket, "code": acc["code"], "created": True}
            waiting = [m for m in rows if not m["closed_at"] and owed_open(m)]
            if waiting:
                svc = self._pickup_service_row(op.c)
                windows = [r[0] for r in op.c.execute(
                    "SELECT number FROM windows w WHERE w.active = 1 AND EXISTS (SELECT 1 FROM json_each(w.services) j "
                    "WHERE j.value = ?) ORDER BY number", (svc["id"],))]
                for m in waiting:
                    op.put("matter_visit", {"id": uuid.uuid4().hex, "matter_id": m["id"], "ticket_id": None,
                                            "kind": "supply", "at": op.now, "business_date": op.business_date})
                op.emit("matter.filed", code=acc["code"])
                owed = [x for m in waiting for x in owed_open(m)]
                where = "、".join(f"{n} 号" for n in windows) or svc["name_zh"]
                return {"action": "filed", "code": acc["code"], "owed": owed, "windows": windows,
                        "message": f"请将补交材料（{'、'.join(owed)}）直接交到 {where}窗口（{svc['name_zh']}），无需取号排队",
                        "message_en": f"Hand the owed materials to window {', '.join(map(str, windows))} "
                                      f"({svc['name_en'] or svc['name_zh']}); no queue number needed"}
            m = rows[0]
            if m["state"] in FINAL_STATES:
                raise Refused("matter_closed", f"办件 {m['code']} 已{STATE_ZH[m['state']]}，无需再取件",
                              f"matter {m['code']} is {m['state']}; nothing to collect")
            raise Refused("matter_not_ready", f"办件 {m['code']} {STATE_ZH[m['state']]}，承诺 {m['due_date']} 前办结，"
                          "办结后将短信通知您领取", f"matter {m['code']} is not ready yet (promised by {m['due_date']})")

    def _pickup_service_row(self, c) -> dict:
        sid = self.config.matters.pickup_service
        if sid:
            return self._service(c, sid)
        row = c.execute("SELECT * FROM services WHERE kind = 'pickup' AND active = 1 ORDER BY position LIMIT 1").fetchone()
        if not row:
            raise Refused("no_pickup_service", "本大厅未设置统一出件业务，请到咨询台", "this hall has no pickup service")
        return dict(row)

    # ------------------------------------------------------------------ hand-over
    def hand_over(self, matter_id: str, staff_id: str | None, to_name: str, *, by_proxy: bool = False,
                  note: str = "", ticket_id: str | None = None) -> dict:
        """The result handed over at 统一出件: who, when, to whom, by proxy with a note."""
        to_name = (to_name or "").strip()[:40]
        note = (note or "").strip()[:500]
        if not to_name:
            raise InvalidInput("to_name_required", "请填写领取人姓名", "who collected it?")
        if by_proxy and not note:
            raise InvalidInput("proxy_note_required", "代领须注明委托书或代领人证件",
                               "collection by proxy needs a note (power of attorney, the proxy's ID)")
        with self._op() as op:
            m = self._matter(op.c, matter_id)
            if m["state"] != "ready":
                raise IllegalTransition("not_ready", f"办件当前为“{STATE_ZH.get(m['state'], m['state'])}”，不能出件",
                                        f"cannot hand over a matter that is {m['state']}")
            if ticket_id and not op.c.execute("SELECT 1 FROM matter_visits WHERE matter_id = ? AND ticket_id = ?",
                                              (matter_id, ticket_id)).fetchone():
                self._ticket(op.c, ticket_id)
                op.put("matter_visit", {"id": uuid.uuid4().hex, "matter_id": matter_id, "ticket_id": ticket_id,
                                        "kind": "pickup", "at": op.now, "business_date": op.business_date})
            # Events (and central) get the masked name; the full name stays in matter_access.
            op.c.execute("UPDATE matter_access SET handed_to = ? WHERE code = ?", (to_name, m["code"]))
            m = op.put("matter", {**m, "state": "collected", "closed_at": op.now, "handed_to": mask_name(to_name),
                                  "by_proxy": int(bool(by_proxy)), "updated_at": op.now})
            self._matter_step(op, m, "handover", "ready", "collected", staff_id,
                              ("代领：" if by_proxy else "") + note)
            op.emit("matter.handed_over", code=m["code"], by_proxy=bool(by_proxy))
            self._close_access(op, m["code"])
            return m

    def uncollected_matters(self) -> list[dict]:
        """Results ready longer than [matters] uncollected_days and not collected."""
        cutoff = self.clock.now() - 86400 * self.config.matters.uncollected_days
        today = self.business_date()
        with self.store.read() as c:
            return [self._matter_view(c, dict(r), today) for r in c.execute(
                "SELECT * FROM matters WHERE state = 'ready' AND ready_at <= ? ORDER BY ready_at", (cutoff,))]

    # ------------------------------------------------------------------ central
    def apply_matter_updates(self, updates: list[dict]) -> dict:
        """Steps set by central (a provincial system finished a matter elsewhere). Each update
        {id, matter_id, step, note} is applied once (its id); one that no longer fits the
        matter's state is skipped with the reason, so a batch never sticks."""
        applied, skipped = 0, []
        for u in updates:
            ext = str(u.get("id") or "")
            if not re.match(r"^[A-Za-z0-9_.:-]{1,80}$", ext):
                skipped.append({"id": ext, "reason": "bad update id"})
                continue
            try:
                self.advance_matter(str(u.get("matter_id") or ""), str(u.get("step") or ""), None,
                                    str(u.get("note") or "由省级审批系统办理"), source="central", ext_id=ext)
                applied += 1
            except (NotFound, IllegalTransition, InvalidInput) as exc:
                skipped.append({"id": ext, "reason": exc.message_en})
        return {"applied": applied, "skipped": skipped}
