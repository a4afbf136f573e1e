"""Advances asked for and approved like a claim before any money moves, and the overdue ones finance chases.

An advance is requested by a participant for themself or by staff for them (amount, purpose, project, and
the day by which the receipts are due, after today). Finance approves it: never the person who asked for
it or the person it pays, and above the second-approval amount two different finance officers (the status
moves on at the second). Or finance rejects it with a reason. An approved advance is then paid by bank
transfer in the next payment run (``ledger.payments.run_advances``), or marked paid by another method
(cheque, cash, card or a transfer made outside the ledger) with its reference and date, which posts the
``advance_paid`` entry (advance account debited, bank credited), once, by its idempotency key.
``ledger.claims.services.pay_advance`` still pays one at once for finance (that advance starts paid).
While a draft run holds an approved advance it can be neither marked paid another way nor rejected: the run
would pay it too. A request may carry the caller's key: the same person asking again with the same key
(a page form sent twice, a retried call) gets the advance the first request made, not a second one.

An advance is overdue when it is paid, its settlement date has passed and no expense claim has brought its
receipts in yet.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ledger.books.kinds import PostingKind
from ledger.books.posting import post_entry
from ledger.books.records import PostingLine
from ledger.claims.advance_events import move_advance, record_advance_event
from ledger.claims.advance_workflow import ADVANCE, OUTSTANDING
from ledger.claims.inputs import MAX_LINE_PENCE, find_activity, find_participant, pence_from, project_for, reason_given
from ledger.claims.models import ADVANCE_PAID_BY, ADVANCE_STATUSES, Advance, AdvanceApproval
from ledger.claims.records import AdvanceRecord
from ledger.claims.services import advance_record
from ledger.db import utcnow
from ledger.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ledger.organisation import BANK, open_organisation_accounts
from ledger.people.accounts import participant_accounts

MAX_PURPOSE = 500
MAX_REFERENCE = 100
MAX_REQUEST_KEY = 200



def _gbp(pence: int) -> str:
    return f"£{Decimal(pence) / 100:.2f}"


def _purpose(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise ValidationError("Say what the advance is for (the trip or event it pays for).",
                              fields={"purpose": ["Required."]})
    if len(text) > MAX_PURPOSE:
        raise ValidationError(f"The purpose is too long: at most {MAX_PURPOSE} characters.",
                              fields={"purpose": [f"At most {MAX_PURPOSE} characters."]})
    return text


def _settle_by(value: Any, today: dt.date) -> dt.date:
    if not isinstance(value, dt.date):
        raise ValidationError("Give the settlement date, by which the receipts are due (YYYY-MM-DD).",
                              fields={"settle_by": ["Required: a date after today."]})
    if value <= today:
        raise ValidationError(f"The settlement date must be after today ({today:%d %B %Y}): it is when the "
                              "receipts are due.", fields={"settle_by": ["Must be after today."]})
    return value


def request_advance(
    session: Session, *, participant_id: int, project_code: str | None, amount: Any, purpose: Any, settle_by: Any,
    today: dt.date, actor_user_id: int, activity_id: int | None = None, request_key: str | None = None,
) -> AdvanceRecord:
    """Ask for an advance (for oneself, or for a participant); nothing is paid until finance approves it.

    With ``request_key``, asking again with the same key answers with the advance already asked for.
    """
    key = _request_key(request_key)
    earlier = _asked_before(session, actor_user_id, key)
    if earlier is not None:
        return advance_record(session, earlier, today)
    amount_pence = pence_from(amount, "amount", maximum=MAX_LINE_PENCE)
    text, due = _purpose(purpose), _settle_by(settle_by, today)
    find_participant(session, participant_id)
    activity = find_activity(session, activity_id) if activity_id is not None else None
    project = project_for(session, project_code, activity)
    advance = Advance(participant_id=participant_id, project_id=project.id, activity_id=activity_id,
                      amount_pence=amount_pence, status="requested", purpose=text, settle_by=due,
                      requested_by_user_id=actor_user_id, created_by_user_id=actor_user_id, request_key=key)
    try:
        with session.begin_nested():  # the same form sent twice at the same moment: the second waits, then finds it
            session.add(advance)
            session.flush()
    except IntegrityError:
        earlier = _asked_before(session, actor_user_id, key)
        if earlier is None:
            raise
        return advance_record(session, earlier, today)
    record_advance_event(session, advance, "request", None, actor_user_id,
                   note=f"{_gbp(amount_pence)} asked for in advance for project {project.code}: {text}; "
                        f"receipts due by {due:%d %B %Y}")
    return advance_record(session, advance, today)


def _request_key(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_REQUEST_KEY or not value.isprintable():
        raise ValidationError(f"The request key must be text of at most {MAX_REQUEST_KEY} characters.",
                              fields={"request_key": [f"At most {MAX_REQUEST_KEY} printable characters."]})
    return value


def _asked_before(session: Session, actor_user_id: int, key: str | None) -> Advance | None:
    if key is None:
        return None
    return session.execute(select(Advance).where(Advance.requested_by_user_id == actor_user_id,
                                                 Advance.request_key == key)).scalar_one_or_none()


def _refuse_in_run(advance: Advance, doing: str) -> None:
    """An advance a draft run is paying cannot be paid, or turned down, any other way meanwhile."""
    if advance.payment_run_id is not None and advance.status == "approved":
        raise Conflict(f"Advance {advance.id} is in draft payment run {advance.payment_run_id}, which will pay it: "
                       f"it cannot be {doing}. Take the participant out of the run (or cancel the run) first.",
                       fields={"payment_run_id": [str(advance.payment_run_id)]})


def _load(session: Session, advance_id: int) -> Advance:
    advance = session.execute(
        select(Advance).where(Advance.id == advance_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if advance is None:
        raise NotFound(f"There is no advance {advance_id}.")
    return advance


def _approvals(session: Session, advance: Advance) -> list[int]:
    return list(session.execute(select(AdvanceApproval.user_id).where(AdvanceApproval.advance_id == advance.id)
                                .order_by(AdvanceApproval.id)).scalars())


def approvals_needed(advance: Advance, second_approval_above_pence: int) -> int:
    """Two different approvers above the organisation's second-approval amount, as for claims."""
    return 2 if advance.amount_pence > second_approval_above_pence else 1


