"""A small organisation's chart of accounts, a shorthand for posting to it, and a way to tamper with it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ledger.books import posting
from ledger.books.models import AccountBalance, AccountDailyTotal, JournalEntry, LockedPeriod, Posting
from ledger.books.records import Entry, PostingLine

# code: (name, type, unit)
CHART = {
    "bank": ("Bank current account", "asset", "GBP"),
    "advance:participant:1": ("Advance held by Ann", "asset", "GBP"),
    "owed:participant:1": ("Owed to Ann", "liability", "GBP"),
    "owed:participant:2": ("Owed to Bilal", "liability", "GBP"),
    "owed:group:1": ("Owed to Carers Voice (user-led group)", "liability", "GBP"),
    "fees:project:guide": ("Co-production fees, dementia guide", "expense", "GBP"),
    "expenses:project:guide": ("Co-production expenses, dementia guide", "expense", "GBP"),
    "grant:council": ("Council co-production grant", "income", "GBP"),
    "equity:opening": ("Opening balances", "equity", "GBP"),
    "time:issued": ("Time credits issued", "equity", "TIME"),
    "time:participant:1": ("Ann's time credits", "liability", "TIME"),
    "time:partner:1": ("Time credits spent at the leisure centre", "liability", "TIME"),
}

JUNE = dt.date(2025, 6, 1)


def unit_of(code: str) -> str:
    return CHART[code][2]


def open_chart(session: Session) -> None:
    for code, (name, type_, unit) in CHART.items():
        posting.open_account(session, code=code, name=name, type=type_, unit=unit)


# What a line to a person's account is, when a test does not say: the books require every such line to say.
PERSON_KINDS = {"owed:participant:": "fee", "owed:group:": "redirected", "advance:participant:": "advance",
                "time:participant:": "time_credits"}


def kind_for(code: str) -> str | None:
    return next((kind for prefix, kind in PERSON_KINDS.items() if code.startswith(prefix)), None)


def line(code: str, amount: int, unit: str, memo: str | None = None) -> PostingLine:
    return PostingLine(code, amount, unit, memo, kind_for(code))


def post(session: Session, key: str, day: dt.date, *lines: tuple, description: str = "Fee for the advisory group",
         kind: str = "fee") -> Entry:
    """Post ``(code, amount)`` or ``(code, amount, memo)`` lines, each in its account's unit."""
    postings = [line(x[0], x[1], unit_of(x[0]), x[2] if len(x) > 2 else None) for x in lines]
    return posting.post_entry(session, effective_date=day, description=description, postings=postings,
                              idempotency_key=key, kind=kind)


def fee(session: Session, key: str, day: dt.date, pence: int, payee: str = "owed:participant:1") -> Entry:
    """A fee approved: the project's fees (debit) against what is owed to the payee (credit)."""
    return post(session, key, day, ("fees:project:guide", pence), (payee, -pence))


def books_state(session: Session) -> tuple:
    """Everything the posting code writes, to show that a refusal wrote nothing."""
    return (
        session.execute(select(func.count()).select_from(JournalEntry)).scalar_one(),
        session.execute(select(func.count()).select_from(Posting)).scalar_one(),
        tuple(session.execute(select(AccountBalance.account_id, AccountBalance.balance, AccountBalance.postings_count)
                              .order_by(AccountBalance.account_id)).all()),
        tuple(session.execute(select(AccountDailyTotal.account_id, AccountDailyTotal.day, AccountDailyTotal.amount)
                              .order_by(AccountDailyTotal.account_id, AccountDailyTotal.day)).all()),
        session.execute(select(func.count()).select_from(LockedPeriod)).scalar_one(),
    )


def tamper(session: Session) -> None:
    """Let this transaction change what the database otherwise protects, as a careless admin might.

    On SQLite the guard triggers are dropped (inside the transaction, so a rollback restores them) and
    CHECK and foreign key constraints are set aside; on PostgreSQL triggers are switched off for the
    transaction (``session_replication_role``; the test user is a superuser).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL session_replication_role = replica"))
        return
    for name in session.execute(text(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('journal_entries', 'postings')"
    )).scalars().all():
        session.execute(text(f'DROP TRIGGER "{name}"'))
    session.execute(text("PRAGMA ignore_check_constraints = ON"))
    session.execute(text("PRAGMA defer_foreign_keys = ON"))
