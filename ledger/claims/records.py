"""Plain records of claims handed to routes and documents."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ledger.benefit_checks import BenefitCheck


@dataclass(frozen=True, slots=True)
class ReceiptRecord:
    id: int
    filename: str
    content_type: str
    size_bytes: int
    sha256: str


@dataclass(frozen=True, slots=True)
class ExpenseLineRecord:
    id: int
    category: str
    description: str
    incurred_on: dt.date
    amount_pence: int
    miles: str | None
    vehicle: str | None
    receipts: tuple[ReceiptRecord, ...]


@dataclass(frozen=True, slots=True)
class ClaimEventRecord:
    action: str
    from_status: str | None
    to_status: str
    user_id: int | None
    at: dt.datetime
    note: str | None


@dataclass(frozen=True, slots=True)
class ClaimRecord:
    id: int
    participant_id: int
    project_code: str
    activity_id: int | None
    kind: str
    status: str
    description: str
    worked_minutes: int | None
    rate_pence: int | None
    rate_basis: str | None
    offered_pence: int
    amount_pence: int
    time_minutes: int
    choice: str | None
    group_id: int | None
    choice_recorded_by_user_id: int | None
    choice_recorded_at: dt.datetime | None
    assisted: bool
    created_by_user_id: int | None
    submitted_by_user_id: int | None
    submitted_at: dt.datetime | None
    reason: str | None
    override_reason: str | None
    policy_outcome: str | None
    policy_decision: BenefitCheck | None
    accrual_entry_id: int | None
    reversal_entry_id: int | None
    payment_run_id: int | None
    paid_on: dt.date | None
    approver_user_ids: tuple[int, ...]
    lines: tuple[ExpenseLineRecord, ...]
    events: tuple[ClaimEventRecord, ...]


@dataclass(frozen=True, slots=True)
class ApprovalOutcome:
    claim: ClaimRecord
    policy: BenefitCheck | None
    required_action: str
    approvals: int
    approvals_needed: int


@dataclass(frozen=True, slots=True)
class ApprovalPreview:
    """What approving a claim would mean, before anyone approves it."""

    claim_id: int
    expected_payment_date: dt.date
    required_action: str  # none | warn | override | block
    policy: BenefitCheck | None  # None when the participant declared no benefits
    approvals: int
    approvals_needed: int


@dataclass(frozen=True, slots=True)
class AdvanceRecord:
    id: int
    participant_id: int
    project_code: str
    amount_pence: int
    paid_on: dt.date
    status: str
    paid_entry_id: int
    settlement_claim_id: int | None
    settlement_entry_id: int | None
    # What the receipts used of the advance, and what is left to return or net off (None until settled).
    used_pence: int | None
    surplus_pence: int | None
    surplus_entry_id: int | None
