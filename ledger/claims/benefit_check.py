"""The policy engine applied to a stored participant: their declared benefits and what they were paid.

A claim becomes a payment the participant receives (or does not) as the policy engine sees it:
fees they take are earnings; expenses, declined fees, fees redirected to a group and time credits are not.
Approved claims not yet paid count as received on the expected payment date, so that approving several
claims one by one cannot slip past a limit that their total crosses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.claims.models import Claim
from ledger.people.services import current_benefits
from policies.benefits import Decision, check_payment
from policies.calculator import benefit_from_json
from policies.payments import Payment, PaymentKind
from policies.rulebook import Rulebook
from policies.settings import PolicySettings

# How far back earlier payments matter: the longest benefit period is a month (UC assessment period).
LOOKBACK_DAYS = 62


def claim_payment_kind(claim: Claim) -> PaymentKind:
    if claim.kind == "expense":
        return PaymentKind.EXPENSE
    if claim.kind == "time_credit" or claim.choice == "time_credits":
        return PaymentKind.TIME_CREDITS
    if claim.choice == "decline":
        return PaymentKind.DECLINED
    if claim.choice == "redirect":
        return PaymentKind.REDIRECTED_TO_GROUP
    return PaymentKind.FEE


def claim_hours(claim: Claim) -> Decimal | None:
    return None if claim.worked_minutes is None else Decimal(claim.worked_minutes) / 60


def claim_as_payment(claim: Claim, received_on: dt.date) -> Payment:
    kind = claim_payment_kind(claim)
    amount = claim.offered_pence if kind in (PaymentKind.DECLINED, PaymentKind.TIME_CREDITS) else claim.amount_pence
    if claim.kind == "time_credit":
        amount = 0
    return Payment(received_on=received_on, amount_pence=amount, kind=kind, hours=claim_hours(claim))


def payments_around(
    session: Session, participant_id: int, on: dt.date, *, expected_payment_date: dt.date,
    exclude_claim_ids: Iterable[int] = (),
) -> list[Payment]:
    """What the participant received near ``on``: paid claims, and approved ones due on the next payment date."""
    excluded = set(exclude_claim_ids)
    rows = session.execute(
        select(Claim).where(
            Claim.participant_id == participant_id,
            Claim.status.in_(("paid", "approved")),
        )
    ).scalars()
    since = on - dt.timedelta(days=LOOKBACK_DAYS)
    payments = []
    for claim in rows:
        if claim.id in excluded:
            continue
        received = claim.paid_on if claim.status == "paid" else expected_payment_date
        if received is None or not since <= received <= on + dt.timedelta(days=LOOKBACK_DAYS):
            continue
        payments.append(claim_as_payment(claim, received))
    return payments


def check_participant_payment(
    session: Session,
    rulebook: Rulebook,
    settings: PolicySettings,
    participant_id: int,
    proposed: Payment,
    *,
    exclude_claim_ids: Sequence[int] = (),
    expected_payment_date: dt.date | None = None,
) -> Decision | None:
    """Would ``proposed`` affect the participant's benefits? None when they have declared none."""
    declaration = current_benefits(session, participant_id, as_of=proposed.received_on)
    if declaration is None:
        declaration = current_benefits(session, participant_id)
    if declaration is None or not declaration.benefits:
        return None
    benefits = [benefit_from_json(item) for item in declaration.benefits]
    already = payments_around(session, participant_id, proposed.received_on,
                              expected_payment_date=expected_payment_date or proposed.received_on,
                              exclude_claim_ids=exclude_claim_ids)
    return check_payment(rulebook, benefits, already, proposed, settings)
