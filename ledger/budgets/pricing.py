"""Pricing a co-production budget plan from the dated rules: a plan in, priced lines out, nothing stored.

What a project manager plans before any activity exists: meetings (a date, or a month), each with its length,
preparation time and the people taking part in each role; what each person needs at each meeting (travel,
meals, overnight stays, support, access); costs once for the project (easy-read production, devices, custom
lines); a contingency percentage and a time-credit budget in hours.

Invariants kept here:
- every line is priced from the figure in force on its own meeting's date (a month is priced on its last
  day, so a rate that starts during the month is counted), and says which rule and which date it came from;
  a rate entered by the manager always wins and is named as theirs;
- a figure whose date is after the day the plan is priced (``priced_on``) is an announced future rate: it
  is used, and the line is marked ``announced``;
- a fee is each person's hours x the hourly rate, rounded ONCE, half up, to the penny (``policies.pay``'s
  rule for every fee claim), times the people; any other line is each person's (or unit's) quantity x rate
  rounded once, times the count; the contingency is the exact percentage of all other lines, rounded once;
- a rate a line needs that neither the manager nor the rules give is refused, naming the field, never
  guessed; a role's own fee below the legal minimum on the meeting's date is refused too.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from ledger.budgets.plan import ItemInput, MeetingInput, PlanInput, RoleInput
from ledger.budgets.records import PricedLine, PricedPlan
from ledger.errors import ValidationError
from policies import pay
from policies.errors import PolicyError
from policies.money import HUNDRED, gbp, round_to_penny
from policies.rulebook import Parameter, Rulebook


@dataclass(frozen=True, slots=True)
class ItemKind:
    """One kind of cost a plan can hold: where it sits, which cost line it draws on, and where its rate comes from.

    ``rule`` is a key of the rules or of the published planning figures (policies/data/budget-rates.toml);
    None means no figure is published, so the manager must enter the rate.
    ``living_wage`` prices it at the pay rate for the date (a personal assistant's hours).
    """

    name: str
    section: str  # travel, support, access, custom
    cost_line: str  # one of ledger.projects.budget.LINE_KINDS
    unit: str  # what the quantity counts, per person or unit
    rule: str | None = None
    living_wage: bool = False


ITEM_KINDS: dict[str, ItemKind] = {
    # No public figure exists for fares or a hotel outside London: the manager enters the rate (never guessed).
    "travel_uk": ItemKind("Travel (UK)", "travel", "travel_expenses", "return journey"),
    "travel_london": ItemKind("Travel (London)", "travel", "travel_expenses", "return journey"),
    "travel_rural": ItemKind("Travel (rural)", "travel", "travel_expenses", "return journey"),
    "mileage": ItemKind("Mileage", "travel", "travel_expenses", "mile", "mileage.car_van.first_band"),
    "meals": ItemKind("Meals", "travel", "travel_expenses", "meal"),
    "meals_5_hours": ItemKind("Meal allowance (away 5 hours or more)", "travel", "travel_expenses", "day",
                              "budget.subsistence.five_hours"),
    "meals_10_hours": ItemKind("Meal allowance (away 10 hours or more)", "travel", "travel_expenses", "day",
                               "budget.subsistence.ten_hours"),
    "meals_15_hours": ItemKind("Meal allowance (away 15 hours or more)", "travel", "travel_expenses", "day",
                               "budget.subsistence.fifteen_hours"),
    "early_breakfast": ItemKind("Breakfast (leaving before 7am)", "travel", "travel_expenses", "breakfast",
                                "budget.breakfast.early_start"),
    "overnight": ItemKind("Overnight stays", "travel", "access", "night"),
    "overnight_london": ItemKind("Overnight stays in London (bed and breakfast)", "travel", "access", "night",
                                 "budget.overnight.london_bed_and_breakfast"),
    "personal_assistant": ItemKind("Personal assistants and supporters", "support", "access", "hour",
                                   living_wage=True),
    "bsl_interpreter": ItemKind("BSL interpreters", "support", "access", "hour"),
    "interpreter": ItemKind("Other interpreters", "support", "access", "hour"),
    "replacement_care": ItemKind("Replacement care", "support", "travel_expenses", "hour"),
    "childcare": ItemKind("Childcare", "support", "travel_expenses", "hour"),
    "accessible_venue": ItemKind("Accessible venue", "access", "access", "booking"),
    "catering": ItemKind("Catering", "access", "access", "person"),
    "hearing_loop": ItemKind("Hearing loop", "access", "access", "hire"),
    "easy_read": ItemKind("Easy-read production", "access", "access", "document"),
    "large_print": ItemKind("Large-print production", "access", "access", "copy"),
    "remote_access": ItemKind("Remote access (devices, data)", "access", "access", "person"),
    "custom": ItemKind("Other cost", "custom", "access", "unit"),
}
SECTIONS = {"fees": "Fees", "travel": "Travel, meals and stays", "support": "Support", "access": "Access",
            "custom": "Other costs", "contingency": "Contingency"}


@dataclass(frozen=True, slots=True)
class Rate:
    """A rate for one line: pence per unit (exact pounds kept for fees), and the figure it came from."""

    per_unit: Decimal  # pounds
    rule: Parameter | None  # None: entered by the manager

    @property
    def pence(self) -> int:
        return round_to_penny(self.per_unit * HUNDRED)


def price_plan(plan: PlanInput, *, rulebook: Rulebook, pay_basis: str, priced_on: dt.date) -> PricedPlan:
    """Price every line of a plan from the figures in force on each meeting's date (see the module docstring)."""
    problems: dict[str, list[str]] = {}
    lines: list[PricedLine] = []
    keys: dict[str, int] = {}
    for index, meeting in enumerate(plan.meetings):
        where = f"meetings.{index}"
        on = price_date(meeting)
        label = _meeting_key(meeting, keys)
        for role in plan.roles_in(meeting):
            line = _fee_line(plan, role, meeting, on, label, rulebook, pay_basis, priced_on, problems, where)
            if line is not None:
                lines.append(line)
        for item_index, item in enumerate(plan.items_of(meeting)):
            field = f"{where}.items.{item_index}" if meeting.items is not None else f"each_meeting.items.{item_index}"
            line = _item_line(item, on, f"{label}|{item.kind}#{item_index}", meeting.label, plan, rulebook,
                              pay_basis, priced_on, problems, field)
            if line is not None:
                lines.append(line)
    for item_index, item in enumerate(plan.project_items):
        line = _item_line(item, plan.starts_on, f"project|{item.kind}#{item_index}", "Once for the project", plan,
                          rulebook, pay_basis, priced_on, problems, f"project_items.{item_index}")
        if line is not None:
            lines.append(line)
    if problems:
        raise ValidationError(f"Please correct: {', '.join(sorted(problems))}.", fields=problems)
    lines.append(_contingency(plan.contingency_percent, sum(line.amount_pence for line in lines)))
    return PricedPlan(lines=tuple(lines), priced_on=priced_on, region=plan.region,
                      contingency_percent=plan.contingency_percent, time_credit_hours=plan.time_credit_hours)


def price_date(meeting: MeetingInput) -> dt.date:
    """The day a meeting is priced on: its date, or the last day of its month (a rate starting that month counts)."""
    if meeting.on is not None:
        return meeting.on
    assert meeting.month is not None
    year, month = meeting.month
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _meeting_key(meeting: MeetingInput, seen: dict[str, int]) -> str:
    """A meeting's name in line keys, stable across versions: its date or month and title (numbered if repeated)."""
    base = f"{meeting.when_text}|{meeting.title}"
    seen[base] = seen.get(base, 0) + 1
    return base if seen[base] == 1 else f"{base}#{seen[base]}"


def _lower(name: str) -> str:
    """A name inside a sentence: 'Childcare' -> 'childcare', but 'BSL interpreters' stays."""
    return name if name[1:2].isupper() else name[0].lower() + name[1:]


def _day(on: dt.date) -> str:
    return f"{on.day} {on:%B %Y}"


def _announced(rule: Parameter | None, priced_on: dt.date) -> bool:
    return rule is not None and rule.effective_from > priced_on


def _notes(rule: Parameter | None, on: dt.date, priced_on: dt.date) -> tuple[str, ...]:
    """What to check about the figure a line rests on, in a sentence a project manager can act on."""
    if rule is None:
        return ()
    notes = []
    if _announced(rule, priced_on):
        notes.append(f"Announced rate: in force from {_day(rule.effective_from)}, after this plan was priced.")
    if rule.key.startswith("budget.") and rule.note:
        notes.append(rule.note)
    if rule.is_stale_on(on) or rule.is_stale_on(priced_on):
        notes.append(f"{rule.key} (£{rule.decimal}) may be out of date after {_day(rule.stale_after or on)}: a newer "
                     "rate is expected, so lines priced at it may be too low.")
    elif not rule.is_reliable_on(on):
        notes.append(caveat if (caveat := rule.caveat(on)) else f"Check {rule.key}.")
    return tuple(notes)


def _pay_rate(plan: PlanInput, on: dt.date, rulebook: Rulebook, pay_basis: str) -> Rate:
    """The organisation's pay rate for the date and the plan's region, and the figure it rests on."""
    rate = pay.hourly_rate(rulebook, on, basis=pay_basis, region=plan.region)
    rule = next((p for p in rate.rules if p.decimal == rate.per_hour), rate.rules[0])
    return Rate(rate.per_hour, rule)


def _fee_line(plan: PlanInput, role: tuple[RoleInput, int], meeting: MeetingInput, on: dt.date, label: str,
              rulebook: Rulebook, pay_basis: str, priced_on: dt.date, problems: dict[str, list[str]],
              where: str) -> PricedLine | None:
    """The fees of the people in one role at one meeting: people x round(hours x rate)."""
    the_role, people = role
    try:
        rate = (Rate(Decimal(the_role.hourly_rate_pence) / HUNDRED, None) if the_role.hourly_rate_pence is not None
                else _pay_rate(plan, on, rulebook, pay_basis))
        minimum = pay.legal_minimum(rulebook, on)
    except PolicyError as error:
        problems.setdefault(f"{where}.on", []).append(
            f"No pay rate is known for {_day(on)} ({error}). Give the role its own fee, or add the rate to "
            "the organisation's rules file.")
        return None
    if rate.per_unit < minimum.decimal:
        problems.setdefault(f"roles.{plan.role_index(the_role.role)}.hourly_rate_pence", []).append(
            f"{gbp(rate.pence)} an hour is below the legal minimum of £{minimum.decimal} on {_day(on)}.")
        return None
    hours = meeting.hours + meeting.preparation_hours
    each = pay.fee_pence(hours, rate.per_unit)
    return PricedLine(
        key=f"{label}|fee:{the_role.role}", section="fees", cost_line="fees",
        description=f"{meeting.label}: {the_role.name}", priced_on=on, count=people, quantity=hours,
        unit="hour", rate_pence=rate.pence, each_pence=each, amount_pence=people * each,
        rule_key=rate.rule.key if rate.rule else None, rule_from=rate.rule.effective_from if rate.rule else None,
        announced=_announced(rate.rule, priced_on), notes=_notes(rate.rule, on, priced_on),
    )


def _item_rate(item: ItemInput, kind: ItemKind, plan: PlanInput, on: dt.date, rulebook: Rulebook,
               pay_basis: str) -> Rate | None:
    if item.rate_pence is not None:
        return Rate(Decimal(item.rate_pence) / HUNDRED, None)
    if kind.living_wage:
        return _pay_rate(plan, on, rulebook, pay_basis)
    if kind.rule is None:
        return None
    rule = rulebook.get(kind.rule, on)
    return Rate(rule.decimal, rule)


def _item_line(item: ItemInput, on: dt.date, key: str, where_text: str, plan: PlanInput, rulebook: Rulebook,
               pay_basis: str, priced_on: dt.date, problems: dict[str, list[str]], field: str) -> PricedLine | None:
    """One cost at one meeting (or once for the project): count x round(quantity x rate)."""
    kind = ITEM_KINDS[item.kind]
    try:
        rate = _item_rate(item, kind, plan, on, rulebook, pay_basis)
    except PolicyError as error:
        problems.setdefault(f"{field}.rate_pence", []).append(
            f"The rules hold no figure for {_lower(kind.name)} on {_day(on)} ({error}): enter the rate.")
        return None
    if rate is None:
        said = problems.setdefault(f"{field}.rate_pence", [])
        message = (f"Enter the cost of {_lower(kind.name)} per {kind.unit}: no published figure exists for it, "
                   "so the planner does not guess one.")
        if message not in said:  # once, not once per meeting
            said.append(message)
        return None
    each = round_to_penny(item.quantity * rate.per_unit * HUNDRED)
    name = item.description or kind.name
    return PricedLine(
        key=key, section=kind.section, cost_line=item.cost_line or kind.cost_line,
        description=f"{where_text}: {name}", priced_on=on, count=item.count, quantity=item.quantity, unit=kind.unit,
        rate_pence=rate.pence, each_pence=each, amount_pence=item.count * each,
        rule_key=rate.rule.key if rate.rule else None, rule_from=rate.rule.effective_from if rate.rule else None,
        announced=_announced(rate.rule, priced_on), notes=_notes(rate.rule, on, priced_on),
    )


def _contingency(percent: Decimal, subtotal: int) -> PricedLine:
    amount = round_to_penny(Decimal(subtotal) * percent / HUNDRED)
    return PricedLine(
        key="contingency", section="contingency", cost_line="contingency",
        description=f"Contingency: {percent.normalize():f}% of {gbp(subtotal)}", priced_on=None, count=1,
        quantity=percent, unit="percent", rate_pence=subtotal, each_pence=amount, amount_pence=amount,
        rule_key=None, rule_from=None, announced=False, notes=(),
    )


def totals_by_cost_line(plan: PricedPlan) -> Mapping[str, int]:
    """Each cost line's total (fees, travel and expenses, access, contingency), for the project's budget lines."""
    totals: dict[str, int] = {}
    for line in plan.lines:
        totals[line.cost_line] = totals.get(line.cost_line, 0) + line.amount_pence
    return totals
