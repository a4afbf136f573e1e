"""A participant's statement: every entry on their accounts between two dates, with running balances.

Read from the books (``ledger.books.queries``) and described from the claims, payments and time-credit
transfers behind each entry. The PDF statement, the statement over the API (as JSON) and the "My money" page
all read the one ``ParticipantStatement`` this returns.

Signs. The books are debit-positive. ``owed:participant:<id>`` and ``time:participant:<id>`` are liabilities:
their balances are negative while the organisation owes money or the participant holds credits. Statements
flip that sign once, here, so that "owed to you" and "credits you hold" are positive. ``advance:participant:<id>``
is an asset (money the participant holds until receipts settle it): its sign is kept.

Memo lines. A declined fee posts nothing, and a fee redirected to a group posts to the group's account, not
the participant's. Both come from the claims and appear on the statement as DECLINED or DONATION lines with a
``memo_amount`` and no change to any balance; taking less than the fee offered shows the rest as declined.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.books import queries
from ledger.books.models import JournalEntry
from ledger.books.records import StatementLine as BookLine
from ledger.claims.models import Claim
from ledger.errors import ValidationError
from ledger.formatting import money
from ledger.payments.models import Payment, PaymentRun
from ledger.people.accounts import participant_accounts
from ledger.people.models import PartnerOrganisation, UserLedGroup
from ledger.reports.claim_facts import DECIDED, ClaimFacts, chunks, claim_facts
from ledger.reports.organisation import Organisation
from ledger.reports.payees import participant_payee, participant_row
from ledger.reports.records import EntryKind, ParticipantStatement, StatementLine, StatementSection, Unit
from ledger.timebank.models import TimeCreditTransfer

__all__ = ["participant_statement"]

# How an entry of each kind in the books reads on each of the participant's accounts; anything else is an ADJUSTMENT.
_MONEY_ENTRY_KINDS = {
    "fee_approved": EntryKind.FEE,
    "expense_approved": EntryKind.EXPENSE,
    "payment": EntryKind.PAYMENT,
    "advance_surplus_netted": EntryKind.ADVANCE_SETTLED,
}
_ADVANCE_ENTRY_KINDS = {
    "advance_paid": EntryKind.ADVANCE,
    "expense_approved": EntryKind.ADVANCE_SETTLED,
    "advance_surplus_returned": EntryKind.ADVANCE_SETTLED,
    "advance_surplus_netted": EntryKind.ADVANCE_SETTLED,
    "advance_surplus_kept": EntryKind.ADVANCE_KEPT,
}
_TIME_ENTRY_KINDS = {
    "time_credits_awarded": EntryKind.TIME_CREDIT_EARNED,
    "time_credits_spent": EntryKind.TIME_CREDIT_SPENT,
}


def _entry_kind(book_kind: str, amount: int, table: Mapping[str, EntryKind]) -> EntryKind:
    """The statement's kind of a posting, from its entry's kind in the books and its (participant-side) sign."""
    if book_kind.startswith("reversal"):
        return EntryKind.REVERSAL
    if book_kind == "time_credits_given":
        return EntryKind.TIME_CREDIT_GIVEN if amount < 0 else EntryKind.TIME_CREDIT_RECEIVED
    return table.get(book_kind, EntryKind.ADJUSTMENT)


@dataclass(frozen=True, slots=True)
class _Memo:
    date: dt.date
    kind: EntryKind
    description: str
    memo_amount: int


def _section(
    book: queries.Statement | None,
    *,
    unit: Unit,
    flip: bool,
    table: Mapping[str, EntryKind],
    describe: Callable[[BookLine], str],
    memos: Sequence[_Memo] = (),
) -> StatementSection:
    """A statement section from the books' statement of one account, with memo lines merged in by date."""
    sign = -1 if flip else 1
    book_lines = _one_line_per_entry(book.lines) if book is not None else ()
    # int(): on PostgreSQL a balance "as of" a date is a SUM of BIGINT, which comes back as a Decimal.
    opening = sign * int(book.opening_balance) if book is not None else 0
    items: list[tuple[dt.date, int, int, Any]] = [
        (line.effective_date, 0, n, line) for n, line in enumerate(book_lines)
    ]
    items += [(memo.date, 1, n, memo) for n, memo in enumerate(memos)]
    items.sort(key=lambda item: item[:3])  # memos after the postings of their day
    balance = opening
    lines = []
    for _date, _order, _n, item in items:
        if isinstance(item, _Memo):
            lines.append(StatementLine(item.date, item.kind, item.description, 0, balance, item.memo_amount))
            continue
        amount = sign * int(item.amount)
        balance = sign * int(item.running_balance)
        lines.append(StatementLine(item.effective_date, _entry_kind(item.kind, amount, table), describe(item),
                                   amount, balance))
    return StatementSection(unit, opening, tuple(lines), balance)


