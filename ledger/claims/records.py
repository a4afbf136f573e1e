"""Plain records of claims handed to routes and documents.

The rules pages test about a claim (is it paid in time credits, may the participant still choose, may it be
submitted or rejected) are properties here, so a template asks ``claim.choice_open`` instead of restating which
statuses and kinds that means.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ledger.benefit_checks import BenefitCheck
from ledger.claims import workflow


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
class ClaimPart:
    """One part of what happens to a fee: taken, as time credits, given to a group, paid later, or declined."""

    part: str  # take | time_credits | redirect | later | decline
    amount_pence: int
    minutes: int | None = None  # time_credits: the matching share of the fee's hours, in whole minutes
    group_id: int | None = None  # redirect
    group: str | None = None
    later_on: dt.date | None = None  # later: paid on or after this day

    def to_json(self) -> dict:
        """As the claim's history keeps it (pence and minutes, ISO dates)."""
        data: dict = {"part": self.part, "amount_pence": self.amount_pence}
        if self.minutes is not None:
            data["minutes"] = self.minutes
        if self.group_id is not None:
            data.update(group_id=self.group_id, group=self.group)
        if self.later_on is not None:
            data["later_on"] = self.later_on.isoformat()
        return data


def share_of_minutes(minutes: int, part_pence: int, whole_pence: int) -> int:
    """The hours matching part of a fee: ``minutes`` × part / whole, to the nearest whole minute (half up).

    Time credits are counted in whole minutes; rounding to the nearest keeps a split as close as a minute can
    to the fee's own hours (£25.20 of a £50.40 fee for 4 hours is 2 hours exactly).
    """
    if whole_pence <= 0:
        return 0
    return (2 * minutes * part_pence + whole_pence) // (2 * whole_pence)


def fee_parts(*, choice: str | None, offered_pence: int, amount_pence: int, worked_minutes: int | None,
              time_minutes: int, rest: str | None = None, rest_pence: int | None = None, group_id: int | None = None,
              group: str | None = None, later_on: dt.date | None = None) -> tuple[ClaimPart, ...]:
    """What a fee's choice comes to, part by part (the claim answer's ``parts``, the pages, the history)."""
    if choice is None:
        return ()
    if choice == "take":
        return (ClaimPart("take", offered_pence),)
    if choice == "decline":
        return (ClaimPart("decline", offered_pence),)
    if choice == "redirect":
        return (ClaimPart("redirect", offered_pence, group_id=group_id, group=group),)
    if choice == "time_credits":
        return (ClaimPart("time_credits", offered_pence, minutes=worked_minutes or 0),)
    left = offered_pence - amount_pence if rest_pence is None else rest_pence
    rest = rest or "decline"
    other = ClaimPart(rest, left, minutes=time_minutes if rest == "time_credits" else None,
                      group_id=group_id if rest == "redirect" else None, group=group if rest == "redirect" else None,
                      later_on=later_on if rest == "later" else None)
    return (ClaimPart("take", amount_pence), other)


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
    # Pay rules (see ledger.claims.services): a flat fee below the legal minimum (that minimum, and why);
    # a rate past its rules-file stale date; mileage underpaid after an earlier claim stopped counting.
    legal_minimum_pence: int | None = None
    minimum_note: str | None = None
    rate_stale_since: dt.date | None = None
    rate_warning: str | None = None
    repricing_owed_pence: int = 0
    topped_up_pence: int = 0  # paid or to be paid by live top-up claims
    top_up_claim_ids: tuple[int, ...] = ()
    tops_up_claim_id: int | None = None  # on a top-up claim: the claim whose mileage it pays
    # Taking less: what happens to the rest; the fee part by part; a claim made for part of another fee
    # (paid later, or given to a group) and the day before which no payment run pays it.
    rest: str | None = None
    rest_pence: int | None = None
    later_on: dt.date | None = None
    parts: tuple[ClaimPart, ...] = ()
    part_of_claim_id: int | None = None
    part_claim_ids: tuple[int, ...] = ()
    payable_from: dt.date | None = None

    @property
    def below_minimum_pence(self) -> int | None:
        """How far a flat fee falls short of the legal minimum for its hours; None when it does not."""
        if self.legal_minimum_pence is None:
            return None
        return max(0, self.legal_minimum_pence - self.offered_pence)

    @property
    def repricing_outstanding_pence(self) -> int:
        """Mileage still owed on an approved or paid claim after repricing, less any top-up claim drafted."""
        if self.status not in workflow.DECIDED:
            return 0
        return max(0, self.repricing_owed_pence - self.topped_up_pence)

    @property
    def split(self) -> bool:
        """A fee taken in part, the rest declined, as time credits, given to a group or paid later."""
        return self.choice == "take_less"

    @property
    def is_fee(self) -> bool:
        return self.kind == "fee"

    @property
    def paid_in_time_credits(self) -> bool:
        """A time-credit claim, or a fee the participant chose to have as time credits: no money is paid."""
        return self.kind == "time_credit" or self.choice == "time_credits"

    @property
    def redirected(self) -> bool:
        """A fee the participant asked to be paid to a user-led group instead of them."""
        return self.choice == "redirect"

    @property
    def chose_an_alternative(self) -> bool:
        """The participant chose something other than taking the fee as offered (less, none, a group, credits)."""
        return self.choice is not None and self.choice != "take"

    @property
    def before_approval(self) -> bool:
        """Draft, submitted or sent back: nothing is decided yet."""
        return self.status in workflow.OPEN

    @property
    def choice_open(self) -> bool:
        """A fee whose participant may still choose what happens to it (not the rest of a fee, chosen there)."""
        return self.is_fee and self.before_approval and self.part_of_claim_id is None

    @property
    def awaiting_approval(self) -> bool:
        return self.status in workflow.WAITING_FOR_APPROVAL

    @property
    def awaiting_payment(self) -> bool:
        """Approved and not yet paid: what is owed is in the books, and rejecting it now reverses that."""
        return self.status in workflow.OWED

    @property
    def returned_or_rejected(self) -> bool:
        """Sent back or not approved: the participant is shown the reason given."""
        return self.status in ("returned", "rejected")

    @property
    def can_be_submitted(self) -> bool:
        return workflow.CLAIM.allows(self.status, "submit")

    @property
    def can_be_rejected(self) -> bool:
        return workflow.CLAIM.allows(self.status, "reject")


