"""Benefit checks: would a proposed payment reduce, or cost, any benefit the participant has declared?

Input: the participant's declared benefits (frozen dataclasses below), what they have already been paid
and the proposed payment. Output: a `Decision` with one `BenefitResult` per benefit, for the period its
rule uses (the Carer's Allowance, ESA, Housing Benefit or Pension Credit week; the Universal Credit
assessment period by the date the money is received), and an overall outcome:
'breach' when any benefit is lost or over a permitted-work limit under a confirmed figure, 'warn' when any
is reduced, or is lost or over a limit only under the cautious reading of an unverified figure (both
readings are then explained), or a figure relied on is unverified, of low confidence or possibly out of
date; 'ok' otherwise.

Cautious readings taken where the sources disagree or are silent (each is said in the explanations):
- payments are tested in the period in which they are received, and a one-off fee is not averaged (Q5);
- payment amounts are treated as net earnings (tax, NI or allowable expenses would only lower them);
- when a week straddles an uprating, the lower of the two limits is used;
- when a limit or allowance is unverified, the lower of it and the last verified figure is used (Q1, Q2);
  a breach that happens under that lower figure only is a warning, not a breach: whether it is a breach
  at all rests on a figure nobody has confirmed, so the organisation's 'warn' setting applies;
- the 16-hour test is applied to every level of ESA permitted work (Q13 for supported permitted work).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from policies.errors import InvalidInput
from policies.money import HUNDRED, format_hours, gbp, pence_to_decimal, round_to_penny
from policies.payments import Payment, PaymentKind, counts_as_earnings, earnings_pence, work_hours
from policies.rulebook import Parameter, Rulebook, lowest_confidence
from policies.settings import DEFAULT_SETTINGS, PolicySettings

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
NO_EARNINGS_TEST = ("pip", "dla", "attendance_allowance", "state_pension")
DISPLAY_NAMES = {
    "carers_allowance": "Carer's Allowance",
    "esa": "Employment and Support Allowance (ESA)",
    "universal_credit": "Universal Credit",
    "housing_benefit": "Housing Benefit",
    "pension_credit": "Pension Credit",
    "income_related_esa": "income-related ESA",
    "pip": "Personal Independence Payment (PIP)",
    "dla": "Disability Living Allowance (DLA)",
    "attendance_allowance": "Attendance Allowance",
    "state_pension": "State Pension",
}


class Effect(StrEnum):
    """What a payment does to one benefit."""

    NONE = "none"
    REDUCED = "reduced"
    LOST = "lost"  # the whole week's benefit (Carer's Allowance cliff edge)
    OVER_LIMIT = "over_limit"  # over an ESA permitted-work limit


class Outcome(StrEnum):
    """The overall answer for a proposed payment."""

    OK = "ok"
    WARN = "warn"
    BREACH = "breach"


# ---------------------------------------------------------------- declared benefits


def _check_weekday(value: str) -> None:
    if value not in WEEKDAYS:
        raise InvalidInput(f"week_start must be a day of the week such as 'monday', not {value!r}")


def _check_pence(value: int, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(f"{what} must be a whole, non-negative number of pence")


@dataclass(frozen=True)
class CarersAllowance:
    """Carer's Allowance: a weekly net earnings limit with a cliff edge."""

    week_start: str = "monday"
    other_weekly_net_earnings_pence: int = 0
    name: ClassVar[str] = "carers_allowance"

    def __post_init__(self) -> None:
        _check_weekday(self.week_start)
        _check_pence(self.other_weekly_net_earnings_pence, "other_weekly_net_earnings_pence")


@dataclass(frozen=True)
class ESA:
    """New-style ESA with permitted work: 'lower', 'higher', 'supported' or 'none' (not told DWP)."""

    permitted_work: str
    weekly_hours: Decimal = Decimal(0)
    other_weekly_net_earnings_pence: int = 0
    week_start: str = "monday"
    name: ClassVar[str] = "esa"
    LEVELS: ClassVar[tuple[str, ...]] = ("lower", "higher", "supported", "none")

    def __post_init__(self) -> None:
        if self.permitted_work not in self.LEVELS:
            raise InvalidInput(f"permitted_work must be one of {', '.join(self.LEVELS)}, not {self.permitted_work!r}")
        if self.weekly_hours < 0:
            raise InvalidInput("weekly_hours cannot be negative")
        _check_weekday(self.week_start)
        _check_pence(self.other_weekly_net_earnings_pence, "other_weekly_net_earnings_pence")


@dataclass(frozen=True)
class UniversalCredit:
    """Universal Credit: monthly assessment periods from a start day; a work allowance, then a taper."""

    work_allowance: str
    assessment_period_start_day: int
    other_monthly_net_earnings_pence: int = 0
    name: ClassVar[str] = "universal_credit"
    ALLOWANCES: ClassVar[tuple[str, ...]] = ("with_housing", "without_housing", "none")

    def __post_init__(self) -> None:
        if self.work_allowance not in self.ALLOWANCES:
            raise InvalidInput(
                f"work_allowance must be one of {', '.join(self.ALLOWANCES)}, not {self.work_allowance!r}"
            )
        day = self.assessment_period_start_day
        if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 31:
            raise InvalidInput("assessment_period_start_day must be a day of the month, 1 to 31")
        _check_pence(self.other_monthly_net_earnings_pence, "other_monthly_net_earnings_pence")


@dataclass(frozen=True)
class _WeeklyDisregard:
    """A means-tested benefit with a weekly earnings disregard: 'standard', 'couple', 'higher', 'lone_parent'."""

    disregard: str = "standard"
    week_start: str = "monday"
    other_weekly_net_earnings_pence: int = 0
    LEVELS: ClassVar[tuple[str, ...]] = ("standard", "couple", "higher", "lone_parent")
    LEVELS_HINT: ClassVar[str] = ""

    def __post_init__(self) -> None:
        if self.disregard not in self.LEVELS:
            raise InvalidInput(
                f"disregard must be one of {', '.join(self.LEVELS)}, not {self.disregard!r}{self.LEVELS_HINT}"
            )
        _check_weekday(self.week_start)
        _check_pence(self.other_weekly_net_earnings_pence, "other_weekly_net_earnings_pence")


@dataclass(frozen=True)
class HousingBenefit(_WeeklyDisregard):
    """Housing Benefit: weekly disregard, then 65p of each £1 over it."""

    name: ClassVar[str] = "housing_benefit"


@dataclass(frozen=True)
class PensionCredit(_WeeklyDisregard):
    """Pension Credit: weekly disregard, then pound for pound."""

    name: ClassVar[str] = "pension_credit"


