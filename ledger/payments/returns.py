"""Returned payments: a payee's payment in a confirmed run that the bank sent back.

The bank returns a credit when the account is closed or the details are wrong. Recording it (against the run
and the payee) does four things in one transaction, or nothing:

- posts one balanced entry, kind ``payment_returned``, effective on the day the money came back: Dr
  ``bank:main``, Cr what the payee is owed, by what it was (fees and expenses apart, mirroring the payment), with
  the idempotency key ``payment-run:<run>:<kind>:<id>:returned``. What was received (``ledger.claims.received``)
  reads it as money coming back, so the benefit check and evidence no longer count it as received;
- moves the payment's claims back from paid to approved and out of the run (the claims' ``payment_returned``
  transition), so they are owed again and a later run can pay them;
- flags the payee's bank details ("returned by the bank on ..."): while flagged the payee is left out of
  payment runs with that reason, and a draft confirmed after the return is refused for them. Changing the bank
  details clears the flag (``ledger.people.services``), with an event;
- records a ``payment_return`` row and an event on the run.

The entry mirrors the payment's own: a payment netted against money owed back was less than its claims (the
netting stands; only the cash came back, and a later run nets the same way without recording it twice), and an
advance the payment paid is credited back to its account and moved back to approved, out of the run
(``ledger.payments.run_advances.returned``), for a later run to pay.

A payment is returned once, whole: the bank sends back the full credit, so the amount must be the payment's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.books.posting import load_entry, post_entry
from ledger.books.records import PostingLine
from ledger.claims.services import mark_claims_returned
from ledger.db import is_postgresql, utcnow
from ledger.errors import Conflict, NotFound, ValidationError
from ledger.events.records import NewEvent
from ledger.events.writer import record_event
from ledger.organisation import BANK
from ledger.payments import run_advances, runs
from ledger.payments.models import PAYEE_KINDS, RETURN_REASONS, Payment, PaymentReturn, PaymentRun, PaymentRunItem
from ledger.payments.workflow import PAID
from ledger.people.models import Participant, UserLedGroup

MAX_NOTE = 500
MAX_BANK_REFERENCE = 100
REASON_WORDS = {"account_closed": "the account is closed", "details_wrong": "the bank details are wrong",
                "other": "another reason"}


@dataclass(frozen=True, slots=True)
class ReturnRequest:
    """What finance says came back: whose payment in which run, how much, when, why and the bank's reference."""

    payee_kind: Any
    payee_id: Any
    amount_pence: Any
    returned_on: Any
    reason: Any
    bank_reference: Any
    note: Any = None


@dataclass(frozen=True, slots=True)
class PaymentReturnRecord:
    id: int
    run_id: int
    run_reference: str
    payee_kind: str
    payee_id: int
    amount_pence: int
    returned_on: dt.date
    reason: str
    note: str | None
    bank_reference: str
    entry_id: int
    claim_ids: tuple[int, ...]
    recorded_by_user_id: int | None
    recorded_at: dt.datetime


def _text(value: Any, field: str, most: int, problems: dict[str, list[str]], *, required: bool) -> str | None:
    text = value.strip() if isinstance(value, str) else None
    if not text:
        if required:
            problems[field] = ["Required."]
        return None
    if len(text) > most or not text.isprintable():
        problems[field] = [f"At most {most} printable characters."]
    return text


def _check(request: ReturnRequest, payment_date: dt.date, today: dt.date) -> dict[str, list[str]]:
    """Every problem with the request, by field (all at once, so the form can show each beside its field)."""
    problems: dict[str, list[str]] = {}
    if request.payee_kind not in PAYEE_KINDS:
        problems["payee_kind"] = [f"One of {', '.join(PAYEE_KINDS)}."]
    if not isinstance(request.payee_id, int) or isinstance(request.payee_id, bool) or request.payee_id < 1:
        problems["payee_id"] = ["A payee's id (a whole number)."]
    if not isinstance(request.amount_pence, int) or isinstance(request.amount_pence, bool) or \
            request.amount_pence <= 0:
        problems["amount"] = ["The amount the bank returned, more than £0.00."]
    day = request.returned_on
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        problems["returned_on"] = ["A date (YYYY-MM-DD)."]
    elif day < payment_date:
        problems["returned_on"] = [f"Cannot be before the payment date, {payment_date:%d %B %Y}."]
    elif day > today:
        problems["returned_on"] = [f"Cannot be in the future (today is {today:%d %B %Y})."]
    if request.reason not in RETURN_REASONS:
        problems["reason"] = ["One of account_closed, details_wrong or other."]
    _text(request.bank_reference, "bank_reference", MAX_BANK_REFERENCE, problems, required=True)
    _text(request.note, "note", MAX_NOTE, problems, required=request.reason == "other")
    return problems


def _confirmed_run(session: Session, run_id: int) -> PaymentRun:
    run = session.get(PaymentRun, run_id)
    if run is None:
        raise NotFound(f"There is no payment run {run_id}.")
    if run.status not in PAID:
        raise Conflict(f"Payment run {run.reference} is {run.status}: only a payment in a confirmed run can be "
                       "returned by the bank.", fields={"status": [run.status]})
    return run


