"""What to pay: the hourly rate for a date, place and person, the fee for some hours, and mileage.

Invariants kept here:
- the rate is never below the legal minimum (National Minimum Wage / National Living Wage) for the
  person's age on that date; when the date of birth is not known, the adult (21+) minimum is used;
- a fee is hours x rate, computed exactly and rounded ONCE to the penny, half up (see `fee_pence`);
- mileage uses HMRC's approved rates, with the car/van 10,000-mile band counted across the tax year
  (6 April to 5 April), and is rounded once to the penny, half up;
- a flat fee is set against the same legal minimum for the hours it pays (`check_flat_fee`), and a rate
  resting on a figure the rules file marks as probably replaced (`stale_after`) says so (`stale_rules`):
  the organisation decides what to do, but nobody is underpaid without someone being told.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from policies.errors import InvalidInput, RuleNotFound
from policies.money import HUNDRED, format_hours, gbp, round_to_penny, to_decimal
from policies.rulebook import Parameter, Rulebook, lowest_confidence
from policies.tax import tax_year_of

BASES = ("real_living_wage", "national_living_wage", "organisation")
REGIONS = ("uk", "london", "england", "wales", "scotland", "northern_ireland")
VEHICLES = ("car", "van", "motorcycle", "bicycle")


@dataclass(frozen=True)
class Rate:
    """An hourly rate in pounds, with how it was reached and the rules it rests on."""

    per_hour: Decimal
    basis: str
    on: date
    chosen_per_hour: Decimal
    minimum_per_hour: Decimal
    minimum_rule: str
    raised_to_minimum: bool
    rules: tuple[Parameter, ...]
    notes: tuple[str, ...]

    @property
    def confidence(self) -> str:
        """The lowest confidence of the rules the rate rests on."""
        return lowest_confidence(p.confidence for p in self.rules)


def age_on(date_of_birth: date, on: date) -> int:
    """Return a person's age in whole years on a date (a 29 February birthday falls on 1 March)."""
    years = on.year - date_of_birth.year
    if (on.month, on.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


def legal_minimum(
    rulebook: Rulebook,
    on: date,
    *,
    date_of_birth: date | None = None,
    apprentice: bool = False,
    first_year_of_apprenticeship: bool = False,
) -> Parameter:
    """Return the NMW/NLW rate that applies to a person on a date.

    The age bands are data (`age_from`/`age_to` of the `wage.nmw.*` parameters in force on the date), so a
    change of band boundaries (the NLW started at 23 before April 2024, at 21 since) needs no code.
    Without a date of birth the highest band is used, which never underpays.
    """
    bands = [p for p in rulebook.in_force("wage.nmw.", on) if p.age_from is not None]
    if not bands:
        raise RuleNotFound(f"No National Minimum Wage age bands in force on {on.isoformat()}.")
    if date_of_birth is None:
        return max(bands, key=lambda p: p.decimal)
    age = age_on(date_of_birth, on)
    if age < 0:
        raise InvalidInput(f"date of birth {date_of_birth.isoformat()} is after {on.isoformat()}")
    if apprentice:
        max_age = rulebook.get("wage.nmw.apprentice_rate_max_age", on).decimal
        if age <= max_age or first_year_of_apprenticeship:
            return rulebook.get("wage.nmw.apprentice", on)
    for band in bands:
        upper = band.age_to if band.age_to is not None else age
        if band.age_from is not None and band.age_from <= age <= upper:
            return band
    raise RuleNotFound(f"No National Minimum Wage band covers age {age} on {on.isoformat()}.")


def hourly_rate(
    rulebook: Rulebook,
    on: date,
    *,
    basis: str,
    region: str = "uk",
    date_of_birth: date | None = None,
    apprentice: bool = False,
    first_year_of_apprenticeship: bool = False,
) -> Rate:
    """Return the hourly rate for work on a date from the organisation's chosen basis, never below the law.

    basis: 'real_living_wage' (UK, or London when region is 'london'), 'national_living_wage' (the legal
    minimum for the person's age band) or 'organisation' (the organisation's own `wage.organisation.hourly`
    from its override file; `wage.organisation.hourly.<region>` is used first when it exists).
    """
    if basis not in BASES:
        raise InvalidInput(f"basis must be one of {', '.join(BASES)}, not {basis!r}")
    if region not in REGIONS:
        raise InvalidInput(f"region must be one of {', '.join(REGIONS)}, not {region!r}")
    minimum = legal_minimum(
        rulebook,
        on,
        date_of_birth=date_of_birth,
        apprentice=apprentice,
        first_year_of_apprenticeship=first_year_of_apprenticeship,
    )
    notes = []
    if date_of_birth is None:
        notes.append(f"Date of birth not given: the adult minimum ({minimum.key}) is used.")
    if basis == "real_living_wage":
        chosen = rulebook.get(f"wage.real_living_wage.{'london' if region == 'london' else 'uk'}", on)
    elif basis == "organisation":
        regional = f"wage.organisation.hourly.{region}"
        key = regional if rulebook.has(regional) else "wage.organisation.hourly"
        chosen = rulebook.get(key, on)
    else:
        chosen = minimum
    rules = (chosen,) if chosen is minimum else (chosen, minimum)
    notes.extend(c for p in rules if (c := p.caveat(on)))
    raised = chosen.decimal < minimum.decimal
    if raised:
        notes.append(
            f"{chosen.key} (£{chosen.decimal}) is below the legal minimum {minimum.key} "
            f"(£{minimum.decimal}) on {on.isoformat()}: the minimum is paid."
        )
    return Rate(
        per_hour=max(chosen.decimal, minimum.decimal),
        basis=basis,
        on=on,
        chosen_per_hour=chosen.decimal,
        minimum_per_hour=minimum.decimal,
        minimum_rule=minimum.key,
        raised_to_minimum=raised,
        rules=rules,
        notes=tuple(notes),
    )


def fee_pence(hours: Decimal | str | int, rate: Rate | Decimal | str) -> int:
    """Return the fee for some hours at an hourly rate, in pence.

    Rounding rule: hours x rate is computed exactly in Decimal, then rounded once to the whole penny,
    half up (1.5p -> 2p). Never round the rate or the hours first, and never add rounded part-fees:
    split a fee with the ledger's splitting function instead.
    """
    hours_d = to_decimal(hours, "hours")
    if hours_d < 0:
        raise InvalidInput(f"hours cannot be negative ({hours_d})")
    per_hour = rate.per_hour if isinstance(rate, Rate) else to_decimal(rate, "rate")
    if per_hour < 0:
        raise InvalidInput(f"a rate cannot be negative ({per_hour})")
    return round_to_penny(hours_d * per_hour * HUNDRED)


def _day(on: date) -> str:
    return f"{on.day} {on:%B %Y}"


def _per_hour(rule: Parameter) -> str:
    return f"£{rule.decimal:.2f} an hour"


def minimum_band(rule: Parameter) -> str:
    """Name a legal-minimum age band in words: 'the National Living Wage for those aged 21 or over'."""
    name = "National Living Wage" if rule.age_to is None else "National Minimum Wage"
    if rule.age_from is None:
        return f"the {name} ({rule.key})"
    if rule.age_to is None:
        ages = f"aged {rule.age_from} or over"
    elif rule.age_from == 0:
        ages = f"aged under {rule.age_to + 1}"
    else:
        ages = f"aged {rule.age_from} to {rule.age_to}"
    return f"the {name} for those {ages}"


@dataclass(frozen=True)
class FlatFeeCheck:
    """A flat fee set against the legal minimum for the hours it pays and the person's age on the day."""

    fee_pence: int
    hours: Decimal
    on: date
    minimum: Parameter
    minimum_pence: int
    age_known: bool

    @property
    def shortfall_pence(self) -> int:
        return max(0, self.minimum_pence - self.fee_pence)

    @property
    def below_minimum(self) -> bool:
        return self.shortfall_pence > 0

    @property
    def band(self) -> str:
        """The minimum's age band in words, saying when the age is not known."""
        band = minimum_band(self.minimum)
        return band if self.age_known else f"{band} (no date of birth is recorded, so the adult rate is used)"

    @property
    def hours_text(self) -> str:
        return f"{format_hours(self.hours)} hour{'' if self.hours == 1 else 's'}"

    def explanation(self) -> str:
        """Say, for finance staff, how far the fee falls short and why that minimum applies."""
        text = (
            f"The flat fee of {gbp(self.fee_pence)} pays for {self.hours_text} (the activity and its preparation). "
            f"The legal minimum for that time is {gbp(self.minimum_pence)}: {_per_hour(self.minimum)} on "
            f"{_day(self.on)}, {minimum_band(self.minimum)}. The fee is {gbp(self.shortfall_pence)} short."
        )
        if not self.age_known:
            text += (" The participant's date of birth is not recorded, so the adult rate (the highest) is used; "
                     "record it if they are younger.")
        return text


def check_flat_fee(
    rulebook: Rulebook, on: date, flat_fee_pence: int, hours: Decimal | str | int, *,
    date_of_birth: date | None = None,
) -> FlatFeeCheck:
    """Compare a flat fee with the legal minimum for its hours on a date (the adult rate without a birth date).

    The minimum is hours x the NMW/NLW band's hourly rate, rounded once like any fee (`fee_pence`).
    """
    hours_d = to_decimal(hours, "hours")
    minimum = legal_minimum(rulebook, on, date_of_birth=date_of_birth)
    return FlatFeeCheck(fee_pence=flat_fee_pence, hours=hours_d, on=on, minimum=minimum,
                        minimum_pence=fee_pence(hours_d, minimum.decimal), age_known=date_of_birth is not None)


@dataclass(frozen=True)
class StaleRule:
    """A figure a rate rests on, past the date after which the rules file expects it to have been replaced."""

    rule: Parameter
    work_on: date
    # True: stale on the day of the work itself. False: only on the day it is judged (approval), with no newer
    # figure added since, so a rate announced before the work may be missing from the rules.
    on_work_day: bool

    @property
    def since(self) -> date:
        return self.rule.stale_after or self.rule.effective_from

    def explanation(self) -> str:
        """Say, for finance staff, why the rate may be too low and what to check."""
        figure = f"{_per_hour(self.rule)} ({self.rule.key})"
        if self.on_work_day:
            return (
                f"The rate of {figure} should have been replaced by a newer one after {_day(self.since)}, before "
                f"the work on {_day(self.work_on)}: the fee may be too low. Check whether a newer rate has been "
                "announced and add it to the organisation's rules file."
            )
        return (
            f"The rate of {figure} should have been replaced by a newer one after {_day(self.since)}, and no newer "
            f"figure has been added to the rules file. If a newer rate started on or before the work on "
            f"{_day(self.work_on)}, the fee is too low: check before approving."
        )


def stale_rules(rulebook: Rulebook, rate: Rate, *, today: date | None = None) -> tuple[StaleRule, ...]:
    """The figures a rate rests on that are past their `stale_after` date and still the newest of their rule.

    A figure is stale on the day of the work when that day is after its stale date. Given ``today`` (the day
    a fee is approved), a figure whose stale date has passed by then is reported too: the stale date is a
    guess at the latest day a new rate is announced, and one announced earlier, before the work, would not
    yet be in the rules. Once a newer figure of the rule has been added, the old one is simply the right
    figure for the days it still covers, and is not reported.
    """
    found = []
    for rule in rate.rules:
        if rulebook.history(rule.key)[-1] != rule:
            continue
        if rule.is_stale_on(rate.on):
            found.append(StaleRule(rule, rate.on, on_work_day=True))
        elif today is not None and rule.is_stale_on(today):
            found.append(StaleRule(rule, rate.on, on_work_day=False))
    return tuple(found)


@dataclass(frozen=True)
class Mileage:
    """A mileage payment at HMRC approved rates, with the miles in each band."""

    pence: int
    vehicle: str
    miles_at_first_rate: Decimal
    miles_at_after_rate: Decimal
    passenger_miles: Decimal
    rules: tuple[Parameter, ...]

    def describe(self) -> str:
        """Say how the amount was reached, for finance staff."""
        parts = [f"{self.miles_at_first_rate} mi at £{self.rules[0].decimal}"]
        if self.miles_at_after_rate:
            parts.append(f"{self.miles_at_after_rate} mi at £{self.rules[1].decimal}")
        if self.passenger_miles:
            parts.append(f"{self.passenger_miles} passenger-mi at £{self.rules[-1].decimal}")
        return f"{self.vehicle}: {' + '.join(parts)} = {gbp(self.pence)}"


def mileage(
    miles: Decimal | str | int,
    vehicle: str,
    miles_already_this_tax_year: Decimal | str | int = 0,
    *,
    rulebook: Rulebook,
    on: date,
    passengers: int = 0,
) -> Mileage:
    """Work out a mileage payment at HMRC approved rates on a date (see `mileage_pence`)."""
    miles_d = to_decimal(miles, "miles")
    already = to_decimal(miles_already_this_tax_year, "miles already this tax year")
    if miles_d < 0 or already < 0:
        raise InvalidInput("miles cannot be negative")
    if vehicle not in VEHICLES:
        raise InvalidInput(f"vehicle must be one of {', '.join(VEHICLES)}, not {vehicle!r}")
    if passengers < 0:
        raise InvalidInput("passengers cannot be negative")
    if passengers and vehicle not in ("car", "van"):
        raise InvalidInput("passenger payments apply to cars and vans only")
    if vehicle in ("car", "van"):
        first = rulebook.get("mileage.car_van.first_band", on)
        after = rulebook.get("mileage.car_van.after_band", on)
        band = rulebook.get("mileage.car_van.band_miles", on).decimal
        left_in_band = max(Decimal(0), band - already)
        at_first = min(miles_d, left_in_band)
        at_after = miles_d - at_first
        rules: tuple[Parameter, ...] = (first, after)
        exact = at_first * first.decimal + at_after * after.decimal
    else:
        flat = rulebook.get(f"mileage.{vehicle}", on)
        at_first, at_after = miles_d, Decimal(0)
        rules = (flat,)
        exact = miles_d * flat.decimal
    passenger_miles = miles_d * passengers
    if passengers:
        passenger = rulebook.get("mileage.passenger", on)
        rules = (*rules, passenger)
        exact += passenger_miles * passenger.decimal
    return Mileage(
        pence=round_to_penny(exact * HUNDRED),
        vehicle=vehicle,
        miles_at_first_rate=at_first,
        miles_at_after_rate=at_after,
        passenger_miles=passenger_miles,
        rules=rules,
    )


def mileage_pence(
    miles: Decimal | str | int,
    vehicle: str,
    miles_already_this_tax_year: Decimal | str | int = 0,
    *,
    rulebook: Rulebook,
    on: date,
    passengers: int = 0,
) -> int:
    """Return a mileage payment in pence at HMRC approved rates, rounded once to the penny, half up.

    vehicle: 'car', 'van', 'motorcycle' or 'bicycle'. For cars and vans the first 10,000 miles of the tax
    year are paid at the higher rate: pass the car/van miles already paid in the same tax year (for a
    volunteer driver HMRC counts them across every organisation, so add any the participant declares).
    passengers: fellow passengers carried (cars and vans only), at the passenger rate per mile each.
    """
    return mileage(miles, vehicle, miles_already_this_tax_year, rulebook=rulebook, on=on, passengers=passengers).pence


def miles_in_tax_year(journeys: Iterable[tuple[date, Decimal]], on: date) -> Decimal:
    """Sum the miles of earlier journeys that fall in the same tax year as a date."""
    year = tax_year_of(on)
    return sum((miles for day, miles in journeys if year.contains(day)), Decimal(0))
