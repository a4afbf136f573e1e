"""Plain records of payment runs, handed to routes, the CLI and documents."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ledger.benefit_checks import BenefitCheck
from ledger.payments.bank_changes import WaitingChange
from ledger.payments.workflow import CHANGEABLE, PAID


@dataclass(frozen=True, slots=True)
class PayeeTotal:
    """What one payee receives in a run, with masked bank details and the benefit check."""

    payee_kind: str
    payee_id: int
    name: str
    amount_pence: int
    fee_pence: int
    expense_pence: int
    item_count: int
    claim_ids: tuple[int, ...]
    sort_code: str | None  # masked: **-**-56
    account_number: str | None  # masked: ****1234
    bank_details_set_at: dt.datetime | None
    bank_details_changed_since_draft: bool
    benefit_check: BenefitCheck
    reference: str
    entry_id: int | None = None  # the payment entry, once confirmed
    # Fees in this payment priced with a rate the rules file expects to have been replaced (see the claims).
    stale_rate_claim_ids: tuple[int, ...] = ()
    # What the participant owes back (a paid claim reversed) taken off this payment, with their agreement.
    netted_pence: int = 0
    # Approved advances paid with this payment (in ``amount_pence``), and their ids.
    advance_pence: int = 0
    advance_ids: tuple[int, ...] = ()
    # Bank details changed since the run was drafted, waiting for a second finance person to approve them: until
    # then the run's bank file cannot be made nor the run confirmed (``ledger.payments.bank_changes``).
    bank_change_awaiting_approval: WaitingChange | None = None


@dataclass(frozen=True, slots=True)
class LeftOut:
    """Claims that could have been in the run but are not, and why: they wait for a later run."""

    payee_kind: str
    payee_id: int
    name: str
    amount_pence: int
    item_count: int
    claim_ids: tuple[int, ...]
    reason: str  # no_bank_details | benefit_block | removed | payment_returned | owes_back
    message: str


@dataclass(frozen=True, slots=True)
class RunOverride:
    reason: str
    user_id: int | None
    at: str


@dataclass(frozen=True, slots=True)
class PaymentRunSummary:
    id: int
    reference: str
    status: str
    cutoff_date: dt.date
    requested_payment_date: dt.date
    payment_date: dt.date
    bacs_submit_by: dt.date
    total_pence: int
    item_count: int
    payee_count: int
    benefit_flags: int
    needs_override: tuple[str, ...]  # "participant:<id>" of payees whose payment needs an override reason
    payees: tuple[PayeeTotal, ...]
    left_out: tuple[LeftOut, ...]
    override: RunOverride | None
    created_by_user_id: int | None
    created_at: dt.datetime | None
    confirmed_by_user_id: int | None
    confirmed_at: dt.datetime | None
    bank_reference: str | None
    cancelled_by_user_id: int | None
    cancelled_at: dt.datetime | None
    cancel_reason: str | None

    @property
    def left_out_pence(self) -> int:
        return sum(x.amount_pence for x in self.left_out)

    @property
    def stale_rate_claim_count(self) -> int:
        """Fees in the run priced with a rate that may be out of date: a warning, not a bar to paying."""
        return sum(len(p.stale_rate_claim_ids) for p in self.payees)

    @property
    def is_draft(self) -> bool:
        """Can still change: its bank file can be made, and it can be confirmed or cancelled."""
        return self.status in CHANGEABLE

    @property
    def is_paid(self) -> bool:
        return self.status in PAID


@dataclass(frozen=True, slots=True)
class PaymentRunListItem:
    id: int
    reference: str
    status: str
    cutoff_date: dt.date
    payment_date: dt.date
    total_pence: int
    item_count: int
    payee_count: int
    created_at: dt.datetime | None
