"""The batch benefit check of a payment run: does this run, received on its payment date, take anyone over a limit?

Per participant, the fees in the run are one proposed ``fee`` payment (expenses are not earnings; fees
redirected to a group are the group's). Approved claims waiting for a later run are left out of the count,
while those in another draft run are counted as received on this date: the cautious reading.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.benefit_checks import BenefitCheck
from ledger.claims import workflow
from ledger.claims.benefit_check import BenefitFacts, check_participant_payment, load_benefit_facts
from ledger.claims.models import Claim
from ledger.people.models import BenefitDeclaration
from policies.errors import PolicyError
from policies.payments import Payment, PaymentKind
from policies.rulebook import Rulebook
from policies.settings import PolicySettings

_CHUNK = 500
_claims = Claim.__table__


@dataclass(frozen=True, slots=True)
class RunFees:
    """One participant's fees in a run: what the check is asked about."""

    participant_id: int
    fee_pence: int
    fee_minutes: int


def _chunks(values: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def _with_declarations(session: Session, participant_ids: Iterable[int]) -> set[int]:
    """Participants who have made a benefits declaration: the only ones the benefit check can flag."""
    found: set[int] = set()
    for chunk in _chunks(sorted(set(participant_ids))):
        found.update(session.execute(
            select(BenefitDeclaration.participant_id).distinct().where(BenefitDeclaration.participant_id.in_(chunk))
        ).scalars())
    return found


def _waiting_claims(session: Session, participant_ids: Sequence[int]) -> dict[int, list[int]]:
    """Each participant's approved claims in no run: this run's, and those left for a later run."""
    found: dict[int, list[int]] = {pid: [] for pid in participant_ids}
    for chunk in _chunks(sorted(participant_ids)):
        for claim_id, participant_id in session.execute(
            select(_claims.c.id, _claims.c.participant_id).where(
                _claims.c.participant_id.in_(chunk), _claims.c.status.in_(workflow.OWED),
                _claims.c.payment_run_id.is_(None))
        ):
            found[participant_id].append(claim_id)
    return found


def check_run_fees(
    session: Session,
    fees: Mapping[int, RunFees],
    payment_date: dt.date,
    rulebook: Rulebook,
    settings: PolicySettings,
) -> dict[int, BenefitCheck]:
    """The benefit check of each participant with fees in the run who has declared benefits."""
    earning = {pid: f for pid, f in fees.items() if f.fee_pence > 0}
    declared = sorted(_with_declarations(session, earning))
    # The claims check_participant_payment would otherwise count as received on the payment date: this run's
    # (already in the proposed payment) and those waiting for a later run (paid, and checked, then).
    waiting = _waiting_claims(session, declared)
    checked: dict[int, BenefitCheck] = {}
    for chunk in _chunks(declared):
        # Declarations, receipts and decided claims read for a chunk of people at once, not per person.
        facts = load_benefit_facts(session, chunk, payment_date, payment_date)
        for participant_id in chunk:
            check = _check_one(session, rulebook, settings, participant_id, earning[participant_id], payment_date,
                               waiting[participant_id], facts)
            if check is not None:
                checked[participant_id] = check
    return checked


def _check_one(session: Session, rulebook: Rulebook, settings: PolicySettings, participant_id: int, payee: RunFees,
               payment_date: dt.date, waiting: Sequence[int], facts: BenefitFacts) -> BenefitCheck | None:
    hours = Decimal(payee.fee_minutes) / Decimal(60) if payee.fee_minutes else None
    proposed = Payment(received_on=payment_date, amount_pence=payee.fee_pence, kind=PaymentKind.FEE, hours=hours)
    try:
        decision = check_participant_payment(session, rulebook, settings, participant_id, proposed,
                                             exclude_claim_ids=waiting, facts=facts)
    except PolicyError as error:
        return BenefitCheck.not_checked("error", required_action=settings.on_warn, error=str(error))
    return None if decision is None else BenefitCheck.from_decision(decision, settings)
