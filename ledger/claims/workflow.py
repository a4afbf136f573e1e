"""The one table of claim transitions. Anything not listed here is refused.

    draft ──submit──▶ submitted ──approve──▶ approved ──pay──▶ paid
                        │    ▲   └─reject─▶ rejected ◀─reject─┘
                  return│    │submit
                        ▼    │
                       returned

    draft, submitted, returned, approved ──cancel──▶ cancelled

Rejecting or cancelling an approved claim reverses its accrual. A claim needing a second approver stays
``submitted`` after the first approval. ``pay`` is the payment run's, when the bank has accepted it.
"""

from __future__ import annotations

from ledger.errors import Conflict

TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "submit"): "submitted",
    ("returned", "submit"): "submitted",
    ("submitted", "approve"): "approved",
    ("submitted", "reject"): "rejected",
    ("approved", "reject"): "rejected",
    ("submitted", "return"): "returned",
    ("approved", "pay"): "paid",
    ("draft", "cancel"): "cancelled",
    ("submitted", "cancel"): "cancelled",
    ("returned", "cancel"): "cancelled",
    ("approved", "cancel"): "cancelled",
}

ACTIONS = frozenset(action for _status, action in TRANSITIONS)

# What a person reads when an action is refused.
_DESCRIBE = {
    "draft": "still a draft",
    "submitted": "waiting for approval",
    "returned": "returned for more information",
    "approved": "approved",
    "rejected": "rejected",
    "cancelled": "cancelled",
    "paid": "already paid",
}


def next_status(status: str, action: str) -> str:
    """The status after ``action``, or a Conflict saying why it cannot happen."""
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        allowed = sorted(a for (s, a) in TRANSITIONS if s == status)
        hint = f" From here it can be: {', '.join(allowed)}." if allowed else " Nothing more can be done with it."
        raise Conflict(f"This claim is {_DESCRIBE.get(status, status)}, so it cannot {action}.{hint}",
                       fields={"status": [status]}) from None
