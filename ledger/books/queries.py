"""Reading the books: balances, statements and the trial balance.

Current balances come from the stored per-account totals; balances "as of" a date from the daily
totals, so neither scans the postings table. Statements read postings through the
(account, effective date, id) index and compute running balances from the opening balance.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from functools import cache

from sqlalchemy import BigInteger, Date, Integer, Select, bindparam, cast, func, or_, select
from sqlalchemy.orm import Session

from ledger import paging
from ledger.books.models import Account, AccountBalance, AccountDailyTotal, JournalEntry, Posting
from ledger.books.records import (
    AccountInfo,
    Entry,
    PostedLine,
    Statement,
    StatementLine,
    TrialBalance,
    TrialBalanceRow,
)
from ledger.errors import NotFound, ValidationError

_postings = Posting.__table__
_entries = JournalEntry.__table__
_daily = AccountDailyTotal.__table__
_balances = AccountBalance.__table__
_accounts = Account.__table__

MAX_PAGE = 1000

#: An account's own columns, in ``AccountInfo``'s order: what every read that names an account selects.
_ACCOUNT_COLUMNS = (_accounts.c.id, _accounts.c.code, _accounts.c.name, _accounts.c.type, _accounts.c.unit,
                    _accounts.c.is_open)
#: A statement line's columns: posting id, entry id, day, amount, memo, description, kind, reverses.
_LINE_COLUMNS = (_postings.c.id, _postings.c.entry_id, _postings.c.effective_date, _postings.c.amount,
                 _postings.c.memo, _entries.c.description, _entries.c.kind, _entries.c.reverses_entry_id)


def _account_of(row) -> AccountInfo:
    """The account named by a row that selected ``_ACCOUNT_COLUMNS`` (among others)."""
    return AccountInfo(id=row.id, code=row.code, name=row.name, type=row.type, unit=row.unit,
                       is_open=bool(row.is_open))


def _total(column):
    """SUM as a plain integer: PostgreSQL sums BIGINT as NUMERIC, which would come back as a Decimal."""
    return cast(func.coalesce(func.sum(column), 0), BigInteger)


def account_info(session: Session, code: str) -> AccountInfo:
    row = session.execute(select(*_ACCOUNT_COLUMNS).where(_accounts.c.code == code)).first()
    if row is None:
        raise NotFound(f"There is no account with code {code!r}.")
    return _account_of(row)


def list_accounts(session: Session, *, prefix: str | None = None) -> list[AccountInfo]:
    query = select(_accounts).order_by(_accounts.c.code)
    if prefix:
        query = query.where(_accounts.c.code.startswith(prefix, autoescape=True))
    return [_account_of(r) for r in session.execute(query)]


def balance(session: Session, code: str, as_of: dt.date | None = None) -> int:
    """Balance of an account: of everything posted, or of what is effective on or before ``as_of``."""
    return balance_by_id(session, account_info(session, code).id, as_of)


def balance_by_id(session: Session, account_id: int, as_of: dt.date | None = None) -> int:
    if as_of is None:
        return session.execute(
            select(_balances.c.balance).where(_balances.c.account_id == account_id)
        ).scalar_one()
    return session.execute(
        select(_total(_daily.c.amount)).where(
            _daily.c.account_id == account_id, _daily.c.day <= as_of
        )
    ).scalar_one()


def account_with_balance(session: Session, code: str, as_of: dt.date | None = None) -> tuple[AccountInfo, int]:
    """An account and its balance (now, or as of a date) in one round trip: the balance API's whole read, where
    looking the account up first took a second (issue 12)."""
    found = session.execute(_balance_query(as_of is not None), {"code": code, "as_of": as_of}).first()
    if found is None:
        raise NotFound(f"There is no account with code {code!r}.")
    return _account_of(found), int(found.balance or 0)


@cache
def _balance_query(as_of: bool) -> Select:
    """``account_with_balance``'s statement, built once for each shape, as the statements' are: the stored
    balance, or the daily totals up to ``as_of``."""
    if as_of:
        figure = select(_total(_daily.c.amount)).where(
            _daily.c.account_id == _accounts.c.id, _daily.c.day <= bindparam("as_of", type_=Date)).scalar_subquery()
    else:
        figure = select(_balances.c.balance).where(_balances.c.account_id == _accounts.c.id).scalar_subquery()
    return select(*_ACCOUNT_COLUMNS, figure.label("balance")).where(_accounts.c.code == bindparam("code"))


def balances(session: Session, codes: Collection[str]) -> dict[str, int]:
    """Current balances of several accounts by code, in one statement; an account never opened is left out."""
    if not codes:
        return {}
    return dict(session.execute(
        select(_accounts.c.code, _balances.c.balance).join(_balances, _balances.c.account_id == _accounts.c.id)
        .where(_accounts.c.code.in_(sorted(set(codes))))
    ).all())


def encode_cursor(day: dt.date, posting_id: int) -> str:
    return f"{day.isoformat()}.{posting_id}"


def decode_cursor(cursor: str) -> tuple[dt.date, int]:
    try:
        day, posting_id = cursor.split(".", 1)
        return dt.date.fromisoformat(day), int(posting_id)
    except ValueError as exc:
        raise ValidationError("The page cursor is not valid; start again from the first page.",
                              fields={"after": ["invalid"]}) from exc


def statement(
    session: Session,
    code: str,
    start: dt.date,
    end: dt.date,
    *,
    after: str | None = None,
    limit: int | None = None,
) -> Statement:
    """Statement of one account from ``start`` to ``end`` inclusive, optionally one page at a time.

    ``after`` is the ``next_cursor`` of the previous page; the page's opening balance is then the
    previous page's closing balance.
    """
    if end < start:
        raise ValidationError("The statement ends before it starts.", fields={"end": ["before start"]})
    if limit is not None and not 1 <= limit <= MAX_PAGE:
        raise ValidationError(f"A page holds 1 to {MAX_PAGE} lines.", fields={"limit": ["out of range"]})
    values: dict[str, object] = {"code": code, "start": start, "end": end}
    if after is not None:
        day, posting_id = decode_cursor(after)
        if not start <= day <= end:
            raise ValidationError("The page cursor is not from this statement; start again from the first page.",
                                  fields={"after": ["invalid"]})
        values |= {"day": day, "posting_id": posting_id}
    if limit is not None:
        values["limit"] = limit + 1
    head, lines_query = _statement_queries(after is not None, limit is not None)
    found = session.execute(head, values).first()
    if found is None:
        raise NotFound(f"There is no account with code {code!r}.")
    info = _account_of(found)
    opening: int = found.opening
    rows = session.execute(lines_query, values | {"account_id": info.id}).all()
    next_cursor = None
    if limit is not None and len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].effective_date, rows[-1].id)
    running = opening
    lines = []
    for posting_id_, entry_id, day_, amount, memo, description, kind, reverses in rows:
        running += amount
        lines.append(StatementLine(posting_id_, entry_id, day_, description, kind, memo, amount, running, reverses))
    return Statement(account=info, start=start, end=end, opening_balance=opening, lines=tuple(lines),
                     closing_balance=running, next_cursor=next_cursor)


def statements(session: Session, codes: tuple[str, ...], start: dt.date, end: dt.date) -> dict[str, Statement]:
    """Whole statements of several accounts over one date range in two round trips (the accounts with their
    opening balances, then every posting), for a participant's statement of their three accounts: one account at
    a time took nine (issue 12). An account that does not exist is left out of the answer."""
    if end < start:
        raise ValidationError("The statement ends before it starts.", fields={"end": ["before start"]})
    heads, lines_query = _statements_queries()
    accounts = {r.id: (_account_of(r), r.opening)
                for r in session.execute(heads, {"codes": list(codes), "start": start})}
    lines: dict[int, list[StatementLine]] = defaultdict(list)
    running = {id_: opening_balance for id_, (_info, opening_balance) in accounts.items()}
    if accounts:
        rows = session.execute(lines_query, {"account_ids": list(accounts), "start": start, "end": end})
        for account_id, posting_id, entry_id, day, amount, memo, description, kind, reverses in rows:
            running[account_id] += amount
            lines[account_id].append(StatementLine(posting_id, entry_id, day, description, kind, memo, amount,
                                                   running[account_id], reverses))
    return {info.code: Statement(account=info, start=start, end=end, opening_balance=opening_balance,
                                 lines=tuple(lines[id_]), closing_balance=running[id_], next_cursor=None)
            for id_, (info, opening_balance) in accounts.items()}


@cache
def _statements_queries() -> tuple[Select, Select]:
    """``statements``' two statements (the accounts with their opening balances, then their lines), built once
    with their values bound per call, as ``_statement_queries`` are."""
    start = bindparam("start", type_=Date)
    opening = select(_total(_daily.c.amount)).where(
        _daily.c.account_id == _accounts.c.id, _daily.c.day < start).scalar_subquery()
    heads = select(*_ACCOUNT_COLUMNS, opening.label("opening")
                   ).where(_accounts.c.code.in_(bindparam("codes", expanding=True)))
    lines = (select(_postings.c.account_id, *_LINE_COLUMNS)
             .join(_entries, _entries.c.id == _postings.c.entry_id)
             .where(_postings.c.account_id.in_(bindparam("account_ids", expanding=True)),
                    _postings.c.effective_date.between(start, bindparam("end", type_=Date)))
             .order_by(_postings.c.account_id, _postings.c.effective_date, _postings.c.id))
    return heads, lines


@cache
def _statement_queries(later_page: bool, paged: bool) -> tuple[Select, Select]:
    """A statement's two statements, built once for each shape (first or later page, paged or whole) with their
    values bound per call: building them took a quarter of a 100-line statement's Python (issue 12).

    The first gives the account with the page's opening balance, in one round trip: for the first page the
    daily totals before ``start``; for a later page the whole days before the cursor's day, then that day's
    postings up to the cursor (the previous page's closing balance). The second gives the page's lines.
    """
    account = _accounts.c.id
    if later_page:
        day, posting_id = bindparam("day", type_=Date), bindparam("posting_id", type_=Integer)
        opening = (select(_total(_daily.c.amount)).where(_daily.c.account_id == account, _daily.c.day < day)
                   .scalar_subquery()
                   + select(_total(_postings.c.amount)).where(
                       _postings.c.account_id == account, _postings.c.effective_date == day,
                       _postings.c.id <= posting_id).scalar_subquery())
    else:
        opening = select(_total(_daily.c.amount)).where(
            _daily.c.account_id == account, _daily.c.day < bindparam("start", type_=Date)).scalar_subquery()
    head = select(*_ACCOUNT_COLUMNS, opening.label("opening")).where(_accounts.c.code == bindparam("code"))
    end = bindparam("end", type_=Date)
    if later_page:
        # Start the index range at the cursor's day: with the day only inside an OR, PostgreSQL scans the
        # account's postings from ``start`` and filters them (56,000 rows for a mid-year page of a busy account).
        where = [_postings.c.effective_date.between(day, end),
                 or_(_postings.c.effective_date > day, _postings.c.id > posting_id)]
    else:
        where = [_postings.c.effective_date.between(bindparam("start", type_=Date), end)]
    lines = (
        select(*_LINE_COLUMNS)
        .join(_entries, _entries.c.id == _postings.c.entry_id)
        .where(_postings.c.account_id == bindparam("account_id", type_=Integer), *where)
        .order_by(_postings.c.effective_date, _postings.c.id)
    )
    if paged:
        lines = lines.limit(bindparam("limit", type_=Integer))
    return head, lines


ENTRIES_PREFIX = "en1:"
MAX_ENTRIES_PAGE = 200


def list_entries(
    session: Session, *, account: str | None = None, date_from: dt.date | None = None,
    date_to: dt.date | None = None, kind: str | None = None, cursor: str | None = None, limit: int = 50,
) -> tuple[list[Entry], str | None]:
    """Journal entries, newest first, with their postings: those touching ``account``, effective within the
    dates (inclusive), of one ``kind``; a page at a time, keyed on the entry id, with the next page's cursor."""
    if date_from and date_to and date_from > date_to:
        raise ValidationError("from must be on or before to.", fields={"from": ["after to"]})
    query = select(JournalEntry).order_by(JournalEntry.id.desc()).limit(min(max(limit, 1), MAX_ENTRIES_PAGE) + 1)
    if account is not None:
        account_id = account_info(session, account).id
        query = query.where(JournalEntry.id.in_(select(Posting.entry_id).where(Posting.account_id == account_id)))
    if date_from is not None:
        query = query.where(JournalEntry.effective_date >= date_from)
    if date_to is not None:
        query = query.where(JournalEntry.effective_date <= date_to)
    if kind is not None:
        query = query.where(JournalEntry.kind == kind)
    below = paging.decode_cursor(ENTRIES_PREFIX, cursor, (int,))
    if below is not None:
        query = query.where(JournalEntry.id < below[0])
    entries, next_cursor = paging.page_of(session.execute(query).scalars().all(), limit, ENTRIES_PREFIX,
                                          lambda e: (e.id,))
    lines: dict[int, list[PostedLine]] = defaultdict(list)
    if entries:
        for r in session.execute(
                select(Posting.id, Posting.entry_id, Posting.account_id, Account.code, Posting.amount, Posting.unit,
                       Posting.memo, Posting.kind)
                .join(Account, Account.id == Posting.account_id)
                .where(Posting.entry_id.in_([e.id for e in entries])).order_by(Posting.id)):
            lines[r.entry_id].append(PostedLine(id=r.id, account=r.code, account_id=r.account_id, amount=r.amount,
                                                unit=r.unit, memo=r.memo, kind=r.kind))
    return [Entry(id=e.id, effective_date=e.effective_date, recorded_at=e.recorded_at, description=e.description,
                  kind=e.kind, idempotency_key=e.idempotency_key, actor_user_id=e.actor_user_id,
                  reverses_entry_id=e.reverses_entry_id, postings=tuple(lines[e.id])) for e in entries], next_cursor


def _trial_balance_query(as_of: dt.date | None, dialect: str):
    columns = _ACCOUNT_COLUMNS
    if as_of is None:
        query = select(*columns, _balances.c.balance.label("balance")).join(
            _balances, _balances.c.account_id == _accounts.c.id
        )
    else:
        sums = (
            select(_daily.c.account_id, _total(_daily.c.amount).label("balance"))
            .where(_daily.c.day <= as_of)
            .group_by(_daily.c.account_id)
            .subquery()
        )
        query = select(*columns, func.coalesce(sums.c.balance, 0).label("balance")).outerjoin(
            sums, sums.c.account_id == _accounts.c.id
        )
    # Codes in byte order on every database: SQLite's own order, and on PostgreSQL a plain comparison of bytes
    # instead of the locale's collation rules, a third of the query's time at 3,700 accounts (issue 12).
    return query.order_by(_accounts.c.code.collate("C") if dialect == "postgresql" else _accounts.c.code)


#: One account's line of the trial balance as the database gives it: id, code, name, type, unit, is_open, balance.
TrialBalanceTuple = tuple[int, str, str, str, str, bool, int]


def trial_balance_tuples(session: Session, as_of: dt.date | None = None) -> list[TrialBalanceTuple]:
    """The trial balance's rows as plain tuples, in code order, for an answer of thousands of accounts: making
    a record per account cost more than the query itself at 3,700 accounts (issue 12). The driver's own rows are
    taken as they come (every column is already a plain value: the sums are cast to integers in SQL)."""
    result = session.execute(_trial_balance_query(as_of, session.get_bind().dialect.name))
    try:
        return list(result.cursor.fetchall())  # type: ignore[attr-defined]
    finally:
        result.close()


def trial_balance(session: Session, as_of: dt.date | None = None) -> TrialBalance:
    """Every account's balance and the total per unit, which is zero when the books are sound."""
    rows = []
    totals: dict[str, int] = defaultdict(int)
    for id_, code, name, type_, unit, is_open, balance in trial_balance_tuples(session, as_of):
        info = AccountInfo(id=id_, code=code, name=name, type=type_, unit=unit, is_open=bool(is_open))
        rows.append(TrialBalanceRow(account=info, balance=balance))
        totals[unit] += balance
    return TrialBalance(as_of=as_of, rows=tuple(rows), totals=dict(totals))


def postings_of_entries(session: Session, code: str, entry_ids: list[int]) -> list[StatementLine]:
    """The postings that the given entries made on one account (a bank statement line matched to them)."""
    if not entry_ids:
        return []
    info = account_info(session, code)
    rows = session.execute(
        select(*_LINE_COLUMNS)
        .join(_entries, _entries.c.id == _postings.c.entry_id)
        .where(_postings.c.account_id == info.id, _postings.c.entry_id.in_(entry_ids))
        .order_by(_postings.c.effective_date, _postings.c.id))
    return [StatementLine(posting_id=r.id, entry_id=r.entry_id, effective_date=r.effective_date,
                          description=r.description, kind=r.kind, memo=r.memo, amount=r.amount, running_balance=0,
                          reverses_entry_id=r.reverses_entry_id) for r in rows]
