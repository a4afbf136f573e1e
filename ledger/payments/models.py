"""Payment runs: a batch of approved claims paid by bank transfer on one date.

A run is drafted (items chosen, benefit check and files produced), then confirmed once the bank has
accepted the file, which posts one payment entry per payee; or cancelled before confirmation.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from ledger.db import Base, BigId

RUN_STATUSES = ("draft", "confirmed", "cancelled")
PAYEE_KINDS = ("participant", "group")


class PaymentRun(Base):
    __tablename__ = "payment_runs"
    __table_args__ = (CheckConstraint("status IN ('draft','confirmed','cancelled')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(18), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    cutoff_date: Mapped[dt.date] = mapped_column(Date)
    payment_date: Mapped[dt.date] = mapped_column(Date)
    total_pence: Mapped[int] = mapped_column(BigInteger, default=0)
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    payee_count: Mapped[int] = mapped_column(Integer, default=0)
    benefit_check: Mapped[dict | None] = mapped_column(JSON)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    confirmed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    bank_reference: Mapped[str | None] = mapped_column(String(100))
    cancelled_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_reason: Mapped[str | None] = mapped_column(Text)


class PaymentRunItem(Base):
    """One approved claim in a run."""

    __tablename__ = "payment_run_items"
    __table_args__ = (
        UniqueConstraint("run_id", "claim_id"),
        CheckConstraint("payee_kind IN ('participant','group')", name="payee_kind"),
        CheckConstraint("amount_pence > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("payment_runs.id", ondelete="CASCADE"), index=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    payee_kind: Mapped[str] = mapped_column(String(12))
    payee_id: Mapped[int] = mapped_column(Integer)
    amount_pence: Mapped[int] = mapped_column(BigInteger)


class Payment(Base):
    """What one payee received in one run, and the entry that posted it."""

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("run_id", "payee_kind", "payee_id"),
        CheckConstraint("payee_kind IN ('participant','group')", name="payee_kind"),
        CheckConstraint("amount_pence > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("payment_runs.id"), index=True)
    payee_kind: Mapped[str] = mapped_column(String(12))
    payee_id: Mapped[int] = mapped_column(Integer)
    amount_pence: Mapped[int] = mapped_column(BigInteger)
    account_last4: Mapped[str | None] = mapped_column(String(4))
    entry_id: Mapped[int] = mapped_column(BigId, ForeignKey("journal_entries.id"))
