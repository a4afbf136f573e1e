"""The participant's "My money" page in a few set-based statements: what is owed, the last payments, a page
of claims and the time credits (issue 12: at most 10 SQL statements, 30 ms alone).

The page once read the whole year's statement (three accounts, their claims, payments and transfers) to show
one figure and ten payments: 27 statements. Here what is owed is one sum of the daily totals and the payments
one grouped query of the owed account's payment entries with their runs, the two in one statement; the claims
are a page of their rows; the
figures are those the statement would give for the same dates (``tests/reports/test_my_money.py`` checks).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import BigInteger, Date, Integer, bindparam, cast, func, select, true
from sqlalchemy.orm import Session

from ledger.books.models import Account, AccountDailyTotal, JournalEntry, Posting
from ledger.payments.models import Payment, PaymentRun
from ledger.people.accounts import participant_accounts

__all__ = ["MyMoney", "PaymentToYou", "my_money"]


@dataclass(frozen=True, slots=True)
class PaymentToYou:
    """One payment to the participant as their statement words it: the day, the run and account, the pence."""

    date: dt.date
    description: str
    amount: int  # pence paid (the statement's PAYMENT line, its sign flipped as there: negative)


@dataclass(frozen=True, slots=True)
class MyMoney:
    amount_owed: int  # pence still owed to the participant on the last day (negative: they owe us)
    payments: tuple[PaymentToYou, ...]  # the latest payments in the period, oldest first

    @property
    def participant_owes(self) -> bool:
        """The participant owes the organisation money: usually an advance not yet settled with receipts."""
        return self.amount_owed < 0


def _owed_and_payments():
    """The one statement: the sum of the daily totals joined to the page of payments, so that a page with no
    payments still has its figure. Built once (its values bound per request), as building it cost each visit
    as much Python as running it."""
    code, start, end = bindparam("code"), bindparam("start", type_=Date), bindparam("end", type_=Date)
    owed = (
        select(cast(func.coalesce(func.sum(AccountDailyTotal.amount), 0), BigInteger).label("owed"))
        .join(Account, Account.id == AccountDailyTotal.account_id)
        .where(Account.code == code, AccountDailyTotal.day <= end)
    ).subquery("owed")
    # A payment of fees and expenses posts each apart: one line per entry, as on the statement.
    paid = (
        select(Posting.entry_id, Posting.effective_date, JournalEntry.description, PaymentRun.reference,
               Payment.account_last4, cast(func.sum(Posting.amount), BigInteger).label("amount"),
               func.min(Posting.id).label("first_posting_id"))
        .join(Account, Account.id == Posting.account_id)
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .outerjoin(Payment, Payment.entry_id == Posting.entry_id)
        .outerjoin(PaymentRun, PaymentRun.id == Payment.run_id)
        .where(Account.code == code, JournalEntry.kind == "payment", Posting.effective_date >= start,
               Posting.effective_date <= end)
        .group_by(Posting.entry_id, Posting.effective_date, JournalEntry.description, PaymentRun.reference,
                  Payment.account_last4)
        .order_by(Posting.effective_date.desc(), func.min(Posting.id).desc())
        .limit(bindparam("recent", type_=Integer))
    ).subquery("paid")
    return (
        select(owed.c.owed, paid.c.entry_id, paid.c.effective_date, paid.c.description, paid.c.reference,
               paid.c.account_last4, paid.c.amount)
        .select_from(owed).outerjoin(paid, true())
        .order_by(paid.c.effective_date.desc(), paid.c.first_posting_id.desc())
    )


_OWED_AND_PAYMENTS = _owed_and_payments()


def my_money(session: Session, participant_id: int, start: dt.date, end: dt.date, *, recent: int) -> MyMoney:
    """What is owed to the participant on ``end`` and their last ``recent`` payments between ``start`` and
    ``end``, as their statement for those dates shows them, in one statement (the two were two, and a
    statement costs the page more in Python than either costs PostgreSQL; issue 12)."""
    rows = session.execute(_OWED_AND_PAYMENTS, {"code": participant_accounts(participant_id).owed, "start": start,
                                                "end": end, "recent": max(recent, 0)}).all()
    payments = tuple(PaymentToYou(r.effective_date, _described(r.reference, r.account_last4, r.description),
                                  -int(r.amount)) for r in reversed(rows) if r.entry_id is not None)
    return MyMoney(amount_owed=-int(rows[0].owed), payments=payments)


def _described(reference: str | None, last4: str | None, entry_description: str) -> str:
    if reference is None:  # a payment entry with no payment behind it (posted by hand): the books' words
        return entry_description
    return f"Bank transfer, payment run {reference}" + (f", to the account ending {last4}" if last4 else "")
