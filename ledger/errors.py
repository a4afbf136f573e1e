"""One exception hierarchy for the whole application.

Every error a person can cause is a ``LedgerError`` subclass with a message they can act on; the web
and API layers map them to one JSON shape and to friendly HTML messages, with the HTTP status below.
"""

from __future__ import annotations

from typing import Any


class LedgerError(Exception):
    """Base of every error the application raises on purpose."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    def to_dict(self) -> dict:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return {"error": body}


class ConfigurationError(LedgerError):
    """Raised when the application is started with settings that are unsafe or incomplete."""

    code = "configuration"


class ValidationError(LedgerError):
    """Raised when input is malformed: a field missing, of the wrong type or out of range."""

    code = "validation_error"


class NotFound(LedgerError):
    """Raised when a record asked for does not exist (or is not visible to the asker)."""

    status = 404
    code = "not_found"


class PermissionDenied(LedgerError):
    """Raised when the acting user may not do what they asked."""

    status = 403
    code = "forbidden"


class Conflict(LedgerError):
    """Raised when the request clashes with the current state (double submission, wrong status)."""

    status = 409
    code = "conflict"


class TooManyPostings(ValidationError):
    """Raised when one journal entry would carry more postings than the configured maximum."""

    code = "too_many_postings"


class UnbalancedEntry(ValidationError):
    """Raised when a journal entry's postings do not sum to zero in each unit."""

    code = "unbalanced_entry"


class InvalidPosting(ValidationError):
    """Raised when a posting is zero, in the wrong unit, or names an unknown account."""

    code = "invalid_posting"


class ClosedAccount(Conflict):
    """Raised when a posting names an account that has been closed."""

    code = "closed_account"


class PeriodLocked(Conflict):
    """Raised when an entry's effective date falls in a month finance has locked."""

    code = "period_locked"


class IdempotencyConflict(Conflict):
    """Raised when an idempotency key is reused with different content."""

    code = "idempotency_conflict"


class AlreadyReversed(Conflict):
    """Raised when an entry that has already been reversed is reversed again."""

    code = "already_reversed"


class NothingToPay(Conflict):
    """Raised when a payment run would pay nobody: no approved, unpaid claims up to the cut-off (or none payable)."""

    code = "nothing_to_pay"


class InsufficientTimeCredits(Conflict):
    """Raised when a spend or gift would take a participant's time credits below zero (or the overdraft limit)."""

    code = "insufficient_time_credits"


class PolicyRuleMissing(LedgerError):
    """Raised when the rulebook holds no figure for a date asked about (before 2024-25, or not yet added)."""

    code = "rule_not_found"


class TooManyRequests(LedgerError):
    """Raised when a caller exceeds a rate limit (logins, the public calculator); ``retry_after`` is the wait in
    seconds, sent as the Retry-After header."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, fields: dict | None = None, retry_after: int | None = None,
                 retry_after_seconds: int | None = None):
        super().__init__(message, fields=fields)
        #: Sent as ``Retry-After``: how long the caller should wait before trying again (a minute unless told).
        self.retry_after_seconds = max(int(retry_after if retry_after is not None else
                                           retry_after_seconds if retry_after_seconds is not None else 60), 1)

    @property
    def retry_after(self) -> int:
        return self.retry_after_seconds


class AuthenticationRequired(LedgerError):
    """Raised when a request needs a logged-in user or a valid API token."""

    status = 401
    code = "unauthenticated"
