"""The one table of advance transitions. Anything not listed here is refused.

    paid ──settle──▶ settled ──reopen──▶ paid

An advance is ``paid`` when the money has gone to the participant. It is ``settled`` when the receipts of
an approved expense claim have used it (and any surplus is returned or netted), or when an advance no
claim used is returned whole. Rejecting or cancelling the approved claim that settled it reopens it.
"""

from __future__ import annotations

from ledger.workflow import Workflow

TRANSITIONS: dict[tuple[str, str], str] = {
    ("paid", "settle"): "settled",
    ("settled", "reopen"): "paid",
    ("settled", "clear_surplus"): "settled",
}

DESCRIBE = {"paid": "paid and waiting for receipts", "settled": "settled"}

ADVANCE = Workflow("advance", TRANSITIONS, DESCRIBE)

#: Waiting for receipts (or for the money back).
OUTSTANDING: tuple[str, ...] = ADVANCE.statuses_allowing("settle")