@dataclass(frozen=True)
class IncomeRelatedESA(_WeeklyDisregard):
    """Income-related (old-style) ESA: £20 of the claimant's weekly earnings disregarded, then pound for pound.

    Only the disregard that can apply to the claimant's own earnings is accepted: 'standard', the £20 of
    ESA Regulations 2008 Sch 7 (the default), or 'higher', the name Housing Benefit and Pension Credit use
    for the same £20 (the reference lists income-related ESA claimants among those who get it). The £5
    single, £10 couple and £25 lone-parent disregards are Housing Benefit and Pension Credit rules, so they
    are refused rather than silently replaced: a declaration that names them is wrong and should be fixed.
    """

    name: ClassVar[str] = "income_related_esa"
    LEVELS: ClassVar[tuple[str, ...]] = ("standard", "higher")
    LEVELS_HINT: ClassVar[str] = (
        ": income-related ESA disregards £20 of the claimant's earnings a week; the £5, £10 and £25 "
        "disregards are Housing Benefit and Pension Credit rules"
    )


@dataclass(frozen=True)
class NoEarningsTest:
    """A benefit that earnings do not affect: 'pip', 'dla', 'attendance_allowance' or 'state_pension'."""

    name: str

    def __post_init__(self) -> None:
        if self.name not in NO_EARNINGS_TEST:
            raise InvalidInput(f"name must be one of {', '.join(NO_EARNINGS_TEST)}, not {self.name!r}")


Benefit = CarersAllowance | ESA | UniversalCredit | HousingBenefit | PensionCredit | IncomeRelatedESA | NoEarningsTest


# ---------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    """A run of days, both ends included."""

    start: date
    end: date

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def week_containing(day: date, week_start: str) -> Period:
    """Return the benefit week (seven days from the given weekday) that contains a date."""
    _check_weekday(week_start)
    start = day - timedelta(days=(day.weekday() - WEEKDAYS.index(week_start)) % 7)
    return Period(start, start + timedelta(days=6))


def _period_start_in(year: int, month: int, start_day: int) -> date:
    """The day a UC assessment period starts in a month (UC Regulations 2013 reg 21(2)).

    Periods begin on the same day each month, except: from the 31st, on the last day of each month
    (reg 21(2)(a)); from the 29th or 30th, on the 27th of February, or the 28th in a leap year
    (reg 21(2)(b)). So a 29th start does not begin on 29 February even in a leap year, and a 30th start
    begins on the 27th, not the last day, of a 28-day February: "the last day of a shorter month" is the
    rule for the 31st only.
    """
    if start_day == 31:
        return date(year, month, calendar.monthrange(year, month)[1])
    if start_day in (29, 30) and month == 2:
        return date(year, 2, 28 if calendar.isleap(year) else 27)
    return date(year, month, start_day)


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def assessment_period_containing(day: date, start_day: int) -> Period:
    """Return the Universal Credit assessment period that contains a date.

    A period runs from the day it starts in one month to the day before it starts in the next; the day
    it starts in each month is set by reg 21(2) (see `_period_start_in`): for a start day of 31, the
    month's last day; for 29 or 30, the same day except in February, when it is the 27th (28th in a leap
    year).
    """
    if not 1 <= start_day <= 31:
        raise InvalidInput("assessment period start day must be 1 to 31")
    start = _period_start_in(day.year, day.month, start_day)
    if day < start:
        year, month = (day.year - 1, 12) if day.month == 1 else (day.year, day.month - 1)
        start = _period_start_in(year, month, start_day)
    next_start = _period_start_in(*_next_month(start.year, start.month), start_day)
    return Period(start, next_start - timedelta(days=1))


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Reading:
    """One way of reading a limit that is not yet confirmed, and what the payment does under it.

    `kind` is 'unverified' (the figure as the sources found it, not yet confirmed) or 'last_confirmed'
    (the figure before it, which was). `limit_pence` is the limit for the benefit's period under that
    reading; `rule` and `range_text` name the parameter it comes from.
    """

    kind: str
    rule: str
    range_text: str
    limit_pence: int
    effect: Effect
    headroom_pence: int


@dataclass(frozen=True)
class BenefitResult:
    """What the proposed payment does to one benefit, with the rule it rests on and why.

    Money is in pence. `reduction_pence` is how much more the benefit falls because of the proposed
    payment (None where the amount of benefit is not known). `safe_amount_pence` is the most the proposed
    payment could be with no effect on this benefit (None where no amount limits it).

    `readings` is set when the limit rests on an unverified figure and the last confirmed one differs:
    the effect under each. `breach_depends_on_unverified` is true when the effect (lost, over_limit) holds
    under the cautious reading only; the decision is then a warning, not a breach.
    """

    name: str
    period: Period | None
    counted_pence: int | None
    limit_pence: int | None
    headroom_pence: int | None
    effect: Effect
    reduction_pence: int | None
    rule: str
    sources: tuple[str, ...]
    source: str
    confidence: str
    explanation: str
    explanation_for_staff: str
    safe_amount_pence: int | None = None
    hours: Decimal | None = None
    caution: bool = False
    notes: tuple[str, ...] = ()
    readings: tuple[Reading, ...] = ()
    breach_depends_on_unverified: bool = False

    @property
    def is_breach(self) -> bool:
        """Whether this result makes the decision a breach: lost or over a limit under a confirmed figure."""
        return self.effect in (Effect.LOST, Effect.OVER_LIMIT) and not self.breach_depends_on_unverified

    @property
    def counted(self) -> Decimal | None:
        return None if self.counted_pence is None else pence_to_decimal(self.counted_pence)

    @property
    def limit(self) -> Decimal | None:
        return None if self.limit_pence is None else pence_to_decimal(self.limit_pence)

    @property
    def headroom(self) -> Decimal | None:
        return None if self.headroom_pence is None else pence_to_decimal(self.headroom_pence)

    @property
    def reduction(self) -> Decimal | None:
        """The reduction in pounds, or None when the amount of benefit is not known."""
        return None if self.reduction_pence is None else pence_to_decimal(self.reduction_pence)


@dataclass(frozen=True)
class Alternative:
    """Another way to reward the participant that keeps their benefits safe."""

    kind: str  # pay_up_to_headroom | time_credits | redirect_to_group | decline | split_across_periods
    amount_pence: int
    explanation: str


@dataclass(frozen=True)
class Decision:
    """The answer for a proposed payment: overall outcome, one result per benefit, alternatives, notes."""

    outcome: Outcome
    results: tuple[BenefitResult, ...]
    alternatives: tuple[Alternative, ...]
    notes: tuple[str, ...]
    proposed: Payment

    @property
    def confidence(self) -> str:
        """The lowest confidence of the rules the decision rests on."""
        return lowest_confidence(r.confidence for r in self.results)

    def result(self, name: str) -> BenefitResult:
        """Return the result for one benefit by name."""
        return next(r for r in self.results if r.name == name)


# ---------------------------------------------------------------- checking


@dataclass(frozen=True)
class _Figure:
    """A limit or rate as used: the pence relied on, the parameters behind it, and what was said about it."""

    pence: int
    params: tuple[Parameter, ...]
    notes: tuple[str, ...] = ()
    caution: bool = False
    # When an unverified figure and a last confirmed one differ: the figure under each reading (`pence`, the
    # one used, is the lower), and the parameters they come from.
    unverified_pence: int | None = None
    confirmed_pence: int | None = None
    unverified: Parameter | None = None
    confirmed: Parameter | None = None

    @property
    def main(self) -> Parameter:
        return self.params[0]

    @property
    def has_readings(self) -> bool:
        return self.unverified_pence is not None and self.unverified_pence != self.confirmed_pence


