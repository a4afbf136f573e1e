"""What the people services hand out: frozen records, with bank details masked and benefits kept apart.

A ``ParticipantRecord`` never carries benefits (special-category data); they come only from the benefit
functions, which the API offers to finance, administrators and the participant themself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ledger.people.accounts import GroupAccounts, ParticipantAccounts, PartnerAccounts
from ledger.people.bank import MaskedBankDetails


@dataclass(frozen=True, slots=True)
class ParticipantSummary:
    """A line of the participant directory: enough to arrange a meeting, nothing more."""

    id: int
    name: str
    preferred_name: str | None
    preferred_format: str
    is_active: bool


@dataclass(frozen=True, slots=True)
class ParticipantRecord:
    id: int
    name: str
    preferred_name: str | None
    email: str | None
    phone: str | None
    postal_address: str | None
    preferred_format: str
    date_of_birth: dt.date | None
    default_reward: str
    default_group_id: int | None
    is_active: bool
    bank_details: MaskedBankDetails | None
    accounts: ParticipantAccounts
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    national_insurance_number: str | None = None  # masked (AB •• •• •• C), never in full
    access_needs: str | None = None  # what they need to take part (health data, encrypted at rest)
    erased_at: dt.datetime | None = None  # their details were erased by pseudonymisation


@dataclass(frozen=True, slots=True)
class BankDetailChangeRecord:
    changed_at: dt.datetime
    changed_by_user_id: int | None
    sort_code: str  # masked: **-**-56
    account_number: str  # masked: ****1234


@dataclass(frozen=True, slots=True)
class BenefitDeclarationRecord:
    id: int
    participant_id: int
    declared_on: dt.date
    benefits: tuple[dict[str, Any], ...]
    circumstances: str | None
    recorded_at: dt.datetime | None
    recorded_by_user_id: int | None


@dataclass(frozen=True, slots=True)
class GroupRecord:
    id: int
    name: str
    contact_name: str | None
    email: str | None
    phone: str | None
    postal_address: str | None
    charity_number: str | None
    is_active: bool
    bank_details: MaskedBankDetails | None
    accounts: GroupAccounts
    created_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class PartnerRecord:
    id: int
    name: str
    description: str | None
    contact_name: str | None
    email: str | None
    phone: str | None
    postal_address: str | None
    is_active: bool
    accounts: PartnerAccounts
    created_at: dt.datetime | None
