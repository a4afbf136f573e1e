"""Erasure by pseudonymisation: a person's details go, the books and their history stay whole.

UK GDPR article 17 lets a person ask to be forgotten, but HMRC and the organisation's auditors need the
financial records kept (six years after the end of the tax year, by default: ``RETENTION_YEARS``). So the
person is not deleted: their record keeps its number, and their accounts, entries and events stay exactly
as posted, so every trial balance still sums to zero and ``ledger verify`` still passes. What identifies
them or is special-category data is removed:

- name becomes "Person 123"; preferred name, email, phone, address, date of birth, National Insurance
  number, access needs and bank details are emptied, and the record is made inactive;
- benefit declarations keep their dates but lose their benefits and circumstances; reports of a change
  lose their benefit, details and review note; benefit checks kept with claims, rechecks and payment runs
  are removed, as are receipts (the files), the masked history of bank details, and the addresses and
  contents of emails to them;
- their sign-in account, if any, is renamed, given an address that cannot receive mail and switched off;
- answers kept for replaying a request sent with an ``Idempotency-Key`` that are about them are emptied.

Refused (nothing changes) while money is owed either way (their owed or advance balance is not zero), while
a claim is still open or decided but unpaid, or before the retention period ends: the end of the tax year
of their last entry in the books plus ``RETENTION_YEARS``. ``erase_expired`` erases everyone it may.

Free text typed about them becomes ``[erased]``: in the mutable tables (their claims' descriptions and reasons,
expense lines, claim versions, recoveries, advances, holds, returned payments, time credit notes, manual entries
posted to their accounts) by overwriting it; in the append-only, chained records (events, journal entries,
postings) through ``ledger.privacy.redaction``, which keeps each text's sha256 so the chain still holds (its
docstring says which texts are theirs, and why the chain and ``ledger verify`` still pass).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ledger.auth.models import IdempotentRequest, User
from ledger.books.models import Account, AccountBalance, ManualEntry, Posting
from ledger.claims import workflow as claim_workflow
from ledger.claims.models import (
    Advance,
    BenefitRecheck,
    Claim,
    ClaimRecovery,
    ClaimVersion,
    ExpenseLine,
    Receipt,
)
from ledger.db import utcnow
from ledger.errors import Conflict, NotFound
from ledger.events.records import NewEvent
from ledger.events.writer import record_event_returning_id
from ledger.formatting import long_date
from ledger.outbox.models import OutboxMessage
from ledger.payments.models import Hold, PaymentReturn, PaymentRunBenefitCheck
from ledger.people.accounts import participant_accounts
from ledger.people.models import BankDetailChange, BenefitDeclaration, CircumstanceReport, Participant
from ledger.privacy.redaction import ERASED, Plan, apply_erasure, plan_erasure
from ledger.timebank.models import TimeCreditTransfer
from policies.tax import tax_year_of

ERASED_EMAIL_DOMAIN = "erased.invalid"  # RFC 2606: can never receive mail


@dataclass(frozen=True, slots=True)
class ErasureCheck:
    """Whether a person's details may be erased today, and every reason why not."""

    participant_id: int
    already_erased: bool
    last_entry_on: dt.date | None
    retained_until: dt.date | None  # the last day the records must be kept; None when nothing was posted
    reasons: tuple[str, ...]

    @property
    def allowed(self) -> bool:
        return not self.reasons


def retained_until(last_entry_on: dt.date, retention_years: int) -> dt.date:
    """The last day of the retention period: the end of the entry's tax year plus that many years."""
    end = tax_year_of(last_entry_on).end
    return dt.date(end.year + retention_years, end.month, end.day)


def check_erasure(session: Session, participant_id: int, *, today: dt.date, retention_years: int) -> ErasureCheck:
    """Say whether the person may be erased today, with every reason they may not."""
    person = session.get(Participant, participant_id)
    if person is None:
        raise NotFound(f"There is no participant {participant_id}.")
    accounts = participant_accounts(participant_id)
    reasons: list[str] = []
    if person.erased_at is not None:
        reasons.append("Their details were already erased.")
    balances = dict(session.execute(
        sa.select(Account.code, AccountBalance.balance).join(AccountBalance, AccountBalance.account_id == Account.id)
        .where(Account.code.in_([accounts.owed, accounts.advance]))).all())
    if balances.get(accounts.owed, 0):
        reasons.append("We still owe them money: pay or correct what is owed first.")
    if balances.get(accounts.advance, 0):
        reasons.append("An advance paid to them is not yet settled by receipts or repaid.")
    unfinished = session.execute(sa.select(sa.func.count()).select_from(Claim).where(
        Claim.participant_id == participant_id,
        Claim.status.in_((*claim_workflow.OPEN, *claim_workflow.OWED)))).scalar_one()
    if unfinished:
        reasons.append(f"{unfinished} of their claims are not finished (draft, submitted, returned or approved).")
    last = session.execute(
        sa.select(sa.func.max(Posting.effective_date)).join(Account, Account.id == Posting.account_id)
        .where(Account.code.in_([accounts.owed, accounts.advance, accounts.time_credits]))).scalar_one()
    until = retained_until(last, retention_years) if last is not None else None
    if until is not None and today <= until:
        reasons.append(f"Financial records are kept until the end of {long_date(until)} ({retention_years} years "
                       f"after the tax year of their last entry, on {long_date(last)}).")
    return ErasureCheck(participant_id=participant_id, already_erased=person.erased_at is not None,
                        last_entry_on=last, retained_until=until, reasons=tuple(reasons))


