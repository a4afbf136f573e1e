"""Bank statement tables: each imported file, each line the bank reported (stored once), and what it matched.

A line is stored once however often its file (or an overlapping one) is imported: its ``fingerprint`` (the
account, day, amount, description, the bank's FITID where given, and which occurrence of an identical line
in its file it is) is unique. A book entry is matched to at most one line (``bank_line_entries.entry_id`` is
unique), so no payment is counted as cleared twice. ``status`` changes only through
``ledger.banking.workflow.LINE``; each change is an event.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ledger.db import Base, BigId, UTCDateTime

FORMATS = ("csv", "ofx")
#: What a line can be matched to: a confirmed run's Bacs total, one payee's payment in it, a returned payment,
#: or any other entry on the bank account.
MATCH_KINDS = ("payment_run", "payment", "payment_return", "entry")


class BankStatement(Base):
    """One imported file: where it came from, who imported it, and what it added."""

    __tablename__ = "bank_statements"
    __table_args__ = (CheckConstraint("format IN ('csv','ofx')", name="format"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(60))
    format: Mapped[str] = mapped_column(String(4))
    preset: Mapped[str | None] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(200))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    line_count: Mapped[int] = mapped_column(Integer)
    added_count: Mapped[int] = mapped_column(Integer)
    first_date: Mapped[dt.date | None] = mapped_column(Date)
    last_date: Mapped[dt.date | None] = mapped_column(Date)
    # The balance before the file's first line, when the file says (a balance column, OFX's ledger balance) or
    # finance typed it on import; and the balance after its last line, when the file says.
    opening_balance_pence: Mapped[int | None] = mapped_column(BigInteger)
    closing_balance_pence: Mapped[int | None] = mapped_column(BigInteger)
    imported_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class BankStatementLine(Base):
    """One line of a statement: money in (positive) or out (negative), in pence, as the bank reported it."""

    __tablename__ = "bank_statement_lines"
    __table_args__ = (
        CheckConstraint("status IN ('matched','unmatched')", name="status"),
        CheckConstraint("match_kind IS NULL OR match_kind IN ('payment_run','payment','payment_return','entry')",
                        name="match_kind"),
        CheckConstraint("suggested_kind IS NULL OR suggested_kind IN "
                        "('payment_run','payment','payment_return','entry')", name="suggested_kind"),
        Index("ix_bank_statement_lines_status_posted_on", "status", "posted_on", "id"),
        Index("ix_bank_statement_lines_posted_on", "posted_on", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("bank_statements.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # in the file, oldest first
    account: Mapped[str] = mapped_column(String(60))
    posted_on: Mapped[dt.date] = mapped_column(Date)
    amount_pence: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(String(300))
    reference: Mapped[str | None] = mapped_column(String(100))
    fitid: Mapped[str | None] = mapped_column(String(100))
    balance_pence: Mapped[int | None] = mapped_column(BigInteger)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="unmatched")
    # What the matcher thinks the line is (not a status: finance confirms it or not).
    suggested_kind: Mapped[str | None] = mapped_column(String(16))
    suggested_id: Mapped[int | None] = mapped_column(BigInteger)
    suggested_score: Mapped[int | None] = mapped_column(Integer)
    suggested_reason: Mapped[str | None] = mapped_column(Text)
    # What finance matched it to, how sure the matcher was (none for a match by hand) and why.
    match_kind: Mapped[str | None] = mapped_column(String(16))
    match_id: Mapped[int | None] = mapped_column(BigInteger)
    match_score: Mapped[int | None] = mapped_column(Integer)
    match_reason: Mapped[str | None] = mapped_column(Text)
    matched_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    matched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class BankLineEntry(Base):
    """A book entry (its posting on the bank account) that a matched line stands for."""

    __tablename__ = "bank_line_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    line_id: Mapped[int] = mapped_column(BigId, ForeignKey("bank_statement_lines.id"), index=True)
    entry_id: Mapped[int] = mapped_column(BigId, ForeignKey("journal_entries.id"), unique=True)
    amount_pence: Mapped[int] = mapped_column(BigInteger)
    effective_date: Mapped[dt.date] = mapped_column(Date)
