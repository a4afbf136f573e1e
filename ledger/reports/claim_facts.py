"""What the read models need to know about claims, read for many claims in a few queries.

A statement line, a remittance line, a tax-year summary and an evidence pack all describe a claim by its
activity, the date it is for, its expense lines and any group a fee went to; ``claim_facts`` reads those for a
batch of claims at once (``IN`` lists of at most ``CHUNK`` ids), so a document costs a few queries, not a few
per claim.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.claims.models import Claim, ExpenseLine
from ledger.formatting import duration, money
from ledger.people.models import UserLedGroup
from ledger.projects.models import Activity

__all__ = ["CHUNK", "DECIDED", "ClaimFacts", "chunks", "claim_facts", "day_of"]

CHUNK = 500  # ids per IN list: well inside every database's limit on bound parameters
DECIDED = ("approved", "paid")  # claims whose money is in the books


def chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    """``values`` in slices of at most ``CHUNK``, for ``IN`` lists."""
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def day_of(moment: dt.datetime | None) -> dt.date | None:
    """The UTC date of a timestamp (stored moments read back in UTC: ``ledger.db.UTCDateTime``)."""
    if moment is None:
        return None
    return moment.date()


@dataclass(frozen=True, slots=True)
class ClaimFacts:
    """A claim with what its lines need: the activity, the date it is for, its expense lines, its group."""

    claim: Claim
    activity: Activity | None
    expense_lines: tuple[ExpenseLine, ...]
    group_name: str | None

    @property
    def day(self) -> dt.date:
        """The date the claim is for: its activity's, else its latest expense line's, else the day it was made."""
        if self.activity is not None:
            return self.activity.occurs_on
        if self.expense_lines:
            return max(line.incurred_on for line in self.expense_lines)
        return day_of(self.claim.created_at) or dt.date.today()

    @property
    def what(self) -> str:
        """What the claim was for: its activity's title, else its own description."""
        return self.activity.title if self.activity is not None else self.claim.description

    def fee_detail(self, *, with_choice: bool = True) -> str:
        """'4 hours at £12.60 an hour', 'Flat fee for the activity'; and any choice to take less."""
        claim = self.claim
        if claim.rate_pence:
            detail = f"{duration(claim.worked_minutes or 0)} at {money(claim.rate_pence)} an hour"
        elif claim.worked_minutes:
            detail = f"Flat fee for the activity ({duration(claim.worked_minutes)})"
        else:
            detail = "Flat fee for the activity"
        if with_choice and claim.choice == "take_less" and claim.offered_pence > claim.amount_pence:
            detail += f". You chose to take {money(claim.amount_pence)} of the {money(claim.offered_pence)} offered"
            if claim.rest == "time_credits" and claim.time_minutes:
                # The same work, shown whole: the money here and the time credits it also earned.
                detail += f", and the rest as {duration(claim.time_minutes)} of time credits"
        return detail

    def expense_detail(self, paid: int) -> str:
        """What the expenses were, and any part already paid as an advance."""
        detail = "; ".join(line.description for line in self.expense_lines) or self.claim.description
        if len(detail) > 300:
            detail = detail[:297] + "..."
        if self.claim.offered_pence > paid:
            detail += (f". {money(self.claim.offered_pence)} less {money(self.claim.offered_pence - paid)} "
                       "already paid to you in advance")
        return detail


def claim_facts(session: Session, claims: Sequence[Claim]) -> dict[int, ClaimFacts]:
    """Facts for many claims in a few queries."""
    activity_ids = sorted({c.activity_id for c in claims if c.activity_id is not None})
    activities: dict[int, Activity] = {}
    for chunk in chunks(activity_ids):
        activities.update((a.id, a) for a in session.execute(select(Activity).where(Activity.id.in_(chunk)))
                          .scalars())
    lines: dict[int, list[ExpenseLine]] = defaultdict(list)
    for chunk in chunks(sorted(c.id for c in claims if c.kind == "expense")):
        for line in session.execute(
            select(ExpenseLine).where(ExpenseLine.claim_id.in_(chunk)).order_by(ExpenseLine.id)
        ).scalars():
            lines[line.claim_id].append(line)
    group_ids = sorted({c.group_id for c in claims if c.group_id is not None})
    groups: dict[int, str] = {}
    for chunk in chunks(group_ids):
        groups.update(session.execute(select(UserLedGroup.id, UserLedGroup.name).where(UserLedGroup.id.in_(chunk)))
                      .all())
    return {
        c.id: ClaimFacts(c, activities.get(c.activity_id) if c.activity_id else None, tuple(lines.get(c.id, ())),
                          groups.get(c.group_id) if c.group_id else None)
        for c in claims
    }