def erase_participant(session: Session, participant_id: int, *, actor_user_id: int | None, today: dt.date,
                      retention_years: int, now: dt.datetime | None = None) -> ErasureCheck:
    """Pseudonymise one person, or raise Conflict with every reason it is refused (nothing changed)."""
    check = check_erasure(session, participant_id, today=today, retention_years=retention_years)
    if not check.allowed:
        raise Conflict("Their details cannot be erased yet. " + " ".join(check.reasons),
                       fields={"participant_id": list(check.reasons)})
    accounts = participant_accounts(participant_id)
    claim_ids = sa.select(Claim.id).where(Claim.participant_id == participant_id)
    plan = plan_erasure(session, participant_id, claim_ids, [accounts.owed, accounts.advance, accounts.time_credits])
    _forget_saved_answers(session, participant_id)
    _pseudonymise(session, participant_id, now or utcnow())
    _erase_mutable_texts(session, participant_id, claim_ids, plan)
    event_id = record_event_returning_id(session, NewEvent(
        subject="participant", subject_id=participant_id, participant_id=participant_id,
        actor_user_id=actor_user_id, action="erase_personal_details",
        details={"retention_years": retention_years,
                 "last_entry_on": check.last_entry_on.isoformat() if check.last_entry_on else None,
                 "redactions": len(plan.erasures), "redactions_sha256": plan.commitment(),
                 "not_erasable": plan.not_erasable}), at=now)
    apply_erasure(session, plan, event_id)
    session.flush()
    return check


def erase_expired(session: Session, *, actor_user_id: int | None, today: dt.date, retention_years: int,
                  now: dt.datetime | None = None) -> list[int]:
    """Erase everyone not yet erased whom the rules allow; return their numbers."""
    ids = session.execute(sa.select(Participant.id).where(Participant.erased_at.is_(None))
                          .order_by(Participant.id)).scalars().all()
    erased = []
    for participant_id in ids:
        if check_erasure(session, participant_id, today=today, retention_years=retention_years).allowed:
            erase_participant(session, participant_id, actor_user_id=actor_user_id, today=today,
                              retention_years=retention_years, now=now)
            erased.append(participant_id)
    return erased


#: What a replay of an answer kept for an ``Idempotency-Key`` gets once the person it was about is erased.
ERASED_ANSWER = json.dumps({"message": "This answer held a person's details, which have been erased.",
                            "fields": {}})


def _forget_saved_answers(session: Session, participant_id: int) -> None:
    """Empty the answers kept for replays (``idempotent_requests``) that are about the person: those of their own
    routes, and any that carry their name, email or phone (as written in the JSON or as typed). Read before the
    details go, since they are what is looked for."""
    person = session.get(Participant, participant_id)
    assert person is not None
    marks = {form for value in (person.name, person.preferred_name, person.email, person.phone) if value
             for form in (value, json.dumps(value)[1:-1])}
    about = [IdempotentRequest.path.contains(f"/participants/{participant_id}/", autoescape=True),
             IdempotentRequest.path.endswith(f"/participants/{participant_id}", autoescape=True),
             *(IdempotentRequest.response_body.contains(mark, autoescape=True) for mark in marks)]
    session.execute(sa.update(IdempotentRequest).where(sa.or_(*about), IdempotentRequest.response_body.is_not(None))
                    .values(response_body=ERASED_ANSWER))


