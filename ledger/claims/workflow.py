"""The one table of claim transitions. Anything not listed here is refused.

    draft ──submit──▶ submitted ──approve──▶ approved ──pay──▶ paid
                        │    ▲   └─reject─▶ rejected ◀─reject─┘
                  return│    │submit
                        ▼    │
                       returned

    draft, submitted, returned, approved ──cancel──▶ cancelled

Rejecting or cancelling an approved claim reverses its accrual. A claim needing a second approver stays
``submitted`` after the first approval. ``pay`` is the payment run's, when the bank has accepted it;
``payment_returned`` undoes it when the bank sends the payment back (the claim is owed again, for a later run).
``amend`` changes a submitted or returned claim (a new version; any first approval is cleared). ``reverse``
withdraws a paid claim (paid in error): its accrual is reversed, so the participant owes it back.
The status groups below are the only lists of claim statuses in the code.
"""

from __future__ import annotations

from ledger.workflow import Workflow

TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "submit"): "submitted",
    ("returned", "submit"): "submitted",
    ("submitted", "approve"): "approved",
    ("submitted", "reject"): "rejected",
    ("approved", "reject"): "rejected",
    ("submitted", "return"): "returned",
    ("approved", "pay"): "paid",
    ("paid", "payment_returned"): "approved",
    ("paid", "reverse"): "rejected",
    ("draft", "amend"): "draft",
    ("submitted", "amend"): "submitted",
    ("returned", "amend"): "returned",
    ("draft", "cancel"): "cancelled",
    ("submitted", "cancel"): "cancelled",
    ("returned", "cancel"): "cancelled",
    ("approved", "cancel"): "cancelled",
}

# What a person reads when an action is refused.
DESCRIBE = {
    "draft": "still a draft",
    "submitted": "waiting for approval",
    "returned": "returned for more information",
    "approved": "approved",
    "rejected": "rejected",
    "cancelled": "cancelled",
    "paid": "already paid",
}

CLAIM = Workflow("claim", TRANSITIONS, DESCRIBE)
ACTIONS = CLAIM.actions

#: Not yet approved: the participant's choice can change and receipts can be added.
OPEN: tuple[str, ...] = ("draft", "submitted", "returned")
#: Waiting for finance to decide.
WAITING_FOR_APPROVAL: tuple[str, ...] = CLAIM.statuses_allowing("approve")
#: Approved and not yet paid: owed, waiting for a payment run.
OWED: tuple[str, ...] = CLAIM.statuses_allowing("pay")
#: Approved, paid or on the way to either: what the participant has received, or will.
DECIDED: tuple[str, ...] = ("approved", "paid")
#: Still counted as claimed (for HMRC's mileage band across the tax year): neither rejected nor cancelled.
LIVE: tuple[str, ...] = (*OPEN, *DECIDED)
#: Nothing more can happen.
FINAL: tuple[str, ...] = tuple(sorted(CLAIM.statuses - {s for s, _ in TRANSITIONS}))


def next_status(status: str, action: str) -> str:
    """The status after ``action``, or a Conflict saying why it cannot happen."""
    return CLAIM.next_status(status, action)