def _check_approver(session: Session, advance: Advance, actor_user_id: int, actor_participant_id: int | None) -> None:
    """Nobody approves an advance they asked for or that pays them, or approves it twice."""
    ADVANCE.next_status(advance.status, "approve")  # refuse early if the table does not allow it
    if actor_user_id in (advance.requested_by_user_id, advance.created_by_user_id):
        raise PermissionDenied("You asked for this advance, so someone else must approve it.")
    if actor_participant_id is not None and actor_participant_id == advance.participant_id:
        raise PermissionDenied("This advance pays you, so someone else must approve it.")
    if actor_user_id in _approvals(session, advance):
        raise Conflict("You have already approved this advance; it needs a different second approver.")


def approve_advance(
    session: Session, advance_id: int, *, actor_user_id: int, actor_participant_id: int | None,
    second_approval_above_pence: int, today: dt.date,
) -> tuple[AdvanceRecord, int]:
    """Approve a requested advance; above the threshold the first approval is recorded and it waits for a second.

    Returns the advance and how many approvals it needs in all.
    """
    advance = _load(session, advance_id)
    _check_approver(session, advance, actor_user_id, actor_participant_id)
    session.add(AdvanceApproval(advance_id=advance.id, user_id=actor_user_id, approved_at=utcnow()))
    session.flush()
    needed = approvals_needed(advance, second_approval_above_pence)
    if len(_approvals(session, advance)) < needed:
        record_advance_event(session, advance, "approve", advance.status, actor_user_id,
                       note=f"First of two approvals (advances over {_gbp(second_approval_above_pence)} need two)")
    else:
        advance.decided_at = utcnow()
        move_advance(session, advance, "approve", actor_user_id,
                            note=f"{_gbp(advance.amount_pence)} approved, to be paid")
    session.flush()
    return advance_record(session, advance, today), needed


