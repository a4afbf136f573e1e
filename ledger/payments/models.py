"""Payment runs: a batch of approved claims paid by bank transfer on one date.

A run is drafted (items chosen, benefit check and files produced), then confirmed once the bank has
accepted the file, which posts one payment entry per payee; or cancelled before confirmation. Its status
changes only through ``ledger.payments.workflow``; each change is an event (``ledger.events``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from ledger.db import Base, BigId, UTCDateTime
from ledger.encryption import EncryptedJSON

RUN_STATUSES = ("draft", "confirmed", "cancelled")
PAYEE_KINDS = ("participant", "group")
# Why a payee's claims were left out of a run: they wait for a later one.
EXCLUSION_REASONS = ("no_bank_details", "benefit_block", "removed", "held", "payment_returned", "owes_back")
HOLD_STATUSES = ("held", "released")
# Why the bank sent a payment back.
RETURN_REASONS = ("account_closed", "details_wrong", "other")


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
    # The date finance asked for (the payment date moves to a banking day) and the day the benefits were checked.
    requested_payment_date: Mapped[dt.date | None] = mapped_column(Date)
    benefit_checked_on: Mapped[dt.date | None] = mapped_column(Date)
    # Why the run went ahead although it affects someone's benefits, and who said so.
    override_reason: Mapped[str | None] = mapped_column(Text)
    override_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    override_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), server_default=func.now())
    confirmed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    bank_reference: Mapped[str | None] = mapped_column(String(100))
    cancelled_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
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
    # Indexed: a statement line or a receipt finds the payment (and its run) behind an entry.
    entry_id: Mapped[int] = mapped_column(BigId, ForeignKey("journal_entries.id"), index=True)


class PaymentRunBenefitCheck(Base):
    """The batch benefit check of one participant's fees in a run, as it stood when the run was drafted."""

    __tablename__ = "payment_run_benefit_checks"
    __table_args__ = (
        UniqueConstraint("run_id", "payee_kind", "payee_id"),
        CheckConstraint("payee_kind IN ('participant','group')", name="payee_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("payment_runs.id", ondelete="CASCADE"), index=True)
    payee_kind: Mapped[str] = mapped_column(String(12))
    payee_id: Mapped[int] = mapped_column(Integer)
    fee_pence: Mapped[int] = mapped_column(BigInteger, default=0)
    fee_minutes: Mapped[int] = mapped_column(Integer, default=0)
    # Fees the organisation's setting held back (block): left out of the run, listed as an exclusion.
    held_fee_pence: Mapped[int] = mapped_column(BigInteger, default=0)
    # ``ledger.benefit_checks.BenefitCheck.to_json()``
    benefit_check: Mapped[dict] = mapped_column(EncryptedJSON)  # benefit data: encrypted at rest


class PaymentRunExclusion(Base):
    """A payee's claims that could have been in the run but are not, and why: they wait for a later run."""

    __tablename__ = "payment_run_exclusions"
    __table_args__ = (
        CheckConstraint("payee_kind IN ('participant','group')", name="payee_kind"),
        CheckConstraint("reason IN ('no_bank_details','benefit_block','removed','held','payment_returned',"
                        "'owes_back')", name="reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("payment_runs.id", ondelete="CASCADE"), index=True)
    payee_kind: Mapped[str] = mapped_column(String(12))
    payee_id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    amount_pence: Mapped[int] = mapped_column(BigInteger)
    claim_ids: Mapped[list] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    excluded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    excluded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Hold(Base):
    """A claim, or every claim of one payee, kept out of payment runs until someone releases it, and why.

    Its own record, not a claim status: the claim's workflow is unchanged, and the hold's history (who held,
    why, who released, with what note) is kept whole for the auditor. ``status`` changes only through
    ``ledger.payments.holds.HOLD``.
    """

    __tablename__ = "holds"
    __table_args__ = (
        CheckConstraint("status IN ('held','released')", name="status"),
        CheckConstraint("(claim_id IS NOT NULL AND payee_kind IS NULL AND payee_id IS NULL) OR "
                        "(claim_id IS NULL AND payee_kind IN ('participant','group') AND payee_id IS NOT NULL)",
                        name="one_subject"),
        Index("ix_holds_payee", "payee_kind", "payee_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(12), default="held")
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)
    payee_kind: Mapped[str | None] = mapped_column(String(12))
    payee_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    held_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    held_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    released_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    released_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    release_note: Mapped[str | None] = mapped_column(Text)


class PaymentReturn(Base):
    """A payment the bank sent back (account closed, details wrong), and the entry putting it back as owed."""

    __tablename__ = "payment_returns"
    __table_args__ = (
        CheckConstraint("reason IN ('account_closed','details_wrong','other')", name="reason"),
        CheckConstraint("amount_pence > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("payment_runs.id"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), unique=True)
    payee_kind: Mapped[str] = mapped_column(String(12))
    payee_id: Mapped[int] = mapped_column(Integer)
    amount_pence: Mapped[int] = mapped_column(BigInteger)
    returned_on: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    bank_reference: Mapped[str] = mapped_column(String(100))
    entry_id: Mapped[int] = mapped_column(BigId, ForeignKey("journal_entries.id"))
    recorded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
