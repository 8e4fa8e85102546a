"""Windows and staff: sign-in, sign-out, open, pause, close.

Rules kept here:
- a staff member is signed in at one window at a time (signing in elsewhere signs them out,
  unless they still hold a ticket there);
- a window opens only with someone signed in; it cannot close or be signed out of while it
  has a current ticket;
- another person cannot take over a window that has a ticket in progress.
"""

from __future__ import annotations

import re

from hall.errors import (
    IllegalTransition,
    InvalidInput,
    NotFound,
)


class WindowsMixin:
    """Engine methods: windows and staff: sign-in, sign-out, open, pause, close. Composed into hall.engine.Engine."""

    def add_staff(self, staff_id: str, name: str, role: str, active: bool = True) -> dict:
        if role not in ("clerk", "helper", "manager", "approver"):
            raise InvalidInput("bad_role", "角色必须是 clerk、helper、manager 或 approver（审批人员）",
                               "role must be clerk, helper, manager or approver")
        if not re.match(r"^[A-Za-z0-9_.-]{1,32}$", staff_id or ""):
            raise InvalidInput("bad_staff_id", "工号只能包含字母、数字和 _ . -（最多32位）",
                               "staff id: letters, digits, _ . - (at most 32)")
        with self._op() as op:
            row = op.put("staff", {"id": staff_id, "name": name, "role": role, "active": int(active)})
            op.emit("staff.changed")
            return row

    def sign_in(self, window_id: str, staff_id: str) -> dict:
        with self._op() as op:
            window = self._window(op.c, window_id)
            staff = op.c.execute("SELECT * FROM staff WHERE id = ? AND active = 1", (staff_id,)).fetchone()
            if not staff:
                raise NotFound("unknown_staff", f"工号 {staff_id} 不存在或已停用", f"unknown or inactive staff {staff_id}")
            for other in op.c.execute("SELECT * FROM windows WHERE staff_id = ? AND id != ?", (staff_id, window_id)).fetchall():
                other = dict(other)
                if other["current_ticket_id"]:
                    raise IllegalTransition("busy_elsewhere", f"您在 {other['number']} 号窗口还有正在办理的号，请先处理",
                                            f"you still have a ticket at window {other['number']}")
                op.put("window", {**other, "staff_id": None, "state": "closed", "changed_at": op.now})
                op.emit("window.signed_out", window_number=other["number"])
            if window["staff_id"] and window["staff_id"] != staff_id and window["current_ticket_id"]:
                raise IllegalTransition("window_busy", "该窗口有正在办理的号，请原窗口人员先处理",
                                        "this window has a ticket in progress")
            window = op.put("window", {**window, "staff_id": staff_id, "changed_at": op.now})
            op.emit("window.signed_in", window_number=window["number"], staff_name=staff["name"])
            return window

    def sign_out(self, window_id: str) -> dict:
        with self._op() as op:
            window = self._window(op.c, window_id)
            if window["current_ticket_id"]:
                raise IllegalTransition("window_busy", "请先办结、过号或挂起当前号，再退出",
                                        "finish, no-show or hold the current ticket before signing out")
            window = op.put("window", {**window, "staff_id": None, "state": "closed", "changed_at": op.now})
            op.emit("window.signed_out", window_number=window["number"])
            return window

    def _set_window_state(self, window_id: str, state: str, event: str) -> dict:
        with self._op() as op:
            window = self._window(op.c, window_id)
            if state == "open" and not window["staff_id"]:
                raise IllegalTransition("not_signed_in", "请先登录窗口再开窗", "sign in to the window before opening it")
            if state == "closed" and window["current_ticket_id"]:
                raise IllegalTransition("window_busy", "请先处理当前号再关窗", "finish the current ticket before closing")
            if window["state"] == state:
                return window
            window = op.put("window", {**window, "state": state, "changed_at": op.now})
            op.emit(event, window_number=window["number"])
            return window

    def open_window(self, window_id: str) -> dict:
        return self._set_window_state(window_id, "open", "window.opened")

    def pause_window(self, window_id: str) -> dict:
        return self._set_window_state(window_id, "paused", "window.paused")

    def close_window(self, window_id: str) -> dict:
        return self._set_window_state(window_id, "closed", "window.closed")
