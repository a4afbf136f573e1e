import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.payments import calendar
from ledger.payments.calendar import (
    add_banking_days,
    bacs_entry_day,
    bacs_input_day,
    bacs_processing_day,
    bank_holiday_name,
    earliest_payment_date,
    is_banking_day,
    next_payment_date,
    previous_banking_day,
)

D = dt.date


@pytest.mark.parametrize(
    "holiday",
    [
        D(2025, 12, 25),
        D(2025, 12, 26),
        D(2026, 1, 1),
        D(2026, 4, 3),
        D(2026, 4, 6),
        D(2026, 5, 4),
        D(2026, 5, 25),
        D(2026, 8, 31),
        D(2026, 12, 25),
        D(2026, 12, 28),  # Boxing Day falls on a Saturday: the substitute day is a holiday
        D(2022, 9, 19),  # the State Funeral of Queen Elizabeth II
        D(2023, 5, 8),  # the Coronation of King Charles III
    ],
)
def test_bank_holidays_in_england_and_wales_are_not_banking_days(holiday):
    assert holiday.weekday() < 5
    assert calendar.is_bank_holiday(holiday)
    assert not is_banking_day(holiday)
    assert bank_holiday_name(holiday)


@pytest.mark.parametrize(
    "day",
    [
        D(2026, 3, 17),  # St Patrick's Day: a holiday in Northern Ireland only
        D(2026, 1, 2),  # 2 January: a holiday in Scotland only
        D(2026, 8, 3),  # Scotland's summer holiday
        D(2025, 12, 24),  # Christmas Eve is a normal banking day
    ],
)
def test_holidays_of_other_nations_are_banking_days(day):
    assert is_banking_day(day)
    assert bank_holiday_name(day) is None


def test_weekends_are_not_banking_days():
    assert not is_banking_day(D(2026, 1, 3))
    assert not is_banking_day(D(2026, 1, 4))
    assert is_banking_day(D(2026, 1, 5))


@pytest.mark.parametrize(
    ("asked", "paid"),
    [
        (D(2026, 1, 5), D(2026, 1, 5)),  # a Monday stays put
        (D(2026, 1, 3), D(2026, 1, 5)),  # Saturday moves to Monday
        (D(2025, 12, 25), D(2025, 12, 29)),  # Christmas, Boxing Day, weekend
        (D(2026, 4, 3), D(2026, 4, 7)),  # Good Friday, weekend, Easter Monday
        (D(2026, 5, 2), D(2026, 5, 5)),  # weekend then the early May bank holiday
        (D(2026, 8, 29), D(2026, 9, 1)),  # weekend then the summer bank holiday
        (D(2026, 12, 25), D(2026, 12, 29)),  # Friday Christmas, weekend, substitute Boxing Day
    ],
)
def test_next_payment_date_skips_weekends_and_bank_holidays(asked, paid):
    assert next_payment_date(asked) == paid


@settings(deadline=None)
@given(st.dates(min_value=D(1990, 1, 1), max_value=D(2099, 12, 1)))
def test_any_date_maps_to_the_first_banking_day_on_or_after_it(day):
    paid = next_payment_date(day)
    assert paid >= day
    assert paid.weekday() < 5
    assert not calendar.is_bank_holiday(paid)
    assert (paid - day).days <= 5  # at most Christmas, Boxing Day and a weekend, with a substitute day
    assert all(not is_banking_day(day + dt.timedelta(days=n)) for n in range((paid - day).days))


@settings(deadline=None)
@given(st.dates(min_value=D(1990, 1, 1), max_value=D(2099, 12, 1)), st.integers(-30, 30))
def test_adding_banking_days_counts_only_banking_days(day, count):
    moved = add_banking_days(day, count)
    assert is_banking_day(moved)
    low, high = sorted([day, moved])
    between = [low + dt.timedelta(days=n) for n in range((high - low).days + 1)]
    banking = [d for d in between if is_banking_day(d)]
    if count > 0:
        assert moved > day and len([d for d in banking if d > day]) == count
    elif count < 0:
        assert moved < day and len([d for d in banking if d < day]) == -count
    else:
        assert moved == next_payment_date(day)


def test_bacs_cycle_for_money_arriving_on_a_monday():
    payment_date = D(2026, 1, 12)
    assert bacs_processing_day(payment_date) == D(2026, 1, 9)  # Friday
    assert bacs_input_day(payment_date) == D(2026, 1, 8)  # Thursday
    assert bacs_entry_day(D(2026, 1, 9)) == payment_date


def test_bacs_cycle_over_easter():
    # To arrive on Tuesday 7 April 2026, process on Thursday 2 April and submit on Wednesday 1 April.
    assert bacs_processing_day(D(2026, 4, 7)) == D(2026, 4, 2)
    assert bacs_input_day(D(2026, 4, 7)) == D(2026, 4, 1)
    assert earliest_payment_date(D(2026, 4, 1)) == D(2026, 4, 7)
    assert earliest_payment_date(D(2026, 4, 2)) == D(2026, 4, 8)


def test_earliest_payment_date_from_a_weekend_starts_on_monday():
    assert earliest_payment_date(D(2026, 1, 10)) == D(2026, 1, 14)


def test_bacs_dates_refuse_days_when_money_cannot_move():
    with pytest.raises(ValueError, match="not a banking day"):
        bacs_processing_day(D(2026, 12, 25))
    with pytest.raises(ValueError, match="not a banking day"):
        bacs_entry_day(D(2026, 1, 3))


@settings(deadline=None)
@given(st.dates(min_value=D(2000, 1, 10), max_value=D(2099, 12, 1)))
def test_the_bacs_cycle_is_three_consecutive_banking_days(day):
    payment_date = next_payment_date(day)
    processing = bacs_processing_day(payment_date)
    entered = bacs_input_day(payment_date)
    assert entered < processing < payment_date
    assert previous_banking_day(payment_date) == processing
    assert add_banking_days(entered, 2) == payment_date
    assert bacs_entry_day(processing) == payment_date
    assert earliest_payment_date(entered) == payment_date
