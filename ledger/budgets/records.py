"""The records a budget plan is read as: priced lines, a priced plan, a saved version, a comparison.

Plain frozen dataclasses (no database, no Flask), so the pages, the API and the funding-bid PDF all show the
same figures. Money is whole pence; quantities and percentages are Decimal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from policies.money import gbp


@dataclass(frozen=True, slots=True)
class PricedLine:
    """One line of a plan, with its working: count x quantity at the rate, and the rule and date it came from.

    ``each_pence`` is one person's (or unit's) cost, rounded once; ``amount_pence`` is ``count`` x that.
    ``rule_key`` None means the manager entered the rate. For the contingency, ``quantity`` is the
    percentage and ``rate_pence`` the total it is a percentage of.
    """

    key: str
    section: str
    cost_line: str
    description: str
    priced_on: dt.date | None
    count: int
    quantity: Decimal
    unit: str
    rate_pence: int
    each_pence: int
    amount_pence: int
    rule_key: str | None
    rule_from: dt.date | None
    announced: bool
    notes: tuple[str, ...] = ()

    @property
    def working(self) -> str:
        """How the amount was reached, in words."""
        if self.section == "contingency":
            return f"{self.quantity.normalize():f}% of {gbp(self.rate_pence)}, rounded to the penny"
        quantity = f"{self.quantity.normalize():f}"
        each = f"{quantity} {self.unit}{'' if self.quantity == 1 else 's'} at {gbp(self.rate_pence)}"
        return f"{self.count} x ({each} = {gbp(self.each_pence)})"

    @property
    def to_check(self) -> bool:
        """Whether the figure the line rests on needs checking (see the plan's ``checks``)."""
        return any(not note.startswith("Announced") for note in self.notes)

    @property
    def source(self) -> str:
        """Where the rate came from: the rule and the date it is in force from, or the manager."""
        if self.rule_key is None:
            return "" if self.section == "contingency" else "Rate entered by the project manager"
        assert self.rule_from is not None
        return f"{self.rule_key}, in force from {self.rule_from.day} {self.rule_from:%B %Y}"


@dataclass(frozen=True, slots=True)
class PricedPlan:
    """Every priced line of a plan, the contingency last, and the time-credit budget (hours, not money)."""

    lines: tuple[PricedLine, ...]
    priced_on: dt.date
    region: str
    contingency_percent: Decimal
    time_credit_hours: Decimal

    @property
    def total_pence(self) -> int:
        return sum(line.amount_pence for line in self.lines)

    @property
    def announced_lines(self) -> int:
        return sum(1 for line in self.lines if line.announced)

    @property
    def time_credit_hours_text(self) -> str:
        return f"{self.time_credit_hours.normalize():f}"

    @property
    def checks(self) -> tuple[str, ...]:
        """Each thing to check about the figures the lines rest on, once (announced rates are marked on lines)."""
        found = dict.fromkeys(note for line in self.lines for note in line.notes if not note.startswith("Announced"))
        return tuple(found)

    def section_total(self, section: str) -> int:
        return sum(line.amount_pence for line in self.lines if line.section == section)


@dataclass(frozen=True, slots=True)
class BudgetVersionRecord:
    """A saved version of a project's budget: never changed once saved, except to become or stop being the baseline."""

    id: int
    project_code: str
    project_name: str
    number: int
    label: str | None
    status: str
    plan: PricedPlan
    inputs: dict
    created_at: dt.datetime
    created_by_user_id: int | None
    approved_at: dt.datetime | None

    @property
    def total_pence(self) -> int:
        return self.plan.total_pence

    @property
    def is_baseline(self) -> bool:
        return self.status == "baseline"


@dataclass(frozen=True, slots=True)
class ComparedLine:
    """One line of two versions side by side (None where a version has no such line)."""

    key: str
    description: str
    before_pence: int | None
    after_pence: int | None
    before_working: str
    after_working: str

    @property
    def difference_pence(self) -> int:
        return (self.after_pence or 0) - (self.before_pence or 0)


@dataclass(frozen=True, slots=True)
class VersionComparison:
    before: BudgetVersionRecord
    after: BudgetVersionRecord
    lines: tuple[ComparedLine, ...]

    @property
    def difference_pence(self) -> int:
        return self.after.total_pence - self.before.total_pence


@dataclass(frozen=True, slots=True)
class BudgetWarning:
    """A warning on the budget against reality: a line 80% or 100% used, or a rate rise taking it over."""

    level: str  # "warning" (80%) or "over" (100%, or over after a rate rise)
    message: str
