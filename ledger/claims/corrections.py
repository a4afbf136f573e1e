"""Corrections after payment: a paid claim reversed, and how what the participant owes back is recovered.

A paid claim paid in error is **reversed** (the claims' ``reverse`` transition, paid → rejected, with a reason):
its accrual is reversed (key ``claim:<id>:reversal``), so the participant's owed account, which the payment
emptied, now has a debit balance: what they owe back. Nothing is taken from them without a record of how:

- **netting** — the participant agreed (who, when, and how it was recorded: in writing, by email, by phone, in
  person) that what they owe is taken off later payments. The next payment run then pays their later claims
  less what is owed back (the owed account nets them; ``ledger.payments.runs``). Without an agreement, a
  payee who owes money back is left out of runs (reason ``owes_back``) until it is recovered another way.
  What was netted came back from the original payment, and the later payment counts in full as received
  (``ledger.claims.received``), so the benefit check is re-run for both periods;
- **repayment** — money into the bank (amount, day, the bank's reference): Dr ``bank:main``, Cr what they are
  owed, kind ``claim_repaid``, key ``claim:<id>:repayment:<n>``. Money that came back is no longer received,
  so the benefit check is re-run for the period of the original payment;
- **write-off** — a reason, asked for by one finance user and approved by a different one; approving posts
  Dr the project's cost account, Cr what they are owed, kind ``claim_written_off``, key
  ``claim:<id>:write-off``. The participant keeps the money, so it stays received for good: the benefit
  check is re-run for the period it was paid in.

Every re-check is stored and flagged for finance when it shows a problem (``ledger.claims.rechecks``).

**A fee given to a user-led group** (the whole fee, or the part of a fee taken in part that went to a group,
which is a claim of its own) is reversed the same way, but it is the *group* that owes it back: the reversal
posts Dr what the group is owed, Cr the project's fees, for that claim alone (the participant's own part of a
split fee shares the accrual entry and is untouched). The group recovers it by a **repayment** or it is
**written off** (a reason and a second finance user), as for a participant; until then the group waits out
of payment runs. **Netting is refused** for a group: the agreement to take money off later payments must be
the payee's own, recorded with how it was given, and taking it off the *participant's* pay would make them
repay money they never received; a group's later payments are not netted without a decision this system
does not record. No benefit check is re-run: a fee given to a group is not the participant's income.

What is still owed back on a claim is its amount less what repayments and approved write-offs recovered, and
never more than the owed account's debit balance (netting in a run reduces that balance). Every change is an
event on the claim.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ledger.books.posting import load_entry, post_entry, reverse_entry
from ledger.books.records import PostingLine
from ledger.claims import workflow
from ledger.claims.models import Claim, ClaimRecovery
from ledger.claims.rechecks import Recheck, recheck_periods, rechecks_for
from ledger.claims.services import ClaimRules
from ledger.db import utcnow
from ledger.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ledger.events.records import NewEvent
from ledger.events.writer import record_event
from ledger.organisation import BANK, open_organisation_accounts
from ledger.people.accounts import group_accounts, participant_accounts

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
    rechecks: tuple[Recheck, ...] = ()  # the benefit check re-run after each recovery
    group_id: int | None = None  # a fee given to this user-led group: the group owes it back



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
    if claim.accrual_entry_id is None:
        raise Conflict(f"Claim {claim_id} has nothing accrued in the books to reverse: correct it by hand.")
    original = load_entry(session, claim.accrual_entry_id)
    on = max(today, original.effective_date)
    if _given_to_group(claim):
        reversal = post_entry(session, effective_date=on, kind="claim_reversed", actor_user_id=actor_user_id,
                              description=f"Paid claim reversed (given to a group): {claim.description}"[:500],
                              postings=[PostingLine(group_accounts(claim.group_id or 0).owed, claim.amount_pence,
                                                    "GBP", kind="redirected"),
                                        PostingLine(_cost_account(session, claim), -claim.amount_pence, "GBP")],
                              idempotency_key=f"claim:{claim.id}:reversal")
    else:
        reversal = reverse_entry(session, original.id, effective_date=on,
                                 description=f"Paid claim reversed: {claim.description}"[:500],
                                 actor_user_id=actor_user_id, idempotency_key=f"claim:{claim.id}:reversal")
    before = claim.status
    claim.status = workflow.next_status(before, "reverse")
    claim.reversal_entry_id = reversal.id
    claim.reason = why
    _event(session, claim, "reverse", before, actor_user_id, reason=why, entry_id=reversal.id,
           note=f"Reversed after payment: {_who_owes(claim)} owes {_gbp(claim.amount_pence)} back.",
           details={"owed_back_pence": claim.amount_pence})
    session.flush()
    return owed_back(session, claim.id)


# ---------------------------------------------------------------- reading


def _given_to_group(claim: Claim) -> bool:
    """A fee (or the part of one) given to a user-led group at the participant's request: the group was paid."""
    return claim.choice == "redirect" and claim.group_id is not None


def _who_owes(claim: Claim) -> str:
    return "the group it was given to" if _given_to_group(claim) else "the participant"


