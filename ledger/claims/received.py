"""What a person received, and when, read from the books: the one record of it.

Money reaches a participant when an entry debits what they are owed (``owed:participant:<id>``) or their
advance and credits the bank, whoever posted it: a payment run, or finance by hand (who records a fee paid
at once as owed and paid in one entry). Each posting says what
it is (``ledger.books.kinds``), so a fee, an expense repaid, an advance and a flat-rate allowance are told
apart. A returned payment or an advance paid back credits them again: it counts as coming back.

Also received, without the bank: what is left of an advance when it is written off (the person keeps it,
so it counts when written off), and time credits. Payments posted before kinds were recorded that paid fees
and expenses in one posting (``mixed``) are split by the claims the run paid.

**Netting.** When a run takes what a participant owes back (a reversed paid claim) off a later payment, the
bank pays them less, but they earned the later claims in full and paid the reversed one back out of them.
So, as with a repayment, the netted amount *comes back* (a negative receipt of the reversed claim's kind, on
the run's day, which readers take off the earlier receipt it undoes) and the later payment counts *in full*
(the netted amount added to the run's payment, split fees first as the run nets). Counting the cash alone
would leave the reversed payment received and the later claims short; counting the claims alone would count
the netted money twice.

The benefit check, the statement, the annual summary and the evidence pack all read this.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache

from sqlalchemy import and_, or_, select, true
from sqlalchemy.orm import Session, aliased

from ledger.books.kinds import BANK_ACCOUNTS, PostingKind
from ledger.books.models import Account, JournalEntry, Posting
from ledger.claims.models import Claim, ClaimRecovery
from ledger.payments.models import Payment, PaymentRun, PaymentRunItem
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


@cache
def _bank_moved(direction: int):
    """The entry also moves the bank: out of it (``direction`` -1, a credit) or into it (+1, a debit).

    Built once per direction and reused: the clause is the same in every query, and building it (two
    aliases, four comparisons) cost more than running the query it goes in (a benefit check asks often)."""
    bank = aliased(Posting)
    bank_account = aliased(Account)
    moved = bank.amount < 0 if direction < 0 else bank.amount > 0
    return (select(bank.id).select_from(bank).join(bank_account, bank_account.id == bank.account_id)
            .where(bank.entry_id == Posting.entry_id, bank_account.code.startswith(BANK_ACCOUNTS), moved).exists())


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
    rows = session.execute(_received_query(list(whose), start, end, or_(paid_out, kept, credited),
                                           session.get_bind().dialect.name)).all()
    for r in rows:
        # Paid out: a debit of what they are owed, or of their advance. Kept and credited: a credit.
        amount = r.amount if r.code not in time_codes and r.kind != PostingKind.ADVANCE_SURPLUS_KEPT else -r.amount
        into = found[whose[r.code]]
        if r.kind == PostingKind.MIXED:
            into.extend(_split_mixed(session, r.entry_id, r.effective_date, amount, r.description))
            continue
        into.append(Received(on=r.effective_date, kind=r.kind, amount=amount, entry_id=r.entry_id,
                             description=r.description))
    for participant_id in _netted_participants(session, list(found), start, end):
        found[participant_id] = _with_netting(found[participant_id], _netted(session, participant_id, start, end))
    return found


def _received_query(codes: list[str], start: dt.date, end: dt.date, which, dialect: str):
    """The postings to these accounts in the period that ``which`` picks, with their entry's description.

    On PostgreSQL each account's postings are read through its index (a LATERAL join, one short range scan per
    account, each posting's entry found by its key): asked as one filter, the planner took a few hundred
    people's accounts for a tenth of a million postings and scanned two whole tables, 1.5 s of the finance
    queue at a million postings (issue 12). SQLite, which has no LATERAL, walks the index by itself."""
    columns = (Posting.entry_id, Posting.effective_date, Posting.kind, Posting.amount, Posting.id,
               JournalEntry.description)
    if dialect != "postgresql":
        return (select(*columns, Account.code).join(Account, Account.id == Posting.account_id)
                .join(JournalEntry, JournalEntry.id == Posting.entry_id)
                .where(Account.code.in_(codes), Posting.effective_date.between(start, end), which)
                .order_by(Posting.effective_date, Posting.entry_id, Posting.id))
    each = (select(*columns).join(JournalEntry, JournalEntry.id == Posting.entry_id)
            .where(Posting.account_id == Account.id, Posting.effective_date.between(start, end), which)
            .offset(0)  # kept a subquery of its own: pulled up into the outer query, it is planned as one filter again
            .lateral("received"))
    return (select(each.c.entry_id, each.c.effective_date, each.c.kind, each.c.amount, Account.code,
                   each.c.description)
            .select_from(Account).join(each, true()).where(Account.code.in_(codes))
            .order_by(each.c.effective_date, each.c.entry_id, each.c.id))


def _netted_participants(session: Session, participant_ids: list[int], start: dt.date, end: dt.date) -> list[int]:
    """Who of them had money netted off a payment in the period: one query, so the others cost nothing more."""
    return list(session.execute(
        select(ClaimRecovery.participant_id).distinct()
        .where(ClaimRecovery.participant_id.in_(participant_ids), ClaimRecovery.how == "netting",
               ClaimRecovery.amount_pence.is_not(None), ClaimRecovery.on_date.between(start, end))
    ).scalars())


def _claim_kind(kind: str) -> str:
    return PostingKind.EXPENSE if kind == "expense" else PostingKind.FEE


def _netted(session: Session, participant_id: int, start: dt.date, end: dt.date) -> list[Received]:
    """What runs took off the participant's payments: money back (negative) then the part it was taken off."""
    rows = session.execute(
        select(ClaimRecovery.on_date, ClaimRecovery.reference, ClaimRecovery.amount_pence, Claim.kind, Claim.id)
        .join(Claim, Claim.id == ClaimRecovery.claim_id)
        .where(ClaimRecovery.participant_id == participant_id, ClaimRecovery.how == "netting",
               ClaimRecovery.amount_pence.is_not(None), ClaimRecovery.on_date.between(start, end))
        .order_by(ClaimRecovery.on_date, ClaimRecovery.id)
    ).all()
    found: list[Received] = []
    runs: dict[tuple[dt.date, str], int] = {}
    for on, reference, amount, kind, claim_id in rows:
        pence, reference = int(amount or 0), reference or ""
        found.append(Received(on=on, kind=_claim_kind(kind), amount=-pence, entry_id=0,
                              description=f"Claim {claim_id} paid back out of payment run {reference}"))
        runs[(on, reference)] = runs.get((on, reference), 0) + pence
    for (on, reference), pence in runs.items():
        found.extend(_netted_from(session, participant_id, on, reference, pence))
    return found


