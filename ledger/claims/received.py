"""What a person received, and when, read from the books: the one record of it.

Money reaches a participant when an entry debits what they are owed (``owed:participant:<id>``) or their
advance and credits the bank, whoever posted it: a payment run, or finance by hand (who records a fee paid
at once as owed and paid in one entry). Each posting says what
it is (``ledger.books.kinds``), so a fee, an expense repaid, an advance and a flat-rate allowance are told
apart. A returned payment or an advance paid back credits them again: it counts as coming back.

Also received, without the bank: what is left of an advance when it is written off (the person keeps it,
so it counts when written off), and time credits. Payments posted before kinds were recorded that paid fees
and expenses in one posting (``mixed``) are split by the claims the run paid.

The benefit check, the statement, the annual summary and the evidence pack all read this.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from ledger.books.kinds import BANK_ACCOUNTS, PostingKind
from ledger.books.models import Account, JournalEntry, Posting
from ledger.claims.models import Claim
from ledger.payments.models import Payment, PaymentRunItem
from ledger.people.accounts import participant_accounts

_TIME_SPENT = ("time_credits_spent", "time_credits_given")


@dataclass(frozen=True, slots=True)
class Received:
    """Money or time that reached the participant (negative when it came back), on the day it did."""

    on: dt.date
    kind: str  # a PostingKind
    amount: int  # pence, or minutes for time credits
    entry_id: int
    description: str

    @property
    def is_money(self) -> bool:
        return self.kind != PostingKind.TIME_CREDITS


def _bank_moved(direction: int):
    """The entry also moves the bank: out of it (``direction`` -1, a credit) or into it (+1, a debit)."""
    bank = aliased(Posting)
    bank_account = aliased(Account)
    moved = bank.amount < 0 if direction < 0 else bank.amount > 0
    return exists().where(bank.entry_id == Posting.entry_id, bank.account_id == bank_account.id,
                          bank_account.code.startswith(BANK_ACCOUNTS), moved)


def received_by(session: Session, participant_id: int, start: dt.date, end: dt.date) -> list[Received]:
    """Everything the participant received between ``start`` and ``end`` (inclusive), in the order posted."""
    return received_by_each(session, [participant_id], start, end)[participant_id]


def received_by_each(session: Session, participant_ids: Iterable[int], start: dt.date,
                     end: dt.date) -> dict[int, list[Received]]:
    """What each participant received between ``start`` and ``end``, in one query however many they are."""
    whose: dict[str, int] = {}
    owed: list[str] = []
    advances: list[str] = []
    time_credits: list[str] = []
    for participant_id in set(participant_ids):
        accounts = participant_accounts(participant_id)
        whose.update(dict.fromkeys((accounts.owed, accounts.advance, accounts.time_credits), participant_id))
        owed.append(accounts.owed)
        advances.append(accounts.advance)
        time_credits.append(accounts.time_credits)
    found: dict[int, list[Received]] = {participant_id: [] for participant_id in whose.values()}
    if not whose:
        return found
    # Paid out: a debit of what they are owed (or their advance) in an entry paying out of the bank. Came back:
    # a credit of it in an entry paying into the bank (a returned payment, an advance paid back). A credit of
    # what they are owed in an entry that pays them at once (a fee paid by hand) is the fee accrued, not money.
    person = Account.code.in_(owed + advances)
    paid_out = or_(and_(person, Posting.amount > 0, _bank_moved(-1)), and_(person, Posting.amount < 0, _bank_moved(1)))
    kept = and_(Account.code.in_(advances), Posting.kind == PostingKind.ADVANCE_SURPLUS_KEPT)
    credited = and_(Account.code.in_(time_credits),
                    or_(Posting.amount < 0, JournalEntry.kind.not_in(_TIME_SPENT)))
    time_codes = set(time_credits)
    rows = session.execute(
        select(Posting.entry_id, Posting.effective_date, Posting.kind, Posting.amount, Account.code,
               JournalEntry.description)
        .join(Account, Account.id == Posting.account_id)
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(Posting.effective_date.between(start, end), or_(paid_out, kept, credited))
        .order_by(Posting.effective_date, Posting.entry_id, Posting.id)
    ).all()
    for r in rows:
        # Paid out: a debit of what they are owed, or of their advance. Kept and credited: a credit.
        amount = r.amount if r.code not in time_codes and r.kind != PostingKind.ADVANCE_SURPLUS_KEPT else -r.amount
        into = found[whose[r.code]]
        if r.kind == PostingKind.MIXED:
            into.extend(_split_mixed(session, r.entry_id, r.effective_date, amount, r.description))
            continue
        into.append(Received(on=r.effective_date, kind=r.kind, amount=amount, entry_id=r.entry_id,
                             description=r.description))
    return found


def _split_mixed(session: Session, entry_id: int, on: dt.date, amount: int, description: str) -> list[Received]:
    """A payment of fees and expenses in one posting (before kinds were recorded), split by the claims it paid."""
    payment_entry = session.execute(
        select(JournalEntry.reverses_entry_id).where(JournalEntry.id == entry_id)).scalar_one() or entry_id
    rows = session.execute(
        select(Claim.kind, PaymentRunItem.amount_pence)
        .join(PaymentRunItem, PaymentRunItem.claim_id == Claim.id)
        .join(Payment, and_(Payment.run_id == PaymentRunItem.run_id, Payment.payee_kind == PaymentRunItem.payee_kind,
                            Payment.payee_id == PaymentRunItem.payee_id))
        .where(Payment.entry_id == payment_entry)
    ).all()
    sign = 1 if amount >= 0 else -1
    totals = {PostingKind.FEE: 0, PostingKind.EXPENSE: 0}
    for kind, pence in rows:
        totals[PostingKind.FEE if kind == "fee" else PostingKind.EXPENSE] += pence
    if sum(totals.values()) != abs(amount):  # the claims do not explain it: count it all as a fee, cautiously
        totals = {PostingKind.FEE: abs(amount), PostingKind.EXPENSE: 0}
    return [Received(on=on, kind=kind, amount=sign * pence, entry_id=entry_id, description=description)
            for kind, pence in totals.items() if pence]
