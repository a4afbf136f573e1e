"""Bank statements as the pages, the API and the CLI read them: frozen records, money in integer pence."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StatementRecord:
    id: int
    account: str
    format: str
    preset: str | None
    filename: str
    line_count: int
    added_count: int
    first_date: dt.date | None
    last_date: dt.date | None
    opening_balance_pence: int | None
    closing_balance_pence: int | None
    imported_by_user_id: int | None
    imported_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import did: ``added`` new lines (none when the file was imported before), and the suggestions."""

    statement: StatementRecord | None
    line_count: int
    added: int
    already_imported: int
    suggested: int

    @property
    def message(self) -> str:
        if not self.added:
            return (f"All {self.line_count} line(s) of this file were imported before: nothing was added.")
        again = f" {self.already_imported} line(s) were imported before and were left as they were." \
            if self.already_imported else ""
        return (f"Imported {self.added} new line(s).{again} {self.suggested} line(s) have a suggested match "
                "waiting for you to confirm.")


@dataclass(frozen=True, slots=True)
class MatchedEntry:
    entry_id: int
    amount_pence: int
    effective_date: dt.date


@dataclass(frozen=True, slots=True)
class LineRecord:
    id: int
    statement_id: int
    account: str
    posted_on: dt.date
    amount_pence: int
    description: str
    reference: str | None
    fitid: str | None
    balance_pence: int | None
    status: str
    suggested_kind: str | None
    suggested_id: int | None
    suggested_score: int | None
    suggested_reason: str | None
    match_kind: str | None
    match_id: int | None
    match_score: int | None
    match_reason: str | None
    matched_by_user_id: int | None
    matched_at: dt.datetime | None
    entries: tuple[MatchedEntry, ...] = ()

    @property
    def has_suggestion(self) -> bool:
        return self.status == "unmatched" and self.suggested_kind is not None

    @property
    def money_in(self) -> bool:
        return self.amount_pence > 0


@dataclass(frozen=True, slots=True)
class LinePage:
    lines: tuple[LineRecord, ...]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A book item a person might match a line to, with the matcher's score (0 when the amounts differ)."""

    kind: str
    id: int
    amount_pence: int
    day: dt.date
    label: str
    score: int
    reason: str


@dataclass(frozen=True, slots=True)
class Difference:
    """One reason the bank and the books disagree on the day: ``amount_pence`` is its effect on bank minus books."""

    kind: str  # opening | in_bank_only | in_books_only | amounts_differ
    day: dt.date | None
    amount_pence: int
    description: str
    line_id: int | None = None
    entry_id: int | None = None


@dataclass(frozen=True, slots=True)
class Reconciliation:
    as_of: dt.date
    starts_on: dt.date
    bank_balance_pence: int
    opening_balance_pence: int
    opening_assumed: bool
    books_balance_pence: int
    differences: tuple[Difference, ...]
    statement_says_pence: int | None
    line_count: int
    unmatched_count: int

    @property
    def difference_pence(self) -> int:
        return self.bank_balance_pence - self.books_balance_pence

    @property
    def explained_pence(self) -> int:
        return sum(d.amount_pence for d in self.differences)

    @property
    def unexplained_pence(self) -> int:
        return self.difference_pence - self.explained_pence

    @property
    def statement_disagrees(self) -> bool:
        """The bank's own running balance differs from the lines imported: some lines are missing."""
        return self.statement_says_pence is not None and self.statement_says_pence != self.bank_balance_pence
