"""Controls applied when a payment run is confirmed, as an internal auditor would ask for them.

- **A Bacs file past its submission date** cannot be confirmed as if it were on time: the bank would not
  have accepted a file for that payment date. Confirming then needs a new payment date, a Bacs banking day
  whose submission day is today or later (and within ``MAX_DAYS_AHEAD``): the date the bank will actually
  pay on. The run is moved to it, the payments are posted on it, and the change is recorded as an event.
- **The second-approval threshold applies to what one payee is paid in the run**, not to each claim, so
  that splitting a claim into parts under the threshold does not avoid it. When a payee's total is above
  the threshold and some of their claims in the run had only one approver, the run must be confirmed by a
  second finance user: someone who neither drafted the run nor approved any of those claims. Who that was
  is recorded in the confirmation event. A payee's approved advances in the run count with their claims,
  and an advance with one approver is treated as a claim with one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.claims.models import AdvanceApproval, ClaimApproval
from ledger.errors import Conflict, ValidationError
from ledger.formatting import long_date
from ledger.payments import calendar

__all__ = ["MAX_DAYS_AHEAD", "needs_second_approver", "refuse_same_eyes", "rescheduled_date"]

MAX_DAYS_AHEAD = 60

_approvals = ClaimApproval.__table__
_advance_approvals = AdvanceApproval.__table__


def _is_date(value: Any) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def rescheduled_date(payment_date: dt.date, today: dt.date, new_payment_date: Any) -> dt.date | None:
    """The new payment date to move the run to, or None when the run's own date can still be met.

    Refused with ``ValidationError`` naming ``new_payment_date`` when one is needed and missing or unusable, or
    given when it is not needed (the file made at drafting carries the run's date, and is still on time).
    """
    submit_by = calendar.bacs_input_day(payment_date)
    if submit_by >= today:
        if new_payment_date is not None:
            raise ValidationError(
                f"The Bacs file can still be submitted by {long_date(submit_by)} for payment on "
                f"{long_date(payment_date)}: leave the new payment date empty.",
                fields={"new_payment_date": ["Not needed: the run's payment date can still be met."]})
        return None
    if new_payment_date is None:
        raise ValidationError(
            f"The Bacs file for payment on {long_date(payment_date)} had to be submitted by {long_date(submit_by)}, "
            "which has passed. Give the new payment date: the day the bank will actually pay on.",
            fields={"new_payment_date": ["Required: the submission date has passed."]})
    problem = _new_date_problem(new_payment_date, today)
    if problem:
        raise ValidationError(f"The new payment date cannot be used: {problem}",
                              fields={"new_payment_date": [problem]})
    return new_payment_date


def _new_date_problem(day: Any, today: dt.date) -> str | None:
    if not _is_date(day):
        return "Must be a date."
    if not calendar.is_banking_day(day):
        return (f"{day:%A} {long_date(day)} is not a banking day in England and Wales; the next is "
                f"{long_date(calendar.next_payment_date(day))}.")
    if calendar.bacs_input_day(day) < today:
        return (f"Too soon: a Bacs file submitted today arrives on {long_date(calendar.earliest_payment_date(today))} "
                "at the earliest.")
    if day > today + dt.timedelta(days=MAX_DAYS_AHEAD):
        return f"Must be within {MAX_DAYS_AHEAD} days of today: is the year right?"
    return None


def needs_second_approver(session: Session, totals: Mapping[tuple[str, int], Mapping[str, Any]],
                          threshold_pence: int) -> dict[str, set[int]]:
    """Payees paid more than the threshold in the run, each with the approvers of their single-approved claims.

    A payee appears only if at least one of their claims in the run had fewer than two approvers.
    """
    over = {key: t for key, t in totals.items() if t["fee"] + t["expense"] + t.get("advance", 0) > threshold_pence}
    if not over:
        return {}
    claim_ids = sorted(c for t in over.values() for c in t["claims"])
    approvers: dict[int, set[int]] = {}
    for claim_id, user_id in session.execute(
        select(_approvals.c.claim_id, _approvals.c.user_id).where(_approvals.c.claim_id.in_(claim_ids))
    ):
        approvers.setdefault(claim_id, set()).add(user_id)
    advance_approvers = _advance_approvers(session, sorted(a for t in over.values() for a in t.get("advances", ())))
    found: dict[str, set[int]] = {}
    for (kind, payee_id), t in sorted(over.items()):
        single = [approvers.get(c, set()) for c in t["claims"] if len(approvers.get(c, ())) < 2]
        single += [advance_approvers.get(a, set()) for a in t.get("advances", ())
                   if len(advance_approvers.get(a, ())) < 2]
        if single:
            found[f"{kind}:{payee_id}"] = {u for users in single for u in users}
    return found


def _advance_approvers(session: Session, advance_ids: list[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = {}
    if advance_ids:
        for advance_id, user_id in session.execute(
            select(_advance_approvals.c.advance_id, _advance_approvals.c.user_id)
            .where(_advance_approvals.c.advance_id.in_(advance_ids))
        ):
            found.setdefault(advance_id, set()).add(user_id)
    return found


def refuse_same_eyes(needing: Mapping[str, set[int]], *, actor: int | None, drafted_by: int | None,
                     threshold_pence: int) -> None:
    """The confirmer must be a second pair of eyes for every payee over the threshold."""
    seen = [key for key, approvers in needing.items() if actor is None or actor == drafted_by or actor in approvers]
    if seen:
        listed = ", ".join(seen[:10])
        raise Conflict(
            f"{listed} would be paid more than £{threshold_pence // 100:,}.{threshold_pence % 100:02d} in this run, "
            "and their claims had one approver each. A second finance user, who neither drafted the run nor "
            "approved those claims, must confirm it.", fields={"second_approval": seen})

