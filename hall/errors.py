"""Domain errors: each carries a code, a Chinese message, an English one and an HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    """An operation the hall refuses; nothing was changed. Safe to show to a person."""

    status = 400
    default_code = "error"

    def __init__(self, code: str | None, message: str, message_en: str, status: int | None = None):
        super().__init__(message_en)
        self.code = code or self.default_code
        self.message = message
        self.message_en = message_en
        if status is not None:
            self.status = status

    def to_json(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "message_en": self.message_en}}

    def __str__(self) -> str:  # logs read English; people read both
        return f"{self.code}: {self.message_en}"


class NotFound(DomainError):
    status = 404
    default_code = "not_found"


class Unauthorized(DomainError):
    status = 401
    default_code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    default_code = "forbidden"


class Conflict(DomainError):
    status = 409
    default_code = "conflict"


class IllegalTransition(Conflict):
    default_code = "illegal_transition"


class Refused(DomainError):
    """A business rule says no: quota full, cut-off passed, outside the check-in window."""

    status = 422
    default_code = "refused"


class InvalidInput(DomainError):
    status = 422
    default_code = "invalid_input"


class IdempotencyConflict(DomainError):
    status = 422
    default_code = "idempotency_conflict"


class StoreError(DomainError):
    """The database cannot be used safely (settings did not take, integrity failed)."""

    status = 503
    default_code = "store_error"
