"""The policy engine applied to a stored participant: their declared benefits and what they received.

What they received, and when, comes from the books (``ledger.claims.received``): every payment, whoever
posted it (a payment run or a manual journal entry), each with what it was. Fees they take are earnings;
expenses repaid, advances, declined fees, fees redirected to a group and time credits are not; what is left
of an advance they keep counts when it is written off. Approved claims not yet paid count as received on
the expected payment date, so that approving several claims one by one cannot slip past a limit that their
total crosses. ESA's 16-hour test counts hours in the week the work was done: fee claims say how long and
when.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.books.kinds import PostingKind
from ledger.claims import workflow
from ledger.claims.models import Claim
from ledger.claims.received import Received, received_by, received_by_each
from ledger.people.records import BenefitDeclarationRecord
from ledger.people.services import current_benefits, declaration_in_force, declarations_of
from ledger.projects.models import Activity
from policies.benefits import Decision, check_payment
from policies.calculator import benefit_from_json
from policies.payments import Payment, PaymentKind
from policies.rulebook import Rulebook
from policies.settings import PolicySettings

# How far back earlier payments matter: the longest benefit period is a month (UC assessment period).
LOOKBACK_DAYS = 62

#: What each kind of receipt is to the benefit rules (advances are not earnings and are left out).
RECEIVED_AS: dict[str, PaymentKind] = {
    PostingKind.FEE: PaymentKind.FEE,
    PostingKind.EXPENSE: PaymentKind.EXPENSE,
    PostingKind.FLAT_RATE_ALLOWANCE: PaymentKind.FLAT_RATE_ALLOWANCE,
    PostingKind.VOUCHER: PaymentKind.VOUCHER,
    # Money above what was spent that the person keeps is paid like a flat-rate allowance: earnings.
    PostingKind.ADVANCE_SURPLUS_KEPT: PaymentKind.FLAT_RATE_ALLOWANCE,
}


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


def claim_as_payment(claim: Claim, received_on: dt.date, worked_on: dt.date | None = None) -> Payment:
    kind = claim_payment_kind(claim)
    amount = claim.offered_pence if kind in (PaymentKind.DECLINED, PaymentKind.TIME_CREDITS) else claim.amount_pence
    if claim.kind == "time_credit":
        amount = 0
    return Payment(received_on=received_on, amount_pence=amount, kind=kind, hours=claim_hours(claim),
                   worked_on=worked_on)


def worked_on(session: Session, claim: Claim) -> dt.date | None:
    """The day the work a claim pays for was done: its activity's date (None for claims with no activity)."""
    if claim.activity_id is None:
        return None
    # From the session when the activity is loaded already (the claims queue loads them all at once).
    return session.get_one(Activity, claim.activity_id).occurs_on


def _net_of_returns(received: Sequence[Received]) -> list[Received]:
    """Money that came back (a returned payment) taken off the latest earlier receipt of the same kind."""
    kept: list[list] = []
    for r in received:
        if r.amount >= 0:
            kept.append([r, r.amount])
            continue
        back = -r.amount
        for item in reversed(kept):
            if back == 0:
                break
            if item[0].kind == r.kind and item[1] > 0:
                taken = min(back, item[1])
                item[1] -= taken
                back -= taken
    return [Received(on=r.on, kind=r.kind, amount=left, entry_id=r.entry_id, description=r.description)
            for r, left in kept if left > 0]


@dataclass(frozen=True, slots=True)
class BenefitFacts:
    """What the benefit checks of several claims read, loaded once for all their participants.

    The finance claims queue checks every claim waiting; reading each participant's declarations, receipts
    and decided claims per claim would cost statements in proportion to the rows. ``received`` covers the
    window ``start``..``end``, wide enough for every check made with these facts.
    """

    start: dt.date
    end: dt.date
    declarations: dict[int, list[BenefitDeclarationRecord]]
    received: dict[int, list[Received]]
    decided: dict[int, list[tuple[Claim, dt.date | None]]]


def load_benefit_facts(session: Session, participant_ids: Iterable[int], start: dt.date,
                       end: dt.date) -> BenefitFacts:
    """The facts for checking payments received from ``start`` to ``end``: three queries, however many people."""
    ids = sorted(set(participant_ids))
    since, until = start - dt.timedelta(days=LOOKBACK_DAYS), end + dt.timedelta(days=LOOKBACK_DAYS)
    decided: dict[int, list[tuple[Claim, dt.date | None]]] = {participant_id: [] for participant_id in ids}
    rows = session.execute(
        select(Claim, Activity.occurs_on)
        .outerjoin(Activity, Activity.id == Claim.activity_id)
        .where(Claim.participant_id.in_(ids), Claim.status.in_(workflow.DECIDED))
    ).all()
    for claim, worked in rows:
        decided[claim.participant_id].append((claim, worked))
    return BenefitFacts(start=since, end=until, declarations=declarations_of(session, ids),
                        received=received_by_each(session, ids, since, until), decided=decided)


