"""Pay: the hourly rate by basis, place and age, never below the legal minimum; fees and mileage."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies.errors import InvalidInput, RuleNotFound
from policies.pay import (
    age_on,
    check_flat_fee,
    fee_pence,
    hourly_rate,
    legal_minimum,
    mileage,
    mileage_pence,
    miles_in_tax_year,
    stale_rules,
)

ADULT = date(1980, 1, 1)


@pytest.mark.parametrize(
    ("on", "born", "expected"),
    [
        # 2024-25 bands
        (date(2024, 4, 1), ADULT, "11.44"),
        (date(2024, 4, 1), date(2004, 1, 1), "8.60"),  # 20
        (date(2024, 4, 1), date(2007, 1, 1), "6.40"),  # 17
        # the day before and after each 1 April uprating
        (date(2025, 3, 31), ADULT, "11.44"),
        (date(2025, 4, 1), ADULT, "12.21"),
        (date(2025, 4, 1), date(2005, 1, 1), "10.00"),
        (date(2025, 4, 1), date(2008, 1, 1), "7.55"),
        (date(2026, 3, 31), ADULT, "12.21"),
        (date(2026, 4, 1), ADULT, "12.71"),
        (date(2026, 4, 1), date(2006, 1, 1), "10.85"),
        (date(2026, 4, 1), date(2009, 1, 1), "8.00"),
        # a 21st birthday moves a person into the NLW band that day, not before
        (date(2025, 6, 14), date(2004, 6, 15), "10.00"),
        (date(2025, 6, 15), date(2004, 6, 15), "12.21"),
        # an 18th birthday
        (date(2026, 9, 1), date(2008, 9, 2), "8.00"),
        (date(2026, 9, 2), date(2008, 9, 2), "10.85"),
        # no date of birth: the adult minimum, which never underpays
        (date(2025, 6, 1), None, "12.21"),
    ],
)
def test_the_legal_minimum_follows_the_age_band_on_the_date(rulebook, on, born, expected):
    assert legal_minimum(rulebook, on, date_of_birth=born).value == Decimal(expected)


def test_the_legal_minimum_before_the_rulebook_begins_is_an_error(rulebook):
    with pytest.raises(RuleNotFound):
        legal_minimum(rulebook, date(2024, 3, 31), date_of_birth=ADULT)


@pytest.mark.parametrize(
    ("born", "first_year", "expected"),
    [
        (date(2007, 1, 1), False, "7.55"),  # 18: apprentice rate
        (date(2000, 1, 1), True, "7.55"),  # 25 but in the first year
        (date(2000, 1, 1), False, "12.21"),  # 25 after the first year: the rate for their age
    ],
)
def test_the_apprentice_rate_applies_under_19_or_in_the_first_year(rulebook, born, first_year, expected):
    found = legal_minimum(
        rulebook, date(2025, 6, 1), date_of_birth=born, apprentice=True, first_year_of_apprenticeship=first_year
    )
    assert found.value == Decimal(expected)


@pytest.mark.parametrize(
    ("on", "region", "expected"),
    [
        (date(2024, 10, 22), "uk", "12.00"),
        (date(2024, 10, 23), "uk", "12.60"),
        (date(2025, 10, 21), "uk", "12.60"),
        (date(2025, 10, 22), "uk", "13.45"),
        (date(2025, 10, 21), "london", "13.85"),
        (date(2025, 10, 22), "london", "14.80"),
        (date(2026, 6, 1), "scotland", "13.45"),
    ],
)
def test_the_real_living_wage_by_place_and_announcement_date(rulebook, on, region, expected):
    rate = hourly_rate(rulebook, on, basis="real_living_wage", region=region, date_of_birth=ADULT)
    assert rate.per_hour == Decimal(expected)
    assert not rate.raised_to_minimum


def test_the_national_living_wage_basis_pays_the_band_for_the_age(rulebook):
    rate = hourly_rate(rulebook, date(2026, 4, 1), basis="national_living_wage", date_of_birth=date(2007, 1, 1))
    assert rate.per_hour == Decimal("10.85")
    assert rate.minimum_rule == "wage.nmw.age_18_20"


def test_an_organisation_rate_below_the_minimum_is_raised_to_it(override):
    rules = override(
        """
