"""Benefit checks, rule by rule and year by year: limits a penny either side, upratings, periods, kinds."""

from __future__ import annotations

import itertools
from dataclasses import replace
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
from policies.payments import Payment
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


@pytest.mark.parametrize(("day", "weekly_rate"), [("2025-06-04", "83.30"), ("2026-06-03", "86.45")])
def test_a_lost_carers_allowance_week_with_universal_credit_says_uc_makes_up_for_it(rulebook, day, weekly_rate):
    # UC takes CA off pound for pound (reg 66(1)(b)(iii)): a lost CA week should come back as up to the same UC.
    benefits = [CarersAllowance("monday"), UniversalCredit("none", assessment_period_start_day=1)]
    result = check_payment(rulebook, benefits, [], payment(day, "300.00")).result("carers_allowance")
    assert result.effect == Effect.LOST and result.reduction == Decimal(weekly_rate)  # the loss is still in full
    assert "pound for pound" in result.explanation
    assert f"could go up by as much as £{weekly_rate}" in result.explanation
    start = date.fromisoformat(day).replace(day=1)
    assert f"in the assessment period 1 {start:%B %Y} to" in result.explanation
    assert "carers_allowance.rule.uc_deducts_in_full" in result.explanation_for_staff
    assert f"should raise UC by up to £{weekly_rate}" in result.explanation_for_staff
    assert f"between £0.00 and £{weekly_rate}" in result.explanation_for_staff
    assert "DERIVED" in result.explanation_for_staff and "medium confidence" in result.explanation_for_staff
    assert max(len(s) for s in result.explanation.split(". ")) < 110


def test_a_lost_carers_allowance_week_straddling_two_uc_periods_names_both(rulebook):
    # Week Monday 9 - Sunday 15 June 2025; UC periods from the 12th.
    benefits = [CarersAllowance("monday"), UniversalCredit("with_housing", assessment_period_start_day=12)]
    result = check_payment(rulebook, benefits, [], payment("2025-06-10", "200.00")).result("carers_allowance")
    assert "from 12 May 2025 to 11 July 2025" in result.explanation
    assert "2025-05-12 to 2025-06-11 and 2025-06-12 to 2025-07-11" in result.explanation_for_staff


def test_a_week_already_lost_with_universal_credit_also_says_so(rulebook):
    benefits = [CarersAllowance("monday"), UniversalCredit("with_housing", assessment_period_start_day=1)]
    decision = check_payment(rulebook, benefits, [payment("2025-06-02", "200.00")], payment("2025-06-04", "10.00"))
    result = decision.result("carers_allowance")
    assert result.reduction == 0 and "already" in result.explanation
    assert "as much as £83.30" in result.explanation


def test_without_universal_credit_a_lost_week_says_nothing_about_it(rulebook):
    for benefits in ([CarersAllowance("monday")], [CarersAllowance("monday"), NoEarningsTest("pip")]):
        result = check_payment(rulebook, benefits, [], payment("2025-06-04", "300.00")).result("carers_allowance")
        assert "Universal Credit" not in result.explanation + result.explanation_for_staff
    safe = check_payment(
        rulebook, [CarersAllowance("monday"), UniversalCredit("none", 1)], [], payment("2025-06-04", "100.00")
    ).result("carers_allowance")
    assert "Universal Credit" not in safe.explanation  # nothing lost, nothing to make up


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
    assert over_old.outcome == Outcome.WARN  # over only under the cautious reading: see the test below
    confirmed = override(VERIFY_2026)
    at_new = check(confirmed, ESA("higher"), payment("2026-06-03", "203.50"))
    assert at_new.outcome == Outcome.OK and at_new.results[0].limit == Decimal("203.50")
    assert check(confirmed, ESA("higher"), payment("2026-06-03", "203.51")).results[0].effect == Effect.OVER_LIMIT