def _netted_from(session: Session, participant_id: int, on: dt.date, reference: str, pence: int) -> list[Received]:
    """The part of a run's payment that was netted, as the run took it: from fees first, then expenses."""
    rows = session.execute(
        select(Payment.entry_id, Claim.kind, PaymentRunItem.amount_pence)
        .join(PaymentRun, PaymentRun.id == Payment.run_id)
        .join(PaymentRunItem, and_(PaymentRunItem.run_id == Payment.run_id, PaymentRunItem.payee_kind == "participant",
                                   PaymentRunItem.payee_id == participant_id))
        .join(Claim, Claim.id == PaymentRunItem.claim_id)
        .where(PaymentRun.reference == reference, Payment.payee_kind == "participant",
               Payment.payee_id == participant_id)
    ).all()
    if not rows:
        return []
    entry_id = rows[0].entry_id
    fees = sum(r.amount_pence for r in rows if _claim_kind(r.kind) == PostingKind.FEE)
    from_fee = min(pence, fees)
    parts = ((PostingKind.FEE, from_fee), (PostingKind.EXPENSE, pence - from_fee))
    return [Received(on=on, kind=kind, amount=part, entry_id=entry_id, description="")
            for kind, part in parts if part]


def _with_netting(found: list[Received], netted: list[Received]) -> list[Received]:
    """Each netting's money back placed before that day's receipts, and the netted part added to its payment."""
    if not netted:
        return found
    merged = list(found)
    for item in netted:
        if item.amount < 0:
            at = next((i for i, r in enumerate(merged) if r.on >= item.on and r.amount >= 0), len(merged))
            merged.insert(at, item)
            continue
        found_at: int | None
        found_at = next((i for i, r in enumerate(merged) if r.entry_id == item.entry_id and r.kind == item.kind),
                        None)
        if found_at is None:
            merged.append(replace(item, description=f"Taken off payment entry {item.entry_id} to pay back"))
        else:
            merged[found_at] = replace(merged[found_at], amount=merged[found_at].amount + item.amount)
    return merged


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
