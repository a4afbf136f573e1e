"""The one table of payment-run transitions. Anything not listed here is refused.

    draft ──confirm──▶ confirmed        (the bank accepted the file: the payments are posted)
      │ └─change─▶ draft                 (a payee taken out)
      └──cancel──▶ cancelled            (its claims wait for a later run)

A confirmed or cancelled run never changes again. Confirming, cancelling and changing are guarded
updates (``UPDATE payment_runs ... WHERE status IN statuses_allowing(action)``), so two people acting on
one run at the same moment cannot both succeed.
"""

from __future__ import annotations

from ledger.workflow import Workflow

TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "confirm"): "confirmed",
    ("draft", "cancel"): "cancelled",
    ("draft", "change"): "draft",
}

DESCRIBE = {
    "draft": "a draft",
    "confirmed": "confirmed",
    "cancelled": "cancelled",
}

RUN = Workflow("payment run", TRANSITIONS, DESCRIBE)

#: Can still change: its bank file can be made, payees taken out, and it can be confirmed or cancelled.
CHANGEABLE: tuple[str, ...] = RUN.statuses_allowing("confirm")
#: Paid: the payments are in the books.
PAID: tuple[str, ...] = ("confirmed",)
FINAL: tuple[str, ...] = tuple(sorted(RUN.statuses - {s for s, _ in TRANSITIONS}))
