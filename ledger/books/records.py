"""Plain immutable records the books hand out: what was posted, balances and statements."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PostingLine:
    """One line of an entry to be posted: an account code, a signed amount in minor units, its unit.

    ``kind`` says what the line is when the account holds a person's money or time (``ledger.books.kinds``).
    """

    account: str
    amount: int
    unit: str
    memo: str | None = None
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class NewEntry:
    """One entry of several to post together (``post_entries``): a payment run's entry for one payee."""

    effective_date: dt.date
    description: str
    postings: tuple[PostingLine, ...]
    idempotency_key: str
    kind: str = "manual"


@dataclass(frozen=True, slots=True)
class PostedLine:
    id: int
    account: str
    account_id: int
    amount: int
    unit: str
    memo: str | None
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    effective_date: dt.date
    recorded_at: dt.datetime
    description: str
    kind: str
    idempotency_key: str
    actor_user_id: int | None
    reverses_entry_id: int | None
    postings: tuple[PostedLine, ...]


@dataclass(frozen=True, slots=True)
class AccountInfo:
    id: int
    code: str
    name: str
    type: str
    unit: str
    is_open: bool


@dataclass(frozen=True, slots=True)
class StatementLine:
    posting_id: int
    entry_id: int
    effective_date: dt.date
    description: str
    kind: str
    memo: str | None
    amount: int
    running_balance: int
    reverses_entry_id: int | None


@dataclass(frozen=True, slots=True)
class Statement:
    account: AccountInfo
    start: dt.date
    end: dt.date
    opening_balance: int
    lines: tuple[StatementLine, ...]
    closing_balance: int
    next_cursor: str | None = None


@dataclass(frozen=True, slots=True)
class TrialBalanceRow:
    account: AccountInfo
    balance: int


@dataclass(frozen=True, slots=True)
class TrialBalance:
    as_of: dt.date | None
    rows: tuple[TrialBalanceRow, ...]
    totals: dict[str, int]
