"""Corrections after payment: a paid claim reversed, and how what the participant owes back is recovered.

A paid claim paid in error is **reversed** (the claims' ``reverse`` transition, paid → rejected, with a reason):
its accrual is reversed (key ``claim:<id>:reversal``), so the participant's owed account, which the payment
emptied, now has a debit balance: what they owe back. Nothing is taken from them without a record of how:

- **netting** — the participant agreed (who, when, and how it was recorded: in writing, by email, by phone, in
  person) that what they owe is taken off later payments. The next payment run then pays their later claims
  less what is owed back (the owed account nets them; ``ledger.payments.runs``). Without an agreement, a
  payee who owes money back is left out of runs (reason ``owes_back``) until it is recovered another way;
- **repayment** — money into the bank (amount, day, the bank's reference): Dr ``bank:main``, Cr what they are
  owed, kind ``claim_repaid``, key ``claim:<id>:repayment:<n>``. Money that came back is no longer received,
  so the benefit check is re-run for the period of the original payment and recorded on the event;
- **write-off** — a reason, asked for by one finance user and approved by a different one; approving posts
  Dr the project's cost account, Cr what they are owed, kind ``claim_written_off``, key
  ``claim:<id>:write-off``. The participant keeps the money, so it stays received.

What is still owed back on a claim is its amount less what repayments and approved write-offs recovered, and
never more than the owed account's debit balance (netting in a run reduces that balance). Every change is an
event on the claim.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.benefit_checks import BenefitCheck
from ledger.books.posting import load_entry, post_entry, reverse_entry
from ledger.books.records import PostingLine
from ledger.claims import workflow
from ledger.claims.benefit_check import check_participant_payment
from ledger.claims.models import Claim, ClaimRecovery
from ledger.claims.services import ClaimRules
from ledger.db import utcnow
from ledger.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ledger.events.records import NewEvent
from ledger.events.writer import record_event
from ledger.organisation import BANK, open_organisation_accounts
from ledger.people.accounts import participant_accounts
from policies.payments import Payment, PaymentKind

AGREED_HOW = ("in_writing", "email", "phone", "in_person")
MAX_TEXT = 500
MAX_REFERENCE = 100


@dataclass(frozen=True, slots=True)
class RecoveryRecord:
    id: int
    how: str
    amount_pence: int | None
    on_date: dt.date
    reference: str | None
    agreed_how: str | None
    note: str | None
    entry_id: int | None
    recorded_by_user_id: int | None
    recorded_at: dt.datetime
    approved_by_user_id: int | None
    approved_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class OwedBack:
    """A reversed paid claim: what the participant owes back, and how it is being recovered."""

    claim_id: int
    participant_id: int
    status: str
    reversed_pence: int
    owed_back_pence: int  # still to recover
    netting_agreed: bool
    write_off_waiting: bool
    recoveries: tuple[RecoveryRecord, ...]



def _text(value: Any, field: str, *, most: int = MAX_TEXT, least: int = 1) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if len(text) < least or len(text) > most or not text.isprintable():
        raise ValidationError(f"Please correct the {field.replace('_', ' ')}.",
                              fields={field: [f"Required: {least} to {most} printable characters."]})
    return text


def _day(value: Any, field: str, today: dt.date, *, not_before: dt.date | None = None) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise ValidationError(f"The {field.replace('_', ' ')} must be a date.", fields={field: ["A date."]})
    if value > today:
        raise ValidationError(f"The {field.replace('_', ' ')} cannot be in the future.",
                              fields={field: [f"On or before {today:%d %B %Y}."]})
    if not_before is not None and value < not_before:
        raise ValidationError(f"The {field.replace('_', ' ')} cannot be before {not_before:%d %B %Y}.",
                              fields={field: [f"On or after {not_before:%d %B %Y}."]})
    return value


def _claim(session: Session, claim_id: int) -> Claim:
    query = select(Claim).where(Claim.id == claim_id).with_for_update().execution_options(populate_existing=True)
    claim = session.execute(query).scalar_one_or_none()
    if claim is None:
        raise NotFound(f"There is no claim {claim_id}.")
    return claim


def _event(session: Session, claim: Claim, action: str, before: str, actor: int | None, *, note: str,
           reason: str | None = None, entry_id: int | None = None, details: dict | None = None) -> None:
    record_event(session, NewEvent(
        subject="claim", subject_id=claim.id, action=action, actor_user_id=actor, before=before, after=claim.status,
        reason=reason, note=note, details=details, participant_id=claim.participant_id, claim_id=claim.id,
        entry_id=entry_id))


# ---------------------------------------------------------------- reversing a paid claim


def reverse_paid_claim(session: Session, claim_id: int, *, reason: Any, actor_user_id: int | None,
                       today: dt.date) -> OwedBack:
    """Reverse a paid claim (paid in error): its accrual is reversed, so the participant owes it back."""
    claim = _claim(session, claim_id)
    why = _text(reason, "reason", least=3)
    if claim.status != "paid" or claim.reversal_entry_id is not None:
        status = workflow.CLAIM.describe.get(claim.status, claim.status)
        raise Conflict(f"Claim {claim_id} is {status}: only a paid claim can be reversed after payment.",
                       fields={"status": [claim.status]})
    if claim.choice == "redirect" or claim.accrual_entry_id is None:
        raise Conflict(f"Claim {claim_id} was not paid to the participant (a fee given to a group, or nothing "
                       "accrued): correct it in the books with the group instead.")
    original = load_entry(session, claim.accrual_entry_id)
    reversal = reverse_entry(session, original.id, effective_date=max(today, original.effective_date),
                             description=f"Paid claim reversed: {claim.description}"[:500],
                             actor_user_id=actor_user_id, idempotency_key=f"claim:{claim.id}:reversal")
    before = claim.status
    claim.status = workflow.next_status(before, "reverse")
    claim.reversal_entry_id = reversal.id
    claim.reason = why
    _event(session, claim, "reverse", before, actor_user_id, reason=why, entry_id=reversal.id,
           note=f"Reversed after payment: the participant owes {_gbp(claim.amount_pence)} back.",
           details={"owed_back_pence": claim.amount_pence})
    session.flush()
    return owed_back(session, claim.id)


# ---------------------------------------------------------------- reading


def _recoveries(session: Session, claim_id: int) -> list[ClaimRecovery]:
    return list(session.execute(select(ClaimRecovery).where(ClaimRecovery.claim_id == claim_id)
                                .order_by(ClaimRecovery.id)).scalars())


def _recovery_record(row: ClaimRecovery) -> RecoveryRecord:
    return RecoveryRecord(
        id=row.id, how=row.how, amount_pence=row.amount_pence, on_date=row.on_date, reference=row.reference,
        agreed_how=row.agreed_how, note=row.note, entry_id=row.entry_id, recorded_by_user_id=row.recorded_by_user_id,
        recorded_at=row.recorded_at, approved_by_user_id=row.approved_by_user_id, approved_at=row.approved_at)


def _recovered(rows: list[ClaimRecovery]) -> int:
    """Repaid, netted off a payment, or written off (once approved): a netting agreement itself has no amount."""
    return sum(r.amount_pence or 0 for r in rows if r.how in ("repayment", "netting")
               or (r.how == "write_off" and r.approved_at is not None))


def owed_back(session: Session, claim_id: int) -> OwedBack:
    """What is still owed back on a reversed paid claim, and every recovery recorded against it."""
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFound(f"There is no claim {claim_id}.")
    rows = _recoveries(session, claim_id)
    reversed_pence = claim.amount_pence if _reversed_after_payment(session, claim) else 0
    still = max(0, reversed_pence - _recovered(rows))
    return OwedBack(
        claim_id=claim.id, participant_id=claim.participant_id, status=claim.status, reversed_pence=reversed_pence,
        owed_back_pence=still, netting_agreed=any(r.how == "netting" and r.amount_pence is None for r in rows),
        write_off_waiting=any(r.how == "write_off" and r.approved_at is None for r in rows),
        recoveries=tuple(_recovery_record(r) for r in rows))


def _reversed_after_payment(session: Session, claim: Claim) -> bool:
    """Paid, then reversed: a reversal keeps the day it was paid (a claim rejected before payment has none)."""
    return claim.status == "rejected" and claim.paid_on is not None and claim.reversal_entry_id is not None


def _owing(session: Session, claim_id: int) -> tuple[Claim, OwedBack]:
    claim = _claim(session, claim_id)
    state = owed_back(session, claim_id)
    if state.reversed_pence == 0:
        raise Conflict(f"Claim {claim_id} has not been reversed after payment: nothing is owed back on it.",
                       fields={"status": [claim.status]})
    if state.owed_back_pence == 0:
        raise Conflict(f"Nothing more is owed back on claim {claim_id}.", fields={"amount": ["nothing owed"]})
    return claim, state


def _gbp(pence: int) -> str:
    return f"£{pence // 100:,}.{pence % 100:02d}"


# ---------------------------------------------------------------- recovering it


def agree_netting(session: Session, claim_id: int, *, agreed_on: Any, agreed_how: Any, note: Any,
                  actor_user_id: int | None, today: dt.date) -> OwedBack:
    """Record the participant's agreement that what they owe back is taken off later payments."""
    claim, state = _owing(session, claim_id)
    if state.netting_agreed:
        raise Conflict(f"Netting is already agreed for claim {claim_id}.", fields={"how": ["already agreed"]})
    if agreed_how not in AGREED_HOW:
        raise ValidationError("Say how the agreement was recorded.",
                              fields={"agreed_how": [f"One of {', '.join(AGREED_HOW)}."]})
    day = _day(agreed_on, "agreed_on", today)
    text = _text(note, "note", least=3)
    session.add(ClaimRecovery(claim_id=claim.id, participant_id=claim.participant_id, how="netting", on_date=day,
                              agreed_how=agreed_how, note=text, recorded_by_user_id=actor_user_id,
                              recorded_at=utcnow()))
    _event(session, claim, "netting_agreed", claim.status, actor_user_id, note=(
        f"The participant agreed on {day:%d %B %Y} ({agreed_how.replace('_', ' ')}) that "
        f"{_gbp(state.owed_back_pence)} is taken off later payments: {text}"),
        details={"agreed_how": agreed_how, "agreed_on": day.isoformat(), "owed_back_pence": state.owed_back_pence})
    session.flush()
    return owed_back(session, claim.id)