@dataclass
class _Context:
    rulebook: Rulebook
    payments: tuple[Payment, ...]
    proposed: Payment
    settings: PolicySettings
    declared: frozenset[str]
    benefits: tuple[Benefit, ...] = ()
    notes: list[str] = field(default_factory=list)

    def declared_benefit(self, name: str) -> Benefit | None:
        """The declared benefit of that name, or None."""
        return next((b for b in self.benefits if b.name == name), None)

    @property
    def proposed_earnings(self) -> int:
        return earnings_pence(self.proposed, self.settings)

    def earnings_before(self, period: Period) -> int:
        """Earnings received in a period, other than the proposed payment."""
        return sum(
            earnings_pence(p, self.settings)
            for p in self.payments
            if p is not self.proposed and period.contains(p.received_on)
        )

    def hours_in(self, period: Period, *, with_proposed: bool) -> Decimal:
        """Paid hours worked in a period (by the day the work was done, not the day it was paid)."""
        return sum(
            (
                work_hours(p)
                for p in self.payments
                if period.contains(p.worked_date) and (with_proposed or p is not self.proposed)
            ),
            Decimal(0),
        )

    def figure(self, key: str, on: date, *, cautious_if_unverified: bool = True) -> _Figure:
        """Look up a money limit; if unverified, use the lower of it and the last verified figure."""
        param = self.rulebook.get(key, on)
        pence = _pence(param)
        notes = []
        caution = not param.is_reliable_on(on)
        if caveat := param.caveat(on):
            notes.append(caveat)
        params = [param]
        readings: dict[str, object] = {}
        if cautious_if_unverified and not param.verified:
            earlier = [p for p in self.rulebook.history(key) if p.verified and p.effective_from < param.effective_from]
            if earlier:
                fallback = earlier[-1]
                readings = {
                    "unverified_pence": pence,
                    "confirmed_pence": _pence(fallback),
                    "unverified": param,
                    "confirmed": fallback,
                }
            if earlier and _pence(earlier[-1]) < pence:
                fallback = earlier[-1]
                notes.append(
                    f"Until {gbp(pence)} is confirmed, the last confirmed figure {gbp(_pence(fallback))} "
                    f"({fallback.range_text}) is used: the cautious reading."
                )
                pence = _pence(fallback)
                params.append(fallback)
        return _Figure(pence, tuple(params), tuple(notes), caution, **readings)  # type: ignore[arg-type]

    def weekly_figure(self, key: str, week: Period) -> _Figure:
        """Look up a weekly limit for a week; where the week straddles a change, use the lower figure."""
        first = self.figure(key, week.start)
        last = self.figure(key, week.end)
        if first.main is last.main:
            return first
        lower, higher = (first, last) if first.pence <= last.pence else (last, first)
        note = (
            f"The figure changed during this week ({gbp(first.pence)} on {week.start.isoformat()}, "
            f"{gbp(last.pence)} on {week.end.isoformat()}): the lower, {gbp(lower.pence)}, is used."
        )
        readings: dict[str, object] = {}
        sides = (first, last)
        if any(f.unverified_pence is not None for f in sides):
            # Each reading still takes the lower of the week's two figures.
            with_readings = last if last.unverified_pence is not None else first
            readings = {
                "unverified_pence": min(f.pence if f.unverified_pence is None else f.unverified_pence for f in sides),
                "confirmed_pence": min(f.pence if f.confirmed_pence is None else f.confirmed_pence for f in sides),
                "unverified": with_readings.unverified,
                "confirmed": with_readings.confirmed,
            }
        return _Figure(
            lower.pence,
            (*lower.params, *higher.params),
            (*lower.notes, *higher.notes, note),
            lower.caution or higher.caution,
            **readings,  # type: ignore[arg-type]
        )


def _pence(param: Parameter) -> int:
    return round_to_penny(param.decimal * HUNDRED)