@pytest.mark.parametrize(
    ("amount", "outcome", "depends", "effects"),
    [
        # between the last confirmed £195.50 and the unverified £203.50: over only under the cautious reading
        ("195.51", Outcome.WARN, True, ("none", "over_limit")),
        ("203.50", Outcome.WARN, True, ("none", "over_limit")),
        # over both: a breach whichever figure is right
        ("203.51", Outcome.BREACH, False, ("over_limit", "over_limit")),
        ("195.50", Outcome.WARN, False, ("none", "none")),  # warn: it rests on an unverified figure
    ],
)
def test_a_breach_that_depends_only_on_the_unverified_esa_limit_is_a_warning(
    rulebook, amount, outcome, depends, effects
):
    decision = check(rulebook, ESA("higher"), payment("2026-06-03", amount))
    result = decision.results[0]
    assert decision.outcome == outcome and result.breach_depends_on_unverified is depends
    assert result.limit == Decimal("195.50")  # the cautious figure is still the one used
    assert [(r.kind, r.limit_pence, r.effect.value) for r in result.readings] == [
        ("unverified", 20350, effects[0]),
        ("last_confirmed", 19550, effects[1]),
    ]
    if depends:
        assert result.effect == Effect.OVER_LIMIT and not result.is_breach
        assert "If the new limit of £203.50 is right, this payment is within it" in result.explanation
        assert "Under the last confirmed limit, £195.50, your ESA could stop" in result.explanation
        assert "Two readings" in result.explanation_for_staff and "outcome is warn" in result.explanation_for_staff
        assert required_action(decision, PolicySettings()) == "warn"
        assert required_action(decision, PolicySettings(on_warn="block")) == "block"
        assert "pay_up_to_headroom" in [a.kind for a in decision.alternatives]
    elif outcome == Outcome.BREACH:
        assert "Under both readings" in result.explanation_for_staff
        assert required_action(decision, PolicySettings()) == "override"


def test_hours_over_16_are_a_breach_whatever_the_unverified_money_limit(rulebook):
    decision = check(rulebook, ESA("higher", weekly_hours=Decimal(14)), payment("2026-06-03", "200.00", "2"))
    assert decision.outcome == Outcome.BREACH
    assert not decision.results[0].breach_depends_on_unverified
    assert {r.effect for r in decision.results[0].readings} == {Effect.OVER_LIMIT}


def test_a_week_straddling_the_2026_uprating_uses_the_confirmed_limit_so_a_breach_stays(rulebook):
    # Week Wednesday 1 - Tuesday 7 April 2026: £195.50 (confirmed) before 6 April, £203.50 (unverified) after.
    decision = check(rulebook, ESA("higher", week_start="wednesday"), payment("2026-04-07", "200.00"))
    assert decision.outcome == Outcome.BREACH and not decision.results[0].breach_depends_on_unverified


def test_once_the_figure_is_confirmed_there_is_one_reading(override):
    decision = check(override(VERIFY_2026), ESA("higher"), payment("2026-06-03", "200.00"))
    assert decision.outcome == Outcome.OK and decision.results[0].readings == ()


UNVERIFIED_LOWER_CA_2026 = """
[[param]]
key = "carers_allowance.earnings_limit"
value = 190.00
unit = "GBP_per_week_net"
effective_from = 2026-04-06
effective_to = 2027-04-11
status = "unverified"
source = ["org_policy"]
confidence = "medium"
"""


@pytest.mark.parametrize(
    ("amount", "outcome", "depends"),
    [("190.00", Outcome.WARN, False), ("190.01", Outcome.WARN, True), ("196.01", Outcome.BREACH, False)],
)
def test_an_unverified_figure_below_the_last_confirmed_one_is_read_both_ways(override, amount, outcome, depends):
    # An override records an unverified £190 CA limit for 2026-27, below the confirmed 2025-26 £196.
    decision = check(override(UNVERIFIED_LOWER_CA_2026), CarersAllowance("monday"), payment("2026-06-03", amount))
    result = decision.results[0]
    assert result.limit == Decimal("190.00")  # the lower of the two is used
    assert (decision.outcome, result.breach_depends_on_unverified) == (outcome, depends)
    if depends:
        assert result.effect == Effect.LOST and result.reduction == Decimal("86.45")
        assert "If the new limit of £190.00 is right, you would lose all of your Carer's Allowance" in (
            result.explanation
        )
        assert "Under the last confirmed limit, £196.00, this payment is within it" in result.explanation


