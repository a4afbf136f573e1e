"""The one table of a statement line's statuses. Anything not listed here is refused.

    unmatched ──confirm (a suggestion)──▶ matched
        │ ▲  ──match (by hand, with a reason)──▶ matched
        └──────────────unmatch (with a reason)──────┘

A line waiting in the unmatched queue may carry a suggestion (what it probably is, a score and the reason);
the suggestion is not a status: the line is matched only when finance says so.
"""

from __future__ import annotations

from ledger.workflow import Workflow

TRANSITIONS: dict[tuple[str, str], str] = {
    ("unmatched", "confirm"): "matched",
    ("unmatched", "match"): "matched",
    ("matched", "unmatch"): "unmatched",
}

DESCRIBE = {"unmatched": "not matched to the books", "matched": "already matched to the books"}

LINE = Workflow("statement line", TRANSITIONS, DESCRIBE)

#: Every status a line can have (the database's check constraint lists the same).
STATUSES: tuple[str, ...] = tuple(sorted(LINE.statuses))
#: Waiting in finance's queue.
UNMATCHED: tuple[str, ...] = LINE.statuses_allowing("match")
#: Matched to an entry, a payment, a payment run or a returned payment.
MATCHED: tuple[str, ...] = LINE.statuses_allowing("unmatch")


def next_status(status: str, action: str) -> str:
    """The status after ``action``, or a Conflict saying why it cannot happen."""
    return LINE.next_status(status, action)
