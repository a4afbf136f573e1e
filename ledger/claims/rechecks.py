"""The benefit check re-run for the periods a correction after payment changed, kept and flagged for finance.

A reversed paid claim is recovered in one of three ways, and each changes what the participant received in
some benefit period (``ledger.claims.received``):

- a **repayment** takes the money back out of the period it was paid in;
- **netting** does the same, and the later payment it was taken off counts in full in *its* period (the
  participant earned all of it and used part to pay back): both periods are re-checked;
- a **write-off** leaves the money with them for good, so the period it was paid in is re-checked as final.

Each re-check is a stored row (``BenefitRecheck``) and an event on the claim. A warning or a breach sets
``needs_finance``: the participant is flagged until a later re-check of theirs comes out clean, because only
a person can tell them what to report to the benefits office.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.benefit_checks import BenefitCheck
from ledger.claims.benefit_check import check_participant_payment
from ledger.claims.models import BenefitRecheck, Claim
from ledger.events.records import NewEvent
from ledger.events.writer import record_event
from ledger.people.models import Participant
from policies.payments import Payment, PaymentKind
from policies.rulebook import Rulebook
from policies.settings import PolicySettings

#: Outcomes that mean a person must talk to the participant.
PROBLEMS = ("warn", "breach")
CAUSES = ("repayment", "netting", "write_off")


@dataclass(frozen=True, slots=True)
class Recheck:
    """One period re-checked after a recovery, as the check came out then."""

    id: int
    claim_id: int
    participant_id: int
    cause: str
    period_of: dt.date
    outcome: str
    needs_finance: bool
    benefit_check: dict
    recorded_by_user_id: int | None
    recorded_at: dt.datetime


@dataclass(frozen=True, slots=True)
class FlaggedParticipant:
    """A participant whose latest re-check shows a problem finance must follow up."""

    participant_id: int
    name: str
    claim_id: int
    outcome: str
    period_of: dt.date
    recorded_at: dt.datetime


def _record(row: BenefitRecheck) -> Recheck:
    return Recheck(id=row.id, claim_id=row.claim_id, participant_id=row.participant_id, cause=row.cause,
                   period_of=row.period_of, outcome=row.outcome, needs_finance=row.needs_finance,
                   benefit_check=row.benefit_check, recorded_by_user_id=row.recorded_by_user_id,
                   recorded_at=row.recorded_at)


def _check(session: Session, rulebook: Rulebook, policy: PolicySettings, participant_id: int,
           on: dt.date) -> BenefitCheck:
    """The check of the period containing ``on`` as the books stand now (nothing new proposed)."""
    proposed = Payment(received_on=on, amount_pence=0, kind=PaymentKind.FEE)
    decision = check_participant_payment(session, rulebook, policy, participant_id, proposed)
    if decision is None:
        return BenefitCheck.not_checked("no_benefits_declared")
    return BenefitCheck.from_decision(decision, policy)


def recheck_periods(session: Session, claim: Claim, *, cause: str, days: Iterable[dt.date], rulebook: Rulebook,
                    policy: PolicySettings, actor_user_id: int | None) -> list[Recheck]:
    """Re-run the benefit check for the period around each day, store each answer and record one event."""
    if cause not in CAUSES:
        raise ValueError(f"{cause!r} is not one of {', '.join(CAUSES)}")
    session.flush()  # the recovery just posted is part of what is counted
    now = dt.datetime.now(dt.UTC)
    rows = []
    for day in sorted(set(days)):
        check = _check(session, rulebook, policy, claim.participant_id, day)
        rows.append(BenefitRecheck(
            claim_id=claim.id, participant_id=claim.participant_id, cause=cause, period_of=day,
            outcome=check.outcome, needs_finance=check.outcome in PROBLEMS, benefit_check=check.to_json(),
            recorded_by_user_id=actor_user_id, recorded_at=now))
    session.add_all(rows)
    session.flush()
    flagged = [r for r in rows if r.needs_finance]
    said = ", ".join(f"{r.period_of:%d %B %Y}: {r.outcome.replace('_', ' ')}" for r in rows)
    record_event(session, NewEvent(
        subject="claim", subject_id=claim.id, action="benefit_rechecked", actor_user_id=actor_user_id,
        before=claim.status, after=claim.status, participant_id=claim.participant_id, claim_id=claim.id,
        note=(f"Benefit check re-run after the {cause.replace('_', '-')} for the periods around {said}."
              + (" Finance must talk to the participant." if flagged else "")),
        details={"cause": cause, "needs_finance": bool(flagged),
                 "periods": [{"period_of": r.period_of.isoformat(), "outcome": r.outcome} for r in rows]}))
    return [_record(r) for r in rows]


def rechecks_for(session: Session, claim_id: int) -> list[Recheck]:
    """Every re-check a recovery of this claim caused, oldest first."""
    rows = session.execute(select(BenefitRecheck).where(BenefitRecheck.claim_id == claim_id)
                           .order_by(BenefitRecheck.id)).scalars()
    return [_record(r) for r in rows]


def flagged_participants(session: Session) -> list[FlaggedParticipant]:
    """Participants whose latest re-check shows a warning or a breach, most recent first."""
    latest = (select(BenefitRecheck.participant_id, func.max(BenefitRecheck.id).label("id"))
              .group_by(BenefitRecheck.participant_id).subquery())
    rows = session.execute(
        select(BenefitRecheck, Participant.name).join(latest, latest.c.id == BenefitRecheck.id)
        .join(Participant, Participant.id == BenefitRecheck.participant_id)
        .where(BenefitRecheck.needs_finance.is_(True)).order_by(BenefitRecheck.id.desc())).all()
    return [FlaggedParticipant(participant_id=r.participant_id, name=name, claim_id=r.claim_id, outcome=r.outcome,
                               period_of=r.period_of, recorded_at=r.recorded_at) for r, name in rows]