def test_a_week_already_over_only_the_unverified_limit_is_read_both_ways_too(override):
    rules = override(UNVERIFIED_LOWER_CA_2026)
    decision = check(rules, CarersAllowance("monday"), payment("2026-06-03", "1.00"), [payment("2026-06-01", "191.00")])
    result = decision.results[0]
    assert result.effect == Effect.LOST and result.reduction == 0 and result.breach_depends_on_unverified
    assert decision.outcome == Outcome.WARN
    assert "already earned £191.00" in result.explanation
    assert "Under the last confirmed limit, £196.00, this payment is within it" in result.explanation


def test_an_unverified_figure_with_no_confirmed_one_before_it_is_a_breach_when_over(override):
    # Nothing confirmed to read it against: the only reading is the unverified one, so a breach stays a breach.
    rules = override("""
[[param]]
key = "esa.permitted_work.lower_limit"
value = 15.00
unit = "GBP_per_week"
effective_from = 2024-04-01
status = "unverified"
source = ["org_policy"]
confidence = "medium"
""")
    decision = check(rules, ESA("lower"), payment("2025-06-04", "15.01"))
    assert decision.outcome == Outcome.BREACH and decision.results[0].readings == ()
    assert decision.results[0].caution


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


def worked(day: str, pounds: str, hours: str, worked_on: str, kind: str = "fee") -> Payment:
    """A payment received on `day` for work done on `worked_on`."""
    return replace(payment(day, pounds, hours, kind), worked_on=date.fromisoformat(worked_on))


# Weeks (Monday start): week 1 is 2 - 8 June 2025, week 2 is 9 - 15 June 2025.
@pytest.mark.parametrize(
    ("already", "proposed", "hours", "effect"),
    [
        # 10 hours worked in week 1, paid in week 2, count in week 1: with 6 more in week 1, that is 16
        ([worked("2025-06-09", "100.00", "10", "2025-06-04")], payment("2025-06-05", "60.00", "6"), "16", "over_limit"),
        # the same payment without worked_on counts in the week it is paid (the old behaviour)
        ([payment("2025-06-09", "100.00", "10")], payment("2025-06-05", "60.00", "6"), "6", "none"),
        # hours worked in week 2 but paid in week 1 do not count in week 1
        ([worked("2025-06-03", "100.00", "10", "2025-06-10")], payment("2025-06-05", "60.00", "6"), "6", "none"),
        # the proposed payment, paid in week 2 for work in week 1, adds its hours to week 1
        ([payment("2025-06-03", "100.00", "12")], worked("2025-06-10", "40.00", "4", "2025-06-05"), "16", "over_limit"),
        ([payment("2025-06-03", "100.00", "11.9")], worked("2025-06-10", "40.00", "4", "2025-06-05"), "15.9", "none"),
        # and not to week 2, where other work was done
        ([payment("2025-06-11", "100.00", "12")], worked("2025-06-10", "40.00", "4", "2025-06-05"), "4", "none"),
    ],
)
def test_esa_hours_count_in_the_week_worked_not_the_week_paid(rulebook, already, proposed, hours, effect):
    result = check(rulebook, ESA("higher"), proposed, already).results[0]
    assert result.hours == Decimal(hours) and result.effect.value == effect