def _day(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _short(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _span(period: Period) -> str:
    return f"{_day(period.start)} to {_day(period.end)}"


def _taper_pence(rate: Decimal, excess_pence: int) -> int:
    return round_to_penny(rate * max(0, excess_pence))


def _result(
    ctx: _Context,
    name: str,
    *,
    figures: Sequence[_Figure],
    extra_params: Sequence[Parameter] = (),
    caution: bool = False,
    notes: Iterable[str] = (),
    **values: object,
) -> BenefitResult:
    on = ctx.proposed.received_on
    params = [p for f in figures for p in f.params] + list(extra_params)
    main = figures[0].main if figures else params[0]
    caveats = [c for p in params if (c := p.caveat(on))]
    all_notes = caveats + [n for f in figures for n in f.notes] + list(notes)
    return BenefitResult(
        name=name,
        rule=main.key,
        sources=main.sources,
        source=ctx.rulebook.source_titles(main),
        confidence=lowest_confidence(p.confidence for p in params),
        caution=caution or any(f.caution for f in figures) or any(not p.is_reliable_on(on) for p in params),
        notes=tuple(dict.fromkeys(all_notes)),
        **values,  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class _Readings:
    """A breach test under both readings of a limit not yet confirmed, and how to say it."""

    readings: tuple[Reading, ...] = ()
    depends_on_unverified: bool = False
    plain: tuple[str, ...] = ()
    staff: str = ""


def _two_readings(
    figure: _Figure, counted: int, breached: Callable[[int], bool], effect: Effect, consequence: str, safe: str
) -> _Readings:
    """Test a payment under the unverified figure and under the last confirmed one.

    The engine relies on the lower of the two (the cautious reading). When the payment breaches under it but
    not under the other, whether there is a breach at all rests on a figure nobody has confirmed: the
    result says what happens under each, and the decision is a warning rather than a breach (the
    organisation's 'warn' setting applies). A breach under both readings stays a breach.
    `breached(limit_pence)` says whether the payment breaches with that limit; `consequence` and `safe`
    finish the plain sentences for a breach and for none ("you would lose the week's Carer's Allowance").
    The plain sentences take the place of the check's own consequence sentence ("Your ESA could stop.").
    """
    if not figure.has_readings:
        return _Readings()
    assert figure.unverified is not None and figure.confirmed is not None
    assert figure.unverified_pence is not None and figure.confirmed_pence is not None
    readings = tuple(
        Reading(
            kind=kind,
            rule=param.key,
            range_text=param.range_text,
            limit_pence=pence,
            effect=effect if breached(pence) else Effect.NONE,
            headroom_pence=max(0, pence - counted),
        )
        for kind, param, pence in (
            ("unverified", figure.unverified, figure.unverified_pence),
            ("last_confirmed", figure.confirmed, figure.confirmed_pence),
        )
    )
    unverified, confirmed = readings
    if unverified.effect == confirmed.effect:
        return _Readings(
            readings,
            staff=f" Under both readings of a limit not yet confirmed (unverified {gbp(unverified.limit_pence)}, "
            f"last confirmed {gbp(confirmed.limit_pence)}) the effect is {unverified.effect}.",
        )
    plain = (
        "This limit is not confirmed yet.",
        f"If the new limit of {gbp(unverified.limit_pence)} is right, {_plain_under(unverified, consequence, safe)}.",
        f"Under the last confirmed limit, {gbp(confirmed.limit_pence)}, {_plain_under(confirmed, consequence, safe)}.",
        "We use the lower limit until the new one is confirmed, to keep you safe.",
    )
    staff = (
        f" Two readings of a limit not yet confirmed: unverified {_staff_under(unverified, counted)}; last "
        f"confirmed {_staff_under(confirmed, counted)}. The {effect} effect depends only on the unverified "
        f"figure, so the outcome is warn, not breach, until an override file confirms the figure; the lower, "
        f"{gbp(figure.pence)}, is "
        "still the one used for the headroom and the safe amount."
    )
    return _Readings(readings, True, plain, staff)


def _plain_under(r: Reading, consequence: str, safe: str) -> str:
    """What the payment does under one reading, in the words the participant reads."""
    return consequence if r.effect != Effect.NONE else f"this payment is within it and {safe}"


def _staff_under(r: Reading, counted: int) -> str:
    """What the payment does under one reading, with the rule and the figures for staff."""
    position = (
        f"over by {gbp(counted - r.limit_pence)}" if counted > r.limit_pence else f"within it (headroom "
        f"{gbp(r.limit_pence - counted)})"
    )
    return f"{r.rule} {gbp(r.limit_pence)} ({r.range_text}): counted {gbp(counted)} {position}, effect {r.effect}"


_NET_NOTE = (
    "Amounts are taken as net earnings: tax, NI, half of pension contributions or allowable expenses "
    "would only lower them."
)


def _check_carers_allowance(ctx: _Context, benefit: CarersAllowance) -> BenefitResult:
    week = week_containing(ctx.proposed.received_on, benefit.week_start)
    limit = ctx.weekly_figure("carers_allowance.earnings_limit", week)
    rate = ctx.figure("carers_allowance.weekly_rate", week.start, cautious_if_unverified=False)
    mechanics = ctx.rulebook.get("carers_allowance.rule.fluctuating_average", week.start)
    before = benefit.other_weekly_net_earnings_pence + ctx.earnings_before(week)
    counted = before + ctx.proposed_earnings
    lost = counted > limit.pence
    lost_before = before > limit.pence
    reduction = rate.pence if lost and not lost_before else 0
    two = _two_readings(
        limit,
        counted,
        lambda pence: counted > pence,
        Effect.LOST,
        f"you would lose all of your Carer's Allowance for that week ({gbp(rate.pence)})",
        "your Carer's Allowance is not affected",
    )
    plain = _ca_plain(week, limit, rate, before, counted, two)
    uc_params: tuple[Parameter, ...] = ()
    uc_staff = ""
    uc = ctx.declared_benefit("universal_credit")
    if (lost or lost_before) and isinstance(uc, UniversalCredit):
        offset = ctx.rulebook.get("carers_allowance.rule.uc_deducts_in_full", week.start)
        uc_params = (offset,)
        plain_uc, uc_staff = _ca_lost_with_universal_credit(week, rate, uc, offset)
        plain.extend(plain_uc)
    staff = _ca_staff(ctx, benefit, week, limit, rate, before, counted) + f"{two.staff}{uc_staff} {_NET_NOTE}"
    return _result(
        ctx,
        benefit.name,
        figures=(limit, rate),
        extra_params=(mechanics, *uc_params),
        period=week,
        counted_pence=counted,
        limit_pence=limit.pence,
        headroom_pence=max(0, limit.pence - counted),
        effect=Effect.LOST if lost else Effect.NONE,
        reduction_pence=reduction,
        explanation=" ".join(plain),
        explanation_for_staff=staff,
        safe_amount_pence=max(0, limit.pence - before),
        readings=two.readings,
        breach_depends_on_unverified=two.depends_on_unverified,
    )


def _ca_plain(week: Period, limit: _Figure, rate: _Figure, before: int, counted: int, two: _Readings) -> list[str]:
    """The participant's sentences: the limit, what the week comes to, and whether the week's CA is lost."""
    span = _span(week)
    plain = [f"Carer's Allowance: you can earn up to {gbp(limit.pence)} a week."]
    if before > limit.pence:
        plain.append(f"In the week {span} you have already earned {gbp(before)}, which is over the limit.")
        plain.append("You lose your Carer's Allowance for that week. This payment does not change that.")
        plain.extend(two.plain)
    elif counted > limit.pence:
        plain.append(f"In the week {span} you would earn {gbp(counted)} with this payment.")
        plain.append(f"That is {gbp(counted - limit.pence)} over the limit.")
        if two.depends_on_unverified:
            plain.extend(two.plain)
        else:
            plain.append(f"You would lose all of your Carer's Allowance for that week ({gbp(rate.pence)}).")
    else:
        plain.append(f"In the week {span} you will earn {gbp(counted)} with this payment.")
        plain.append(f"That leaves {gbp(limit.pence - counted)}. Your Carer's Allowance is not affected.")
    return plain


def _ca_staff(
    ctx: _Context, benefit: CarersAllowance, week: Period, limit: _Figure, rate: _Figure, before: int, counted: int
) -> str:
    """The staff text: the rule, the week, how the counted earnings add up and the cliff edge."""
    lost, lost_before = counted > limit.pence, before > limit.pence
    return (
        f"{limit.main.key} {gbp(limit.pence)}/week net ({limit.main.range_text}; confidence "
        f"{limit.main.confidence}). CA week {week.start.isoformat()} to {week.end.isoformat()} (starts "
        f"{benefit.week_start}). Counted {gbp(counted)} = declared other earnings "
        f"{gbp(benefit.other_weekly_net_earnings_pence)} + other payments received in the week "
        f"{gbp(before - benefit.other_weekly_net_earnings_pence)} + this payment {gbp(ctx.proposed_earnings)}. "
        f"Cliff edge: more than the limit by any amount loses the week's CA ({rate.main.key} "
        f"{gbp(rate.pence)}). Effect: {'lost' if lost else 'none'}"
        f"{' (already over before this payment)' if lost_before else ''}. The payment is tested in the week "
        "it is received and not averaged: DWP's averaging of one-off payments is unsettled (Q5)."
    )


def _ca_lost_with_universal_credit(
    week: Period, rate: _Figure, uc: UniversalCredit, rule: Parameter
) -> tuple[list[str], str]:
    """What Universal Credit does when a Carer's Allowance week is lost: the plain sentences and the staff text.

    UC counts Carer's Allowance as unearned income, deducted in full (UC Regulations 2013 reg 66(1)(b)(iii);
    gov.uk), so a week's Carer's Allowance not paid should come back as up to the same amount of UC. Only
    "up to": the UC award is not known (it may be nil either way), and how DWP spreads a weekly benefit over
    a monthly assessment period (reg 73) was not confirmed, so the offset is a derived upper bound, said
    with medium confidence; the loss itself is still reported in full.
    """
    first = assessment_period_containing(week.start, uc.assessment_period_start_day)
    last = assessment_period_containing(week.end, uc.assessment_period_start_day)
    if first == last:
        where = f"the assessment period {_short(first.start)} to {_short(first.end)}"
        where_staff = f"assessment period {first.start.isoformat()} to {first.end.isoformat()}"
    else:
        where = f"the assessment periods that week falls in (from {_short(first.start)} to {_short(last.end)})"
        where_staff = (
            f"assessment periods {first.start.isoformat()} to {first.end.isoformat()} and "
            f"{last.start.isoformat()} to {last.end.isoformat()} (the week straddles them)"
        )
    amount = gbp(rate.pence)
    plain = [
        "Universal Credit takes off Carer's Allowance pound for pound, so it should make up some or all of this.",
        f"Your Universal Credit could go up by as much as {amount}, in {where}.",
    ]
    staff = (
        f" With Universal Credit declared ({rule.key}; confidence {rule.confidence}): UC deducts CA in full as "
        f"unearned income, so the lost week's CA ({amount}) should raise UC by up to {amount} in the "
        f"{where_staff}. Net cost of the lost week: between £0.00 and {amount}, depending on the UC award (not "
        "known; nothing comes back if it is nil with or without the CA) and how DWP converts weekly CA to the "
        "monthly period (reg 73). DERIVED upper bound; medium confidence. The fee's own effect on UC is in the "
        "Universal Credit result."
    )
    return plain, staff


@dataclass(frozen=True)
class _PermittedWork:
    """One ESA week as the check found it: the figures the participant's and the staff sentences are built from."""

    level: str
    week: Period
    hours_week: Period
    limit: _Figure
    max_hours_param: Parameter
    notify: Parameter
    before: int
    counted: int
    hours: Decimal
    over_money: bool
    over_hours: bool
    was_over: bool
    two: _Readings

    @property
    def max_hours(self) -> Decimal:
        return self.max_hours_param.decimal

    @property
    def over(self) -> bool:
        return self.over_money or self.over_hours


def _check_esa(ctx: _Context, benefit: ESA) -> BenefitResult:
    """ESA permitted work: the money limit in the week the payment is received, the 16-hour test in the week
    the work was done (`Payment.worked_date`): hours are work done in a week, whenever they are paid for.
    """
    w = _permitted_work(ctx, benefit)
    hours_before = benefit.weekly_hours + ctx.hours_in(w.hours_week, with_proposed=False)
    # Paying less does not help when the hours are the problem: any pay makes those hours paid work.
    paid_hours = work_hours(ctx.proposed) > 0 and w.hours >= w.max_hours
    safe = 0 if (paid_hours or hours_before >= w.max_hours) else max(0, w.limit.pence - w.before)
    notes, caution = _esa_notes(ctx, w)
    effect = Effect.OVER_LIMIT if w.over else Effect.NONE
    return _result(
        ctx,
        benefit.name,
        figures=(w.limit,),
        extra_params=(w.max_hours_param,),
        caution=caution,
        notes=notes,
        period=w.week,
        counted_pence=w.counted,
        limit_pence=w.limit.pence,
        headroom_pence=max(0, w.limit.pence - w.counted),
        effect=effect,
        reduction_pence=(0 if w.was_over else None) if w.over else 0,
        explanation=" ".join(_esa_plain(w)),
        explanation_for_staff=_esa_staff(ctx, benefit, w, effect),
        safe_amount_pence=safe,
        hours=w.hours,
        readings=w.two.readings,
        breach_depends_on_unverified=w.two.depends_on_unverified,
    )


def _permitted_work(ctx: _Context, benefit: ESA) -> _PermittedWork:
    """Find the week's limit, earnings and hours, and whether either limit is (or already was) passed."""
    week = week_containing(ctx.proposed.received_on, benefit.week_start)
    hours_week = week_containing(ctx.proposed.worked_date, benefit.week_start)
    level = benefit.permitted_work
    max_hours_param = ctx.rulebook.get("esa.permitted_work.max_hours_exclusive", week.start)
    max_hours = max_hours_param.decimal
    notify = ctx.rulebook.get("esa.permitted_work.must_notify_before_start", week.start)
    if level == "none":
        limit = _Figure(0, (notify,))
    elif level == "lower":
        limit = ctx.weekly_figure("esa.permitted_work.lower_limit", week)
    else:
        limit = ctx.weekly_figure("esa.permitted_work.higher_limit", week)
    before = benefit.other_weekly_net_earnings_pence + ctx.earnings_before(week)
    counted = before + ctx.proposed_earnings
    hours_before = benefit.weekly_hours + ctx.hours_in(hours_week, with_proposed=False)
    hours = benefit.weekly_hours + ctx.hours_in(hours_week, with_proposed=True)
    over_hours = hours >= max_hours
    two = _two_readings(
        limit,
        counted,
        lambda pence: counted > pence or over_hours,
        Effect.OVER_LIMIT,
        "your ESA could stop",
        "your ESA is not affected",
    )
    return _PermittedWork(
        level=level, week=week, hours_week=hours_week, limit=limit, max_hours_param=max_hours_param,
        notify=notify, before=before, counted=counted, hours=hours, over_money=counted > limit.pence,
        over_hours=over_hours, was_over=before > limit.pence or hours_before >= max_hours, two=two,
    )


def _esa_notes(ctx: _Context, w: _PermittedWork) -> tuple[list[str], bool]:
    """The notes on the reading used, and whether to be cautious (unpaid work DWP must hear about first)."""
    notes, caution = [], False
    if w.level in ("lower", "supported"):
        notes.append(
            f"The 16-hour test is applied to {w.level} permitted work too: the sources differ on its hours "
            "condition (Q13); this is the cautious reading."
        )
    unpaid_hours = sum(
        (
            p.hours or Decimal(0)
            for p in ctx.payments
            if w.hours_week.contains(p.worked_date) and p.kind != PaymentKind.EXPENSE
        ),
        Decimal(0),
    )
    if w.level == "none" and w.counted == 0 and unpaid_hours > 0:
        caution = True
        notes.append("DWP asks to be told before any paid or unpaid work starts (form PW1).")
    return notes, caution


def _esa_plain(w: _PermittedWork) -> list[str]:
    """The participant's sentences: the limits, what the week comes to, and whether ESA could stop."""
    span = _span(w.week)
    if w.level == "none":
        plain = [
            "ESA: you have not told DWP that you do permitted work.",
            "You must tell DWP before you do any paid work (form PW1).",
        ]
        if w.over:
            plain.append(f"This payment would give you {gbp(w.counted)} of earnings in the week {span}.")
            plain.append("If you are paid before telling DWP, your ESA could stop.")
        else:
            plain.append("This payment is not counted as earnings, so your ESA is not affected.")
        return plain
    plain = [f"ESA: you can earn up to {gbp(w.limit.pence)} a week"]
    plain[0] += " and work under 16 hours a week." if w.level != "lower" else "."
    if w.hours_week == w.week:
        plain.append(f"In the week {span} you would earn {gbp(w.counted)} and work {format_hours(w.hours)} hours.")
    else:
        plain.append(f"In the week {span} you would earn {gbp(w.counted)}.")
        plain.append(
            f"Hours count in the week you did the work: {format_hours(w.hours)} hours in the week "
            f"{_span(w.hours_week)}."
        )
    if w.over_money:
        plain.append(f"That is {gbp(w.counted - w.limit.pence)} over the limit.")
    if w.over_hours:
        plain.append(f"That is {format_hours(w.hours)} hours. You must work under {format_hours(w.max_hours)} hours.")
    if w.two.depends_on_unverified:
        plain.extend(w.two.plain)
    elif w.over:
        plain.append("Your ESA could stop." + (" This was already so before this payment." if w.was_over else ""))
    else:
        plain.append(f"That leaves {gbp(w.limit.pence - w.counted)}. Your ESA is not affected.")
    return plain


def _esa_staff(ctx: _Context, benefit: ESA, w: _PermittedWork, effect: Effect) -> str:
    """The staff text: the rules, the weeks, and how the earnings and the hours add up."""
    level, limit, week, hours_week, hours, counted, before = (
        w.level, w.limit, w.week, w.hours_week, w.hours, w.counted, w.before)
    return (
        f"ESA permitted work ({level}): {limit.main.key} "
        + (f"{gbp(limit.pence)}/week ({limit.main.range_text})" if level != "none" else "limit £0.00 (not notified)")
        + f"; hours must be under {format_hours(w.max_hours)} ({w.max_hours_param.key}). Week "
        f"{week.start.isoformat()} to {week.end.isoformat()} (starts {benefit.week_start}). Counted "
        f"{gbp(counted)} = declared other {gbp(benefit.other_weekly_net_earnings_pence)} + other payments "
        f"{gbp(before - benefit.other_weekly_net_earnings_pence)} + this payment {gbp(ctx.proposed_earnings)}. "
        f"Hours {format_hours(hours)} = declared {format_hours(benefit.weekly_hours)} + paid hours of payments "
        f"for work done in the week {format_hours(hours - benefit.weekly_hours)}"
        + (
            ""
            if hours_week == week
            else f" (the work was done in the week {hours_week.start.isoformat()} to {hours_week.end.isoformat()}: "
            "hours count in the week worked, earnings in the week received)"
        )
        + f". Effect: {effect.value}"
        f"{' (already over before this payment)' if w.was_over and w.over else ''}"
        f"{'; ESA entitlement may end (amount of ESA not known)' if w.over else ''}. "
        f"Notify DWP before work starts ({w.notify.value}).{w.two.staff} {_NET_NOTE}"
    )


def _check_universal_credit(ctx: _Context, benefit: UniversalCredit) -> BenefitResult:
    period = assessment_period_containing(ctx.proposed.received_on, benefit.assessment_period_start_day)
    period_rule = ctx.rulebook.get("uc.rule.assessment_period_start_day", period.start)
    taper_param = ctx.rulebook.get("uc.taper", period.start)
    figures, allowance = _uc_work_allowance(ctx, benefit, period)
    figures.append(_Figure(0, (taper_param,)))
    before = benefit.other_monthly_net_earnings_pence + ctx.earnings_before(period)
    counted = before + ctx.proposed_earnings
    rate = taper_param.decimal
    reduction = _taper_pence(rate, counted - allowance) - _taper_pence(rate, before - allowance)
    notes, caution, plain_extra = _uc_capability_bar(ctx, period, counted)
    days_left = (period.end - ctx.proposed.received_on).days
    if days_left <= 3 and ctx.proposed_earnings:
        notes.append(
            f"The payment is received {days_left} day(s) before the period ends: if it arrives late it counts in "
            "the next period."
        )
    plain = _uc_plain(period, allowance, counted, reduction, rate) + plain_extra
    staff = _uc_staff(ctx, benefit, period, figures, allowance, taper_param, before, counted, reduction)
    return _result(
        ctx,
        benefit.name,
        figures=figures,
        extra_params=(period_rule,),
        caution=caution,
        notes=notes,
        period=period,
        counted_pence=counted,
        limit_pence=allowance,
        headroom_pence=max(0, allowance - counted),
        effect=Effect.REDUCED if reduction > 0 else Effect.NONE,
        reduction_pence=reduction,
        explanation=" ".join(plain),
        explanation_for_staff=staff,
        safe_amount_pence=max(0, allowance - before),
    )


def _uc_work_allowance(ctx: _Context, benefit: UniversalCredit, period: Period) -> tuple[list[_Figure], int]:
    """The work allowance figure (none without one) and its amount in pence."""
    if benefit.work_allowance == "none":
        return [], 0
    wa = ctx.figure(f"uc.work_allowance.{benefit.work_allowance}", period.start)
    return [wa], wa.pence


def _uc_capability_bar(ctx: _Context, period: Period, counted: int) -> tuple[list[str], bool, list[str]]:
    """Earnings at 16 hours' National Living Wage can end a work capability assessment (UC reg 41(3)).

    Returns the staff notes, whether to be cautious, and the participant's extra sentences.
    """
    notes, caution = [], False
    nlw = ctx.rulebook.get("wage.nmw.age_21_plus", period.start)
    bar_hours = ctx.rulebook.get("uc.lcw_assessment_bar.hours", period.start)
    bar = round_to_penny(bar_hours.decimal * nlw.decimal * 52 / 12 * HUNDRED)
    exempt = ctx.declared & {"pip", "dla", "attendance_allowance"}
    plain_extra = []
    if counted >= bar:
        text = (
            f"Earnings of {gbp(counted)} in the period reach {gbp(bar)} (16 h x NLW {gbp(_pence(nlw))} x 52 / 12, "
            "UC reg 41(3)): DWP may not carry out a Work Capability Assessment and may treat the claimant as not "
            "having limited capability for work"
        )
        if exempt:
            notes.append(text + ", unless they get AA, DLA or PIP (declared here, so the bar should not apply).")
        else:
            caution = True
            notes.append(text + ".")
            plain_extra.append(
                f"Earning {gbp(bar)} or more in a period can affect how DWP sees your ability to work. "
                "Ask for advice first."
            )
    return notes, caution, plain_extra


def _uc_plain(period: Period, allowance: int, counted: int, reduction: int, rate: Decimal) -> list[str]:
    """The participant's sentences: their period, their work allowance and what this payment does."""
    span = f"{_short(period.start)} to {_short(period.end)}"
    plain = [f"Universal Credit counts money in the monthly period in which you receive it. Yours runs {span}."]
    if allowance:
        plain.append(f"You can earn {gbp(allowance)} in that time before your Universal Credit goes down.")
    else:
        plain.append("You have no work allowance, so each £1 you earn lowers your Universal Credit by 55p.")
    plain.append(f"With this payment you will have earned {gbp(counted)}.")
    if reduction > 0:
        plain.append(
            f"Your Universal Credit would go down by about {gbp(reduction)} because of this payment "
            f"({rate * 100:.0f}p for each £1 over {gbp(allowance)})."
        )
    elif allowance:
        plain.append(f"That leaves {gbp(max(0, allowance - counted))}. Your Universal Credit is not affected.")
    else:
        plain.append("Your Universal Credit is not affected by this payment.")
    return plain


def _uc_staff(
    ctx: _Context, benefit: UniversalCredit, period: Period, figures: list[_Figure], allowance: int,
    taper_param: Parameter, before: int, counted: int, reduction: int,
) -> str:
    """The staff text: the period and how its start day was found, the allowance, the taper and the sums."""
    rate = taper_param.decimal
    wa_text = (
        "no work allowance"
        if benefit.work_allowance == "none"
        else f"{figures[0].main.key} {gbp(allowance)}/month (assessment periods starting {figures[0].main.range_text}"
        f"{'; start date inferred (Q14)' if figures[0].main.date_confidence == 'low' else ''})"
    )
    start_day = benefit.assessment_period_start_day
    month_end = (
        "; from the 31st a period starts on the month's last day, reg 21(2)(a)"
        if start_day == 31
        else "; from the 29th or 30th a February period starts on the 27th (28th in a leap year), reg 21(2)(b)"
        if start_day in (29, 30)
        else ""
    )
    return (
        f"UC assessment period {period.start.isoformat()} to {period.end.isoformat()} (start day "
        f"{start_day}{month_end}); earnings counted by date received ({ctx.proposed.received_on}). "
        f"{wa_text}; taper {taper_param.key} {rate}. Counted {gbp(counted)} = declared other "
        f"{gbp(benefit.other_monthly_net_earnings_pence)} + other payments "
        f"{gbp(before - benefit.other_monthly_net_earnings_pence)} + this payment {gbp(ctx.proposed_earnings)}. "
        f"Taper deduction {gbp(_taper_pence(rate, before - allowance))} before, "
        f"{gbp(_taper_pence(rate, counted - allowance))} after: extra {gbp(reduction)} (capped in practice at the "
        f"UC award, which is not known). {_NET_NOTE}"
    )


# The rule each declared disregard rests on, per benefit (the evidence pack names the same rules).
DISREGARD_KEYS = {
    "housing_benefit": {
        "standard": "legacy.disregard.standard",
        "couple": "legacy.disregard.couple",
        "higher": "legacy.disregard.higher",
        "lone_parent": "legacy.disregard.hb_lone_parent",
    },
    # 'higher' is the same £20: see IncomeRelatedESA.
    "income_related_esa": {
        "standard": "income_related_esa.disregard.standard",
        "higher": "income_related_esa.disregard.standard",
    },
    "pension_credit": {
        "standard": "pension_credit.disregard.standard",
        "couple": "pension_credit.disregard.couple",
        "higher": "pension_credit.disregard.higher",
    },
}


def _check_weekly_disregard(ctx: _Context, benefit: HousingBenefit | PensionCredit | IncomeRelatedESA) -> BenefitResult:
    week = week_containing(ctx.proposed.received_on, benefit.week_start)
    keys = DISREGARD_KEYS[benefit.name]
    notes = []
    level = benefit.disregard
    if level not in keys:
        notes.append(
            f"The '{level}' disregard is a Housing Benefit rule; the standard disregard is used for "
            f"{DISPLAY_NAMES[benefit.name]}: the cautious reading."
        )
        level = "standard"
    disregard = ctx.weekly_figure(keys[level], week)
    figures, rate, how = _disregard_taper(ctx, benefit, week, disregard, notes)
    before = benefit.other_weekly_net_earnings_pence + ctx.earnings_before(week)
    counted = before + ctx.proposed_earnings
    reduction = _taper_pence(rate, counted - disregard.pence) - _taper_pence(rate, before - disregard.pence)
    display = DISPLAY_NAMES[benefit.name]
    plain = [
        f"{display[0].upper()}{display[1:]}: the first {gbp(disregard.pence)} you earn each week is ignored.",
        f"In the week {_span(week)} you would earn {gbp(counted)} with this payment.",
    ]
    if reduction > 0:
        plain.append(f"Your {display} could go down by up to {gbp(reduction)} because of this payment ({how}).")
    else:
        plain.append(f"Your {display} is not affected by this payment.")
    staff = (
        f"{display}: {disregard.main.key} {gbp(disregard.pence)}/week; then {how}. Week {week.start.isoformat()} "
        f"to {week.end.isoformat()} (starts {benefit.week_start}). Counted {gbp(counted)} = declared other "
        f"{gbp(benefit.other_weekly_net_earnings_pence)} + other payments "
        f"{gbp(before - benefit.other_weekly_net_earnings_pence)} + this payment {gbp(ctx.proposed_earnings)}. "
        f"Extra reduction {gbp(reduction)} (an upper estimate; the award is not known). {_NET_NOTE}"
    )
    return _result(
        ctx,
        benefit.name,
        figures=figures,
        notes=notes,
        period=week,
        counted_pence=counted,
        limit_pence=disregard.pence,
        headroom_pence=max(0, disregard.pence - counted),
        effect=Effect.REDUCED if reduction > 0 else Effect.NONE,
        reduction_pence=reduction,
        explanation=" ".join(plain),
        explanation_for_staff=staff,
        safe_amount_pence=max(0, disregard.pence - before),
    )


def _disregard_taper(
    ctx: _Context, benefit: HousingBenefit | PensionCredit | IncomeRelatedESA, week: Period, disregard: _Figure,
    notes: list[str],
) -> tuple[list[_Figure], Decimal, str]:
    """How earnings over the disregard reduce the benefit: the figures, the rate, how to say it; notes added."""
    figures = [disregard]
    if benefit.name == "housing_benefit":
        taper_param = ctx.rulebook.get("legacy.hb_taper", week.start)
        figures.append(_Figure(0, (taper_param,)))
        rate = taper_param.decimal
        how = f"{rate * 100:.0f}p for each £1 over {gbp(disregard.pence)}"
        notes.append(
            "The 65% taper assumes income is already above the applicable amount; with a passporting benefit "
            "(Pension Credit guarantee, income-related ESA) the earnings reduce that benefit first. Working-age "
            "Housing Benefit is ending with the move to Universal Credit (Q11)."
        )
    else:
        rate = Decimal(1)
        how = f"£1 for each £1 over {gbp(disregard.pence)}"
        notes.append(
            f"Pound-for-pound reduction: if it is more than the {DISPLAY_NAMES[benefit.name]} award, the award "
            "and the help that comes with it (passported benefits) may be lost."
        )
        if benefit.name == "income_related_esa":
            notes.append(
                "Income-related ESA is closing: awards are moving to new-style ESA or Universal Credit (Q11). "
                "Check the participant still gets it."
            )
            notes.append(
                f"The {gbp(disregard.pence)} disregard is the claimant's own; earnings from permitted work "
                "notified to DWP can have a higher disregard (CPAG), which is not applied here: the cautious "
                "reading. A partner's earnings are not checked."
            )
    return figures, rate, how


def _check_no_earnings_test(ctx: _Context, benefit: NoEarningsTest) -> BenefitResult:
    param = ctx.rulebook.get("no_earnings_test.benefits", ctx.proposed.received_on)
    display = DISPLAY_NAMES[benefit.name]
    plain = f"{display} does not depend on what you earn. This payment does not change it."
    notes = []
    if benefit.name == "state_pension":
        plain += " After State Pension age you pay no National Insurance on earnings."
    else:
        plain += " Make sure what you do fits what you told DWP about your needs."
        notes.append(
            "Not means-tested, but the activity should not contradict what the claim says about the person's "
            "abilities (a review risk, not a money rule: Q15)."
        )
    return _result(
        ctx,
        benefit.name,
        figures=(_Figure(0, (param,)),),
        notes=notes,
        period=None,
        counted_pence=None,
        limit_pence=None,
        headroom_pence=None,
        effect=Effect.NONE,
        reduction_pence=0,
        explanation=plain,
        explanation_for_staff=f"{display}: no earnings test ({param.key}; confidence {param.confidence}).",
    )


def _check_one(ctx: _Context, benefit: Benefit) -> BenefitResult:
    if isinstance(benefit, CarersAllowance):
        return _check_carers_allowance(ctx, benefit)
    if isinstance(benefit, ESA):
        return _check_esa(ctx, benefit)
    if isinstance(benefit, UniversalCredit):
        return _check_universal_credit(ctx, benefit)
    if isinstance(benefit, HousingBenefit | PensionCredit | IncomeRelatedESA):
        return _check_weekly_disregard(ctx, benefit)
    if isinstance(benefit, NoEarningsTest):
        return _check_no_earnings_test(ctx, benefit)
    raise InvalidInput(f"not a declared benefit: {benefit!r}")


def check_payment(
    rulebook: Rulebook,
    benefits: Sequence[Benefit],
    already_paid: Iterable[Payment],
    proposed: Payment,
    settings: PolicySettings | None = None,
) -> Decision:
    """Check a proposed payment against every benefit the participant has declared."""
    settings = settings or DEFAULT_SETTINGS
    names = [b.name for b in benefits]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InvalidInput(f"each benefit may be declared once; repeated: {', '.join(duplicates)}")
    ctx = _Context(
        rulebook=rulebook,
        payments=(*already_paid, proposed),
        proposed=proposed,
        settings=settings,
        declared=frozenset(names),
        benefits=tuple(benefits),
    )
    results = tuple(_check_one(ctx, b) for b in benefits)
    if any(r.is_breach for r in results):
        outcome = Outcome.BREACH
    elif any(r.effect == Effect.REDUCED or r.caution for r in results):
        outcome = Outcome.WARN
    else:
        outcome = Outcome.OK
    return Decision(
        outcome=outcome,
        results=results,
        alternatives=tuple(_alternatives(ctx, results)),
        notes=tuple(_decision_notes(ctx, results)),
        proposed=proposed,
    )


def _alternatives(ctx: _Context, results: Sequence[BenefitResult]) -> list[Alternative]:
    affected = [r for r in results if r.effect != Effect.NONE]
    amount = ctx.proposed_earnings
    if not affected or amount == 0:
        return []
    safe = min((r.safe_amount_pence for r in results if r.safe_amount_pence is not None), default=amount)
    if safe >= amount:
        return []  # the benefit was already affected before this payment; paying less changes nothing
    rest = amount - safe
    part = "the rest" if safe else "this payment"
    period_word = "assessment period" if any(r.name == "universal_credit" for r in affected) else "week"
    found = []
    if safe > 0:
        found.append(
            Alternative(
                "pay_up_to_headroom",
                safe,
                f"We could pay you {gbp(safe)} now instead of {gbp(amount)}. That keeps your benefits safe.",
            )
        )
    credits_note = (
        " DWP has said time credits are not earnings for older benefits; this is not confirmed for Universal "
        "Credit or new-style ESA."
        if ctx.declared & {"universal_credit", "esa"}
        else ""
    )
    found += [
        Alternative(
            "time_credits",
            rest,
            f"You could take time credits instead of {gbp(rest)} ({part}). Time credits are not counted as "
            f"earnings.{credits_note}",
        ),
        Alternative(
            "redirect_to_group",
            rest,
            f"You could ask us to pay {gbp(rest)} ({part}) to a group or charity you choose. We pay them "
            "directly. Do not take the money and give it away yourself: that would still count as yours.",
        ),
        Alternative(
            "decline",
            rest,
            f"You can say no to {gbp(rest)} ({part}), or ask for a lower fee. You will not be treated as if "
            "you had been paid it.",
        ),
        Alternative(
            "split_across_periods",
            rest,
            f"Only if you ask us to: we could pay {gbp(rest)} ({part}) in a later {period_word}. It would then "
            f"count in that {period_word} instead. We will not do this unless you ask.",
        ),
    ]
    return found


def _decision_notes(ctx: _Context, results: Sequence[BenefitResult]) -> list[str]:
    notes = [n for r in results for n in r.notes]
    kinds = {p.kind for p in ctx.payments}
    if PaymentKind.VOUCHER in kinds:
        if counts_as_earnings(PaymentKind.VOUCHER, ctx.settings):
            notes.append(
                "Vouchers are counted as earnings: the sources disagree (Q6), so this is the cautious reading."
            )
        else:
            notes.append(
                "Vouchers are not counted as earnings, as the organisation has chosen. The sources disagree (Q6): "
                "SWRU and BASW say vouchers count."
            )
    if PaymentKind.EXPENSE in kinds:
        notes.append(
            "Expenses are not counted only when they repay actual costs of taking part, best against receipts; "
            "flat-rate amounts above cost count as earnings."
        )
    if kinds & {PaymentKind.EXPENSE, PaymentKind.DECLINED, PaymentKind.REDIRECTED_TO_GROUP}:
        notes.append(
            "These easements are for service users consulted about health, social care, social housing or social "
            "security services (or research to improve them); check the activity qualifies (Q10)."
        )
    if PaymentKind.REDIRECTED_TO_GROUP in kinds:
        notes.append(
            "A fee redirected to a group must be paid by the organisation straight to the group at the "
            "participant's request (Q12)."
        )
    if PaymentKind.TIME_CREDITS in kinds and ctx.declared & {"universal_credit", "esa"}:
        notes.append(
            "Time credits are not earnings for income-related benefits (DWP statement, 2000); not confirmed for "
            "Universal Credit or new-style ESA (Q8)."
        )
    if any(r.effect != Effect.NONE or r.caution for r in results):
        notes.append("Get independent welfare-rights advice before going ahead.")
    return list(dict.fromkeys(notes))
