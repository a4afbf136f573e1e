"""The bank reconciliation for any day: the bank's balance per the imported statements, the books' balance of
``bank:main``, and every difference between them listed, so that they add up to the gap exactly.

The reconciliation starts on the first day of the earliest imported line (``starts_on``): the bank's balance on
a day is the opening balance (from the earliest statement: its balance column, OFX ledger balance or what
finance typed on import) plus every line to that day; the books' balance is read from the books' own query.
The differences are:

- ``opening``: the statement's opening balance against the books the day before it starts;
- ``in_bank_only``: a line to the day that is not matched to an entry dated within the period (a bank charge not
  yet posted, a receipt nobody has recorded, or a line matched to an entry dated later);
- ``in_books_only``: an entry on the bank account dated within the period that no line to the day stands for
  (a payment run confirmed but not yet through the bank);
- ``amounts_differ``: a line matched by hand to entries for a different sum.

``explained`` is their total, so ``difference - explained`` is zero unless a line is missing from the imports,
which the bank's own running balance (``statement_says``), where the file has one, also shows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict

from sqlalchemy import BigInteger, cast, func, select
from sqlalchemy.orm import Session

from ledger.banking.models import BankLineEntry, BankStatement, BankStatementLine
from ledger.banking.records import Difference, Reconciliation
from ledger.books import queries
from ledger.errors import NotFound, ValidationError
from ledger.organisation import BANK

_lines = BankStatementLine.__table__
_links = BankLineEntry.__table__


def _books(session: Session, day: dt.date) -> int:
    try:
        return queries.balance(session, BANK, day)
    except NotFound:
        return 0


def _start(session: Session, as_of: dt.date) -> tuple[dt.date, int | None]:
    """The first day of the earliest line, and the opening balance its statement gives (None if none)."""
    first = session.execute(select(_lines.c.posted_on, _lines.c.statement_id)
                            .order_by(_lines.c.posted_on, _lines.c.id).limit(1)).first()
    if first is None:
        raise ValidationError("No bank statement has been imported yet: import one first.",
                              fields={"date": ["no statement"]})
    if as_of < first.posted_on:
        raise ValidationError(f"The imported statements start on {first.posted_on:%-d %B %Y}; choose that day or "
                              "a later one.", fields={"date": ["before the first statement"]})
    opening = session.execute(
        select(BankStatement.opening_balance_pence).where(BankStatement.first_date == first.posted_on,
                                                          BankStatement.opening_balance_pence.is_not(None))
        .order_by(BankStatement.id).limit(1)).scalar_one_or_none()
    return first.posted_on, opening


def _statement_says(session: Session, as_of: dt.date) -> int | None:
    return session.execute(
        select(_lines.c.balance_pence).where(_lines.c.posted_on <= as_of, _lines.c.balance_pence.is_not(None))
        .order_by(_lines.c.posted_on.desc(), _lines.c.statement_id.desc(), _lines.c.position.desc()).limit(1)
    ).scalar_one_or_none()


def _line_differences(session: Session, start: dt.date, as_of: dt.date) -> tuple[list[Difference], int, int, int]:
    """Lines to the day whose matched entries in the period do not add up to them; their total; counts."""
    linked = (select(_links.c.line_id, cast(func.sum(_links.c.amount_pence), BigInteger).label("booked"),
                     func.count().label("n"))
              .where(_links.c.effective_date.between(start, as_of)).group_by(_links.c.line_id).subquery())
    rows = session.execute(
        select(_lines.c.id, _lines.c.posted_on, _lines.c.amount_pence, _lines.c.description, _lines.c.status,
               func.coalesce(linked.c.booked, 0).label("booked"), func.coalesce(linked.c.n, 0).label("n"))
        .outerjoin(linked, linked.c.line_id == _lines.c.id)
        .where(_lines.c.posted_on.between(start, as_of)).order_by(_lines.c.posted_on, _lines.c.id)).all()
    found, total, unmatched = [], 0, 0
    for r in rows:
        total += r.amount_pence
        unmatched += r.status == "unmatched"
        gap = r.amount_pence - r.booked
        if gap:
            kind = "amounts_differ" if r.n else "in_bank_only"
            why = ("matched by hand to entries for a different sum" if r.n else
                   "not matched to anything in the books" if r.status == "unmatched" else
                   "matched to an entry dated after this day")
            found.append(Difference(kind, r.posted_on, gap, f"{r.description}: {why}", line_id=r.id))
    return found, total, len(rows), unmatched


def _book_differences(session: Session, start: dt.date, as_of: dt.date) -> list[Difference]:
    """Entries on the bank account in the period that no line to the day stands for."""
    try:
        postings = queries.statement(session, BANK, start, as_of).lines
    except NotFound:
        return []
    cleared = set(session.execute(select(_links.c.entry_id).join(_lines, _lines.c.id == _links.c.line_id)
                                  .where(_lines.c.posted_on.between(start, as_of))).scalars())
    by_entry: dict[int, list] = defaultdict(list)
    for p in postings:
        if p.entry_id not in cleared:
            by_entry[p.entry_id].append(p)
    return [Difference("in_books_only", found[0].effective_date, -sum(p.amount for p in found),
                       f"Entry {entry_id}: {found[0].description}: not yet on a bank statement line to this day",
                       entry_id=entry_id) for entry_id, found in by_entry.items()]


def reconcile(session: Session, as_of: dt.date) -> Reconciliation:
    """The bank's balance per the statements on ``as_of``, the books' balance, and every difference."""
    start, opening = _start(session, as_of)
    before = _books(session, start - dt.timedelta(days=1))
    assumed = opening is None
    opening_pence = before if opening is None else opening
    differences: list[Difference] = []
    if opening_pence != before:
        differences.append(Difference("opening", start, opening_pence - before,
                                      "The first statement's opening balance is not the books' balance the day "
                                      "before it starts"))
    from_lines, total, count, unmatched = _line_differences(session, start, as_of)
    differences += from_lines
    differences += _book_differences(session, start, as_of)
    differences.sort(key=lambda d: (d.day or start, d.kind, d.line_id or 0, d.entry_id or 0))
    return Reconciliation(as_of=as_of, starts_on=start, bank_balance_pence=opening_pence + total,
                          opening_balance_pence=opening_pence, opening_assumed=assumed,
                          books_balance_pence=_books(session, as_of), differences=tuple(differences),
                          statement_says_pence=_statement_says(session, as_of), line_count=count,
                          unmatched_count=unmatched)


CSV_HEADER = ("date", "kind", "amount", "description", "line_id", "entry_id")


def reconciliation_csv(report: Reconciliation) -> str:
    """The reconciliation as CSV for the month-end file: the three balances first, then every difference; sums
    in pounds as decimal strings (from integer pence, never a float)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)

    def pounds(pence: int) -> str:
        return f"{'-' if pence < 0 else ''}{abs(pence) // 100}.{abs(pence) % 100:02d}"

    day = report.as_of.isoformat()
    writer.writerow((day, "bank_balance", pounds(report.bank_balance_pence), "Balance per the bank statements", "", ""))
    writer.writerow((day, "books_balance", pounds(report.books_balance_pence), "Balance per the books", "", ""))
    writer.writerow((day, "difference", pounds(report.difference_pence), "Bank less books", "", ""))
    for d in report.differences:
        writer.writerow((d.day.isoformat() if d.day else "", d.kind, pounds(d.amount_pence), d.description,
                         d.line_id or "", d.entry_id or ""))
    writer.writerow((day, "unexplained", pounds(report.unexplained_pence), "Difference less the items listed", "", ""))
    return out.getvalue()
