"""Banking days in England and Wales, and the dates of the Bacs three-day cycle.

A banking day is a weekday that is not a bank holiday in England and Wales; bank holidays come from the
maintained ``holidays`` package (``GB``, subdivision ``ENG``: England and Wales share one list, including
substitute days such as 2026-12-28 and one-off days such as 2022-09-19), never from a list kept here.

**The payment date** in this application is the day the money reaches the payee's account: Bacs's *entry
day*. It is the date a participant is told, the date Universal Credit counts earnings as received, and the
date the payment-run service passes to the benefit check. A Bacs direct credit takes three banking days:

1. *input day*: the file is submitted (Bacstel-IP accepts it until late evening);
2. *processing day*: Bacs processes it; this is the date written in the file's UHL1 record;
3. *entry day*: the payee's bank credits the account, the payment date.

So a run paid on ``payment_date`` carries ``bacs_processing_day(payment_date)`` (one banking day earlier) in
its file and must be submitted by ``bacs_input_day(payment_date)`` (two banking days earlier).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

import holidays

# Bacs works to the bank holidays of England and Wales, wherever the payee banks.
_COUNTRY = "GB"
_SUBDIVISION = "ENG"
_ONE_DAY = dt.timedelta(days=1)


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> Mapping[dt.date, str]:
    # A fresh, year-bound, read-only copy per year: a shared HolidayBase grows itself on lookup, which is
    # not something to do from several request threads at once.
    return MappingProxyType(dict(holidays.country_holidays(_COUNTRY, subdiv=_SUBDIVISION, years=year)))


def bank_holiday_name(day: dt.date) -> str | None:
    """Return the name of the England and Wales bank holiday on ``day``, or None."""
    return _bank_holidays(day.year).get(day)


def is_bank_holiday(day: dt.date) -> bool:
    """Say whether ``day`` is a bank holiday in England and Wales."""
    return day in _bank_holidays(day.year)


def is_banking_day(day: dt.date) -> bool:
    """Say whether ``day`` is a weekday that is not a bank holiday in England and Wales."""
    return day.weekday() < 5 and not is_bank_holiday(day)


def next_payment_date(on_or_after: dt.date) -> dt.date:
    """Return the first banking day on or after ``on_or_after``."""
    day = on_or_after
    while not is_banking_day(day):
        day += _ONE_DAY
    return day


def previous_banking_day(before: dt.date) -> dt.date:
    """Return the last banking day strictly before ``before``."""
    day = before - _ONE_DAY
    while not is_banking_day(day):
        day -= _ONE_DAY
    return day


def add_banking_days(day: dt.date, count: int) -> dt.date:
    """Return the banking day ``count`` banking days after ``day`` (before it, if ``count`` is negative).

    ``day`` itself need not be a banking day; ``add_banking_days(d, 0)`` is ``next_payment_date(d)``.
    """
    if count == 0:
        return next_payment_date(day)
    step = _ONE_DAY if count > 0 else -_ONE_DAY
    remaining = abs(count)
    while remaining:
        day += step
        if is_banking_day(day):
            remaining -= 1
    return day


def bacs_processing_day(payment_date: dt.date) -> dt.date:
    """Return the Bacs processing day (the UHL1 date) for money to arrive on ``payment_date``.

    ``payment_date`` must be a banking day: funds never arrive on a weekend or bank holiday. Use
    ``next_payment_date`` first if it may not be.
    """
    if not is_banking_day(payment_date):
        raise ValueError(f"{payment_date.isoformat()} is not a banking day in England and Wales")
    return previous_banking_day(payment_date)


def bacs_input_day(payment_date: dt.date) -> dt.date:
    """Return the last day the Bacs file can be submitted for money to arrive on ``payment_date``."""
    return previous_banking_day(bacs_processing_day(payment_date))


def bacs_entry_day(processing_day: dt.date) -> dt.date:
    """Return the day money arrives (the payment date) for a file processed on ``processing_day``."""
    if not is_banking_day(processing_day):
        raise ValueError(f"{processing_day.isoformat()} is not a banking day in England and Wales")
    return add_banking_days(processing_day, 1)


def earliest_payment_date(submitted_on: dt.date) -> dt.date:
    """Return the earliest payment date for a Bacs file submitted on ``submitted_on``.

    A file submitted on a banking day (before the Bacstel-IP cut-off) is processed on the next banking day
    and arrives on the one after; a file submitted on a weekend or holiday is input on the next banking day.
    """
    return add_banking_days(next_payment_date(submitted_on), 2)
