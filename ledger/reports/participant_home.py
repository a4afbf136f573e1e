"""What a participant has to do, and when they will be paid: the read model of their home and claims pages.

A participant who finds forms hard should not have to work out from a list of claims what needs them. Their
home page shows the tasks only they can do (a fee waiting for their decision, bank details missing or
bounced, a claim sent back with the reason) and the next payment: its amount and the day it reaches their
account. That day comes from the payment run the money is in (drafted or confirmed: its payment date, the
Bacs entry day), or, before a run takes it, from ``earliest_payment_date(today)``, the first day a run
drafted today could pay, which is why the words say "at the earliest".

Plain queries in, frozen records out; nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.auth.models import User
from ledger.claims import workflow
from ledger.claims.records import ClaimRecord
from ledger.claims.services import list_claims
from ledger.formatting import long_date
from ledger.payments.calendar import earliest_payment_date
from ledger.payments.models import Payment, PaymentRun, PaymentRunItem
from ledger.people.records import ParticipantRecord
from ledger.people.services import get_participant

__all__ = ["ExpectedPayment", "NextPayment", "ParticipantHome", "expected_payments", "participant_home"]

MAX_CLAIMS = 200


@dataclass(frozen=True, slots=True)
class ExpectedPayment:
    """When a claim's money reaches the participant, in words, and the day where one is known."""

    words: str
    on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class NextPayment:
    amount_pence: int
    arrives_on: dt.date
    words: str  # "In the payment run being prepared", "On its way", "After approval, in the next run"
    certain: bool  # a run holds it (its date is set), or not yet ("at the earliest")


@dataclass(frozen=True, slots=True)
class ParticipantHome:
    participant: ParticipantRecord
    fees_to_decide: tuple[ClaimRecord, ...]
    bank_details_missing: bool
    bank_details_returned_on: dt.date | None
    returned_claims: tuple[ClaimRecord, ...]
    next_payment: NextPayment | None
    claims: tuple[ClaimRecord, ...]
    expected: Mapping[int, ExpectedPayment]

    @property
    def task_count(self) -> int:
        bank = 1 if self.bank_details_missing or self.bank_details_returned_on else 0
        return len(self.fees_to_decide) + len(self.returned_claims) + bank


def _pays_money(claim: ClaimRecord) -> bool:
    """A claim that puts money in the participant's own account (not credits, a group, or nothing)."""
    return not claim.paid_in_time_credits and not claim.redirected and claim.amount_pence > 0


def _runs_of(session: Session, claim_ids: Sequence[int]) -> dict[int, tuple[str, dt.date]]:
    """Claim id -> (run status, payment date) for claims in a run that is drafted or confirmed."""
    if not claim_ids:
        return {}
    rows = session.execute(
        select(PaymentRunItem.claim_id, PaymentRun.status, PaymentRun.payment_date)
        .join(PaymentRun, PaymentRun.id == PaymentRunItem.run_id)
        .where(PaymentRunItem.claim_id.in_(list(claim_ids)), PaymentRun.status.in_(("draft", "confirmed"))))
    return {claim_id: (status, day) for claim_id, status, day in rows}


def _expected(claim: ClaimRecord, run: tuple[str, dt.date] | None, earliest: dt.date,
              today: dt.date) -> ExpectedPayment:
    if claim.paid_in_time_credits:
        return ExpectedPayment("Time credits, not money")
    if claim.status == "paid" and claim.paid_on is not None:
        arrived = "Paid on" if claim.paid_on <= today else "Paid: in your account on"
        return ExpectedPayment(f"{arrived} {long_date(claim.paid_on)}", claim.paid_on)
    if not _pays_money(claim):
        return ExpectedPayment("Not paid to you")
    if claim.status in workflow.OWED:
        if run is not None:
            return ExpectedPayment(f"In the payment run arriving on {long_date(run[1])}", run[1])
        day = max(earliest, claim.payable_from or earliest)
        return ExpectedPayment(f"In the next payment run: {long_date(day)} at the earliest", day)
    if claim.status in workflow.WAITING_FOR_APPROVAL:
        return ExpectedPayment(f"After approval, in the next run on {long_date(earliest)} at the earliest", earliest)
    if claim.status == "returned":
        return ExpectedPayment("When you send it back with what we asked for")
    if claim.status in workflow.OPEN:
        return ExpectedPayment("When it is sent for approval")
    return ExpectedPayment("Not paid")