def _one_line_per_entry(lines: Sequence[BookLine]) -> list[BookLine]:
    """One line per entry: a payment of fees and expenses posts each apart, but it is one payment to the person."""
    merged: list[BookLine] = []
    for line in lines:
        if merged and merged[-1].entry_id == line.entry_id:
            merged[-1] = replace(merged[-1], amount=merged[-1].amount + line.amount,
                                 running_balance=line.running_balance)
        else:
            merged.append(line)
    return merged


def _statement_memos(session: Session, participant_id: int, start: dt.date, end: dt.date) -> list[_Memo]:
    """Declined offers (and the part not taken of a smaller fee) and fees redirected to a group at their request."""
    claims = session.execute(
        select(Claim).where(Claim.participant_id == participant_id, Claim.kind == "fee",
                            Claim.status.in_(DECIDED), Claim.reversal_entry_id.is_(None),
                            Claim.choice.in_(("decline", "take_less", "redirect")))
        .order_by(Claim.id)
    ).scalars().all()
    facts = claim_facts(session, claims)
    accrued: dict[int | None, dt.date] = dict(session.execute(
        select(JournalEntry.id, JournalEntry.effective_date)
        .where(JournalEntry.id.in_([c.accrual_entry_id for c in claims if c.accrual_entry_id]))
    ).all()) if any(c.accrual_entry_id for c in claims) else {}
    memos = []
    for claim in claims:
        fact = facts[claim.id]
        when = accrued.get(claim.accrual_entry_id, fact.day)
        if not start <= when <= end:
            continue
        if claim.choice == "decline" and claim.offered_pence > 0:
            memos.append(_Memo(when, EntryKind.DECLINED, f"{claim.description}: you chose not to take this fee",
                               claim.offered_pence))
        elif claim.choice == "take_less" and claim.offered_pence > claim.amount_pence and claim.rest in (
                None, "decline"):
            # Only a declined rest is a memo: time credits, a group's part and a part paid later are in the books.
            memos.append(_Memo(when, EntryKind.DECLINED,
                               f"{claim.description}: you chose to take {money(claim.amount_pence)} of the "
                               f"{money(claim.offered_pence)} offered", claim.offered_pence - claim.amount_pence))
        elif claim.choice == "redirect" and claim.amount_pence > 0:
            memos.append(_Memo(when, EntryKind.DONATION,
                               f"{claim.description}, paid to {fact.group_name or 'a user-led group'} at your request",
                               claim.amount_pence))
    return memos


