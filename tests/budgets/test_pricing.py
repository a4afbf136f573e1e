"""A plan priced by hand, line by line, across a Real Living Wage rise in the middle of the project; and a plan
whose fields are wrong is refused naming each field (pure pricing: no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ledger.budgets.plan import ITEM_KIND_KEYS, read_plan
from ledger.budgets.pricing import ITEM_KINDS, price_plan, totals_by_cost_line
from ledger.errors import ValidationError
from policies.budget_rates import load_planning_defaults, with_planning_defaults
from tests.factories import RULEBOOK

RULES = with_planning_defaults(RULEBOOK, load_planning_defaults())
PRICED_ON = dt.date(2025, 9, 1)  # before the 22 October 2025 rise to £13.45 was in force: an announced rate

WORKED_EXAMPLE = {
    "region": "uk",
    "roles": [{"role": "member"}, {"role": "co_chair", "hourly_rate_pence": 2000}],
    "meetings": [
        {"title": "Advisory group", "on": "2025-09-10", "hours": "2.5", "preparation_hours": "1"},
        {"title": "Advisory group", "month": "2025-10", "hours": "2.5", "preparation_hours": "1"},
        {"title": "Advisory group", "on": "2025-11-12", "hours": "2.5", "preparation_hours": "1"},
    ],
    "each_meeting": {
        "people": {"member": 6, "co_chair": 1},
        "items": [
            {"kind": "travel_london", "count": 2, "rate_pence": 2500},  # no published fare: entered
            {"kind": "mileage", "count": 1, "quantity": "32.5"},
            {"kind": "meals_10_hours", "count": 7},  # HMRC benchmark: away 10 hours, £10
            {"kind": "bsl_interpreter", "count": 2, "quantity": "3", "rate_pence": 4500},
            {"kind": "personal_assistant", "count": 1, "quantity": "3.5"},
        ],
    },
    "project_items": [
        {"kind": "easy_read", "count": 2, "rate_pence": 35_000},
        {"kind": "custom", "description": "Room hire deposit", "rate_pence": 15_000},
    ],
    "contingency_percent": "7.5",
    "time_credit_hours": "40",
}


def _price(plan=WORKED_EXAMPLE):
    return price_plan(read_plan(plan, starts_on=dt.date(2025, 9, 1)), rulebook=RULES,
                      pay_basis="real_living_wage", priced_on=PRICED_ON)


def test_the_worked_example_priced_by_hand_line_by_line_across_the_october_rise():
    priced = _price()
    # (description, count x each = amount, rule, in force from, announced) worked out by hand:
    # 3.5 hours at £12.60 = £44.10; at £13.45 = £47.075, rounded once, half up, to £47.08.
    # 32.5 miles at 45p = £14.625 -> £14.63. A month is priced on its last day (31 October: the new rate).
    september, new_rate = ("wage.real_living_wage.uk", dt.date(2024, 10, 23), False), \
        ("wage.real_living_wage.uk", dt.date(2025, 10, 22), True)

    def meeting(when, rate_rule, member_each, pa_each):
        return [
            (f"Advisory group ({when}): Member", 6, member_each, 6 * member_each, *rate_rule),
            (f"Advisory group ({when}): Co-chair", 1, 7000, 7000, None, None, False),
            (f"Advisory group ({when}): Travel (London)", 2, 2500, 5000, None, None, False),
            (f"Advisory group ({when}): Mileage", 1, 1463, 1463, "mileage.car_van.first_band",
             dt.date(2011, 4, 6), False),
            (f"Advisory group ({when}): Meal allowance (away 10 hours or more)", 7, 1000, 7000,
             "budget.subsistence.ten_hours", dt.date(2019, 4, 6), False),
            (f"Advisory group ({when}): BSL interpreters", 2, 13_500, 27_000, None, None, False),
            (f"Advisory group ({when}): Personal assistants and supporters", 1, pa_each, pa_each, *rate_rule),
        ]

    expected = [
        *meeting("10 Sep 2025", september, 4410, 4410),
        *meeting("October 2025", new_rate, 4708, 4708),
        *meeting("12 Nov 2025", new_rate, 4708, 4708),
        ("Once for the project: Easy-read production", 2, 35_000, 70_000, None, None, False),
        ("Once for the project: Room hire deposit", 1, 15_000, 15_000, None, None, False),
        ("Contingency: 7.5% of £3,241.71", 1, 24_313, 24_313, None, None, False),  # 24,312.825p, half up
    ]
    got = [(line.description, line.count, line.each_pence, line.amount_pence, line.rule_key, line.rule_from,
            line.announced) for line in priced.lines]
    assert got == expected
    assert priced.total_pence == 78_333 + 2 * 80_419 + 85_000 + 24_313 == 348_484
    assert priced.lines[1 * 7].priced_on == dt.date(2025, 10, 31)
    assert priced.announced_lines == 4
    assert priced.time_credit_hours == Decimal(40)
    assert dict(totals_by_cost_line(priced)) == {
        "fees": 26_460 + 7000 + 2 * (28_248 + 7000), "travel_expenses": 3 * (5000 + 1463 + 7000),
        "access": 3 * 27_000 + 4410 + 2 * 4708 + 85_000, "contingency": 24_313}
    assert priced.lines[0].working == "6 x (3.5 hours at £12.60 = £44.10)"
    assert priced.lines[0].source == "wage.real_living_wage.uk, in force from 23 October 2024"
    assert "Announced rate" in priced.lines[7].notes[0]


def test_the_item_kinds_the_plan_reads_are_the_ones_pricing_knows():
    assert set(ITEM_KIND_KEYS) == set(ITEM_KINDS)


@pytest.mark.parametrize(("change", "field"), [
    ({"meetings": [{"title": "x", "on": "2025-13-01", "hours": "2"}]}, "meetings.0.on"),
    ({"meetings": [{"title": "x", "month": "2025-10", "hours": 2.5}]}, "meetings.0.hours"),
    ({"meetings": []}, "meetings"),
    ({"roles": [{"role": "member", "hourly_rate_pence": 900}, {"role": "co_chair"}]}, "roles.0.hourly_rate_pence"),
    ({"each_meeting": {"people": {"member": 2}, "items": [{"kind": "bsl_interpreter", "quantity": "3"}]}},
     "each_meeting.items.0.rate_pence"),
    ({"project_items": [{"kind": "custom", "rate_pence": 100}]}, "project_items.0.description"),
    ({"each_meeting": {"people": {"member": 2}, "items": [{"kind": "travel_uk", "count": 2}]}},
     "each_meeting.items.0.rate_pence"),  # no published fare: the manager is asked, never a guess
    ({"each_meeting": {"people": {"member": 2}, "items": [{"kind": "overnight", "count": 1}]}},
     "each_meeting.items.0.rate_pence"),
    ({"each_meeting": {"people": {"member": 2}, "items": [{"kind": "meals", "count": 1}]}},
     "each_meeting.items.0.rate_pence"),
    ({"contingency_percent": "150"}, "contingency_percent"),
    ({"meetings": [{"title": "x", "on": "2031-06-01", "hours": "2"}]}, "meetings.0.on"),
])
def test_a_wrong_field_is_refused_by_name(change, field):
    with pytest.raises(ValidationError) as refused:
        _price({**WORKED_EXAMPLE, **change})
    assert field in refused.value.fields, refused.value.fields


def test_the_planning_figures_are_published_ones_each_with_its_source():
    defaults = load_planning_defaults()
    figures = {key: (history[-1].decimal, history[-1].sources, history[-1].confidence)
               for key, history in defaults.parameters.items()}
    assert figures == {
        "budget.subsistence.five_hours": (Decimal(5), ("hmrc_eim05231",), "high"),
        "budget.subsistence.ten_hours": (Decimal(10), ("hmrc_eim05231",), "high"),
        "budget.subsistence.fifteen_hours": (Decimal(25), ("hmrc_eim05231",), "high"),
        "budget.breakfast.early_start": (Decimal(5), ("cqc_payments_policy",), "medium"),
        "budget.overnight.london_bed_and_breakfast": (Decimal(145), ("cqc_payments_policy",), "medium"),
    }
    assert all(kind.rule is None for key, kind in ITEM_KINDS.items()
               if key in {"travel_uk", "travel_london", "travel_rural", "meals", "overnight"})


def test_a_missing_fare_is_asked_for_in_words_a_manager_can_act_on():
    with pytest.raises(ValidationError) as refused:
        _price({**WORKED_EXAMPLE, "each_meeting": {"people": {"member": 2},
                                                   "items": [{"kind": "travel_rural", "count": 2}]}})
    assert refused.value.fields["each_meeting.items.0.rate_pence"] == [
        "Enter the cost of travel (rural) per return journey: no published figure exists for it, so the planner "
        "does not guess one."]
