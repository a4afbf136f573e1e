"""Declared benefits and circumstances: checked, kept with the date declared, never overwritten."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.errors import NotFound, ValidationError
from ledger.people import services
from ledger.people.benefits import check_benefits
from tests.factories import TODAY, make_participant

UC = {"name": "universal_credit", "work_allowance": "with_housing", "assessment_period_start_day": 10}


def test_each_declaration_is_kept_and_the_latest_is_in_force(session):
    ann = make_participant(session)
    first = services.declare_benefits(session, ann.id, benefits=[UC], declared_on=dt.date(2025, 4, 1), today=TODAY)
    second = services.declare_benefits(
        session, ann.id, benefits=[{"name": "carers_allowance", "week_start": "monday"}, {"name": "pip"}],
        declared_on=dt.date(2025, 5, 20), circumstances="Started caring for her mother.", today=TODAY,
    )
    session.commit()
    history = services.benefit_history(session, ann.id)
    assert [d.id for d in history] == [second.id, first.id]
    assert services.current_benefits(session, ann.id) == second
    assert services.current_benefits(session, ann.id, as_of=dt.date(2025, 5, 19)) == first
    assert services.current_benefits(session, ann.id, as_of=dt.date(2025, 3, 31)) is None
    assert history[1].benefits == (UC,)
    assert history[0].circumstances == "Started caring for her mother."


def test_declaring_no_benefits_is_a_declaration_too(session):
    ann = make_participant(session)
    services.declare_benefits(session, ann.id, benefits=[UC], declared_on=dt.date(2025, 4, 1), today=TODAY)
    services.declare_benefits(session, ann.id, benefits=[], declared_on=dt.date(2025, 6, 1), today=TODAY)
    assert services.current_benefits(session, ann.id).benefits == ()


def test_amounts_and_hours_are_kept_as_exact_decimal_strings():
    clean = check_benefits([
        {"name": "carers_allowance", "other_weekly_net_earnings": "12.5"},
        {"name": "esa", "permitted_work": "higher", "weekly_hours": "6.0"},
        {"name": "universal_credit", "work_allowance": "none", "assessment_period_start_day": "28",
         "other_monthly_net_earnings": 100},
    ])
    assert clean == [
        {"name": "carers_allowance", "other_weekly_net_earnings": "12.50"},
        {"name": "esa", "permitted_work": "higher", "weekly_hours": "6"},
        {"name": "universal_credit", "work_allowance": "none", "assessment_period_start_day": 28,
         "other_monthly_net_earnings": "100.00"},
    ]


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([{"name": "jobseekers_allowance"}], "benefits.0.name"),
        ([{"name": "universal_credit", "assessment_period_start_day": 10}], "benefits.0.work_allowance"),
        ([{**UC, "assessment_period_start_day": 32}], "benefits.0.assessment_period_start_day"),
        ([{**UC, "work_alowance": "none"}], "benefits.0.work_alowance"),
        ([{"name": "carers_allowance", "other_weekly_net_earnings": 12.5}], "benefits.0.other_weekly_net_earnings"),
        ([{"name": "carers_allowance", "other_weekly_net_earnings": "-1"}], "benefits.0.other_weekly_net_earnings"),
        ([{"name": "carers_allowance", "other_weekly_net_earnings": "1.234"}],
         "benefits.0.other_weekly_net_earnings"),
        ([{"name": "esa", "permitted_work": "higher", "weekly_hours": "200"}], "benefits.0.weekly_hours"),
        ([{"name": "housing_benefit", "disregard": "generous"}], "benefits.0.disregard"),
        ([{"name": "income_related_esa", "disregard": "couple"}], "benefits.0.disregard"),
        ([{"name": "income_related_esa", "disregard": "lone_parent"}], "benefits.0.disregard"),
        ([{"name": "pip"}, {"name": "pip"}], "benefits.1.name"),
        (["pip"], "benefits.0"),
        ("pip", "benefits"),
    ],
)
def test_a_wrong_declaration_is_refused_naming_the_field(items, field):
    with pytest.raises(ValidationError) as caught:
        check_benefits(items)
    assert field in caught.value.fields


def test_income_related_esa_is_stored_with_only_the_disregards_that_apply_to_it():
    # The £20 is the default (no disregard given); 'higher' names the same £20. HB keeps its four.
    assert check_benefits([{"name": "income_related_esa"}]) == [{"name": "income_related_esa"}]
    for level in ("standard", "higher"):
        assert check_benefits([{"name": "income_related_esa", "disregard": level}])[0]["disregard"] == level
    for level in ("standard", "couple", "higher", "lone_parent"):
        assert check_benefits([{"name": "housing_benefit", "disregard": level}])[0]["disregard"] == level
    with pytest.raises(ValidationError) as caught:
        check_benefits([{"name": "income_related_esa", "disregard": "couple"}])
    assert caught.value.fields["benefits.0.disregard"] == ["Must be one of standard, higher."]


def test_a_declaration_cannot_be_dated_in_the_future_or_for_nobody(session):
    ann = make_participant(session)
    with pytest.raises(ValidationError) as caught:
        services.declare_benefits(session, ann.id, benefits=[], declared_on=TODAY + dt.timedelta(days=1), today=TODAY)
    assert "declared_on" in caught.value.fields
    with pytest.raises(NotFound):
        services.declare_benefits(session, ann.id + 99, benefits=[], declared_on=TODAY, today=TODAY)
    assert services.benefit_history(session, ann.id) == []
