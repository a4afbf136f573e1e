"""A budget version's statuses: a saved draft, the project's baseline, or a baseline since replaced.

Saved versions are never overwritten: approving one makes it the baseline (and the one before it superseded);
its lines and inputs never change. A superseded version may be approved again to go back to it.
"""

from __future__ import annotations

from ledger.workflow import Workflow

TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "approve"): "baseline",
    ("superseded", "approve"): "baseline",
    ("baseline", "supersede"): "superseded",
}
DESCRIBE = {"draft": "a saved draft", "baseline": "the project's baseline", "superseded": "a replaced baseline"}
BUDGET_VERSION = Workflow("budget version", TRANSITIONS, DESCRIBE)
STATUSES = tuple(sorted(BUDGET_VERSION.statuses))