def test_esa_earnings_still_count_in_the_week_received(rulebook):
    # £190 paid in week 2 for work in week 1; another £10 received in week 2: £200 over £195.50 in week 2.
    proposed = worked("2025-06-10", "10.00", "1", "2025-06-05")
    result = check(rulebook, ESA("higher"), proposed, [worked("2025-06-09", "190.00", "8", "2025-06-03")]).results[0]
    assert (result.period.start, result.period.end) == (date(2025, 6, 9), date(2025, 6, 15))
    assert result.counted == Decimal("200.00") and result.effect == Effect.OVER_LIMIT
    assert result.hours == Decimal(9)  # both payments' hours were worked in week 1
    assert "Hours count in the week you did the work: 9 hours in the week Monday 2 June 2025" in result.explanation
    assert "hours count in the week worked, earnings in the week received" in result.explanation_for_staff


def test_worked_on_changes_nothing_for_carers_allowance_or_universal_credit(rulebook):
    benefits = [CarersAllowance("monday"), UniversalCredit("with_housing", assessment_period_start_day=10)]
    plain = check_payment(rulebook, benefits, [], payment("2025-06-10", "200.00", "8"))
    with_day = check_payment(rulebook, benefits, [], worked("2025-06-10", "200.00", "8", "2025-06-05"))
    assert [(r.period, r.counted, r.effect) for r in plain.results] == [
        (r.period, r.counted, r.effect) for r in with_day.results
    ]


def test_a_payment_without_worked_on_is_worked_the_day_it_is_received():
    paid = payment("2025-06-10", "1.00", "1")
    assert paid.worked_on is None and paid.worked_date == date(2025, 6, 10)
    assert replace(paid, received_on=date(2025, 6, 20)).worked_date == date(2025, 6, 20)
    with pytest.raises(InvalidInput, match="worked_on"):
        Payment(date(2025, 6, 10), 100, "fee", worked_on="2025-06-01")


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
        (30, "2024-02-29", "2024-02-28", "2024-03-29"),  # reg 21(2)(b): 28 Feb in a leap year, not the 29th
        (29, "2025-02-28", "2025-02-27", "2025-03-28"),  # reg 21(2)(b): 27 Feb, not the last day
        (1, "2025-12-31", "2025-12-01", "2025-12-31"),
        (15, "2026-01-03", "2025-12-15", "2026-01-14"),
    ],
)
def test_uc_assessment_period_when_the_start_day_does_not_exist_in_a_month(start_day, day, start, end):
    period = assessment_period_containing(date.fromisoformat(day), start_day)
    assert (period.start, period.end) == (date.fromisoformat(start), date.fromisoformat(end))


# UC Regulations 2013 reg 21(2): from the 31st, periods begin on the last day of each month; from the 29th
# or 30th, on that day except in February, when they begin on the 27th (28th in a leap year). Each row is
# the run of consecutive periods from December to May for one start day and year (2000 is a leap year,
# 2100 is not).
_PERIODS_AROUND_FEBRUARY = [
    (28, 2025, ["12-28", "01-28", "02-28", "03-28", "04-28", "05-28"]),
    (29, 2025, ["12-29", "01-29", "02-27", "03-29", "04-29", "05-29"]),
    (30, 2025, ["12-30", "01-30", "02-27", "03-30", "04-30", "05-30"]),
    (31, 2025, ["12-31", "01-31", "02-28", "03-31", "04-30", "05-31"]),
    (28, 2024, ["12-28", "01-28", "02-28", "03-28", "04-28", "05-28"]),
    (29, 2024, ["12-29", "01-29", "02-28", "03-29", "04-29", "05-29"]),
    (30, 2024, ["12-30", "01-30", "02-28", "03-30", "04-30", "05-30"]),
    (31, 2024, ["12-31", "01-31", "02-29", "03-31", "04-30", "05-31"]),
    (29, 2000, ["12-29", "01-29", "02-28", "03-29", "04-29", "05-29"]),
    (30, 2100, ["12-30", "01-30", "02-27", "03-30", "04-30", "05-30"]),
    (31, 2100, ["12-31", "01-31", "02-28", "03-31", "04-30", "05-31"]),
]


