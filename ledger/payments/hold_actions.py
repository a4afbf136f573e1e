"""Holding and releasing claims and payees, and what that does to draft payment runs.

Decisions (the issue leaves them open; an auditor's reading):

- **Holding a claim already in a draft run takes it out of that draft** (listed there as ``held``), rather
  than refusing: the person holding it has a reason not to pay it, and refusing would leave it to be paid
  by whoever confirms the run. A claim already paid cannot be held (it is corrected by reversal instead).
- **Holding a payee** takes every claim of theirs out of every draft run, and keeps their claims, including
  those approved later, out of runs until released.
- Locks are taken run first, then claim (the order confirming a run takes them), so a hold racing a
  confirmation waits for it or beats it, and a hold racing a draft is caught at the latest when the run is
  confirmed (``runs.confirm_payment_run`` refuses a run with held claims).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.claims import workflow as claim_workflow
from ledger.claims.models import Claim
from ledger.db import is_postgresql
from ledger.errors import Conflict, NotFound, ValidationError
from ledger.payments import holds, runs
from ledger.payments.holds import HoldRecord
from ledger.payments.models import PAYEE_KINDS, Hold, PaymentRun, PaymentRunItem
from ledger.people.models import Participant, UserLedGroup

__all__ = ["HOLDABLE", "hold_claim", "hold_payee", "release_by_id", "release_claim", "release_payee"]

#: A claim can be held while it can still be paid: open (not yet approved) or approved and unpaid.
HOLDABLE = (*claim_workflow.OPEN, *claim_workflow.OWED)

_items = PaymentRunItem.__table__


def _lock_claim(session: Session, claim_id: int) -> Claim:
    query = select(Claim).where(Claim.id == claim_id).execution_options(populate_existing=True)
    if is_postgresql(session):
        query = query.with_for_update(of=Claim)
    claim = session.execute(query).scalar_one_or_none()
    if claim is None:
        raise NotFound(f"There is no claim {claim_id}.")
    return claim


def _refuse_unholdable(claim: Claim) -> None:
    if claim.status not in HOLDABLE:
        raise Conflict(f"Claim {claim.id} is {claim_workflow.DESCRIBE.get(claim.status, claim.status)}: there is "
                       "nothing left to hold. A paid claim is corrected by a reversal.",
                       fields={"status": [claim.status]})


def _refuse_held_again(existing: Any, what: str) -> None:
    if existing is not None:
        raise Conflict(f"{what} is already on hold (hold {existing.id}, since {existing.held_at:%d %B %Y}: "
                       f"{existing.reason}).", fields={"hold": [str(existing.id)]})


def _out_of_draft(session: Session, run_id: int, claim_ids: list[int], actor: int | None, hold: HoldRecord) -> None:
    if not runs.take_held_claims_out(session, run_id, claim_ids, actor_user_id=actor, hold=hold):
        run = session.get(PaymentRun, run_id)
        reference = run.reference if run is not None else str(run_id)
        raise Conflict(f"Payment run {reference} was confirmed while the hold was being made: the claims in it "
                       "are paid, so nothing was held.", fields={"payment_run": [reference]})


def hold_claim(session: Session, claim_id: int, *, actor_user_id: int | None, reason: Any) -> HoldRecord:
    """Hold one claim with a reason; if it is in a draft run, take it out of that draft."""
    text = holds.check_text(reason, "reason", "why the claim is held")
    peek = session.get(Claim, claim_id)
    if peek is None:
        raise NotFound(f"There is no claim {claim_id}.")
    if peek.payment_run_id is not None:
        runs.lock_run(session, peek.payment_run_id)
    claim = _lock_claim(session, claim_id)
    _refuse_unholdable(claim)
    _refuse_held_again(holds.active_claim_hold(session, claim_id), f"Claim {claim_id}")
    hold = holds.create_hold(session, actor_user_id=actor_user_id, reason=text, claim_id=claim_id,
                             participant_id=claim.participant_id)
    record = holds.record_of(session, hold.id)
    if claim.payment_run_id is not None:
        _out_of_draft(session, claim.payment_run_id, [claim_id], actor_user_id, record)
    session.flush()
    return holds.record_of(session, hold.id)


def release_claim(session: Session, claim_id: int, *, actor_user_id: int | None, note: Any) -> HoldRecord:
    """Release the hold on a claim, with a note; it goes into the next draft (unless its payee is held)."""
    hold = holds.active_claim_hold(session, claim_id)
    if hold is None:
        if session.get(Claim, claim_id) is None:
            raise NotFound(f"There is no claim {claim_id}.")
        raise Conflict(f"Claim {claim_id} is not on hold.", fields={"claim_id": ["not held"]})
    claim = session.get(Claim, claim_id)
    return holds.release_hold(session, hold, actor_user_id=actor_user_id, note=note,
                              participant_id=claim.participant_id if claim is not None else None)


def _check_payee(session: Session, payee_kind: str, payee_id: int) -> None:
    if payee_kind not in PAYEE_KINDS:
        raise ValidationError(f"payee_kind must be one of {', '.join(PAYEE_KINDS)}.",
                              fields={"payee_kind": ["invalid"]})
    model = Participant if payee_kind == "participant" else UserLedGroup
    if session.get(model, payee_id) is None:
        raise NotFound(f"There is no {'participant' if payee_kind == 'participant' else 'group'} {payee_id}.",
                       fields={"payee_id": [f"No {payee_kind} has this id."]})


def hold_payee(session: Session, payee_kind: str, payee_id: int, *, actor_user_id: int | None,
               reason: Any) -> HoldRecord:
    """Hold every claim of a participant or group, taking them out of every draft run they are in."""
    text = holds.check_text(reason, "reason", "why the payee is held")
    _check_payee(session, payee_kind, payee_id)
    what = f"{'Participant' if payee_kind == 'participant' else 'Group'} {payee_id}"
    _refuse_held_again(holds.active_payee_hold(session, payee_kind, payee_id), what)
    drafts = sorted(set(session.execute(
        select(_items.c.run_id).join(PaymentRun.__table__, PaymentRun.__table__.c.id == _items.c.run_id)
        .where(_items.c.payee_kind == payee_kind, _items.c.payee_id == payee_id, PaymentRun.status == "draft")
    ).scalars()))
    hold = holds.create_hold(session, actor_user_id=actor_user_id, reason=text, payee_kind=payee_kind,
                             payee_id=payee_id, participant_id=payee_id if payee_kind == "participant" else None)
    record = holds.record_of(session, hold.id)
    for run_id in drafts:
        claim_ids = list(session.execute(select(_items.c.claim_id).where(
            _items.c.run_id == run_id, _items.c.payee_kind == payee_kind, _items.c.payee_id == payee_id)).scalars())
        _out_of_draft(session, run_id, claim_ids, actor_user_id, record)
    session.flush()
    return holds.record_of(session, hold.id)


def release_payee(session: Session, payee_kind: str, payee_id: int, *, actor_user_id: int | None,
                  note: Any) -> HoldRecord:
    """Release the hold on a payee, with a note; their claims go into the next draft."""
    _check_payee(session, payee_kind, payee_id)
    hold = holds.active_payee_hold(session, payee_kind, payee_id)
    if hold is None:
        raise Conflict(f"{payee_kind.capitalize()} {payee_id} is not on hold.", fields={"payee_id": ["not held"]})
    return holds.release_hold(session, hold, actor_user_id=actor_user_id, note=note,
                              participant_id=payee_id if payee_kind == "participant" else None)


def release_by_id(session: Session, hold_id: int, *, actor_user_id: int | None, note: Any) -> HoldRecord:
    """Release a hold named by its id (the holds page's button), whatever it holds."""
    hold = session.get(Hold, hold_id)
    if hold is None:
        raise NotFound(f"There is no hold {hold_id}.")
    participant = hold.payee_id if hold.payee_kind == "participant" else None
    if hold.claim_id is not None:
        claim = session.get(Claim, hold.claim_id)
        participant = claim.participant_id if claim is not None else None
    return holds.release_hold(session, hold, actor_user_id=actor_user_id, note=note, participant_id=participant)
