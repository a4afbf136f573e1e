"""How figures and dates are written in the documents: British English, pounds and pence, hours.

Money arrives as ``int`` pence and leaves as text through Babel; ``Decimal`` is used only on the way.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency

LOCALE = Locale.parse("en_GB")
MINUS = "-"  # ASCII hyphen-minus, as Babel writes it: what people type when they search a PDF


def money(pence: int) -> str:
    """Return ``pence`` as pounds, e.g. 123456 -> '£1,234.56', -5 -> '-£0.05'."""
    return format_currency(Decimal(pence).scaleb(-2), "GBP", locale=LOCALE)


def pounds(pence: int) -> str:
    """Return a sum for prose, without pence when it is whole pounds: '£1,000', '£12.50'."""
    if pence % 100:
        return money(pence)
    return format_currency(Decimal(pence // 100), "GBP", format="¤#,##0", currency_digits=False, locale=LOCALE)


def signed_money(pence: int) -> str:
    """Return a change in pounds with its sign: '+£40.00', '-£40.00', '£0.00'."""
    return f"+{money(pence)}" if pence > 0 else money(pence)


@functools.lru_cache(maxsize=2048)
def day(date: dt.date) -> str:
    """Return a date as people write it: '4 June 2025'."""
    return format_date(date, format="long", locale=LOCALE)


def date_range(start: dt.date, end: dt.date) -> str:
    """Return '1 April 2025 to 30 June 2025' (or one date when start and end are the same day)."""
    return day(start) if start == end else f"{day(start)} to {day(end)}"


def duration(minutes: int) -> str:
    """Return minutes as hours and minutes: 150 -> '2 hours 30 minutes', -60 -> '-1 hour'."""
    sign = MINUS if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    parts = []
    if hours or not rest:
        parts.append(f"{hours:,} hour" + ("" if hours == 1 else "s"))
    if rest:
        parts.append(f"{rest} minute" + ("" if rest == 1 else "s"))
    return sign + " ".join(parts)


def signed_duration(minutes: int) -> str:
    """Return a change in time credits with its sign: '+2 hours', '-30 minutes', '0 hours'."""
    return f"+{duration(minutes)}" if minutes > 0 else duration(minutes)


def count(number: int, noun: str, plural: str | None = None) -> str:
    """Return '1 payee', '2,000 payees'."""
    return f"{number:,} {noun if number == 1 else (plural or noun + 's')}"
