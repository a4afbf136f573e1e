"""en_GB presentation of money, time credits and dates (Babel). Presentation only: no arithmetic."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal


def money(pence: int) -> str:
    """£1,234.56 (negative as -£1,234.56)."""
    return format_currency(Decimal(pence) / 100, "GBP", locale="en_GB")


def pounds(pence: int) -> str:
    """Plain decimal string in pounds, as the JSON API carries money: '1234.56'."""
    return str((Decimal(pence) / 100).quantize(Decimal("0.01")))


def hours(minutes: int) -> str:
    """Time credits in hours: '1.5 hours'."""
    value = (Decimal(minutes) / 60).quantize(Decimal("0.01")).normalize()
    text = format_decimal(value, locale="en_GB")
    return f"{text} hour" if value == 1 else f"{text} hours"


def long_date(day: dt.date) -> str:
    return format_date(day, format="d MMMM y", locale="en_GB")


def amount_in_unit(unit: str, minor: int) -> str:
    return money(minor) if unit == "GBP" else hours(minor)
