"""Enums and small records of the queue: states, priorities, outcomes, rating levels, refusals."""

from __future__ import annotations

from enum import StrEnum


class TicketState(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    HELD = "held"              # 挂起: parked at a window, e.g. while the citizen fills a form
    DONE = "done"
    NO_SHOW = "no_show"        # called, recalled, never came (过号)
    WALKED_OUT = "walked_out"  # left before being called
    TRANSFERRED = "transferred"
    REFUSED = "refused"        # ended with a no-veto report (missing materials, escalate)
    EXPIRED = "expired"        # still open at business-day close


OPEN_STATES = (TicketState.WAITING, TicketState.CALLED, TicketState.SERVING, TicketState.HELD)
AT_WINDOW_STATES = (TicketState.CALLED, TicketState.SERVING)
FINAL_STATES = tuple(s for s in TicketState if s not in OPEN_STATES)
# Tickets whose holder received a service and may rate it (一次一评).
RATEABLE_STATES = (TicketState.DONE, TicketState.REFUSED, TicketState.TRANSFERRED)


class Priority(StrEnum):
    APPOINTMENT = "appointment"
    GREEN = "green"            # 绿色通道
    NORMAL = "normal"


# Lower rank is called first; a ticket sent back to one window (return_to_me) outranks all.
PRIORITY_RANK = {Priority.APPOINTMENT: 0, Priority.GREEN: 1, Priority.NORMAL: 2}


class Outcome(StrEnum):
    COMPLETED = "completed"                 # 办结
    ACCEPTED = "accepted"                   # 受理: handed to the back office, collect at pickup
    ACCEPTED_PENDING = "accepted_pending"   # 容缺受理: accepted, some materials to follow


OUTCOME_ZH = {
    Outcome.COMPLETED: "办结",
    Outcome.ACCEPTED: "受理",
    Outcome.ACCEPTED_PENDING: "容缺受理",
}


class RefusalKind(StrEnum):
    REDIRECT = "redirect"                   # not ours: signpost to the right service
    MISSING_MATERIALS = "missing_materials" # the one-time notice 一次性告知
    ESCALATE = "escalate"                   # law or policy unclear: to the chief representative


REFUSAL_ZH = {
    RefusalKind.REDIRECT: "指引转办",
    RefusalKind.MISSING_MATERIALS: "材料不全（一次性告知）",
    RefusalKind.ESCALATE: "提交首席代表/负责人研究",
}


class RatingLevel(int):
    """1..5; 1-2 is 差评, 4-5 好评."""


RATING_ZH = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
RATING_EN = {5: "Very satisfied", 4: "Satisfied", 3: "Fair", 2: "Dissatisfied",
             1: "Very dissatisfied"}
BAD_RATING_MAX = 2
GOOD_RATING_MIN = 4


class WindowState(StrEnum):
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


class WindowKind(StrEnum):
    CONSULT = "consult"       # 帮办咨询
    ACCEPT = "accept"         # 综合受理
    PICKUP = "pickup"         # 统一出件
    HELP = "help"             # 帮办代办
    COMPLAINT = "complaint"   # 吐槽找茬 / 办不成事


WINDOW_KIND_ZH = {
    WindowKind.CONSULT: "帮办咨询",
    WindowKind.ACCEPT: "综合受理",
    WindowKind.PICKUP: "统一出件",
    WindowKind.HELP: "帮办代办",
    WindowKind.COMPLAINT: "吐槽找茬",
}


class CaseState(StrEnum):
    OPEN = "open"
    VERIFIED = "verified"
    RECTIFIED = "rectified"
    REVISITED = "revisited"
    APPEALING = "appealing"   # 申诉复核: the window says the review was mistaken
    CLOSED = "closed"


class HelpState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


class AppointmentState(StrEnum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    CANCELLED = "cancelled"


def mask_phone(phone: str | None) -> str | None:
    """138****5678: what staff may see; citizens and displays see nothing."""
    if not phone:
        return None
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
