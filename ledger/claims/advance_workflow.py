"""The one table of advance transitions. Anything not listed here is refused.

    requested ──approve──▶ approved ──pay──▶ paid ──settle──▶ settled ──reopen──▶ paid
        │                     │
        └──reject──▶ rejected ◀──reject──┘

An advance is ``requested`` by or for a participant, ``approved`` by finance (someone other than the person
who asked or is paid; two different approvers above the second-approval amount) or ``rejected`` with a
reason; an approved advance is paid by another method with a reference (or, as before, finance pays one at
once, which starts at ``paid``). An advance is ``paid`` when the money has gone to the participant. It is
``settled`` when the receipts of
an approved expense claim have used it (and any surplus is returned or netted), or when an advance no
claim used is returned whole. Rejecting or cancelling the approved claim that settled it reopens it. An advance
paid in a payment run whose payment the bank sent back is ``approved`` again, for a later run to pay.
"""

from __future__ import annotations

from ledger.workflow import Workflow

TRANSITIONS: dict[tuple[str, str], str] = {
    ("requested", "approve"): "approved",
    ("requested", "reject"): "rejected",
    ("approved", "reject"): "rejected",
    ("approved", "pay"): "paid",
    ("paid", "settle"): "settled",
    ("paid", "payment_returned"): "approved",
    ("settled", "reopen"): "paid",
    ("settled", "clear_surplus"): "settled",
}

DESCRIBE = {"requested": "waiting for approval", "approved": "approved and waiting to be paid",
            "rejected": "rejected", "paid": "paid and waiting for receipts", "settled": "settled"}

ADVANCE = Workflow("advance", TRANSITIONS, DESCRIBE)

#: Waiting for receipts (or for the money back).
OUTSTANDING: tuple[str, ...] = ADVANCE.statuses_allowing("settle")