def _cost_account(session: Session, claim: Claim) -> str:
    """The project's account the claim's accrual charged (its one posting that is not what someone is owed)."""
    return next(p.account for p in load_entry(session, claim.accrual_entry_id or 0).postings
                if not p.account.startswith("owed:"))


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
        recoveries=tuple(_recovery_record(r) for r in rows), rechecks=tuple(rechecks_for(session, claim_id)),
        group_id=claim.group_id if _given_to_group(claim) else None)


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
    if _given_to_group(claim):
        raise Conflict(f"Claim {claim_id} was given to a user-led group: the group repays it, or it is written "
                       "off. Nothing is taken off the participant's pay for money they did not receive.",
                       fields={"how": ["repayment or write_off"]})
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
    if _given_to_group(claim):
        return PostingLine(group_accounts(claim.group_id or 0).owed, -pence, "GBP", kind="redirected")
    return PostingLine(participant_accounts(claim.participant_id).owed, -pence, "GBP",
                       kind="expense" if claim.kind == "expense" else "fee")


def record_repayment(session: Session, claim_id: int, *, amount_pence: Any, received_on: Any, reference: Any,
                     actor_user_id: int | None, today: dt.date, rules: ClaimRules) -> OwedBack:
    """Record money paid back into the bank against a reversed paid claim (by the participant, or the group)."""
    claim, state = _owing(session, claim_id)
    pence = _amount(amount_pence, state.owed_back_pence)
    day = _day(received_on, "received_on", today)
    ref = _text(reference, "reference", most=MAX_REFERENCE)
    count = sum(1 for r in state.recoveries if r.how == "repayment") + 1
    open_organisation_accounts(session)
    entry = post_entry(session, effective_date=day, kind="claim_repaid", actor_user_id=actor_user_id,
                       description=f"Repaid by {_who_owes(claim)}: claim {claim.id} ({ref})"[:500],
                       postings=[PostingLine(BANK, pence, "GBP"), _owed_line(claim, pence)],
                       idempotency_key=f"claim:{claim.id}:repayment:{count}")
    session.add(ClaimRecovery(claim_id=claim.id, participant_id=claim.participant_id, how="repayment",
                              amount_pence=pence, on_date=day, reference=ref, entry_id=entry.id,
                              recorded_by_user_id=actor_user_id, recorded_at=utcnow()))
    session.flush()
    rechecked = [] if _given_to_group(claim) else recheck_periods(
        session, claim, cause="repayment", days=[claim.paid_on or day], rulebook=rules.rulebook, policy=rules.policy,
        actor_user_id=actor_user_id)
    _event(session, claim, "repaid", claim.status, actor_user_id, entry_id=entry.id,
           note=f"{_gbp(pence)} repaid on {day:%d %B %Y} (reference {ref})"
                + ("; the benefit check was re-run." if rechecked else " by the group it was given to."),
           details={"amount_pence": pence, "reference": ref,
                    "benefit_check": rechecked[0].benefit_check if rechecked else None})
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


def approve_write_off(session: Session, claim_id: int, *, actor_user_id: int, today: dt.date,
                      rules: ClaimRules | None = None) -> OwedBack:
    """A second finance user approves the write-off: the organisation bears the cost; the person keeps it.

    With ``rules`` the benefit check is re-run for the period the claim was paid in, since the money stays.
    """
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
    cost = _cost_account(session, claim)
    entry = post_entry(session, effective_date=today, kind="claim_written_off", actor_user_id=actor_user_id,
                       description=f"Written off: claim {claim.id} ({row.note})"[:500],
                       postings=[PostingLine(cost, pence, "GBP"), _owed_line(claim, pence)],
                       idempotency_key=f"claim:{claim.id}:write-off")
    row.entry_id, row.approved_by_user_id, row.approved_at = entry.id, actor_user_id, utcnow()
    _event(session, claim, "write_off_approved", claim.status, actor_user_id, entry_id=entry.id, reason=row.note,
           note=f"{_gbp(pence)} written off; asked for by user {row.recorded_by_user_id}.",
           details={"amount_pence": pence, "requested_by_user_id": row.recorded_by_user_id})
    if rules is not None and not _given_to_group(claim):
        recheck_periods(session, claim, cause="write_off", days=[claim.paid_on or today], rulebook=rules.rulebook,
                        policy=rules.policy, actor_user_id=actor_user_id)
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
                   actor_user_id: int | None, rules: ClaimRules | None = None) -> None:
    """What a payment run took off a payment, set against the participant's reversed claims, oldest first.

    With ``rules`` the benefit check is re-run for each claim netted: the period it was paid in (the money
    came back from it) and the period of this payment (which counts in full).
    """
    claims = session.execute(select(Claim).where(
        Claim.participant_id == participant_id, Claim.status == "rejected", Claim.paid_on.is_not(None),
        Claim.reversal_entry_id.is_not(None), or_(Claim.choice.is_(None), Claim.choice != "redirect"))
        .order_by(Claim.id)).scalars().all()
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
        if rules is not None:
            recheck_periods(session, claim, cause="netting", days=[claim.paid_on or on, on], rulebook=rules.rulebook,
                            policy=rules.policy, actor_user_id=actor_user_id)
        left -= taken
        if left == 0:
            break
    session.flush()
