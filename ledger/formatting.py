"""How figures and dates are written, for people and for the JSON API: one function per way of writing one.

Money arrives as ``int`` pence and time credits as ``int`` minutes; ``Decimal`` is used only on the way to text,
and nothing here does arithmetic that could change a figure. Each name has one meaning everywhere (pages, PDF
documents, the CLI, the API), so the same figure reads the same wherever it appears:

| function | for | example |
|---|---|---|
| ``money`` | people | 123456 -> ``£1,234.56``, -5 -> ``-£0.05`` |
| ``money_signed`` | people: a change | 4000 -> ``+£40.00`` |
| ``money_prose`` | people: a sum in a sentence | 100000 -> ``£1,000``, 1250 -> ``£12.50`` |
| ``pounds`` | the JSON API | 123456 -> ``1234.56`` |
| ``hours`` | people: time credits on the web pages and CLI | 90 -> ``1.5 hours`` |
| ``duration`` | people: time in documents | 150 -> ``2 hours 30 minutes`` |
| ``duration_signed`` | people: a change in time credits | 60 -> ``+1 hour`` |
| ``decimal_hours`` | the JSON API | 90 -> ``1.50`` |
| ``long_date`` | people | ``4 June 2025`` |
| ``date_and_time`` | people: a moment, in UK time | ``4 June 2025 at 14:05`` |

British English throughout, through Babel's ``en_GB`` locale. (``policies.money.gbp`` writes the same text as
``money`` for the policy engine, which imports only the standard library.)
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency

LOCALE = Locale.parse("en_GB")
UK_TIME = ZoneInfo("Europe/London")
MINUS = "-"  # ASCII hyphen-minus, as Babel writes it: what people type when they search a PDF
_TWO_PLACES = Decimal("0.01")


# --- money ---------------------------------------------------------------------------------------------


def money(pence: int) -> str:
    """Return ``pence`` as pounds for people, e.g. 123456 -> '£1,234.56', -5 -> '-£0.05'.

    Written out by hand rather than by Babel: the same text as Babel's en_GB currency format (a test compares
    the two), at a tenth of the cost, and a 1,000-line statement prints two thousand of these.
    """
    whole_pence = int(pence)  # a sum read from PostgreSQL may come as a Decimal; pence are whole
    if whole_pence != pence:
        raise ValueError(f"money takes whole pence, not {pence!r}")
    whole, part = divmod(abs(whole_pence), 100)
    return f"{'-' if whole_pence < 0 else ''}£{whole:,}.{part:02d}"


def money_signed(pence: int) -> str:
    """Return a change in pounds with its sign: '+£40.00', '-£40.00', '£0.00'."""
    return f"+{money(pence)}" if pence > 0 else money(pence)


def money_prose(pence: int) -> str:
    """Return a sum for a sentence, without pence when it is whole pounds: '£1,000', '£12.50', '-£5'."""
    if pence % 100:
        return money(pence)
    return format_currency(Decimal(pence // 100), "GBP", format="¤#,##0", currency_digits=False, locale=LOCALE)


def pounds(pence: int) -> str:
    """Return pounds as a plain decimal string, as the JSON API carries money: 123456 -> '1234.56'."""
    return str((Decimal(pence) / 100).quantize(_TWO_PLACES))


# --- time credits and time -------------------------------------------------------------------------------


def hours(minutes: int) -> str:
    """Return time for people in the one style of every page and document: 90 -> '1 hour 30 minutes'.

    The same as ``duration``, so that a page and the PDF beside it say a length of time the same way
    (never "1.5 hours" on one and "1 hour 30 minutes" on the other); the JSON API keeps decimal hours.
    """
    return duration(minutes)


def duration(minutes: int) -> str:
    """Return minutes as hours and minutes: 150 -> '2 hours 30 minutes', -60 -> '-1 hour'."""
    sign = MINUS if minutes < 0 else ""
    whole, rest = divmod(abs(minutes), 60)
    parts = []
    if whole or not rest:
        parts.append(f"{whole:,} hour" + ("" if whole == 1 else "s"))
    if rest:
        parts.append(f"{rest} minute" + ("" if rest == 1 else "s"))
    return sign + " ".join(parts)


def duration_signed(minutes: int) -> str:
    """Return a change in time credits with its sign: '+2 hours', '-30 minutes', '0 hours'."""
    return f"+{duration(minutes)}" if minutes > 0 else duration(minutes)


def decimal_hours(minutes: int) -> str:
    """Return minutes as hours in a decimal string to the hundredth, as the JSON API carries time: 90 -> '1.50'."""
    return str((Decimal(minutes) / 60).quantize(_TWO_PLACES))


def amount_in_unit(unit: str, minor: int) -> str:
    """Return an amount of the books in its unit: pence as ``money``, minutes of time credit as ``hours``."""
    return money(minor) if unit == "GBP" else hours(minor)


# --- dates and counts ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=2048)
def long_date(date: dt.date) -> str:
    """Return a date as people write it: '4 June 2025'."""
    return format_date(date, format="long", locale=LOCALE)


def date_and_time(moment: dt.datetime) -> str:
    """Return a stored (UTC) moment as people in the UK read it: '4 June 2025 at 14:05' (UK time)."""
    local = moment.astimezone(UK_TIME) if moment.tzinfo else moment
    return f"{long_date(local.date())} at {local:%H:%M}"


def date_range(start: dt.date, end: dt.date) -> str:
    """Return '1 April 2025 to 30 June 2025' (or one date when start and end are the same day)."""
    return long_date(start) if start == end else f"{long_date(start)} to {long_date(end)}"


def count(number: int, noun: str, plural: str | None = None) -> str:
    """Return '1 payee', '2,000 payees'."""
    return f"{number:,} {noun if number == 1 else (plural or noun + 's')}"


def listing(names: Sequence[str], limit: int = 3) -> str:
    """Return each name once, in order, and how many more there are past ``limit``: 'A; B; C; and 2 more'."""
    unique = list(dict.fromkeys(names))
    shown = "; ".join(unique[:limit])
    return shown + (f"; and {len(unique) - limit} more" if len(unique) > limit else "")