def _amount(value: Any, most: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValidationError("Give the amount in pounds and pence, more than £0.00.",
                              fields={"amount": ["More than £0.00."]})
    if value > most:
        raise ValidationError(f"Only {_gbp(most)} is owed back.", fields={"amount": [f"At most {_gbp(most)}."]})
    return value


def _owed_line(claim: Claim, pence: int) -> PostingLine:
    return PostingLine(participant_accounts(claim.participant_id).owed, -pence, "GBP",
                       kind="expense" if claim.kind == "expense" else "fee")


def _recheck(session: Session, claim: Claim, rules: ClaimRules, on: dt.date) -> dict:
    """The benefit check re-run for the period of the original payment, now that money came back."""
    proposed = Payment(received_on=on, amount_pence=0, kind=PaymentKind.FEE)
    decision = check_participant_payment(session, rules.rulebook, rules.policy, claim.participant_id, proposed)
    if decision is None:
        return BenefitCheck.not_checked("no_benefits_declared").to_json()
    return BenefitCheck.from_decision(decision, rules.policy).to_json()


def record_repayment(session: Session, claim_id: int, *, amount_pence: Any, received_on: Any, reference: Any,
                     actor_user_id: int | None, today: dt.date, rules: ClaimRules) -> OwedBack:
    """Record money the participant paid back into the bank against a reversed paid claim."""
    claim, state = _owing(session, claim_id)
    pence = _amount(amount_pence, state.owed_back_pence)
    day = _day(received_on, "received_on", today)
    ref = _text(reference, "reference", most=MAX_REFERENCE)
    count = sum(1 for r in state.recoveries if r.how == "repayment") + 1
    open_organisation_accounts(session)
    entry = post_entry(session, effective_date=day, kind="claim_repaid", actor_user_id=actor_user_id,
                       description=f"Repaid by the participant: claim {claim.id} ({ref})"[:500],
                       postings=[PostingLine(BANK, pence, "GBP"), _owed_line(claim, pence)],
                       idempotency_key=f"claim:{claim.id}:repayment:{count}")
    session.add(ClaimRecovery(claim_id=claim.id, participant_id=claim.participant_id, how="repayment",
                              amount_pence=pence, on_date=day, reference=ref, entry_id=entry.id,
                              recorded_by_user_id=actor_user_id, recorded_at=utcnow()))
    session.flush()
    check = _recheck(session, claim, rules, claim.paid_on or day)
    _event(session, claim, "repaid", claim.status, actor_user_id, entry_id=entry.id,
           note=f"{_gbp(pence)} repaid on {day:%d %B %Y} (reference {ref}); the benefit check was re-run.",
           details={"amount_pence": pence, "reference": ref, "benefit_check": check})
    return owed_back(session, claim.id)


def request_write_off(session: Session, claim_id: int, *, reason: Any, actor_user_id: int | None,
                      today: dt.date) -> OwedBack:
    """Ask for what is owed back to be written off; a different finance user must approve it."""
    claim, state = _owing(session, claim_id)
    if state.write_off_waiting:
        raise Conflict(f"A write-off of claim {claim_id} is already waiting for approval.",
                       fields={"how": ["waiting"]})
    why = _text(reason, "reason", least=3)
    session.add(ClaimRecovery(claim_id=claim.id, participant_id=claim.participant_id, how="write_off",
                              amount_pence=state.owed_back_pence, on_date=today, note=why,
                              recorded_by_user_id=actor_user_id, recorded_at=utcnow()))
    _event(session, claim, "write_off_requested", claim.status, actor_user_id, reason=why,
           note=f"Write-off of {_gbp(state.owed_back_pence)} asked for; a second finance user must approve it.",
           details={"amount_pence": state.owed_back_pence})
    session.flush()
    return owed_back(session, claim.id)


def approve_write_off(session: Session, claim_id: int, *, actor_user_id: int, today: dt.date) -> OwedBack:
    """A second finance user approves the write-off: the organisation bears the cost; the person keeps it."""
    claim, state = _owing(session, claim_id)
    row = session.execute(select(ClaimRecovery).where(
        ClaimRecovery.claim_id == claim.id, ClaimRecovery.how == "write_off", ClaimRecovery.approved_at.is_(None))
        .with_for_update()).scalar_one_or_none()
    if row is None:
        raise Conflict(f"No write-off of claim {claim_id} is waiting for approval.", fields={"how": ["none waiting"]})
    if row.recorded_by_user_id == actor_user_id:
        raise PermissionDenied("You asked for this write-off: a different finance user must approve it.")
    pence = min(row.amount_pence or 0, state.owed_back_pence)
    row.amount_pence = pence
    cost = next(p.account for p in load_entry(session, claim.accrual_entry_id or 0).postings
                if not p.account.startswith("owed:"))
    entry = post_entry(session, effective_date=today, kind="claim_written_off", actor_user_id=actor_user_id,
                       description=f"Written off: claim {claim.id} ({row.note})"[:500],
                       postings=[PostingLine(cost, pence, "GBP"), _owed_line(claim, pence)],
                       idempotency_key=f"claim:{claim.id}:write-off")
    row.entry_id, row.approved_by_user_id, row.approved_at = entry.id, actor_user_id, utcnow()
    _event(session, claim, "write_off_approved", claim.status, actor_user_id, entry_id=entry.id, reason=row.note,
           note=f"{_gbp(pence)} written off; asked for by user {row.recorded_by_user_id}.",
           details={"amount_pence": pence, "requested_by_user_id": row.recorded_by_user_id})
    session.flush()
    return owed_back(session, claim.id)


def netting_agreed_for(session: Session, participant_ids: list[int]) -> set[int]:
    """Which of these participants agreed that what they owe back is taken off later payments."""
    if not participant_ids:
        return set()
    return set(session.execute(select(ClaimRecovery.participant_id).where(
        ClaimRecovery.participant_id.in_(participant_ids), ClaimRecovery.how == "netting",
        ClaimRecovery.amount_pence.is_(None))).scalars())


def record_netting(session: Session, participant_id: int, pence: int, *, on: dt.date, reference: str,
                   actor_user_id: int | None) -> None:
    """What a payment run took off a payment, set against the participant's reversed claims, oldest first."""
    claims = session.execute(select(Claim).where(
        Claim.participant_id == participant_id, Claim.status == "rejected", Claim.paid_on.is_not(None),
        Claim.reversal_entry_id.is_not(None)).order_by(Claim.id)).scalars()
    left = pence
    for claim in claims:
        owing = max(0, claim.amount_pence - _recovered(_recoveries(session, claim.id)))
        taken = min(owing, left)
        if taken == 0:
            continue
        session.add(ClaimRecovery(claim_id=claim.id, participant_id=participant_id, how="netting",
                                  amount_pence=taken, on_date=on, reference=reference[:MAX_REFERENCE],
                                  recorded_by_user_id=actor_user_id, recorded_at=utcnow()))
        _event(session, claim, "netted", claim.status, actor_user_id,
               note=f"{_gbp(taken)} taken off the payment in {reference} on {on:%d %B %Y}, as agreed.",
               details={"amount_pence": taken, "reference": reference})
        left -= taken
        if left == 0:
            break
    session.flush()
