"""Suggesting what each statement line is: a confirmed run's Bacs total, one payee's payment, a returned payment
or another entry on the bank account, with a score out of 100 and the reason in words.

The books are read through their own queries (``ledger.payments.paid``, ``ledger.payments.returns``,
``ledger.books.queries``). A suggestion needs the same amount to the penny; the score then adds how close the
dates are and whether the description carries the run's or the payee's reference. Each book item is suggested
for one line at most, best score first, so two lines never claim the same payment. Entries already matched to
a line are not offered again.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.banking.models import BankLineEntry
from ledger.books import queries
from ledger.errors import NotFound, ValidationError
from ledger.organisation import BANK
from ledger.payments import paid, returns

#: How far apart a line's date and a book item's date may be and still be suggested.
WINDOW_DAYS = 14
#: A suggestion needs at least this score: the same amount and a date within a week, or the reference.
MIN_SCORE = 60
#: At most this many book items of the same amount, nearest in date, are weighed for each line.
NEAREST = 25
KIND_ORDER = {"payment_run": 0, "payment": 1, "payment_return": 2, "entry": 3}
KIND_WORDS = {"payment_run": "payment run", "payment": "payment", "payment_return": "returned payment",
              "entry": "entry"}


@dataclass(frozen=True, slots=True)
class BookItem:
    """Something in the books a line can stand for: ``entries`` are (entry id, bank amount, day) on the bank."""

    kind: str
    id: int
    amount_pence: int
    day: dt.date
    label: str
    words: tuple[str, ...]
    entries: tuple[tuple[int, int, dt.date], ...]

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True, slots=True)
class LineFacts:
    """What the matcher needs of a line."""

    id: int
    posted_on: dt.date
    amount_pence: int
    text: str


@dataclass(frozen=True, slots=True)
class Suggestion:
    line_id: int
    item: BookItem
    score: int
    reason: str


def normal(text: str) -> str:
    return " ".join(text.upper().split())


def linked_entries(session: Session, entry_ids: Iterable[int] | None = None) -> set[int]:
    """The entries already matched to a line (of those given, or all)."""
    query = select(BankLineEntry.entry_id)
    if entry_ids is not None:
        query = query.where(BankLineEntry.entry_id.in_(list(entry_ids)))
    return set(session.execute(query).scalars())


def _payment_items(payments: Sequence[paid.PaidRecord], taken: set[int]) -> list[BookItem]:
    items: list[BookItem] = []
    by_run: dict[int, list[paid.PaidRecord]] = defaultdict(list)
    for p in payments:
        by_run[p.run_id].append(p)
        if p.entry_id not in taken:
            label = f"Payment to {p.payee_kind} {p.payee_id} in run {p.run_reference} ({p.credit_reference})"
            items.append(BookItem("payment", p.payment_id, -p.amount_pence, p.payment_date, label,
                                  (normal(p.credit_reference),), ((p.entry_id, -p.amount_pence, p.payment_date),)))
    for run_id, paid_in_run in by_run.items():
        if any(p.entry_id in taken for p in paid_in_run):
            continue  # part of the run is matched payee by payee: its total is no longer one line
        first = paid_in_run[0]
        total = sum(p.amount_pence for p in paid_in_run)
        items.append(BookItem("payment_run", run_id, -total, first.payment_date,
                              f"Payment run {first.run_reference}: Bacs total of {len(paid_in_run)} payment(s)",
                              (normal(first.run_reference),),
                              tuple((p.entry_id, -p.amount_pence, p.payment_date) for p in paid_in_run)))
    return items


def _return_item(r: returns.ReturnedMoney) -> BookItem:
    return BookItem("payment_return", r.return_id, r.amount_pence, r.returned_on,
                    f"Payment to {r.payee_kind} {r.payee_id} in run {r.run_reference} returned by the bank "
                    f"(reference {r.bank_reference})", (normal(r.bank_reference), normal(r.run_reference)),
                    ((r.entry_id, r.amount_pence, r.returned_on),))


def book_items(session: Session, start: dt.date, end: dt.date) -> list[BookItem]:
    """Everything on the bank account from ``start`` to ``end`` not yet matched to a line, as book items."""
    try:
        postings = queries.statement(session, BANK, start, end).lines
    except NotFound:
        return []  # a fresh install: the bank account has no postings yet
    taken = linked_entries(session, {p.entry_id for p in postings})
    payments = paid.payments_between(session, start, end)
    returned = returns.returns_between(session, start, end)
    items = _payment_items(payments, taken)
    items += [_return_item(r) for r in returned if r.entry_id not in taken]
    named = {p.entry_id for p in payments} | {r.entry_id for r in returned}
    others: dict[int, list] = defaultdict(list)
    for posting in postings:
        if posting.entry_id not in named and posting.entry_id not in taken:
            others[posting.entry_id].append(posting)
    for entry_id, found in others.items():
        amount = sum(p.amount for p in found)
        items.append(BookItem("entry", entry_id, amount, found[0].effective_date,
                              f"Entry {entry_id}: {found[0].description}", (),
                              ((entry_id, amount, found[0].effective_date),)))
    return items


def points(line: LineFacts, item: BookItem) -> tuple[int, int, str | None] | None:
    """The score out of 100, the days apart and the reference found; None unless the amounts agree to the penny
    within the window. Cheap: the matcher weighs every near pair, and words are made only for those chosen."""
    if line.amount_pence != item.amount_pence:
        return None
    apart = abs(line.posted_on.toordinal() - item.day.toordinal())
    if apart > WINDOW_DAYS:
        return None
    total = 50 + (30 if apart == 0 else 25 if apart == 1 else 20 if apart <= 3 else 10 if apart <= 7 else 0)
    found = next((w for w in item.words if w and w in line.text), None)
    return min(total + (20 if found else 0), 100), apart, found


def explain(item: BookItem, apart: int, found: str | None) -> str:
    """Why the matcher thinks so, in words."""
    when = "the same day" if apart == 0 else f"{apart} day{'s' if apart != 1 else ''} apart"
    pence = abs(item.amount_pence)
    reason = f"Same amount (£{pence // 100:,}.{pence % 100:02d}) as {item.label}; dated {when}"
    return reason + (f"; the description names {found}." if found else ".")


def score(line: LineFacts, item: BookItem) -> tuple[int, str] | None:
    """How likely the line is the item (out of 100), and why; None unless the amounts agree to the penny."""
    scored = points(line, item)
    return None if scored is None else (scored[0], explain(item, scored[1], scored[2]))


#: Points for how many days apart a line and an item are (the index), after the 50 for the same amount.
_DAY_POINTS = (30, 25, 20, 20, 10, 10, 10, 10, *([0] * (WINDOW_DAYS - 7)))


def _pairs(lines: Sequence[LineFacts], items: Sequence[BookItem]) -> list[tuple]:
    """Every (line, item) pair worth a suggestion, best first: the same amount, near in date (``points`` inlined
    here, as this runs for every near pair of a 10,000-line import)."""
    by_amount: dict[int, list[tuple[int, BookItem]]] = defaultdict(list)
    for item in items:
        by_amount[item.amount_pence].append((item.day.toordinal(), item))
    days: dict[int, list[int]] = {}
    for amount, near in by_amount.items():
        near.sort(key=lambda pair: pair[0])
        days[amount] = [day for day, _ in near]
    pairs = []
    for line in lines:
        same = by_amount.get(line.amount_pence)
        if not same:
            continue
        ordinals, day = days[line.amount_pence], line.posted_on.toordinal()
        low = bisect.bisect_left(ordinals, day - WINDOW_DAYS)
        high = min(bisect.bisect_right(ordinals, day + WINDOW_DAYS), low + 2 * NEAREST)
        for item_day, item in same[low:high]:
            apart = abs(day - item_day)
            found = next((w for w in item.words if w in line.text), None) if item.words else None
            total = min(50 + _DAY_POINTS[apart] + (20 if found else 0), 100)
            if total >= MIN_SCORE:
                pairs.append((-total, apart, KIND_ORDER[item.kind], line.id, item.id, item, found))
    pairs.sort()  # (score, days apart, kind, line, item) is unique, so the items themselves are never compared
    return pairs


def suggest(lines: Sequence[LineFacts], items: Sequence[BookItem]) -> list[Suggestion]:
    """The best book item for each line it fits, each item (and each entry) given to one line at most."""
    chosen: list[Suggestion] = []
    used_lines: set[int] = set()
    used_entries: set[int] = set()
    for negative, apart, _order, line_id, _item_id, item, found in _pairs(lines, items):
        if line_id in used_lines:
            continue
        entry_ids = [e[0] for e in item.entries]
        if any(e in used_entries for e in entry_ids):
            continue
        used_lines.add(line_id)
        used_entries.update(entry_ids)
        chosen.append(Suggestion(line_id, item, -negative, explain(item, apart, found)))
    return chosen


def resolve(session: Session, kind: str, target_id: int) -> BookItem:
    """The book item a person named (a run, a payment, a returned payment or an entry), or NotFound naming it."""
    if kind == "payment_run":
        found = paid.payments_of_run(session, target_id)
        if not found:
            raise NotFound(f"There is no confirmed payment run {target_id}.", fields={"target_id": ["not found"]})
        total = sum(p.amount_pence for p in found)
        return BookItem(kind, target_id, -total, found[0].payment_date,
                        f"Payment run {found[0].run_reference}: Bacs total of {len(found)} payment(s)",
                        (normal(found[0].run_reference),),
                        tuple((p.entry_id, -p.amount_pence, p.payment_date) for p in found))
    if kind == "payment":
        payments = paid.payments_by_id(session, [target_id])
        if not payments:
            raise NotFound(f"There is no payment {target_id}.", fields={"target_id": ["not found"]})
        return _payment_items(payments, set())[0]
    if kind == "payment_return":
        back = returns.returns_by_id(session, [target_id])
        if not back:
            raise NotFound(f"There is no returned payment {target_id}.", fields={"target_id": ["not found"]})
        return _return_item(back[0])
    if kind == "entry":
        try:
            postings = queries.postings_of_entries(session, BANK, [target_id])
        except NotFound:
            postings = []
        if not postings:
            raise NotFound(f"Entry {target_id} has no posting on the bank account, so no statement line can be it.",
                           fields={"target_id": ["not on the bank account"]})
        amount = sum(p.amount for p in postings)
        return BookItem(kind, target_id, amount, postings[0].effective_date,
                        f"Entry {target_id}: {postings[0].description}", (),
                        ((target_id, amount, postings[0].effective_date),))
    raise ValidationError("Choose what the line is: payment_run, payment, payment_return or entry.",
                          fields={"kind": ["unknown"]})
