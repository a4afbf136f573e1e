"""The shape every status in the system follows: one table of (status, action) -> next status.

Claims, payment runs and advances each declare their table once (``ledger/claims/workflow.py``,
``ledger/payments/workflow.py``, ``ledger/claims/advance_workflow.py``); any pair not in the table is
refused with a message saying what can be done instead. The groups of statuses other code needs (the
claims still open for a choice, the runs that can still change) are derived from, or declared beside,
the table, so no module or template restates a list of statuses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ledger.errors import Conflict


@dataclass(frozen=True)
class Workflow:
    """A named transition table, with what each status means in words a person reads."""

    name: str  # "claim", "payment run": used in refusals ("This claim is ...")
    transitions: Mapping[tuple[str, str], str]
    describe: Mapping[str, str] = field(default_factory=dict)

    @property
    def statuses(self) -> frozenset[str]:
        return frozenset(s for s, _ in self.transitions) | frozenset(self.transitions.values())

    @property
    def actions(self) -> frozenset[str]:
        return frozenset(a for _, a in self.transitions)

    def allows(self, status: str, action: str) -> bool:
        return (status, action) in self.transitions

    def statuses_allowing(self, action: str) -> tuple[str, ...]:
        """The statuses from which ``action`` may be taken, for guarded ``UPDATE ... WHERE status IN``."""
        return tuple(sorted(s for s, a in self.transitions if a == action))

    def next_status(self, status: str, action: str) -> str:
        """The status after ``action``, or a Conflict saying why it cannot happen and what can."""
        try:
            return self.transitions[(status, action)]
        except KeyError:
            allowed = sorted(a for (s, a) in self.transitions if s == status)
            hint = f" From here it can be: {', '.join(allowed)}." if allowed else " Nothing more can be done with it."
            raise Conflict(f"This {self.name} is {self.describe.get(status, status)}, so it cannot {action}.{hint}",
                           fields={"status": [status]}) from None
