"""Benefit checks, rule by rule and year by year: limits a penny either side, upratings, periods, kinds."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies.benefits import (
    ESA,
    CarersAllowance,
    Effect,
    HousingBenefit,
    IncomeRelatedESA,
    NoEarningsTest,
    Outcome,
    PensionCredit,
    UniversalCredit,
    assessment_period_containing,
    check_payment,
    week_containing,
)
from policies.errors import InvalidInput, RuleNotFound
from policies.settings import PolicySettings, required_action
from tests.factories import payment

VERIFY_2026 = """
[[param]]
key = "esa.permitted_work.higher_limit"
value = 203.50
unit = "GBP_per_week_net"
effective_from = 2026-04-06
effective_to = 2027-04-11
source = ["org_policy"]
confidence = "high"

[[param]]
key = "uc.work_allowance.with_housing"
value = 427.00
unit = "GBP_per_month"
effective_from = 2026-04-13
effective_to = 2027-04-11
source = ["org_policy"]
confidence = "high"
"""


def check(rulebook, benefit, proposed, already=(), settings=None):
    return check_payment(rulebook, [benefit], list(already), proposed, settings)


# ---------------------------------------------------------------- Carer's Allowance


@pytest.mark.parametrize(
    ("day", "amount", "effect"),
    [
        ("2024-06-05", "151.00", Effect.NONE),
        ("2024-06-05", "151.01", Effect.LOST),
        ("2025-06-04", "196.00", Effect.NONE),
        ("2025-06-04", "196.01", Effect.LOST),
        ("2026-06-03", "204.00", Effect.NONE),
        ("2026-06-03", "204.01", Effect.LOST),
        # the day before and after each uprating (Monday weeks)
        ("2025-04-06", "196.00", Effect.LOST),
        ("2025-04-07", "196.00", Effect.NONE),
        ("2026-04-05", "204.00", Effect.LOST),
        ("2026-04-06", "204.00", Effect.NONE),
    ],
)
def test_carers_allowance_cliff_edge_a_penny_either_side(rulebook, day, amount, effect):
    result = check(rulebook, CarersAllowance("monday"), payment(day, amount)).results[0]
    assert result.effect == effect
    assert result.counted == Decimal(amount)


@pytest.mark.parametrize(
    ("day", "weekly_rate"), [("2024-06-05", "81.90"), ("2025-06-04", "83.30"), ("2026-06-03", "86.45")]
)
def test_a_lost_carers_allowance_week_costs_the_weeks_allowance(rulebook, day, weekly_rate):
    decision = check(rulebook, CarersAllowance("monday"), payment(day, "300.00"))
    result = decision.results[0]
    assert decision.outcome == Outcome.BREACH
    assert result.reduction == Decimal(weekly_rate)
    assert result.headroom == 0
    assert f"£{weekly_rate}" in result.explanation
    assert "over the limit" in result.explanation


def test_carers_allowance_counts_the_week_from_its_start_day(rulebook):
    benefit = CarersAllowance(week_start="wednesday")
    # Tuesday 3 June 2025 is in the week Wed 28 May - Tue 3 June; Wednesday 4 June starts the next one.
    already = [payment("2025-06-03", "150.00")]
    same_week = check(rulebook, benefit, payment("2025-06-02", "50.00"), already).results[0]
    next_week = check(rulebook, benefit, payment("2025-06-04", "50.00"), already).results[0]
    assert (same_week.period.start, same_week.period.end) == (date(2025, 5, 28), date(2025, 6, 3))
    assert same_week.effect == Effect.LOST and same_week.counted == Decimal("200.00")
    assert next_week.effect == Effect.NONE and next_week.counted == Decimal("50.00")


def test_carers_allowance_adds_declared_other_earnings(rulebook):
    benefit = CarersAllowance("monday", other_weekly_net_earnings_pence=15000)
    result = check(rulebook, benefit, payment("2025-06-04", "46.01")).results[0]
    assert result.effect == Effect.LOST and result.counted == Decimal("196.01")
    assert result.safe_amount_pence == 4600


def test_a_week_already_over_the_limit_is_lost_but_not_again_by_this_payment(rulebook):
    result = check(
        rulebook, CarersAllowance("monday"), payment("2025-06-04", "10.00"), [payment("2025-06-02", "200.00")]
    ).results[0]
    assert result.effect == Effect.LOST
    assert result.reduction == 0
    assert "already" in result.explanation


def test_a_week_straddling_the_uprating_uses_the_lower_limit(rulebook):
    # Week Wednesday 2 April - Tuesday 8 April 2025: £151 before 7 April, £196 from it.
    result = check(rulebook, CarersAllowance("wednesday"), payment("2025-04-08", "160.00")).results[0]
    assert result.limit == Decimal("151.00")
    assert result.effect == Effect.LOST
    assert any("lower" in note for note in result.notes)


def test_a_week_before_the_rulebook_begins_is_an_error(rulebook):
    with pytest.raises(RuleNotFound):
        check(rulebook, CarersAllowance("monday"), payment("2024-04-07", "10.00"))


# ---------------------------------------------------------------- ESA permitted work


@pytest.mark.parametrize(
    ("level", "day", "amount", "effect"),
    [
        ("higher", "2024-06-05", "183.50", Effect.NONE),
        ("higher", "2024-06-05", "183.51", Effect.OVER_LIMIT),
        ("higher", "2025-06-04", "195.50", Effect.NONE),
        ("higher", "2025-06-04", "195.51", Effect.OVER_LIMIT),
        ("supported", "2025-06-04", "195.50", Effect.NONE),
        ("supported", "2025-06-04", "195.51", Effect.OVER_LIMIT),
        ("lower", "2024-06-05", "20.00", Effect.NONE),
        ("lower", "2025-06-04", "20.01", Effect.OVER_LIMIT),
        ("lower", "2026-06-03", "20.00", Effect.NONE),
        ("lower", "2026-06-03", "20.01", Effect.OVER_LIMIT),
        ("none", "2025-06-04", "0.01", Effect.OVER_LIMIT),
        # the day before and after the 2025 uprating
        ("higher", "2025-04-06", "195.50", Effect.OVER_LIMIT),
        ("higher", "2025-04-07", "195.50", Effect.NONE),
    ],
)
def test_esa_permitted_work_limits_a_penny_either_side(rulebook, level, day, amount, effect):
    result = check(rulebook, ESA(level), payment(day, amount)).results[0]
    assert result.effect == effect
    assert result.reduction is None if effect == Effect.OVER_LIMIT else result.reduction == 0


def test_the_unverified_2026_esa_limit_is_not_relied_on_until_confirmed(rulebook, override):
    # The 2026-27 higher limit (£203.50) is an extrapolation: the last confirmed £195.50 is used, with a warning.
    at_old = check(rulebook, ESA("higher"), payment("2026-06-03", "195.50"))
    assert at_old.results[0].effect == Effect.NONE
    assert at_old.outcome == Outcome.WARN and at_old.results[0].caution
    assert any("unverified" in n for n in at_old.notes)
    over_old = check(rulebook, ESA("higher"), payment("2026-06-03", "195.51"))
    assert over_old.results[0].effect == Effect.OVER_LIMIT
    assert over_old.results[0].limit == Decimal("195.50")
    confirmed = override(VERIFY_2026)
    at_new = check(confirmed, ESA("higher"), payment("2026-06-03", "203.50"))
    assert at_new.outcome == Outcome.OK and at_new.results[0].limit == Decimal("203.50")
    assert check(confirmed, ESA("higher"), payment("2026-06-03", "203.51")).results[0].effect == Effect.OVER_LIMIT


@pytest.mark.parametrize(
    ("declared", "paid_hours", "effect"),
    [
        ("12.9", "3", Effect.NONE),
        ("13", "3", Effect.OVER_LIMIT),
        ("0", "15.9", Effect.NONE),
        ("0", "16", Effect.OVER_LIMIT),
    ],
)
def test_esa_16_hour_test_adds_paid_hours_to_weekly_hours(rulebook, declared, paid_hours, effect):
    result = check(rulebook, ESA("higher", weekly_hours=Decimal(declared)), payment("2025-06-04", "10.00", paid_hours))
    assert result.results[0].effect == effect
    assert result.results[0].hours == Decimal(declared) + Decimal(paid_hours)


def test_esa_hours_of_earlier_payments_in_the_week_count(rulebook):
    already = [payment("2025-06-02", "10.00", "10"), payment("2025-05-30", "10.00", "10")]  # the second is last week
    result = check(rulebook, ESA("higher"), payment("2025-06-04", "10.00", "5.9"), already).results[0]
    assert result.hours == Decimal("15.9") and result.effect == Effect.NONE
    result = check(rulebook, ESA("higher"), payment("2025-06-04", "10.00", "6"), already).results[0]
    assert result.effect == Effect.OVER_LIMIT and "16 hours" in result.explanation


def test_esa_hours_of_declined_or_redirected_fees_are_voluntary_work(rulebook):
    already = [payment("2025-06-02", "100.00", "10", kind="declined")]
    proposed = payment("2025-06-04", "50.00", "8", kind="redirected_to_group")
    result = check(rulebook, ESA("higher"), proposed, already).results[0]
    assert result.effect == Effect.NONE and result.hours == 0


def test_paying_less_does_not_help_when_the_hours_are_over(rulebook):
    decision = check(rulebook, ESA("higher", weekly_hours=Decimal(14)), payment("2025-06-04", "20.00", "2"))
    assert decision.outcome == Outcome.BREACH
    assert decision.results[0].safe_amount_pence == 0
    assert "pay_up_to_headroom" not in [a.kind for a in decision.alternatives]
    assert {"decline", "redirect_to_group", "time_credits"} <= {a.kind for a in decision.alternatives}


def test_esa_without_permitted_work_must_tell_dwp_first(rulebook):
    result = check(rulebook, ESA("none"), payment("2025-06-04", "5.00")).results[0]
    assert result.effect == Effect.OVER_LIMIT
    assert "PW1" in result.explanation
    expense = check(rulebook, ESA("none"), payment("2025-06-04", "5.00", kind="expense")).results[0]
    assert expense.effect == Effect.NONE


# ---------------------------------------------------------------- Universal Credit


@pytest.mark.parametrize(
    ("allowance", "day", "limit"),
    [
        ("with_housing", "2024-06-10", "404.00"),
        ("without_housing", "2024-06-10", "673.00"),
        ("with_housing", "2025-06-10", "411.00"),
        ("without_housing", "2025-06-10", "684.00"),
        ("none", "2025-06-10", "0.00"),
    ],
)
def test_uc_work_allowance_a_penny_either_side(rulebook, allowance, day, limit):
    benefit = UniversalCredit(allowance, assessment_period_start_day=10)
    at = check(rulebook, benefit, payment(day, limit)).results[0] if limit != "0.00" else None
    if at is not None:
        assert at.effect == Effect.NONE and at.limit == Decimal(limit) and at.reduction == 0
    over = check(rulebook, benefit, payment(day, str(Decimal(limit) + Decimal("0.01")))).results[0]
    assert over.effect == Effect.REDUCED
    assert over.reduction == Decimal("0.01")  # 55% of 1p = 0.55p, rounded half up


def test_uc_taper_takes_55p_of_each_pound_over_the_allowance(rulebook):
    benefit = UniversalCredit("with_housing", assessment_period_start_day=1)
    already = [payment("2025-06-02", "400.00")]
    result = check(rulebook, benefit, payment("2025-06-20", "111.00"), already).results[0]
    # £511 - £411 = £100 over; all of it caused by this payment.
    assert result.reduction == Decimal("55.00")
    assert "£55.00" in result.explanation


def test_uc_2026_allowance_is_unverified_so_the_last_confirmed_is_used(rulebook, override):
    benefit = UniversalCredit("with_housing", assessment_period_start_day=15)
    decision = check(rulebook, benefit, payment("2026-06-20", "420.00"))
    assert decision.results[0].limit == Decimal("411.00")
    assert decision.results[0].effect == Effect.REDUCED
    assert decision.outcome == Outcome.WARN
    confirmed = check(override(VERIFY_2026), benefit, payment("2026-06-20", "420.00"))
    assert confirmed.results[0].limit == Decimal("427.00") and confirmed.outcome == Outcome.OK


@pytest.mark.parametrize(
    ("start_day", "day", "limit"),
    [
        (6, "2025-04-06", "404.00"),  # period starts 6 April 2025: old rates
        (7, "2025-04-07", "411.00"),  # period starts 7 April 2025: new rates
        (12, "2026-04-12", "411.00"),
        (13, "2026-04-13", "427.00"),
    ],
)
def test_uc_rates_follow_the_start_of_the_assessment_period(override, start_day, day, limit):
    rules = override(VERIFY_2026)
    result = check(rules, UniversalCredit("with_housing", start_day), payment(day, "1.00")).results[0]
    assert result.limit == Decimal(limit)
    # a payment late in that period still uses the rates of the period's start
    later = date.fromisoformat(day) + timedelta(days=20)
    assert check(rules, UniversalCredit("with_housing", start_day), payment(later.isoformat(), "1.00")).results[
        0
    ].limit == (Decimal(limit))


def test_uc_payments_either_side_of_an_assessment_period_boundary(rulebook):
    benefit = UniversalCredit("with_housing", assessment_period_start_day=10)
    already = [payment("2025-06-01", "400.00")]
    last_day = check(rulebook, benefit, payment("2025-06-09", "20.00"), already).results[0]
    first_day = check(rulebook, benefit, payment("2025-06-10", "20.00"), already).results[0]
    assert (last_day.period.start, last_day.period.end) == (date(2025, 5, 10), date(2025, 6, 9))
    assert last_day.counted == Decimal("420.00") and last_day.effect == Effect.REDUCED
    assert last_day.reduction == Decimal("4.95")
    assert any("next period" in note for note in last_day.notes)
    assert (first_day.period.start, first_day.period.end) == (date(2025, 6, 10), date(2025, 7, 9))
    assert first_day.counted == Decimal("20.00") and first_day.effect == Effect.NONE


@pytest.mark.parametrize(
    ("start_day", "day", "start", "end"),
    [
        (31, "2025-02-28", "2025-02-28", "2025-03-30"),
        (31, "2025-03-30", "2025-02-28", "2025-03-30"),
        (31, "2025-03-31", "2025-03-31", "2025-04-29"),
        (31, "2025-04-30", "2025-04-30", "2025-05-30"),
        (30, "2024-02-29", "2024-02-29", "2024-03-29"),
        (29, "2025-02-28", "2025-02-28", "2025-03-28"),
        (1, "2025-12-31", "2025-12-01", "2025-12-31"),
        (15, "2026-01-03", "2025-12-15", "2026-01-14"),
    ],
)
def test_uc_assessment_period_when_the_start_day_does_not_exist_in_a_month(start_day, day, start, end):
    period = assessment_period_containing(date.fromisoformat(day), start_day)
    assert (period.start, period.end) == (date.fromisoformat(start), date.fromisoformat(end))


@given(day=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)), start_day=st.integers(1, 31))
def test_uc_assessment_periods_contain_their_date_and_tile_the_calendar(day, start_day):
    period = assessment_period_containing(day, start_day)
    assert period.start <= day <= period.end
    assert 28 <= (period.end - period.start).days + 1 <= 31
    assert assessment_period_containing(period.end + timedelta(days=1), start_day).start == period.end + timedelta(
        days=1
    )
    assert assessment_period_containing(period.start - timedelta(days=1), start_day).end == period.start - timedelta(
        days=1
    )


@given(day=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)), start=st.integers(0, 6))
def test_a_benefit_week_contains_its_date_and_starts_on_its_day(day, start):
    names = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    week = week_containing(day, names[start])
    assert week.start <= day <= week.end and week.start.weekday() == start and (week.end - week.start).days == 6


def test_uc_earnings_reaching_the_lcw_bar_are_flagged_unless_pip_is_declared(rulebook):
    benefit = UniversalCredit("without_housing", assessment_period_start_day=1)
    # 16 x £12.21 x 52 / 12 = £846.56 in 2025-26
    below = check(rulebook, benefit, payment("2025-06-10", "846.55"))
    at = check(rulebook, benefit, payment("2025-06-10", "846.56"))
    assert below.outcome == Outcome.WARN and not below.results[0].caution  # reduced by the taper only
    assert at.results[0].caution and any("Work Capability Assessment" in n for n in at.notes)
    with_pip = check_payment(rulebook, [benefit, NoEarningsTest("pip")], [], payment("2025-06-10", "846.56"))
    assert not with_pip.results[0].caution


# ---------------------------------------------------------------- Housing Benefit, Pension Credit, IR-ESA


@pytest.mark.parametrize(
    ("benefit", "disregard", "taper"),
    [
        (HousingBenefit("standard"), "5.00", "0.65"),
        (HousingBenefit("couple"), "10.00", "0.65"),
        (HousingBenefit("higher"), "20.00", "0.65"),
        (HousingBenefit("lone_parent"), "25.00", "0.65"),
        (PensionCredit("standard"), "5.00", "1"),
        (PensionCredit("couple"), "10.00", "1"),
        (PensionCredit("higher"), "20.00", "1"),
        (IncomeRelatedESA("higher"), "20.00", "1"),
        (IncomeRelatedESA("standard"), "5.00", "1"),
    ],
)
@pytest.mark.parametrize("day", ["2024-06-05", "2025-06-04", "2026-06-03"])
def test_weekly_disregards_a_penny_either_side(rulebook, benefit, disregard, taper, day):
    at = check(rulebook, benefit, payment(day, disregard)).results[0]
    assert at.effect == Effect.NONE and at.limit == Decimal(disregard) and at.reduction == 0
    over = check(rulebook, benefit, payment(day, str(Decimal(disregard) + Decimal("10.00")))).results[0]
    assert over.effect == Effect.REDUCED
    assert over.reduction == Decimal("10.00") * Decimal(taper)
    penny = check(rulebook, benefit, payment(day, str(Decimal(disregard) + Decimal("0.01")))).results[0]
    assert penny.effect == Effect.REDUCED and penny.reduction == Decimal("0.01")


def test_a_lone_parent_disregard_outside_housing_benefit_falls_back_to_the_standard(rulebook):
    result = check(rulebook, PensionCredit("lone_parent"), payment("2025-06-04", "6.00")).results[0]
    assert result.limit == Decimal("5.00") and result.reduction == Decimal("1.00")
    assert any("cautious" in n for n in result.notes)


def test_only_the_extra_reduction_caused_by_this_payment_is_reported(rulebook):
    already = [payment("2025-06-02", "25.00")]
    result = check(rulebook, HousingBenefit("standard"), payment("2025-06-04", "10.00"), already).results[0]
    assert result.counted == Decimal("35.00")
    assert result.reduction == Decimal("6.50")  # 65% of (30 - 20)


# ---------------------------------------------------------------- no earnings test


@pytest.mark.parametrize("name", ["pip", "dla", "attendance_allowance", "state_pension"])
def test_benefits_with_no_earnings_test_are_not_affected(rulebook, name):
    decision = check(rulebook, NoEarningsTest(name), payment("2025-06-04", "5000.00"))
    result = decision.results[0]
    assert decision.outcome == Outcome.OK
    assert result.effect == Effect.NONE and result.reduction == 0 and result.period is None
    assert "does not depend on what you earn" in result.explanation


# ---------------------------------------------------------------- kinds of payment


@pytest.mark.parametrize("kind", ["expense", "declined", "redirected_to_group", "time_credits"])
def test_kinds_that_are_not_earnings(rulebook, kind):
    decision = check(rulebook, CarersAllowance("monday"), payment("2025-06-04", "500.00", kind=kind))
    assert decision.results[0].counted == 0 and decision.results[0].effect == Effect.NONE
    assert decision.alternatives == ()


def test_a_flat_rate_allowance_counts(rulebook):
    result = check(rulebook, CarersAllowance("monday"), payment("2025-06-04", "196.01", kind="flat_rate_allowance"))
    assert result.results[0].effect == Effect.LOST


def test_vouchers_count_by_default_and_not_when_the_organisation_says_so(rulebook):
    voucher = payment("2025-06-04", "200.00", kind="voucher")
    by_default = check(rulebook, CarersAllowance("monday"), voucher)
    assert by_default.results[0].effect == Effect.LOST
    assert any("Q6" in n for n in by_default.notes)
    not_counted = check(
        rulebook, CarersAllowance("monday"), voucher, settings=PolicySettings(vouchers_count_as_earnings=False)
    )
    assert not_counted.results[0].effect == Effect.NONE
    assert any("SWRU" in n for n in not_counted.notes)


# ---------------------------------------------------------------- several benefits, alternatives, settings


def test_several_benefits_at_once(rulebook):
    benefits = [
        CarersAllowance("monday"),
        UniversalCredit("with_housing", assessment_period_start_day=10),
        ESA("higher", weekly_hours=Decimal(6)),
        HousingBenefit("standard"),
        NoEarningsTest("pip"),
    ]
    decision = check_payment(rulebook, benefits, [payment("2025-06-02", "100.00", "4")],
                             payment("2025-06-04", "100.00", "4"))
    effects = {r.name: r.effect for r in decision.results}
    assert effects == {
        "carers_allowance": Effect.LOST,
        "universal_credit": Effect.NONE,
        "esa": Effect.OVER_LIMIT,
        "housing_benefit": Effect.REDUCED,
        "pip": Effect.NONE,
    }
    assert decision.outcome == Outcome.BREACH
    assert decision.result("esa").hours == Decimal(14)
    # The most that keeps every benefit safe is the HB disregard, already used up by the earlier payment.
    kinds = [a.kind for a in decision.alternatives]
    assert kinds == ["time_credits", "redirect_to_group", "decline", "split_across_periods"]
    split = decision.alternatives[-1]
    assert "Only if you ask" in split.explanation and split.amount_pence == 10000


def test_alternatives_offer_to_pay_up_to_the_headroom_and_the_rest_another_way(rulebook):
    decision = check(rulebook, CarersAllowance("monday"), payment("2025-06-04", "100.00"),
                     [payment("2025-06-02", "150.00")])
    alternatives = {a.kind: a for a in decision.alternatives}
    assert alternatives["pay_up_to_headroom"].amount_pence == 4600
    assert alternatives["redirect_to_group"].amount_pence == 5400
    assert alternatives["decline"].amount_pence == 5400
    assert "£46.00" in alternatives["pay_up_to_headroom"].explanation


def test_no_alternatives_when_the_payment_is_safe(rulebook):
    decision = check(rulebook, CarersAllowance("monday"), payment("2025-06-04", "100.00"))
    assert decision.outcome == Outcome.OK and decision.alternatives == ()


@pytest.mark.parametrize(
    ("amount", "settings", "action"),
    [
        ("100.00", PolicySettings(), "none"),
        ("196.01", PolicySettings(), "override"),
        ("196.01", PolicySettings(on_breach="block"), "block"),
        ("196.01", PolicySettings(on_breach="warn"), "warn"),
    ],
)
def test_the_organisation_decides_what_a_breach_requires(rulebook, amount, settings, action):
    decision = check(rulebook, CarersAllowance("monday"), payment("2025-06-04", amount))
    assert required_action(decision, settings) == action


def test_the_organisation_decides_what_a_warning_requires(rulebook):
    decision = check(rulebook, HousingBenefit("standard"), payment("2025-06-04", "10.00"))
    assert decision.outcome == Outcome.WARN
    assert required_action(decision, PolicySettings()) == "warn"
    assert required_action(decision, PolicySettings(on_warn="override")) == "override"


def test_invalid_declarations_are_refused(rulebook):
    with pytest.raises(InvalidInput):
        UniversalCredit("with_housing", assessment_period_start_day=32)
    with pytest.raises(InvalidInput):
        ESA("medium")
    with pytest.raises(InvalidInput):
        CarersAllowance("someday")
    with pytest.raises(InvalidInput):
        PolicySettings(on_breach="ignore")
    with pytest.raises(InvalidInput, match="once"):
        check_payment(rulebook, [NoEarningsTest("pip"), NoEarningsTest("pip")], [], payment("2025-06-04", "1.00"))


def test_explanations_are_plain_for_the_participant_and_precise_for_staff(rulebook):
    result = check(rulebook, CarersAllowance("monday"), payment("2025-06-04", "200.00")).results[0]
    assert "Monday 2 June 2025 to Sunday 8 June 2025" in result.explanation
    assert "£196.00" in result.explanation and "£200.00" in result.explanation
    assert "carers_allowance.earnings_limit" not in result.explanation
    assert "carers_allowance.earnings_limit" in result.explanation_for_staff
    assert "2025-06-02 to 2025-06-08" in result.explanation_for_staff
    assert max(len(s) for s in result.explanation.split(". ")) < 110


@pytest.mark.parametrize(
    ("day", "amount", "effect"),
    [
        ("2026-04-05", "195.51", Effect.OVER_LIMIT),  # the last day of the 2025-26 limit
        ("2026-04-06", "203.50", Effect.NONE),  # the first day of the confirmed 2026-27 limit
        ("2026-04-06", "203.51", Effect.OVER_LIMIT),
    ],
)
def test_esa_limit_the_day_before_and_after_the_2026_uprating_once_confirmed(override, day, amount, effect):
    result = check(override(VERIFY_2026), ESA("higher"), payment(day, amount)).results[0]
    assert result.effect == effect


@pytest.mark.parametrize(
    ("day", "limit"), [("2024-04-08", "404.00"), ("2025-04-06", "404.00"), ("2025-04-07", "411.00")]
)
def test_uc_allowance_for_periods_starting_either_side_of_the_2025_uprating(rulebook, day, limit):
    start_day = date.fromisoformat(day).day
    result = check(rulebook, UniversalCredit("with_housing", start_day), payment(day, "1.00")).results[0]
    assert result.limit == Decimal(limit) and result.period.start == date.fromisoformat(day)
