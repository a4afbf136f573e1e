"""Claims, their lines, receipts, approvals and history; expense advances.

Money is integer pence, time whole minutes. A claim's status changes only through
``ledger.claims.workflow``; every change is an event (``ledger.events``), which is the claim's history.
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
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from ledger.db import Base, BigId, UTCDateTime
from ledger.encryption import EncryptedBytes, EncryptedJSON

CLAIM_KINDS = ("fee", "expense", "time_credit")
STATUSES = ("draft", "submitted", "returned", "approved", "rejected", "cancelled", "paid")
# What the participant chose to do with a fee offered to them.
CHOICES = ("take", "take_less", "decline", "redirect", "time_credits")
# Taking less than the fee: what happens to the rest (declined, as time credits, to a group, paid later).
RESTS = ("decline", "time_credits", "redirect", "later")
EXPENSE_CATEGORIES = (
    "public_transport", "taxi", "mileage", "accommodation", "meals", "replacement_care",
    "support_worker", "personal_assistant", "childcare", "other",
)
ADVANCE_STATUSES = ("requested", "approved", "rejected", "paid", "settled")
# How an approved advance reached the participant when it was not paid by bank transfer from the ledger.
ADVANCE_PAID_BY = ("transfer", "cheque", "cash", "card")


class Claim(Base):
    __tablename__ = "claims"
    __table_args__ = (
        CheckConstraint("kind IN ('fee','expense','time_credit')", name="kind"),
        CheckConstraint(
            "status IN ('draft','submitted','returned','approved','rejected','cancelled','paid')", name="status"
        ),
        CheckConstraint(
            "choice IS NULL OR choice IN ('take','take_less','decline','redirect','time_credits')", name="choice"
        ),
        CheckConstraint("rest IS NULL OR rest IN ('decline','time_credits','redirect','later')", name="rest"),
        CheckConstraint("amount_pence >= 0", name="amount_not_negative"),
        CheckConstraint("time_minutes >= 0", name="time_not_negative"),
        CheckConstraint("repricing_owed_pence >= 0", name="repricing_owed_not_negative"),
        Index("ix_claims_status_participant", "status", "participant_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text)
    # Fee: the minutes paid for (activity plus preparation) and the hourly rate used. offered = what the rules
    # give (an expense claim's total); amount = what a payment run is to pay: under the participant's choice
    # for a fee (to group_id when redirected; 0 when declined or taken as time credits), and for expenses
    # the total less any advance it settled or advance surplus netted off it.
    worked_minutes: Mapped[int | None] = mapped_column(Integer)
    rate_pence: Mapped[int | None] = mapped_column(Integer)
    rate_basis: Mapped[str | None] = mapped_column(String(120))
    offered_pence: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_pence: Mapped[int] = mapped_column(BigInteger, default=0)
    time_minutes: Mapped[int] = mapped_column(Integer, default=0)
    choice: Mapped[str | None] = mapped_column(String(16))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("user_led_groups.id"))
    choice_recorded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    choice_recorded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    assisted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), server_default=func.now())
    submitted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)
    override_reason: Mapped[str | None] = mapped_column(Text)
    policy_outcome: Mapped[str | None] = mapped_column(String(8))
    # The benefit check as it stood: benefit data, encrypted at rest (``ledger.encryption``).
    policy_decision: Mapped[dict | None] = mapped_column(EncryptedJSON)
    # Indexed: statements and the benefit check join entries back to the claims that posted them.
    accrual_entry_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("journal_entries.id"), index=True)
    reversal_entry_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("journal_entries.id"), index=True)
    payment_run_id: Mapped[int | None] = mapped_column(ForeignKey("payment_runs.id"), index=True)
    paid_on: Mapped[dt.date | None] = mapped_column(Date)
    # Pay rules found when the fee was priced (and, for a stale rate, when it was approved): a flat fee below
    # the legal minimum for its hours (that minimum, and why), and a rate past its rules-file stale date.
    legal_minimum_pence: Mapped[int | None] = mapped_column(BigInteger)
    minimum_note: Mapped[str | None] = mapped_column(Text)
    rate_stale_since: Mapped[dt.date | None] = mapped_column(Date)
    rate_warning: Mapped[str | None] = mapped_column(Text)
    # Mileage an approved or paid claim was underpaid, because an earlier claim counted towards HMRC's
    # 10,000-mile band was later rejected or cancelled. The books are not changed: a top-up claim pays it.
    repricing_owed_pence: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # On a top-up claim: the claim whose repriced mileage it pays.
    tops_up_claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)
    # Taking less than the fee (choice take_less): what happens to the rest and how much it is; for ``later``,
    # the day from which it is paid (by a claim of its own). A claim made for part of another fee links to
    # it; a payment run never pays a claim before its ``payable_from`` day.
    rest: Mapped[str | None] = mapped_column(String(16))
    rest_pence: Mapped[int | None] = mapped_column(BigInteger)
    later_on: Mapped[dt.date | None] = mapped_column(Date)
    payable_from: Mapped[dt.date | None] = mapped_column(Date)
    part_of_claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)


class ExpenseLine(Base):
    __tablename__ = "expense_lines"
    __table_args__ = (
        CheckConstraint("amount_pence > 0", name="amount_positive"),
        CheckConstraint(
            "category IN ('public_transport','taxi','mileage','accommodation','meals','replacement_care',"
            "'support_worker','personal_assistant','childcare','other')",
            name="category",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(24))
    description: Mapped[str] = mapped_column(String(500))
    incurred_on: Mapped[dt.date] = mapped_column(Date)
    amount_pence: Mapped[int] = mapped_column(BigInteger)
    miles: Mapped[str | None] = mapped_column(String(16))
    vehicle: Mapped[str | None] = mapped_column(String(16))


class Receipt(Base):
    """A receipt file kept in the database, so that any app host can serve it."""

    __tablename__ = "receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    expense_line_id: Mapped[int] = mapped_column(ForeignKey("expense_lines.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(EncryptedBytes)  # encrypted at rest (``ledger.encryption``)
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), server_default=func.now())
    uploaded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ClaimApproval(Base):
    __tablename__ = "claim_approvals"
    __table_args__ = (UniqueConstraint("claim_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Advance(Base):
    """Money paid to a participant before an event, settled against receipts afterwards."""

    __tablename__ = "advances"
    __table_args__ = (
        CheckConstraint("amount_pence > 0", name="amount_positive"),
        CheckConstraint("status IN ('requested','approved','rejected','paid','settled')", name="status"),
        UniqueConstraint("requested_by_user_id", "request_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"))
    amount_pence: Mapped[int] = mapped_column(BigInteger)
    # Empty until the advance is paid (an advance asked for first is requested, then approved, then paid).
    paid_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="paid")
    paid_entry_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("journal_entries.id"))
    settlement_claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"))
    settlement_entry_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("journal_entries.id"))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), server_default=func.now())
    # Asked for before it is paid: what for, and the day by which receipts (or the money back) are due.
    purpose: Mapped[str | None] = mapped_column(String(500))
    settle_by: Mapped[dt.date | None] = mapped_column(Date)
    requested_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    # Paid outside a payment run: by what (cheque, cash, card, transfer) and its number.
    paid_by: Mapped[str | None] = mapped_column(String(16))
    paid_reference: Mapped[str | None] = mapped_column(String(100))
    # The live (draft or confirmed) payment run paying it, if it is paid by bank transfer in one.
    payment_run_id: Mapped[int | None] = mapped_column(ForeignKey("payment_runs.id"), index=True)
    # A caller's key for the request (a page form sent twice asks once), unique per person asking.
    request_key: Mapped[str | None] = mapped_column(String(200))


class AdvanceApproval(Base):
    """One finance officer's approval of a requested advance (two different ones above the threshold)."""

    __tablename__ = "advance_approvals"
    __table_args__ = (UniqueConstraint("advance_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    advance_id: Mapped[int] = mapped_column(ForeignKey("advances.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class ClaimRecovery(Base):
    """How a paid claim reversed since is recovered: netting agreed, a repayment, or a write-off.

    ``how`` is ``netting`` (the participant agreed that what they owe back is taken off later payments: who
    agreed, when and how that was recorded), ``repayment`` (money into the bank: amount, day, reference, the
    entry) or ``write_off`` (a reason; asked for by one finance user and approved by another, when the entry is
    posted). Rows are added, and a write-off is approved once; nothing else changes them.
    """

    __tablename__ = "claim_recoveries"
    __table_args__ = (
        CheckConstraint("how IN ('netting','repayment','write_off')", name="how"),
        CheckConstraint("amount_pence IS NULL OR amount_pence > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    how: Mapped[str] = mapped_column(String(12))
    amount_pence: Mapped[int | None] = mapped_column(BigInteger)
    on_date: Mapped[dt.date] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(100))
    agreed_how: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    entry_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("journal_entries.id"))
    recorded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    approved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ClaimVersion(Base):
    """One version of a claim's amendable fields: the first as drafted, then one per amendment (who, when, why).

    ``changes`` names each field that changed with its old and new value; a redrafted fee's first version
    names the rejected claim it replaces (``redraft_of_claim_id``). Rows are only ever added.
    """

    __tablename__ = "claim_versions"
    __table_args__ = (UniqueConstraint("claim_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    values: Mapped[dict] = mapped_column(JSON)
    changes: Mapped[dict] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    redraft_of_claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"))
    changed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class BenefitRecheck(Base):
    """The benefit check re-run for a period a correction after payment changed, as it came out then.

    A reversed paid claim recovered by a repayment or by netting takes money back from the period it was paid
    in (and netting counts the later payment in full in its own period); a write-off leaves it received for
    good. Each recovery re-runs the check for those periods and keeps the answer here (``cause`` says which
    recovery, ``period_of`` a day inside the period checked). ``needs_finance`` is set when the answer is a
    warning or a breach: finance must talk to the participant. Rows are only ever added.
    """

    __tablename__ = "benefit_rechecks"
    __table_args__ = (
        CheckConstraint("cause IN ('repayment','netting','write_off')", name="cause"),
        Index("ix_benefit_rechecks_participant_id", "participant_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    cause: Mapped[str] = mapped_column(String(12))
    period_of: Mapped[dt.date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(24))
    needs_finance: Mapped[bool] = mapped_column(Boolean)
    benefit_check: Mapped[dict] = mapped_column(EncryptedJSON)  # benefit data: encrypted at rest
    recorded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
