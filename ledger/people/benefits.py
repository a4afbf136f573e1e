"""Declared benefits and circumstances: the policy engine's input, checked for meaning before it is kept.

Each item is shaped like the public calculator's ``benefits`` items (issue 3):
``{"name": "universal_credit", "work_allowance": "with_housing", "assessment_period_start_day": 10}``.
Amounts are kept as decimal strings in pounds with two places, hours as decimal strings; never floats.
Only the fields each benefit uses are accepted, so a misspelt field is refused rather than ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from ledger.errors import ValidationError
from policies.calculator import BENEFIT_FIELDS as POLICY_BENEFIT_FIELDS
from policies.calculator import DISREGARD_LEVELS

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WORK_ALLOWANCES = ("with_housing", "without_housing", "none")
PERMITTED_WORK = ("lower", "higher", "supported", "none")
# The disregards each benefit accepts: income-related ESA only its £20 ('standard', or 'higher' for the same
# £20); the £5, £10 and £25 ones are Housing Benefit and Pension Credit rules (policies.benefits).
DISREGARDS: dict[str, tuple[str, ...]] = DISREGARD_LEVELS
# Far above any real figure: anything larger is a typo.
MAX_POUNDS = Decimal("100000")
MAX_WEEKLY_HOURS = Decimal("168")


class _Invalid(Exception):
    pass


def _choice(values: Sequence[str]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in values:
            raise _Invalid(f"Must be one of {', '.join(values)}.")
        return value

    return check


def _decimal(value: Any) -> Decimal:
    # Floats are refused: "0.1" is exact, 0.1 is not.
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _Invalid("Give a number as a string, for example \"12.50\".")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise _Invalid("Not a number.") from None
    if not number.is_finite() or number < 0:
        raise _Invalid("Must be zero or more.")
    return number


def _pounds(value: Any) -> str:
    number = _decimal(value)
    if number != number.quantize(Decimal("0.01")):
        raise _Invalid("Give pounds and pence, at most two decimal places.")
    if number > MAX_POUNDS:
        raise _Invalid(f"Must be at most {MAX_POUNDS}.")
    return str(number.quantize(Decimal("0.01")))


def _hours(value: Any) -> str:
    number = _decimal(value)
    if number > MAX_WEEKLY_HOURS:
        raise _Invalid("A week has 168 hours.")
    if number != number.quantize(Decimal("0.01")):
        raise _Invalid("Give hours to at most two decimal places.")
    return str(int(number)) if number == number.to_integral() else str(number)


def _day_of_month(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _Invalid("Give a day of the month, 1 to 31.")
    try:
        day = int(value)
    except ValueError:
        raise _Invalid("Give a day of the month, 1 to 31.") from None
    if not 1 <= day <= 31:
        raise _Invalid("Give a day of the month, 1 to 31.")
    return day


# How each field of a declared benefit is checked; which benefit takes which field is the policy
# engine's public shape (``policies.calculator.BENEFIT_FIELDS``), so a declaration the calculator accepts
# is one a participant can store.
_Field = tuple[Callable[[Any], Any], bool]
_CHECKS: dict[str, Callable[[Any], Any]] = {
    "week_start": _choice(WEEKDAYS),
    "other_weekly_net_earnings": _pounds,
    "other_monthly_net_earnings": _pounds,
    "work_allowance": _choice(WORK_ALLOWANCES),
    "assessment_period_start_day": _day_of_month,
    "permitted_work": _choice(PERMITTED_WORK),
    "weekly_hours": _hours,
}
# Fields whose accepted values depend on the benefit.
_CHECKS_FOR: dict[str, dict[str, Callable[[Any], Any]]] = {
    name: {"disregard": _choice(levels)} for name, levels in DISREGARDS.items()
}
BENEFIT_FIELDS: dict[str, dict[str, _Field]] = {
    name: {field: (_CHECKS_FOR.get(name, {}).get(field) or _CHECKS[field], required)
           for field, required in fields.items()}
    for name, fields in POLICY_BENEFIT_FIELDS.items()
}
BENEFIT_NAMES = tuple(BENEFIT_FIELDS)


def check_benefits(items: Any) -> list[dict[str, Any]]:
    """Normalise a list of declared benefits, or raise naming each bad field (``benefits.0.name``)."""
    if not isinstance(items, Sequence) or isinstance(items, str | bytes):
        raise ValidationError("Benefits must be a list (empty if none are received).",
                              fields={"benefits": ["Must be a list."]})
    problems: dict[str, list[str]] = {}
    result: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"benefits.{i}"
        if not isinstance(item, Mapping):
            problems[where] = ["Each benefit is an object with a name."]
            continue
        name = item.get("name")
        if name not in BENEFIT_FIELDS:
            problems[f"{where}.name"] = [f"Must be one of {', '.join(BENEFIT_NAMES)}."]
            continue
        if name in seen:
            problems[f"{where}.name"] = [f"{name} is declared twice."]
            continue
        seen.add(name)
        spec = BENEFIT_FIELDS[name]
        clean: dict[str, Any] = {"name": name}
        for key in item:
            if key != "name" and key not in spec:
                problems[f"{where}.{key}"] = [f"Not a field of {name}."]
        for key, (check, required) in spec.items():
            if key not in item or item[key] is None:
                if required:
                    problems[f"{where}.{key}"] = ["Required."]
                continue
            try:
                clean[key] = check(item[key])
            except _Invalid as exc:
                problems[f"{where}.{key}"] = [str(exc)]
        result.append(clean)
    if problems:
        raise ValidationError("Please correct the declared benefits: " + ", ".join(sorted(problems)) + ".",
                              fields=problems)
    return result