def _payment(session: Session, run: PaymentRun, payee_kind: str, payee_id: int) -> Payment:
    """The payee's payment in the run, locked on PostgreSQL so that two recordings of one return queue up."""
    query = select(Payment).where(Payment.run_id == run.id, Payment.payee_kind == payee_kind,
                                  Payment.payee_id == payee_id)
    if is_postgresql(session):
        query = query.with_for_update()
    payment = session.execute(query).scalar_one_or_none()
    if payment is None:
        raise NotFound(f"Payment run {run.reference} paid no {payee_kind} {payee_id}.",
                       fields={"payee_id": [f"Not paid in {run.reference}."]})
    return payment


def _refuse_second_return(session: Session, run: PaymentRun, payment: Payment) -> None:
    found = session.execute(select(PaymentReturn).where(PaymentReturn.payment_id == payment.id)).scalar_one_or_none()
    if found is not None:
        raise Conflict(f"The payment to {payment.payee_kind} {payment.payee_id} in run {run.reference} was already "
                       f"recorded as returned on {found.returned_on:%d %B %Y} (bank reference {found.bank_reference}).",
                       fields={"payee_id": ["already returned"]})


def _post_return(session: Session, run: PaymentRun, payment: Payment, day: dt.date, reason: str,
                 actor: int | None) -> int:
    """Dr the bank, Cr what the payee is owed, by what it was: the payment undone, the money owed again.

    The lines mirror the payment's own entry, not the run's claims: a payment netted against money owed back
    was less than its claims (the netting stands; only the cash came back), and one that paid an advance
    debited the advance account, which is credited back.
    """
    paid = load_entry(session, payment.entry_id)
    owed_lines = [PostingLine(line.account, -line.amount, line.unit, kind=line.kind)
                  for line in paid.postings if line.account != BANK]
    entry = post_entry(
        session, effective_date=day,
        description=f"Payment run {run.reference}: payment to {payment.payee_kind} {payment.payee_id} returned by "
                    f"the bank ({REASON_WORDS[reason]})",
        postings=[PostingLine(BANK, payment.amount_pence, "GBP"), *owed_lines],
        idempotency_key=f"payment-run:{run.id}:{payment.payee_kind}:{payment.payee_id}:returned",
        actor_user_id=actor, kind="payment_returned")
    return entry.id


def _flag_bank_details(session: Session, payee_kind: str, payee_id: int, day: dt.date, reason: str) -> None:
    lock = is_postgresql(session)
    row: Participant | UserLedGroup | None = (
        session.get(Participant, payee_id, with_for_update=lock) if payee_kind == "participant"
        else session.get(UserLedGroup, payee_id, with_for_update=lock))
    if row is not None:
        row.bank_details_returned_on = day
        row.bank_details_returned_reason = reason


def record_payment_return(session: Session, run_id: int, request: ReturnRequest, *, actor_user_id: int | None,
                          today: dt.date) -> PaymentReturnRecord:
    """Record that the bank sent a payee's payment in a confirmed run back; see the module docstring."""
    run = _confirmed_run(session, run_id)
    problems = _check(request, run.payment_date, today)
    if problems:
        raise ValidationError(f"Please correct: {', '.join(sorted(problems))}.", fields=problems)
    payment = _payment(session, run, request.payee_kind, request.payee_id)
    _refuse_second_return(session, run, payment)
    if request.amount_pence != payment.amount_pence:
        raise ValidationError(
            f"Run {run.reference} paid {request.payee_kind} {request.payee_id} {runs.gbp(payment.amount_pence)}; a "
            "returned credit comes back whole, so the amount must be the same.",
            fields={"amount": [f"Must be {runs.gbp(payment.amount_pence)}."]})
    # The payee's row first (as a confirmation locks it before posting), then the books: no deadlock.
    _flag_bank_details(session, payment.payee_kind, payment.payee_id, request.returned_on, request.reason)
    entry_id = _post_return(session, run, payment, request.returned_on, request.reason, actor_user_id)
    claim_ids = _claims_of(session, run.id, payment)
    note = (f"Payment in run {run.reference} returned by the bank on {request.returned_on:%d %B %Y} "
            f"({REASON_WORDS[request.reason]}); owed again.")
    mark_claims_returned(session, payment_run_id=run.id, claim_ids=claim_ids, actor_user_id=actor_user_id,
                         note=note)
    advance_ids = run_advances.returned(session, entry_id=payment.entry_id, run_reference=run.reference,
                                        actor_user_id=actor_user_id, note=note)
    row = PaymentReturn(
        run_id=run.id, payment_id=payment.id, payee_kind=payment.payee_kind, payee_id=payment.payee_id,
        amount_pence=payment.amount_pence, returned_on=request.returned_on, reason=request.reason,
        note=request.note.strip() if isinstance(request.note, str) and request.note.strip() else None,
        bank_reference=request.bank_reference.strip(), entry_id=entry_id, recorded_by_user_id=actor_user_id,
        recorded_at=utcnow())
    session.add(row)
    session.flush()
    record_event(session, NewEvent(
        subject="payment_run", subject_id=run.id, action="payment_returned", actor_user_id=actor_user_id,
        before=run.status, after=run.status, reason=request.reason, note=note, payment_run_id=run.id,
        entry_id=entry_id, participant_id=payment.payee_id if payment.payee_kind == "participant" else None,
        details={"payee_kind": payment.payee_kind, "payee_id": payment.payee_id, "amount_pence": row.amount_pence,
                 "bank_reference": row.bank_reference, "claim_ids": claim_ids,
                 **({"advance_ids": advance_ids} if advance_ids else {})}))
    return _record(row, run.reference, claim_ids)