def expected_payments(session: Session, claims: Sequence[ClaimRecord], today: dt.date) -> dict[int, ExpectedPayment]:
    """When each claim's money is expected, from its run or the payment calendar."""
    runs = _runs_of(session, [c.id for c in claims if c.status in workflow.OWED])
    earliest = earliest_payment_date(today)
    return {c.id: _expected(c, runs.get(c.id), earliest, today) for c in claims}


def _run_payment(session: Session, participant_id: int, today: dt.date) -> NextPayment | None:
    """The participant's money in the earliest run drafted, or confirmed and not yet arrived."""
    drafted = session.execute(
        select(PaymentRun.payment_date, func.sum(PaymentRunItem.amount_pence))
        .join(PaymentRunItem, PaymentRunItem.run_id == PaymentRun.id)
        .where(PaymentRun.status == "draft", PaymentRunItem.payee_kind == "participant",
               PaymentRunItem.payee_id == participant_id)
        .group_by(PaymentRun.id, PaymentRun.payment_date).order_by(PaymentRun.payment_date).limit(1)).first()
    confirmed = session.execute(
        select(PaymentRun.payment_date, Payment.amount_pence).join(Payment, Payment.run_id == PaymentRun.id)
        .where(PaymentRun.status == "confirmed", PaymentRun.payment_date >= today,
               Payment.payee_kind == "participant", Payment.payee_id == participant_id)
        .order_by(PaymentRun.payment_date).limit(1)).first()
    if confirmed is not None and (drafted is None or confirmed[0] <= drafted[0]):
        return NextPayment(int(confirmed[1]), confirmed[0], "On its way: the bank has the payment", True)
    if drafted is not None:
        return NextPayment(int(drafted[1]), drafted[0], "In the payment run being prepared", True)
    return None


def _next_payment(session: Session, participant_id: int, claims: Sequence[ClaimRecord],
                  expected: Mapping[int, ExpectedPayment], today: dt.date) -> NextPayment | None:
    found = _run_payment(session, participant_id, today)
    if found is not None:
        return found
    for statuses, words in ((workflow.OWED, "Approved: in the next payment run"),
                            (workflow.WAITING_FOR_APPROVAL, "After approval, in the next payment run")):
        waiting = [c for c in claims if c.status in statuses and _pays_money(c) and expected[c.id].on]
        if waiting:
            first = min(expected[c.id].on or today for c in waiting)
            due = [c for c in waiting if expected[c.id].on == first]
            return NextPayment(sum(c.amount_pence for c in due), first, words, False)
    return None


def _decided_by_them(session: Session, participant_id: int) -> set[int]:
    """The participant's own sign-ins: a choice recorded by one of them is their decision."""
    return set(session.execute(select(User.id).where(User.participant_id == participant_id)).scalars())


def participant_home(session: Session, participant_id: int, today: dt.date) -> ParticipantHome:
    """The participant's tasks, their claims with when each is paid, and their next payment."""
    participant = get_participant(session, participant_id)
    claims = tuple(list_claims(session, participant_id=participant_id, limit=MAX_CLAIMS))
    expected = expected_payments(session, claims, today)
    own_users = _decided_by_them(session, participant_id)
    bank = participant.bank_details
    return ParticipantHome(
        participant=participant,
        fees_to_decide=tuple(c for c in claims if c.choice_open and c.choice_recorded_by_user_id not in own_users),
        bank_details_missing=bank is None,
        bank_details_returned_on=bank.returned_on if bank is not None else None,
        returned_claims=tuple(c for c in claims if c.status == "returned"),
        next_payment=_next_payment(session, participant_id, claims, expected, today),
        claims=claims,
        expected=expected,
    )
