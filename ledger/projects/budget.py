"""Planning a project's co-production budget at the start, by cost line, and the records of budget against spend.

SCIE asks project managers to "plan and budget for co-production at the beginning of projects". The plan is
participants x meetings x (meeting + preparation hours) x the hourly rate for fees, expenses per person per
meeting, access costs (interpreters, supporters, accessible venues, overnight stays) and a contingency:

| line | amount |
|---|---|
| ``fees`` | participants x meetings x fee(meeting hours + preparation hours, at the hourly rate) |
| ``travel_expenses`` | participants x meetings x expenses per person per meeting |
| ``access`` | access costs, as estimated |
| ``contingency`` | contingency percent of (fees + travel and expenses + access) |

Rounding, exactly: the fee for one person at one meeting is hours x rate computed exactly and rounded once,
half up, to the penny (``policies.pay.fee_pence``, the rule every fee claim uses, so the plan costs what the
claims will); the fees line is that whole-penny fee times participants times meetings. The contingency is
the exact percentage of the other lines' total, rounded once, half up, to the penny. Every other figure is
whole pence already. The budget is the sum of the lines. Nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ledger.errors import ValidationError
from policies.money import HUNDRED, gbp, round_to_penny
from policies.pay import fee_pence

LINE_NAMES = {
    "fees": "Fees",
    "travel_expenses": "Travel and expenses",
    "access": "Access costs (interpreters, supporters, accessible venues, overnight stays)",
    "contingency": "Contingency",
}
LINE_KINDS = tuple(LINE_NAMES)  # the order lines are shown in

# Which cost line an expense claim's line is spent from. Support, personal assistants and overnight stays are
# the access costs that let disabled people and their supporters take part; everything else is travel and
# expenses.
EXPENSE_CATEGORY_LINE = {
    "public_transport": "travel_expenses",
    "taxi": "travel_expenses",
    "mileage": "travel_expenses",
    "meals": "travel_expenses",
    "replacement_care": "travel_expenses",
    "childcare": "travel_expenses",
    "other": "travel_expenses",
    "accommodation": "access",
    "support_worker": "access",
    "personal_assistant": "access",
}

# Anything above these is a typo, not a plan.
MAX_PEOPLE = 10_000
MAX_MEETINGS = 1_000
MAX_HOURS = Decimal(100)
MAX_PENCE = 100_000_000_000
MAX_PERCENT = Decimal(100)


@dataclass(frozen=True, slots=True)
class BudgetPlanLine:
    """One cost line of a budget: its kind (one of ``LINE_KINDS``), name, amount and how it was reached."""

    kind: str
    name: str
    amount_pence: int
    basis: str = ""


@dataclass(frozen=True, slots=True)
class BudgetPlan:
    """A project's stored budget by cost line."""

    project_code: str
    budget_pence: int
    lines: tuple[BudgetPlanLine, ...]
    set_at: dt.datetime | None
    set_by_user_id: int | None


@dataclass(frozen=True, slots=True)
class BudgetPositionLine:
    """One cost line: its budget, what is committed (approved, not yet paid) and what is spent (paid)."""

    kind: str | None  # None for the budget not split into cost lines
    name: str
    budget_pence: int
    committed_pence: int
    spent_pence: int

    @property
    def remaining_pence(self) -> int:
        return self.budget_pence - self.committed_pence - self.spent_pence


@dataclass(frozen=True, slots=True)
class BudgetPosition:
    """A project's budget against what is committed and spent, by cost line, on a date."""

    project_code: str
    project_name: str
    cost_centre: str
    as_at: dt.date
    lines: tuple[BudgetPositionLine, ...]
    people_involved: int
    activities_held: int
    notes: tuple[str, ...] = ()

    @property
    def budget_pence(self) -> int:
        return sum(line.budget_pence for line in self.lines)

    @property
    def committed_pence(self) -> int:
        return sum(line.committed_pence for line in self.lines)

    @property
    def spent_pence(self) -> int:
        return sum(line.spent_pence for line in self.lines)

    @property
    def remaining_pence(self) -> int:
        return self.budget_pence - self.committed_pence - self.spent_pence