def _claims_of(session: Session, run_id: int, payment: Payment) -> list[int]:
    return sorted(session.execute(
        select(PaymentRunItem.claim_id).where(PaymentRunItem.run_id == run_id,
                                              PaymentRunItem.payee_kind == payment.payee_kind,
                                              PaymentRunItem.payee_id == payment.payee_id)).scalars())


def _record(row: PaymentReturn, run_reference: str, claim_ids: Sequence[int]) -> PaymentReturnRecord:
    return PaymentReturnRecord(
        id=row.id, run_id=row.run_id, run_reference=run_reference, payee_kind=row.payee_kind,
        payee_id=row.payee_id, amount_pence=row.amount_pence, returned_on=row.returned_on, reason=row.reason,
        note=row.note, bank_reference=row.bank_reference, entry_id=row.entry_id, claim_ids=tuple(claim_ids),
        recorded_by_user_id=row.recorded_by_user_id, recorded_at=row.recorded_at)


def returns_of_run(session: Session, run_id: int) -> list[PaymentReturnRecord]:
    """Every payment of the run the bank sent back, in the order they were recorded."""
    run = session.get(PaymentRun, run_id)
    if run is None:
        raise NotFound(f"There is no payment run {run_id}.")
    found = []
    for row in session.execute(select(PaymentReturn).where(PaymentReturn.run_id == run_id)
                               .order_by(PaymentReturn.id)).scalars():
        payment = session.get(Payment, row.payment_id)
        assert payment is not None
        found.append(_record(row, run.reference, _claims_of(session, run_id, payment)))
    return found


@dataclass(frozen=True, slots=True)
class ReturnLine:
    """One row of a bulk return file: the run by its reference, the payee by theirs (``P12`` / ``G3``)."""

    line: int
    run_reference: str
    payee_reference: str
    request: ReturnRequest


def _run_by_reference(session: Session, reference: str, line: int) -> int:
    run_id = session.execute(select(PaymentRun.id).where(PaymentRun.reference == reference)).scalar_one_or_none()
    if run_id is None:
        raise NotFound(f"Line {line}: there is no payment run {reference!r}.", fields={"run_reference": [reference]})
    return run_id


def record_returns(session: Session, lines: Sequence[ReturnLine], *, actor_user_id: int | None,
                   today: dt.date) -> list[PaymentReturnRecord]:
    """Record many returns at once, all or nothing: the first bad line raises, naming the line, and the caller's
    transaction is rolled back, so nothing is half-written."""
    if not lines:
        raise ValidationError("The file has no returns in it.", fields={"file": ["No rows."]})
    done = []
    for item in lines:
        run_id = _run_by_reference(session, item.run_reference, item.line)
        try:
            done.append(record_payment_return(session, run_id, item.request, actor_user_id=actor_user_id,
                                              today=today))
        except (ValidationError, NotFound, Conflict) as error:
            raise type(error)(f"Line {item.line} ({item.run_reference} {item.payee_reference}): {error.message}",
                              fields=error.fields) from None
    return done


@dataclass(frozen=True, slots=True)
class ReturnedMoney:
    """A returned payment as the bank statement sees it: ``amount_pence`` came back in on ``returned_on``."""

    return_id: int
    run_reference: str
    payee_kind: str
    payee_id: int
    amount_pence: int
    returned_on: dt.date
    bank_reference: str
    entry_id: int


def _returned_money(where) -> Any:
    return (select(PaymentReturn.id, PaymentRun.reference, PaymentReturn.payee_kind, PaymentReturn.payee_id,
                   PaymentReturn.amount_pence, PaymentReturn.returned_on, PaymentReturn.bank_reference,
                   PaymentReturn.entry_id)
            .join(PaymentRun, PaymentRun.id == PaymentReturn.run_id).where(where).order_by(PaymentReturn.id))


def returns_between(session: Session, start: dt.date, end: dt.date) -> list[ReturnedMoney]:
    """Every returned payment that came back from ``start`` to ``end`` (for matching bank statement lines)."""
    return [ReturnedMoney(*row) for row in session.execute(
        _returned_money(PaymentReturn.returned_on.between(start, end)))]


def returns_by_id(session: Session, return_ids: Sequence[int]) -> list[ReturnedMoney]:
    return [ReturnedMoney(*row) for row in session.execute(_returned_money(PaymentReturn.id.in_(list(return_ids))))]