class _Describer:
    """Plain descriptions of the entries on a participant's accounts, from the claims, payments and transfers."""

    def __init__(self, session: Session, participant_id: int, books: Iterable[queries.Statement | None]):
        self.participant_id = participant_id
        entry_ids = sorted({line.entry_id for book in books if book for line in book.lines})
        self.claims: dict[int, ClaimFacts] = {}
        self.payments: dict[int, tuple[str, str | None]] = {}
        self.transfers: dict[int, tuple[TimeCreditTransfer, str | None]] = {}
        for chunk in chunks(entry_ids):
            claims = session.execute(select(Claim).where(Claim.accrual_entry_id.in_(chunk))).scalars().all()
            self.claims.update((f.claim.accrual_entry_id, f) for f in claim_facts(session, claims).values()
                               if f.claim.accrual_entry_id is not None)
            for entry_id, reference, last4 in session.execute(
                select(Payment.entry_id, PaymentRun.reference, Payment.account_last4)
                .join(PaymentRun, PaymentRun.id == Payment.run_id).where(Payment.entry_id.in_(chunk))
            ):
                self.payments[entry_id] = (reference, last4)
            for transfer, partner, group in session.execute(
                select(TimeCreditTransfer, PartnerOrganisation.name, UserLedGroup.name)
                .outerjoin(PartnerOrganisation, PartnerOrganisation.id == TimeCreditTransfer.partner_id)
                .outerjoin(UserLedGroup, UserLedGroup.id == TimeCreditTransfer.to_group_id)
                .where(TimeCreditTransfer.entry_id.in_(chunk))
            ):
                self.transfers[transfer.entry_id] = (transfer, partner or group)

    def __call__(self, line: BookLine) -> str:
        if line.entry_id in self.payments:
            reference, last4 = self.payments[line.entry_id]
            return f"Bank transfer, payment run {reference}" + (f", to the account ending {last4}" if last4 else "")
        if line.entry_id in self.claims and not line.kind.startswith("reversal"):
            fact = self.claims[line.entry_id]
            if fact.claim.kind == "fee" and fact.claim.choice != "time_credits":
                # A smaller fee's declined part has a memo line of its own, just after.
                return f"{fact.claim.description}. {fact.fee_detail(with_choice=False)}"
            if fact.claim.kind == "expense":
                lines = "; ".join(x.description for x in fact.expense_lines)
                return f"{fact.claim.description}: {lines}" if lines else fact.claim.description
            return fact.claim.description
        if line.entry_id in self.transfers:
            transfer, name = self.transfers[line.entry_id]
            if transfer.kind == "spent":
                text = f"Spent at {name}"
            elif transfer.kind == "given_to_group":
                text = f"Given to {name}"
            elif transfer.participant_id == self.participant_id:
                text = "Given to another participant"
            else:
                text = "Given to you by another participant"
            return f"{text}: {transfer.note}" if transfer.note else text
        if line.kind == "advance_surplus_returned":
            return "The part of the advance you did not use, paid back to us"
        if line.kind == "advance_surplus_netted":
            return "The part of the advance you did not use, taken off what we owed you"
        if line.kind == "advance_surplus_kept":
            return "The part of the advance you did not use, yours to keep"
        return line.description


def participant_statement(
    session: Session,
    participant_id: int,
    start: dt.date,
    end: dt.date,
    *,
    organisation: Organisation,
    issued: dt.date,
) -> ParticipantStatement:
    """A participant's statement from ``start`` to ``end`` inclusive: money, time credits and any advances."""
    if end < start:
        raise ValidationError("The statement ends before it starts.", fields={"end": ["Before start."]})
    participant = participant_row(session, participant_id)
    codes = participant_accounts(participant_id)
    books = queries.statements(session, (codes.owed, codes.time_credits, codes.advance), start, end)
    owed, time, advance = (books.get(code) for code in (codes.owed, codes.time_credits, codes.advance))
    describe = _Describer(session, participant_id, (owed, time, advance))
    memos = _statement_memos(session, participant_id, start, end)
    money_section = _section(owed, unit=Unit.GBP, flip=True, table=_MONEY_ENTRY_KINDS, describe=describe, memos=memos)
    time_section = None if time is None else _section(time, unit=Unit.TIME_CREDIT, flip=True,
                                                      table=_TIME_ENTRY_KINDS, describe=describe)
    advances = None
    if advance is not None and (advance.lines or advance.opening_balance or advance.closing_balance):
        advances = _section(advance, unit=Unit.GBP, flip=False, table=_ADVANCE_ENTRY_KINDS, describe=describe)
    return ParticipantStatement(
        organisation=organisation, participant=participant_payee(participant), period_start=start,
        period_end=end, issued=issued, money=money_section, time_credits=time_section, advances=advances,
    )