def received_payments(session: Session, participant_id: int, start: dt.date, end: dt.date,
                      facts: BenefitFacts | None = None) -> list[Payment]:
    """What the books say the participant received between ``start`` and ``end``, as the policy engine sees it."""
    if facts is not None and facts.start <= start and end <= facts.end:
        received = [r for r in facts.received[participant_id] if start <= r.on <= end]
    else:
        received = received_by(session, participant_id, start, end)
    return [Payment(received_on=r.on, amount_pence=r.amount, kind=RECEIVED_AS[r.kind])
            for r in _net_of_returns(received) if r.kind in RECEIVED_AS]


def _decided_claims(session: Session, participant_id: int,
                    facts: BenefitFacts | None) -> Sequence[tuple[Claim, dt.date | None]]:
    """The participant's approved or paid claims, each with the day its work was done."""
    if facts is not None:
        return facts.decided[participant_id]
    return [(claim, worked) for claim, worked in session.execute(
        select(Claim, Activity.occurs_on)
        .outerjoin(Activity, Activity.id == Claim.activity_id)
        .where(Claim.participant_id == participant_id, Claim.status.in_(workflow.DECIDED))
    ).all()]


def payments_around(
    session: Session, participant_id: int, on: dt.date, *, expected_payment_date: dt.date,
    exclude_claim_ids: Iterable[int] = (), facts: BenefitFacts | None = None,
) -> list[Payment]:
    """What the participant received near ``on`` (from the books), and approved claims due on the next payment
    date; with the hours of the fee claims behind them, in the weeks the work was done."""
    excluded = set(exclude_claim_ids)
    since, until = on - dt.timedelta(days=LOOKBACK_DAYS), on + dt.timedelta(days=LOOKBACK_DAYS)
    payments = received_payments(session, participant_id, since, until, facts)
    for claim, worked in _decided_claims(session, participant_id, facts):
        if claim.id in excluded:
            continue
        received: dt.date | None = claim.paid_on
        if claim.status in workflow.OWED:
            received = expected_payment_date
            if claim.payable_from is not None:
                received = max(expected_payment_date, claim.payable_from)  # a part paid later is received then
        if received is None or not since <= received <= until:
            continue
        if claim.status in workflow.OWED:
            payments.append(claim_as_payment(claim, received, worked))
        elif claim.kind == "fee" and claim.worked_minutes and claim_payment_kind(claim) == PaymentKind.FEE:
            # Paid: the money is in the books already; the hours are the claim's.
            payments.append(Payment(received_on=received, amount_pence=0, kind=PaymentKind.FEE,
                                    hours=claim_hours(claim), worked_on=worked))
    return payments


def _declaration(session: Session, participant_id: int, on: dt.date,
                 facts: BenefitFacts | None) -> BenefitDeclarationRecord | None:
    """The declaration in force on ``on``, or else the latest."""
    if facts is not None:
        declarations = facts.declarations[participant_id]
        return declaration_in_force(declarations, on) or declaration_in_force(declarations)
    return current_benefits(session, participant_id, as_of=on) or current_benefits(session, participant_id)


def check_participant_payment(
    session: Session,
    rulebook: Rulebook,
    settings: PolicySettings,
    participant_id: int,
    proposed: Payment,
    *,
    exclude_claim_ids: Sequence[int] = (),
    expected_payment_date: dt.date | None = None,
    facts: BenefitFacts | None = None,
) -> Decision | None:
    """Would ``proposed`` affect the participant's benefits? None when they have declared none.

    With ``facts`` (``load_benefit_facts``, covering the day received), nothing more is read.
    """
    declaration = _declaration(session, participant_id, proposed.received_on, facts)
    if declaration is None or not declaration.benefits:
        return None
    benefits = [benefit_from_json(item) for item in declaration.benefits]
    already = payments_around(session, participant_id, proposed.received_on,
                              expected_payment_date=expected_payment_date or proposed.received_on,
                              exclude_claim_ids=exclude_claim_ids, facts=facts)
    return check_payment(rulebook, benefits, already, proposed, settings)