def _pseudonymise(session: Session, participant_id: int, now: dt.datetime) -> None:
    person = session.get(Participant, participant_id)
    assert person is not None
    person.name = f"Person {participant_id}"
    for column in ("preferred_name", "email", "phone", "postal_address", "date_of_birth",
                   "national_insurance_number_encrypted", "national_insurance_number_masked", "access_needs",
                   "bank_details_encrypted", "bank_sort_code_last2", "bank_account_last4", "bank_details_set_at",
                   "bank_details_returned_on", "bank_details_returned_reason"):
        setattr(person, column, None)
    person.is_active = False
    person.erased_at = now
    person.updated_at = now
    for declaration in session.scalars(sa.select(BenefitDeclaration).where(
            BenefitDeclaration.participant_id == participant_id)):
        declaration.benefits = []
        declaration.circumstances = None
    for report in session.scalars(sa.select(CircumstanceReport).where(
            CircumstanceReport.participant_id == participant_id)):
        report.benefit = None
        report.details = None
        report.review_note = None
    claim_ids = sa.select(Claim.id).where(Claim.participant_id == participant_id)
    session.execute(sa.update(Claim).where(Claim.participant_id == participant_id).values(policy_decision=None))
    session.execute(sa.delete(BenefitRecheck).where(BenefitRecheck.participant_id == participant_id))
    session.execute(sa.delete(PaymentRunBenefitCheck).where(PaymentRunBenefitCheck.payee_kind == "participant",
                                                            PaymentRunBenefitCheck.payee_id == participant_id))
    session.execute(sa.delete(Receipt).where(Receipt.expense_line_id.in_(
        sa.select(ExpenseLine.id).where(ExpenseLine.claim_id.in_(claim_ids)))))
    session.execute(sa.delete(BankDetailChange).where(BankDetailChange.participant_id == participant_id))
    session.execute(sa.update(OutboxMessage).where(OutboxMessage.participant_id == participant_id)
                    .values(to_address=f"person-{participant_id}@{ERASED_EMAIL_DOMAIN}", details={}))
    user = session.scalars(sa.select(User).where(User.participant_id == participant_id)).one_or_none()
    if user is not None:
        user.display_name = person.name
        user.email = f"user-{user.id}@{ERASED_EMAIL_DOMAIN}"
        user.is_active = False
        user.deactivated_at = user.deactivated_at or now
        user.session_version = (user.session_version or 0) + 1
        user.password_hash = "!erased"  # matches no password: argon2 hashes start with $argon2
    session.flush()


# Keys, at any depth of a claim version's values and changes, whose values are typed text.
_TYPED_KEYS = frozenset({"description", "purpose", "reason", "note"})


def _erase_typed(value: Any) -> Any:
    """A claim version's values or changes with every typed text (under ``_TYPED_KEYS``) erased."""
    if isinstance(value, dict):
        return {k: (ERASED if k in _TYPED_KEYS and v is not None else _erase_typed(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_erase_typed(v) for v in value]
    return value


def _erase_mutable_texts(session: Session, participant_id: int, claim_ids: sa.Select, plan: Plan) -> None:
    """The person's free text in the tables that are not append-only: overwritten with the marker in place."""
    def erase(column: Any) -> Any:
        return sa.case((column.is_(None), None), else_=sa.literal(ERASED))

    session.execute(sa.update(Claim).where(Claim.participant_id == participant_id).values(
        description=ERASED, reason=erase(Claim.reason), override_reason=erase(Claim.override_reason)))
    session.execute(sa.update(ExpenseLine).where(ExpenseLine.claim_id.in_(claim_ids)).values(description=ERASED))
    for version in session.scalars(sa.select(ClaimVersion).where(ClaimVersion.claim_id.in_(claim_ids))):
        version.values, version.changes = _erase_typed(version.values), _erase_typed(version.changes)
        version.reason = None if version.reason is None else ERASED
    session.execute(sa.update(ClaimRecovery).where(ClaimRecovery.participant_id == participant_id)
                    .values(note=erase(ClaimRecovery.note)))
    session.execute(sa.update(Advance).where(Advance.participant_id == participant_id).values(
        purpose=erase(Advance.purpose), rejection_reason=erase(Advance.rejection_reason)))
    session.execute(sa.update(Hold).where(sa.or_(Hold.claim_id.in_(claim_ids), sa.and_(
        Hold.payee_kind == "participant", Hold.payee_id == participant_id))).values(
        reason=ERASED, release_note=erase(Hold.release_note)))
    session.execute(sa.update(PaymentReturn).where(PaymentReturn.payee_kind == "participant",
                                                   PaymentReturn.payee_id == participant_id)
                    .values(note=erase(PaymentReturn.note)))
    session.execute(sa.update(TimeCreditTransfer).where(TimeCreditTransfer.participant_id == participant_id)
                    .values(note=erase(TimeCreditTransfer.note)))
    entry_ids = [e.record_id for e in plan.erasures if e.record_type == "entry"]
    if entry_ids:
        session.execute(sa.update(ManualEntry).where(ManualEntry.entry_id.in_(entry_ids)).values(
            description=ERASED, reason=ERASED, rejection_reason=erase(ManualEntry.rejection_reason)))
