"""Tables of the books. Written only by ``ledger.books.posting`` (manual entries: ``ledger.books.manual``).

Read by ``ledger.books.queries``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from ledger.db import Base, BigId, UTCDateTime

ACCOUNT_TYPES = ("asset", "liability", "income", "expense", "equity")


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("id", "unit", name="uq_accounts_id_unit"),
        CheckConstraint("type IN ('asset','liability','income','expense','equity')", name="type"),
        CheckConstraint("unit IN ('GBP','TIME')", name="unit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    unit: Mapped[str] = mapped_column(String(8))
    is_open: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), server_default=func.now())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class JournalEntry(Base):
    __tablename__ = "journal_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    effective_date: Mapped[dt.date] = mapped_column(Date)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    description: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40), default="manual")
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    # How the fingerprint was taken (ledger.books.posting.FINGERPRINT_VERSION), so old ones still check.
    fingerprint_version: Mapped[int] = mapped_column(SmallInteger, default=3, server_default="2")
    reverses_entry_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("journal_entries.id"), unique=True
    )

    __table_args__ = (Index("ix_journal_entries_effective_date", "effective_date"),)


class Posting(Base):
    __tablename__ = "postings"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="nonzero"),
        ForeignKeyConstraint(
            ["account_id", "unit"], ["accounts.id", "accounts.unit"], name="fk_postings_account_unit"
        ),
        Index("ix_postings_account_date", "account_id", "effective_date", "id"),
        Index("ix_postings_entry_id", "entry_id"),
        CheckConstraint(
            "kind IS NULL OR kind IN ('fee','expense','flat_rate_allowance','voucher','redirected','advance',"
            "'advance_settlement','advance_repaid','advance_surplus_kept','time_credits','mixed')",
            name="kind",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(BigId, ForeignKey("journal_entries.id"))
    account_id: Mapped[int] = mapped_column()
    unit: Mapped[str] = mapped_column(String(8))
    amount: Mapped[int] = mapped_column(BigInteger)
    effective_date: Mapped[dt.date] = mapped_column(Date)
    memo: Mapped[str | None] = mapped_column(Text)
    # What the posting is, on an account holding a person's money or time (ledger.books.kinds).
    kind: Mapped[str | None] = mapped_column(String(24))


class AccountBalance(Base):
    """Running total per account, updated in the same transaction as the postings (and row-locked)."""

    __tablename__ = "account_balances"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    unit: Mapped[str] = mapped_column(String(8))
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    postings_count: Mapped[int] = mapped_column(BigInteger, default=0)


class AccountDailyTotal(Base):
    """Net movement per account per effective day: answers "balance as of" without scanning postings."""

    __tablename__ = "account_daily_totals"
    __table_args__ = (Index("ix_account_daily_totals_cover", "account_id", "day", "amount"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger, default=0)


class LockedPeriod(Base):
    __tablename__ = "locked_periods"

    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    locked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    locked_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Why the month was closed (required since migration 0012; months locked before then have none).
    reason: Mapped[str | None] = mapped_column(Text)


#: A request to reopen a locked month: waiting for a second person, then approved (the month opens) or rejected.
REOPEN_STATUSES = ("requested", "approved", "rejected")


class PeriodReopenRequest(Base):
    """An admin's request to reopen the latest locked month, and the second person's decision on it.

    Written only by ``ledger.books.periods``; the month is unlocked only when a different user approves.
    """

    __tablename__ = "period_reopen_requests"
    __table_args__ = (
        CheckConstraint("status IN ('requested','approved','rejected')", name="status"),
        Index("ix_period_reopen_requests_month", "month", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    requested_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str | None] = mapped_column(Text)


#: What a manual journal entry can be: posted at once, or waiting for a second finance user, then posted or rejected.
MANUAL_ENTRY_STATUSES = ("waiting_for_approval", "posted", "rejected")


class ManualEntry(Base):
    """A journal entry finance made by hand: why (the reason), who proposed it, who approved it, and its entry.

    Written only by ``ledger.books.manual``. An entry at or below the second-approval amount is posted at once
    (status ``posted``, no second user); above it, it waits here until a different finance user approves it.
    """

    __tablename__ = "manual_entries"
    __table_args__ = (
        CheckConstraint("status IN ('waiting_for_approval','posted','rejected')", name="status"),
        Index("ix_manual_entries_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    status: Mapped[str] = mapped_column(String(24))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    effective_date: Mapped[dt.date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40))
    # The lines as proposed: [{"account", "amount", "unit", "memo", "kind"}], posted exactly so on approval.
    postings: Mapped[list] = mapped_column(JSON)
    gbp_debits_pence: Mapped[int] = mapped_column(BigInteger)
    needs_second_user: Mapped[bool] = mapped_column(Boolean)
    proposed_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    entry_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("journal_entries.id"), unique=True)
