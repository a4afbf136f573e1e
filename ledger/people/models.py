"""Participants, the user-led groups they may ask to be paid instead, and partner organisations.

Bank details are stored only as a Fernet token (``bank_details_encrypted``); beside it sit the last
two digits of the sort code and the last four of the account number, which are all that screens and
the API ever show. Benefit declarations are special-category data and append-only: each declaration
is a new row, and the one in force on a day is the latest declared on or before it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from ledger.db import Base, UTCDateTime
from ledger.encryption import EncryptedDate, EncryptedJSON, EncryptedText

PREFERRED_FORMATS = ("email", "post", "large_print", "easy_read")
REWARD_CHOICES = ("paid_to_me", "paid_to_group", "time_credits", "decline")


class BankDetailsColumns:
    """Encrypted bank details of a payee, with just enough beside them to show a masked reminder."""

    bank_details_encrypted: Mapped[str | None] = mapped_column(Text)
    bank_sort_code_last2: Mapped[str | None] = mapped_column(String(2))
    bank_account_last4: Mapped[str | None] = mapped_column(String(4))
    bank_details_set_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # A payment to these details came back from the bank: the payee waits out of runs until they change.
    bank_details_returned_on: Mapped[dt.date | None] = mapped_column(Date)
    bank_details_returned_reason: Mapped[str | None] = mapped_column(String(16))


class UserLedGroup(BankDetailsColumns, Base):
    """An organisation run by people who use services, to which a participant may redirect a fee."""

    __tablename__ = "user_led_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    postal_address: Mapped[str | None] = mapped_column(Text)
    charity_number: Mapped[str | None] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), server_default=func.now())


class Participant(BankDetailsColumns, Base):
    __tablename__ = "participants"
    __table_args__ = (
        CheckConstraint(
            "preferred_format IN ('email','post','large_print','easy_read')", name="preferred_format"
        ),
        CheckConstraint(
            "default_reward IN ('paid_to_me','paid_to_group','time_credits','decline')", name="default_reward"
        ),
        # A group is named exactly when the default is to pay a group.
        CheckConstraint(
            "(default_reward = 'paid_to_group' AND default_group_id IS NOT NULL) OR "
            "(default_reward <> 'paid_to_group' AND default_group_id IS NULL)",
            name="default_group",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    preferred_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), server_default=func.now())
    phone: Mapped[str | None] = mapped_column(String(40))
    postal_address: Mapped[str | None] = mapped_column(Text)
    preferred_format: Mapped[str] = mapped_column(String(16), default="email", server_default="email")
    # Special-category data, encrypted at rest (``ledger.encryption``; migration 0026 renamed the column).
    date_of_birth: Mapped[dt.date | None] = mapped_column("date_of_birth_encrypted", EncryptedDate)
    default_reward: Mapped[str] = mapped_column(String(16), default="paid_to_me", server_default="paid_to_me")
    default_group_id: Mapped[int | None] = mapped_column(ForeignKey("user_led_groups.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Optional, for the benefits evidence pack: a Fernet token only (``ledger.people.national_insurance``).
    national_insurance_number_encrypted: Mapped[str | None] = mapped_column(Text)
    national_insurance_number_masked: Mapped[str | None] = mapped_column(String(20))  # AB •• •• •• C
    # What the person needs to take part (a hearing loop, step-free access, a supporter): health data, encrypted.
    access_needs: Mapped[str | None] = mapped_column(EncryptedText)
    # When the person's details were erased by pseudonymisation (``ledger.privacy.erasure``); the books stay.
    erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class BenefitDeclaration(Base):
    """What a participant declared about their benefits and circumstances, and when (append-only)."""

    __tablename__ = "benefit_declarations"
    __table_args__ = (
        Index("ix_benefit_declarations_participant_declared", "participant_id", "declared_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    declared_on: Mapped[dt.date] = mapped_column(Date)
    # A list shaped like the public calculator's "benefits" items; amounts and hours as decimal strings.
    # Both encrypted at rest (``ledger.encryption``): the column stays JSON, holding a token as a JSON string.
    benefits: Mapped[list] = mapped_column(EncryptedJSON)
    circumstances: Mapped[str | None] = mapped_column(EncryptedText)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), server_default=func.now())
    recorded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class BankDetailChange(Base):
    """Who set a payee's bank details, and when: changed bank details are how payments are stolen.

    Only the masked digits are kept here; the details themselves live, encrypted, on the payee.
    """

    __tablename__ = "bank_detail_changes"
    __table_args__ = (
        CheckConstraint("(participant_id IS NULL) <> (group_id IS NULL)", name="one_payee"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("user_led_groups.id"), index=True)
    sort_code_last2: Mapped[str] = mapped_column(String(2))
    account_last4: Mapped[str] = mapped_column(String(4))
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    changed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A change made while a payment run that pays this payee is a draft needs a second finance person (not the
    # one who made it, not the payee) before that run's bank file is made or the run confirmed.
    approved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class PartnerOrganisation(Base):
    """A place where participants spend time credits (a leisure centre, a theatre, a local currency)."""

    __tablename__ = "partner_organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    postal_address: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), server_default=func.now())


CIRCUMSTANCE_CHANGES = ("started", "stopped", "other")
REPORT_STATUSES = ("waiting", "accepted", "not_accepted")


class CircumstanceReport(Base):
    """A change in benefits or circumstances a participant told us about, waiting for finance to review.

    A report is not a declaration: the benefit check keeps using the declaration in force until finance
    accepts the report, which records a new declaration (``ledger.people.circumstances``). Append-only in
    meaning: a report is reviewed once, and its review is an event.
    """

    __tablename__ = "circumstance_reports"
    __table_args__ = (
        CheckConstraint("change IN ('started','stopped','other')", name="change"),
        CheckConstraint("status IN ('waiting','accepted','not_accepted')", name="status"),
        Index("ix_circumstance_reports_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    change: Mapped[str] = mapped_column(String(16))
    # A benefit name, for "started" and "stopped"; encrypted like the details (migration 0026 renamed it).
    benefit: Mapped[str | None] = mapped_column("benefit_encrypted", EncryptedText)
    changed_on: Mapped[dt.date] = mapped_column(Date)
    details: Mapped[str | None] = mapped_column(EncryptedText)
    status: Mapped[str] = mapped_column(String(16), default="waiting", server_default="waiting")
    reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    reported_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reviewed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_note: Mapped[str | None] = mapped_column(Text)
    declaration_id: Mapped[int | None] = mapped_column(ForeignKey("benefit_declarations.id"))