@dataclass(frozen=True, slots=True)
class ApprovalOutcome:
    claim: ClaimRecord
    policy: BenefitCheck | None
    required_action: str
    approvals: int
    approvals_needed: int
    pay_warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ApprovalPreview:
    """What approving a claim would mean, before anyone approves it."""

    claim_id: int
    expected_payment_date: dt.date
    required_action: str  # none | warn | override | block
    policy: BenefitCheck | None  # None when the participant declared no benefits
    approvals: int
    approvals_needed: int
    # What the pay rules say on the day: a flat fee below the legal minimum (approving it needs a reason),
    # a rate that may be out of date. Warnings only, except for the reason.
    pay_warnings: tuple[str, ...] = ()
    below_minimum_reason_required: bool = False
    rate_stale_since: dt.date | None = None

    @property
    def needs_override(self) -> bool:
        """Approving it needs a reason: the organisation requires an override for its effect on benefits."""
        return self.required_action == "override"


@dataclass(frozen=True, slots=True)
class ChoicePreview:
    """The benefit check of a choice not yet recorded: what the part taken would do, and the part paid later."""

    claim_id: int
    choice: str
    parts: tuple[ClaimPart, ...]
    expected_payment_date: dt.date
    required_action: str  # none | warn | override | block
    policy: BenefitCheck | None  # None when the participant declared no benefits
    later_on: dt.date | None = None
    later_required_action: str | None = None
    later_policy: BenefitCheck | None = None

    @property
    def effect_found(self) -> bool:
        """Whether the check finds the part taken (or paid later) would change a benefit."""
        return any(e.effect != "none" for p in (self.policy, self.later_policy) if p for e in p.effects)


@dataclass(frozen=True, slots=True)
class AdvanceRecord:
    id: int
    participant_id: int
    project_code: str
    amount_pence: int
    paid_on: dt.date | None  # None until paid (an advance asked for first)
    status: str
    paid_entry_id: int | None
    settlement_claim_id: int | None
    settlement_entry_id: int | None
    # What the receipts used of the advance, and what is left to return or net off (None until settled).
    used_pence: int | None
    surplus_pence: int | None
    surplus_entry_id: int | None
    # Asked for and approved before payment (None for an advance finance paid at once).
    purpose: str | None = None
    settle_by: dt.date | None = None
    requested_by_user_id: int | None = None
    rejection_reason: str | None = None
    paid_by: str | None = None
    paid_reference: str | None = None
    approvals: int = 0
    overdue: bool = False
    # The payment run paying (or that paid) it by bank transfer, if any.
    payment_run_id: int | None = None
