"""What confirmed payment runs paid, read for the bank statement: each payee's payment with its run and entry.

A confirmed run leaves the bank as one Bacs debit (its payments' total) or, with some banks' bulk uploads, one
line per payee; ``ledger.banking.matching`` offers both readings. Read-only: nothing here changes a run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.payments.models import Payment, PaymentRun
from ledger.payments.workflow import PAID


@dataclass(frozen=True, slots=True)
class PaidRecord:
    """One payee's payment in a confirmed run: ``amount_pence`` left the bank on ``payment_date``."""

    payment_id: int
    run_id: int
    run_reference: str
    payee_kind: str
    payee_id: int
    amount_pence: int
    payment_date: dt.date
    entry_id: int

    @property
    def credit_reference(self) -> str:
        """What the payee's bank shows, and a bulk upload's line may too: 'PR000012 P345'."""
        return f"{self.run_reference} {'P' if self.payee_kind == 'participant' else 'G'}{self.payee_id}"


def payments_between(session: Session, start: dt.date, end: dt.date) -> list[PaidRecord]:
    """Every payment of a confirmed run paid from ``start`` to ``end``, by run then payee."""
    rows = session.execute(
        select(Payment.id, Payment.run_id, PaymentRun.reference, Payment.payee_kind, Payment.payee_id,
               Payment.amount_pence, PaymentRun.payment_date, Payment.entry_id)
        .join(PaymentRun, PaymentRun.id == Payment.run_id)
        .where(PaymentRun.status.in_(PAID), PaymentRun.payment_date.between(start, end))
        .order_by(Payment.run_id, Payment.id))
    return [PaidRecord(*row) for row in rows]


def payments_by_id(session: Session, payment_ids: list[int]) -> list[PaidRecord]:
    """The payments asked for (by id), as ``payments_between`` reads them."""
    rows = session.execute(
        select(Payment.id, Payment.run_id, PaymentRun.reference, Payment.payee_kind, Payment.payee_id,
               Payment.amount_pence, PaymentRun.payment_date, Payment.entry_id)
        .join(PaymentRun, PaymentRun.id == Payment.run_id).where(Payment.id.in_(payment_ids)))
    return [PaidRecord(*row) for row in rows]


def payments_of_run(session: Session, run_id: int) -> list[PaidRecord]:
    """Every payment of one run (none unless it is confirmed)."""
    rows = session.execute(
        select(Payment.id, Payment.run_id, PaymentRun.reference, Payment.payee_kind, Payment.payee_id,
               Payment.amount_pence, PaymentRun.payment_date, Payment.entry_id)
        .join(PaymentRun, PaymentRun.id == Payment.run_id)
        .where(Payment.run_id == run_id, PaymentRun.status.in_(PAID)).order_by(Payment.id))
    return [PaidRecord(*row) for row in rows]
