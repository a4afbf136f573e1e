"""Closing a month, and reopening one: the rules an auditor signs the year off on.

- Only a month that has ended can be locked (before today's month), in order with no gaps: the first lock
  may be any ended month, after that only the month after the latest locked one. A reason is required, and
  the lock records who and when.
- Only the latest locked month can be reopened (the months before it stay closed), and only by two people:
  an admin requests it with a reason; a different admin or finance user approves (then it is unlocked) or
  rejects it. Each step is an event, written in the same transaction as the change.

The roles (who may request, who may decide) are the routes' ``@requires``; the books know only users' ids.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.books.models import LockedPeriod, PeriodReopenRequest
from ledger.books.posting import locked_months, month_start, next_month
from ledger.db import utcnow
from ledger.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ledger.events.records import NewEvent
from ledger.events.writer import record_event
from ledger.workflow import Workflow

MAX_REASON = 2000

REOPEN_WORKFLOW = Workflow("reopen request", {
    ("requested", "approve"): "approved",
    ("requested", "reject"): "rejected",
}, describe={"requested": "waiting for a second person", "approved": "approved (the month was reopened)",
             "rejected": "rejected"})


@dataclass(frozen=True, slots=True)
class LockRecord:
    month: dt.date
    locked_at: dt.datetime
    locked_by_user_id: int | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class ReopenRecord:
    id: int
    month: dt.date
    status: str
    reason: str
    requested_by_user_id: int
    requested_at: dt.datetime
    decided_by_user_id: int | None
    decided_at: dt.datetime | None
    decision_reason: str | None



def _reason(reason: str | None, field: str = "reason") -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationError("Give a reason: it is kept with the month's record for the auditor.",
                              fields={field: ["required"]})
    if len(text) > MAX_REASON:
        raise ValidationError(f"Keep the reason to {MAX_REASON} characters.", fields={field: ["too long"]})
    return text


def month_to_lock(session: Session) -> dt.date | None:
    """The month that may be locked next (None: any ended month, as nothing is locked yet)."""
    locked = locked_months(session)
    return next_month(locked[-1]) if locked else None


def close_month(session: Session, month: dt.date, *, reason: str | None, actor_user_id: int | None,
                today: dt.date) -> LockRecord:
    """Lock an ended month, the next in order, with a reason: nothing can be posted into it afterwards."""
    month = month_start(month)
    why = _reason(reason)
    if month >= month_start(today):
        raise ValidationError(f"{month:%B %Y} has not ended yet: only a month before {today:%B %Y} can be locked.",
                              fields={"month": ["not ended"]})
    already = session.get(LockedPeriod, month)
    if already is not None:  # locking twice is harmless: the first lock, its reason and who, stand
        return _lock_record(already)
    expected = month_to_lock(session)
    if expected is not None and month != expected:
        raise ValidationError(f"Months are locked in order: lock {expected:%B %Y} next, not {month:%B %Y}.",
                              fields={"month": ["out of order"]})
    row = LockedPeriod(month=month, locked_at=utcnow(), locked_by_user_id=actor_user_id, reason=why)
    session.add(row)
    session.flush()
    record_event(session, NewEvent(subject="period", subject_id=f"{month:%Y-%m}", action="lock",
                                   actor_user_id=actor_user_id, before="open", after="locked", reason=why))
    return _lock_record(row)


def _lock_record(row: LockedPeriod) -> LockRecord:
    return LockRecord(month=row.month, locked_at=row.locked_at, locked_by_user_id=row.locked_by_user_id,
                      reason=row.reason)


def locks(session: Session) -> list[LockRecord]:
    """Every locked month, oldest first, with who locked it, when and why."""
    return [_lock_record(r) for r in session.execute(select(LockedPeriod).order_by(LockedPeriod.month)).scalars()]


def _record(row: PeriodReopenRequest) -> ReopenRecord:
    return ReopenRecord(id=row.id, month=row.month, status=row.status, reason=row.reason,
                        requested_by_user_id=row.requested_by_user_id, requested_at=row.requested_at,
                        decided_by_user_id=row.decided_by_user_id, decided_at=row.decided_at,
                        decision_reason=row.decision_reason)


def request_reopen(session: Session, month: dt.date, *, reason: str | None, actor_user_id: int) -> ReopenRecord:
    """Ask to reopen the latest locked month; it stays locked until a second person approves."""
    month = month_start(month)
    why = _reason(reason)
    locked = locked_months(session)
    if not locked or month not in locked:
        raise ValidationError(f"{month:%B %Y} is not locked.", fields={"month": ["not locked"]})
    if month != locked[-1]:
        raise ValidationError(f"Only the latest locked month, {locked[-1]:%B %Y}, can be reopened: months are "
                              "reopened in order, newest first.", fields={"month": ["not the latest"]})
    waiting = session.execute(select(PeriodReopenRequest.id).where(
        PeriodReopenRequest.month == month, PeriodReopenRequest.status == "requested")).first()
    if waiting is not None:
        raise Conflict(f"A request to reopen {month:%B %Y} is already waiting for a second person.",
                       fields={"month": ["already requested"]})
    row = PeriodReopenRequest(month=month, status="requested", reason=why, requested_by_user_id=actor_user_id,
                              requested_at=utcnow())
    session.add(row)
    session.flush()
    record_event(session, NewEvent(subject="period", subject_id=f"{month:%Y-%m}", action="reopen_request",
                                   actor_user_id=actor_user_id, before="locked", after="locked", reason=why,
                                   details={"reopen_request_id": row.id}))
    return _record(row)


def _waiting_request(session: Session, request_id: int, actor_user_id: int, action: str) -> PeriodReopenRequest:
    row = session.execute(select(PeriodReopenRequest).where(PeriodReopenRequest.id == request_id)
                          .with_for_update()).scalar_one_or_none()
    if row is None:
        raise NotFound(f"There is no reopen request {request_id}.")
    REOPEN_WORKFLOW.next_status(row.status, action)
    if row.requested_by_user_id == actor_user_id:
        raise PermissionDenied("A second person must decide: you asked for this month to be reopened.",
                               fields={"decided_by": ["same person"]})
    return row


def decide_reopen(session: Session, request_id: int, *, approve: bool, actor_user_id: int,
                  reason: str | None = None) -> ReopenRecord:
    """A second person approves (the month is unlocked) or rejects (with a reason) a reopen request."""
    action = "approve" if approve else "reject"
    row = _waiting_request(session, request_id, actor_user_id, action)
    why = ((reason or "").strip()[:MAX_REASON] or None) if approve else _reason(reason)
    row.status = REOPEN_WORKFLOW.next_status(row.status, action)
    row.decided_by_user_id, row.decided_at, row.decision_reason = actor_user_id, utcnow(), why
    month_id = f"{row.month:%Y-%m}"
    if approve:
        lock = session.get(LockedPeriod, row.month)
        if lock is None or lock.month != locked_months(session)[-1]:
            raise Conflict(f"{row.month:%B %Y} is no longer the latest locked month.", fields={"month": ["changed"]})
        session.delete(lock)
    session.flush()
    record_event(session, NewEvent(
        subject="period", subject_id=month_id, action=f"reopen_{action}", actor_user_id=actor_user_id,
        before="locked", after="open" if approve else "locked", reason=why,
        note=f"Reopen asked for because: {row.reason}"[:MAX_REASON],
        details={"reopen_request_id": row.id, "requested_by_user_id": row.requested_by_user_id}))
    return _record(row)


def reopen_requests(session: Session) -> list[ReopenRecord]:
    """Every reopen request, newest first."""
    return [_record(r) for r in session.execute(
        select(PeriodReopenRequest).order_by(PeriodReopenRequest.id.desc())).scalars()]
