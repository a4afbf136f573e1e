"""Figures and dates are written the British way, from integer pence and minutes, one way per function."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from babel.numbers import format_currency
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.formatting import (
    amount_in_unit,
    count,
    date_and_time,
    date_range,
    decimal_hours,
    duration,
    duration_signed,
    hours,
    listing,
    long_date,
    money,
    money_prose,
    money_signed,
    pounds,
)
from policies.money import gbp


@pytest.mark.parametrize(
    ("pence", "text"),
    [(0, "£0.00"), (5, "£0.05"), (123456, "£1,234.56"), (-5, "-£0.05"), (10**12 + 1, "£10,000,000,000.01")],
)
def test_money_is_pounds_and_pence(pence, text):
    assert money(pence) == text
    assert gbp(pence) == text  # the policy engine's own copy writes the same


def test_money_takes_whole_pence_as_a_decimal_too():
    """A SUM that PostgreSQL answers is a Decimal: it prints as the same pounds; a fraction of a penny is refused."""
    assert money(Decimal(123456)) == money(123456) == "£1,234.56"
    with pytest.raises(ValueError):
        money(Decimal("1.5"))


def test_money_signed_shows_the_direction_of_a_change():
    assert (money_signed(4000), money_signed(-4000), money_signed(0)) == ("+£40.00", "-£40.00", "£0.00")


def test_whole_pounds_drop_the_pence_in_prose():
    assert (money_prose(100000), money_prose(1250), money_prose(-500)) == ("£1,000", "£12.50", "-£5")


@pytest.mark.parametrize(("pence", "text"), [(0, "0.00"), (5, "0.05"), (123456, "1234.56"), (-5, "-0.05")])
def test_the_api_carries_pounds_as_a_plain_decimal_string(pence, text):
    assert pounds(pence) == text


def test_dates_are_written_in_full():
    assert long_date(dt.date(2025, 6, 4)) == "4 June 2025"
    assert long_date(dt.date(2026, 10, 1)) == "1 October 2026"
    assert date_range(dt.date(2025, 4, 6), dt.date(2026, 4, 5)) == "6 April 2025 to 5 April 2026"
    assert date_range(dt.date(2025, 4, 6), dt.date(2025, 4, 6)) == "6 April 2025"


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(0, "0 hours"), (1, "1 minute"), (60, "1 hour"), (150, "2 hours 30 minutes"), (-90, "-1 hour 30 minutes")],
)
def test_time_in_documents_is_hours_and_minutes(minutes, text):
    assert duration(minutes) == text


def test_duration_signed():
    assert (duration_signed(60), duration_signed(-30), duration_signed(0)) == ("+1 hour", "-30 minutes", "0 hours")


@pytest.mark.parametrize(("minutes", "text"), [(0, "0 hours"), (60, "1 hour"), (90, "1 hour 30 minutes"),
                                               (100, "1 hour 40 minutes"), (60_000, "1,000 hours")])
def test_time_on_the_pages_reads_as_in_the_documents(minutes, text):
    assert hours(minutes) == text


@pytest.mark.parametrize(("minutes", "text"), [(0, "0.00"), (90, "1.50"), (100, "1.67"), (-30, "-0.50")])
def test_the_api_carries_hours_as_a_plain_decimal_string(minutes, text):
    assert decimal_hours(minutes) == text


def test_an_amount_of_the_books_is_written_in_its_unit():
    assert (amount_in_unit("GBP", 1250), amount_in_unit("TIME", 90)) == ("£12.50", "1 hour 30 minutes")


def test_counts_say_one_or_many():
    assert (count(1, "payee"), count(2000, "payee"), count(2, "activity", "activities")) == (
        "1 payee", "2,000 payees", "2 activities")


def test_a_listing_names_each_once_and_counts_the_rest():
    assert listing(["Guide", "Panel", "Guide"]) == "Guide; Panel"
    assert listing(["A", "B", "C", "D", "E"]) == "A; B; C; and 2 more"
    assert listing(["A", "B", "C", "D", "E"], limit=5) == "A; B; C; D; E"


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=-(10**14), max_value=10**14))
def test_money_writes_what_babel_writes_for_en_gb(pence):
    assert money(pence) == format_currency(Decimal(pence).scaleb(-2), "GBP", locale="en_GB")


def test_a_moment_is_written_in_uk_time():
    assert date_and_time(dt.datetime(2026, 10, 1, 13, 5, tzinfo=dt.UTC)) == "1 October 2026 at 14:05"  # BST
    assert date_and_time(dt.datetime(2026, 12, 1, 13, 5, tzinfo=dt.UTC)) == "1 December 2026 at 13:05"