@pytest.mark.parametrize(("start_day", "year", "starts"), _PERIODS_AROUND_FEBRUARY)
def test_uc_assessment_periods_around_february_follow_reg_21(start_day, year, starts):
    dates = [date(year - 1 if mmdd.startswith("12") else year, int(mmdd[:2]), int(mmdd[3:])) for mmdd in starts]
    for start, next_start in itertools.pairwise(dates):
        end = next_start - timedelta(days=1)
        for day in (start, start + (end - start) / 2, end):
            period = assessment_period_containing(day, start_day)
            assert (period.start, period.end) == (start, end), (day, start_day)


@pytest.mark.parametrize(
    ("start_day", "day", "start", "end"),
    [
        # the days around the February start, where reg 21(2)(b) differs from "the month's last day"
        (29, "2025-02-26", "2025-01-29", "2025-02-26"),
        (29, "2025-02-27", "2025-02-27", "2025-03-28"),
        (30, "2025-02-26", "2025-01-30", "2025-02-26"),
        (30, "2025-02-27", "2025-02-27", "2025-03-29"),
        (29, "2024-02-27", "2024-01-29", "2024-02-27"),
        (29, "2024-02-28", "2024-02-28", "2024-03-28"),
        (29, "2024-02-29", "2024-02-28", "2024-03-28"),
        (30, "2024-02-27", "2024-01-30", "2024-02-27"),
        (30, "2024-02-28", "2024-02-28", "2024-03-29"),
        (31, "2024-02-28", "2024-01-31", "2024-02-28"),
        (31, "2024-02-29", "2024-02-29", "2024-03-30"),
        (31, "2025-02-27", "2025-01-31", "2025-02-27"),
        (31, "2025-02-28", "2025-02-28", "2025-03-30"),
        (28, "2025-02-27", "2025-01-28", "2025-02-27"),
        (28, "2024-02-29", "2024-02-28", "2024-03-27"),
    ],
)
def test_uc_assessment_period_either_side_of_the_february_start(start_day, day, start, end):
    period = assessment_period_containing(date.fromisoformat(day), start_day)
    assert (period.start, period.end) == (date.fromisoformat(start), date.fromisoformat(end))


def test_uc_decisions_cite_reg_21_for_start_days_29_to_31(rulebook):
    result = check(rulebook, UniversalCredit("with_housing", 30), payment("2025-02-27", "10.00")).results[0]
    assert (result.period.start, result.period.end) == (date(2025, 2, 27), date(2025, 3, 29))
    assert "reg 21(2)(b)" in result.explanation_for_staff
    assert "27 February 2025 to 29 March 2025" in result.explanation
    param = rulebook.get("uc.rule.assessment_period_start_day", date(2025, 2, 27))
    assert param.sources == ("uc_regs_reg21",) and param.confidence == "high"
    assert "legislation.gov.uk" in rulebook.sources["uc_regs_reg21"].url


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
        (IncomeRelatedESA("standard"), "20.00", "1"),
        (IncomeRelatedESA(), "20.00", "1"),
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


def test_income_related_esa_disregards_20_pounds_by_default_with_its_own_rule(rulebook):
    result = check(rulebook, IncomeRelatedESA(), payment("2025-06-04", "25.00")).results[0]
    assert result.rule == "income_related_esa.disregard.standard"
    assert result.limit == Decimal("20.00") and result.reduction == Decimal("5.00")
    assert "esa_regs_sch7" in result.sources and result.confidence == "high"
    assert "the first £20.00 you earn each week is ignored" in result.explanation
    assert any("permitted work" in n and "cautious" in n for n in result.notes)


@pytest.mark.parametrize("level", ["couple", "lone_parent", "generous"])
def test_income_related_esa_refuses_disregards_that_cannot_apply_to_it(level):
    with pytest.raises(InvalidInput, match=r"^disregard must be one of standard, higher") as caught:
        IncomeRelatedESA(level)
    assert "Housing Benefit and Pension Credit" in str(caught.value)


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