def reject_advance(session: Session, advance_id: int, *, reason: Any, actor_user_id: int,
                   today: dt.date) -> AdvanceRecord:
    """Turn down a requested (or approved, unpaid) advance, saying why; nothing was paid, so nothing is posted."""
    text = reason_given(reason, "Say why the advance is rejected (at least 3 characters), so the person can act on it.")
    advance = _load(session, advance_id)
    _refuse_in_run(advance, "rejected")
    advance.rejection_reason = text
    advance.decided_at = utcnow()
    move_advance(session, advance, "reject", actor_user_id, reason=text)
    session.flush()
    return advance_record(session, advance, today)


def _paid_by(paid_by: Any, reference: Any) -> tuple[str, str]:
    if paid_by not in ADVANCE_PAID_BY:
        raise ValidationError(f"Say how the advance was paid: one of {', '.join(ADVANCE_PAID_BY)}.",
                              fields={"paid_by": [f"One of {', '.join(ADVANCE_PAID_BY)}."]})
    text = reference.strip() if isinstance(reference, str) else ""
    if not text or len(text) > MAX_REFERENCE:
        raise ValidationError("Give the payment's reference (the cheque, receipt or card transaction number), "
                              f"at most {MAX_REFERENCE} characters.", fields={"reference": ["Required."]})
    return paid_by, text


def mark_advance_paid(
    session: Session, advance_id: int, *, paid_by: Any, reference: Any, paid_on: Any, actor_user_id: int,
    today: dt.date,
) -> AdvanceRecord:
    """Record that an approved advance was paid by another method, and post ``advance_paid`` for it."""
    how, text = _paid_by(paid_by, reference)
    if not isinstance(paid_on, dt.date) or paid_on > today:
        raise ValidationError("Give the day the advance was paid: today or earlier (YYYY-MM-DD).",
                              fields={"paid_on": ["Required: today or earlier."]})
    advance = _load(session, advance_id)
    _refuse_in_run(advance, "marked paid by another method")
    ADVANCE.next_status(advance.status, "pay")
    open_organisation_accounts(session)
    entry = post_entry(
        session, effective_date=paid_on,
        description=f"Expenses paid in advance by {how} ({text}), advance {advance.id}",
        postings=[PostingLine(participant_accounts(advance.participant_id).advance, advance.amount_pence, "GBP",
                              kind=PostingKind.ADVANCE),
                  PostingLine(BANK, -advance.amount_pence, "GBP")],
        idempotency_key=f"advance:{advance.id}:paid", actor_user_id=actor_user_id, kind="advance_paid",
    )
    advance.paid_on, advance.paid_entry_id = paid_on, entry.id
    advance.paid_by, advance.paid_reference = how, text
    move_advance(session, advance, "pay", actor_user_id, entry_id=entry.id,
                        note=f"{_gbp(advance.amount_pence)} paid by {how}, reference {text}")
    session.flush()
    return advance_record(session, advance, today)


def get_advance(session: Session, advance_id: int, *, today: dt.date) -> AdvanceRecord:
    advance = session.get(Advance, advance_id)
    if advance is None:
        raise NotFound(f"There is no advance {advance_id}.")
    return advance_record(session, advance, today)


def list_advances(
    session: Session, *, today: dt.date, status: str | None = None, overdue: bool = False,
    participant_id: int | None = None,
) -> list[AdvanceRecord]:
    """Advances newest first; ``overdue`` keeps those paid, past their settlement date, with receipts still out."""
    if status is not None and status not in ADVANCE_STATUSES:
        raise ValidationError(f"status must be one of {', '.join(ADVANCE_STATUSES)}.",
                              fields={"status": [f"One of {', '.join(ADVANCE_STATUSES)}."]})
    query = select(Advance).order_by(Advance.id.desc())
    if status is not None:
        query = query.where(Advance.status == status)
    if participant_id is not None:
        query = query.where(Advance.participant_id == participant_id)
    if overdue:
        query = query.where(Advance.status.in_(OUTSTANDING), Advance.settle_by < today,
                            Advance.settlement_claim_id.is_(None)).order_by(None).order_by(Advance.settle_by,
                                                                                            Advance.id)
    return [advance_record(session, advance, today) for advance in session.execute(query).scalars()]