def _whole(problems: dict[str, list[str]], field: str, value: Any, maximum: int, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        problems[field] = ["Must be a whole number."]
        return 0
    if not minimum <= value <= maximum:
        problems[field] = [f"Must be from {minimum:,} to {maximum:,}."]
        return 0
    return value


def _decimal(problems: dict[str, list[str]], field: str, value: Any, maximum: Decimal) -> Decimal:
    # Floats are refused: "2.5" is exact, 2.5 is not.
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        problems[field] = ['Give a number as a decimal string, like "2.5".']
        return Decimal(0)
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        number = Decimal("NaN")
    if not number.is_finite() or not 0 <= number <= maximum or number != number.quantize(Decimal("0.01")):
        problems[field] = [f"A number from 0 to {maximum}, with at most two decimal places."]
        return Decimal(0)
    return number


def _hours_text(hours: Decimal) -> str:
    text = f"{hours.normalize():f}"
    return f"{text} hour" if hours == 1 else f"{text} hours"


def plan_budget(
    *,
    participants: int,
    meetings: int,
    meeting_hours: Decimal | str | int,
    preparation_hours: Decimal | str | int,
    hourly_rate_pence: int,
    expenses_per_person_per_meeting_pence: int,
    access_costs_pence: int,
    contingency_percent: Decimal | str | int,
) -> tuple[BudgetPlanLine, ...]:
    """Plan the cost lines of a project's co-production budget (see the module docstring for the rounding)."""
    problems: dict[str, list[str]] = {}
    people = _whole(problems, "participants", participants, MAX_PEOPLE)
    count = _whole(problems, "meetings", meetings, MAX_MEETINGS)
    meeting = _decimal(problems, "meeting_hours", meeting_hours, MAX_HOURS)
    preparation = _decimal(problems, "preparation_hours", preparation_hours, MAX_HOURS)
    rate = _whole(problems, "hourly_rate_pence", hourly_rate_pence, 100_000, minimum=1)
    expenses = _whole(problems, "expenses_per_person_per_meeting_pence", expenses_per_person_per_meeting_pence,
                      1_000_000)
    access = _whole(problems, "access_costs_pence", access_costs_pence, MAX_PENCE)
    percent = _decimal(problems, "contingency_percent", contingency_percent, MAX_PERCENT)
    if problems:
        raise ValidationError(f"Please correct: {', '.join(sorted(problems))}.", fields=problems)

    hours = meeting + preparation
    one_fee = fee_pence(hours, Decimal(rate) / HUNDRED)
    fees = people * count * one_fee
    travel = people * count * expenses
    subtotal = fees + travel + access
    contingency = round_to_penny(Decimal(subtotal) * percent / HUNDRED)
    if subtotal + contingency > MAX_PENCE:
        raise ValidationError("The plan comes to more than £1,000,000,000: check the figures.",
                              fields={"participants": ["The total is too large."]})
    return (
        BudgetPlanLine("fees", LINE_NAMES["fees"], fees,
                       f"{people} people x {count} meetings x {_hours_text(hours)} ({_hours_text(meeting)} meeting "
                       f"+ {_hours_text(preparation)} preparation) at {gbp(rate)} an hour = {gbp(one_fee)} each"),
        BudgetPlanLine("travel_expenses", LINE_NAMES["travel_expenses"], travel,
                       f"{people} people x {count} meetings x {gbp(expenses)}"),
        BudgetPlanLine("access", LINE_NAMES["access"], access, "Estimated access costs"),
        BudgetPlanLine("contingency", LINE_NAMES["contingency"], contingency,
                       f"{percent.normalize():f}% of {gbp(subtotal)}, rounded to the penny"),
    )