[[param]]
key = "wage.organisation.hourly"
value = 12.00
unit = "GBP_per_hour"
effective_from = 2024-04-01
source = ["org_policy"]
confidence = "high"
"""
    )
    before = hourly_rate(rules, date(2025, 3, 31), basis="organisation", date_of_birth=ADULT)
    assert before.per_hour == Decimal("12.00") and not before.raised_to_minimum
    after = hourly_rate(rules, date(2025, 4, 1), basis="organisation", date_of_birth=ADULT)
    assert after.per_hour == Decimal("12.21") and after.raised_to_minimum
    assert any("below the legal minimum" in n for n in after.notes)


def test_an_organisation_rate_must_be_configured(rulebook):
    with pytest.raises(RuleNotFound, match=r"wage\.organisation\.hourly"):
        hourly_rate(rulebook, date(2025, 6, 1), basis="organisation")


def test_a_regional_organisation_rate_is_used_first(override):
    rules = override(
        """
[[param]]
key = "wage.organisation.hourly"
value = 15.00
unit = "GBP_per_hour"
effective_from = 2024-04-01
source = ["org_policy"]
confidence = "high"

[[param]]
key = "wage.organisation.hourly.london"
value = 17.50
unit = "GBP_per_hour"
effective_from = 2024-04-01
source = ["org_policy"]
confidence = "high"
"""
    )
    assert hourly_rate(rules, date(2025, 6, 1), basis="organisation", region="london").per_hour == Decimal("17.50")
    assert hourly_rate(rules, date(2025, 6, 1), basis="organisation", region="uk").per_hour == Decimal("15.00")


def test_a_rate_resting_on_a_possibly_stale_figure_says_so(rulebook):
    rate = hourly_rate(rulebook, date(2026, 11, 2), basis="real_living_wage", date_of_birth=ADULT)
    assert any("out of date" in note for note in rate.notes)


def test_unknown_basis_is_refused(rulebook):
    with pytest.raises(InvalidInput):
        hourly_rate(rulebook, date(2025, 6, 1), basis="minimum")


@pytest.mark.parametrize(
    ("hours", "rate", "pence"),
    [
        ("2.5", "12.21", 3053),  # 30.525 -> 30.53: half up
        ("1", "12.345", 1235),  # 1234.5p -> 1235p
        ("0.5", "12.21", 611),  # 610.5p -> 611p
        ("3", "13.45", 4035),
        ("0", "13.45", 0),
        ("1.25", "14.80", 1850),
    ],
)
def test_a_fee_is_rounded_once_to_the_penny_half_up(hours, rate, pence):
    assert fee_pence(Decimal(hours), Decimal(rate)) == pence


def test_a_fee_takes_a_rate_object(rulebook):
    rate = hourly_rate(rulebook, date(2025, 6, 1), basis="real_living_wage", region="london")
    assert fee_pence("2.5", rate) == 3463  # 2.5 x 13.85 = 34.625 -> 34.63


@given(
    hours=st.decimals(min_value=0, max_value=200, places=2),
    rate=st.decimals(min_value=0, max_value=100, places=3),
)
def test_fee_rounding_is_half_up_and_within_half_a_penny(hours, rate):
    pence = fee_pence(hours, rate)
    exact = hours * rate * 100
    assert abs(Decimal(pence) - exact) <= Decimal("0.5")
    assert pence == int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if exact - int(exact) == Decimal("0.5"):
        assert pence == int(exact) + 1


def test_negative_hours_are_refused():
    with pytest.raises(InvalidInput):
        fee_pence(Decimal("-1"), Decimal("12.21"))


def test_age_on_a_leap_day_birthday():
    assert age_on(date(2004, 2, 29), date(2025, 2, 28)) == 20
    assert age_on(date(2004, 2, 29), date(2025, 3, 1)) == 21


# ---------------------------------------------------------------- mileage


@pytest.mark.parametrize(
    ("miles", "vehicle", "already", "passengers", "pence"),
    [
        ("100", "car", "0", 0, 4500),
        ("100", "van", "9950", 0, 3500),  # 50 at 45p + 50 at 25p
        ("100", "car", "10000", 0, 2500),
        ("100", "car", "12000", 0, 2500),
        ("10", "motorcycle", "20000", 0, 240),
        ("10", "bicycle", "0", 0, 200),
        ("20", "car", "0", 2, 1100),  # 20 x 45p + 2 x 20 x 5p
        ("0.3", "car", "0", 0, 14),  # 13.5p -> 14p
    ],
)
def test_mileage_at_hmrc_approved_rates(rulebook, miles, vehicle, already, passengers, pence):
    assert (
        mileage_pence(miles, vehicle, already, rulebook=rulebook, on=date(2025, 6, 1), passengers=passengers) == pence
    )


def test_mileage_describes_the_bands(rulebook):
    found = mileage("100", "car", "9950", rulebook=rulebook, on=date(2025, 6, 1))
    assert found.miles_at_first_rate == Decimal(50) and found.miles_at_after_rate == Decimal(50)
    assert "£35.00" in found.describe()


def test_the_mileage_band_restarts_each_tax_year():
    journeys = [(date(2025, 4, 5), Decimal(9000)), (date(2025, 4, 6), Decimal(300)), (date(2026, 1, 1), Decimal(200))]
    assert miles_in_tax_year(journeys, date(2025, 4, 5)) == Decimal(9000)
    assert miles_in_tax_year(journeys, date(2026, 4, 5)) == Decimal(500)
    assert miles_in_tax_year(journeys, date(2026, 4, 6)) == Decimal(0)


def test_passengers_on_a_bicycle_are_refused(rulebook):
    with pytest.raises(InvalidInput):
        mileage_pence("5", "bicycle", rulebook=rulebook, on=date(2025, 6, 1), passengers=1)


# ---------------------------------------------------------------- flat fees and the legal minimum


@pytest.mark.parametrize(
    ("born", "minimum_pence", "band"),
    [
        (ADULT, 4884, "the National Living Wage for those aged 21 or over"),  # 4 h x £12.21
        (date(2005, 1, 1), 4000, "the National Minimum Wage for those aged 18 to 20"),  # 4 h x £10.00
        (date(2008, 1, 15), 3020, "the National Minimum Wage for those aged under 18"),  # 4 h x £7.55
    ],
)
def test_a_flat_fee_is_held_against_the_minimum_for_its_hours_and_the_persons_age(rulebook, born, minimum_pence,
                                                                                   band):
    check = check_flat_fee(rulebook, date(2025, 6, 4), 2000, Decimal(4), date_of_birth=born)

    assert check.minimum_pence == minimum_pence and check.shortfall_pence == minimum_pence - 2000
    assert check.below_minimum and check.band == band
    assert "4 hours" in check.explanation() and band in check.explanation()


def test_a_flat_fee_for_someone_of_unknown_age_is_held_against_the_adult_rate_and_says_so(rulebook):
    check = check_flat_fee(rulebook, date(2025, 6, 4), 2000, Decimal("2.5"))

    assert check.minimum_pence == 3053  # 2.5 h x £12.21, rounded once, half up
    assert not check.age_known and "no date of birth" in check.band
    assert "date of birth is not recorded" in check.explanation()


def test_a_flat_fee_at_or_above_the_minimum_is_not_short(rulebook):
    check = check_flat_fee(rulebook, date(2025, 6, 4), 4884, Decimal(4), date_of_birth=ADULT)

    assert not check.below_minimum and check.shortfall_pence == 0


# ---------------------------------------------------------------- rates past their stale date

NEW_RATE = """
[[param]]
key = "wage.real_living_wage.uk"
value = 14.10
unit = "GBP_per_hour"
effective_from = 2026-11-10
source = ["org_policy"]
confidence = "high"
"""


def test_a_rate_for_work_after_its_stale_date_is_stale_on_the_day_of_the_work(rulebook):
    rate = hourly_rate(rulebook, date(2026, 11, 5), basis="real_living_wage", date_of_birth=ADULT)

    (stale,) = stale_rules(rulebook, rate)

    assert stale.rule.key == "wage.real_living_wage.uk" and stale.on_work_day
    assert stale.since == date(2026, 10, 31)
    assert "31 October 2026" in stale.explanation() and "5 November 2026" in stale.explanation()


def test_a_rate_for_work_before_its_stale_date_is_stale_only_when_judged_after_it(rulebook):
    rate = hourly_rate(rulebook, date(2026, 10, 25), basis="real_living_wage", date_of_birth=ADULT)

    assert stale_rules(rulebook, rate) == ()
    assert stale_rules(rulebook, rate, today=date(2026, 10, 30)) == ()
    (stale,) = stale_rules(rulebook, rate, today=date(2026, 12, 1))
    assert not stale.on_work_day and "no newer figure has been added" in stale.explanation()


def test_once_a_newer_rate_is_added_the_old_one_is_right_for_the_days_it_still_covers(override):
    rules = override(NEW_RATE)
    before_it = hourly_rate(rules, date(2026, 11, 5), basis="real_living_wage", date_of_birth=ADULT)
    after_it = hourly_rate(rules, date(2026, 11, 12), basis="real_living_wage", date_of_birth=ADULT)

    assert before_it.per_hour == Decimal("13.45") and after_it.per_hour == Decimal("14.10")
    assert stale_rules(rules, before_it, today=date(2026, 12, 1)) == ()
    assert stale_rules(rules, after_it, today=date(2026, 12, 1)) == ()


def test_rates_replaced_in_the_built_in_rules_are_never_stale(rulebook):
    rate = hourly_rate(rulebook, date(2025, 6, 4), basis="real_living_wage", region="london", date_of_birth=ADULT)

    assert stale_rules(rulebook, rate, today=date(2026, 12, 1)) == ()
