"""Figures and dates are written the British way, from integer pence and minutes."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.documents.formatting import date_range, day, duration, money, pounds, signed_duration, signed_money


@pytest.mark.parametrize(
    ("pence", "text"),
    [(0, "£0.00"), (5, "£0.05"), (123456, "£1,234.56"), (-5, "-£0.05"), (10**12 + 1, "£10,000,000,000.01")],
)
def test_money_is_pounds_and_pence(pence, text):
    assert money(pence) == text


def test_signed_money_shows_the_direction_of_a_change():
    assert (signed_money(4000), signed_money(-4000), signed_money(0)) == ("+£40.00", "-£40.00", "£0.00")


def test_whole_pounds_drop_the_pence_in_prose():
    assert (pounds(100000), pounds(1250), pounds(-500)) == ("£1,000", "£12.50", "-£5")


def test_dates_are_written_in_full():
    assert day(dt.date(2025, 6, 4)) == "4 June 2025"
    assert date_range(dt.date(2025, 4, 6), dt.date(2026, 4, 5)) == "6 April 2025 to 5 April 2026"
    assert date_range(dt.date(2025, 4, 6), dt.date(2025, 4, 6)) == "6 April 2025"


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(0, "0 hours"), (1, "1 minute"), (60, "1 hour"), (150, "2 hours 30 minutes"), (-90, "-1 hour 30 minutes")],
)
def test_time_credits_are_hours_and_minutes(minutes, text):
    assert duration(minutes) == text


def test_signed_duration():
    assert (signed_duration(60), signed_duration(-30), signed_duration(0)) == ("+1 hour", "-30 minutes", "0 hours")
