"""The public calculator over HTTP: POST /api/v1/policy/check, no login, one error shape."""

from __future__ import annotations

import copy

import pytest

from ledger.context import reload_settings
from tests.factories import CONTRACT_EXAMPLE

URL = "/api/v1/policy/check"


@pytest.fixture
def calculator(client):
    return client


def test_the_worked_example_needs_no_login(calculator):
    response = calculator.post(URL, json=CONTRACT_EXAMPLE)
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert answer["outcome"] == "warn"
    by_name = {b["name"]: b for b in answer["benefits"]}
    assert by_name["carers_allowance"]["period"] == {"start": "2025-06-02", "end": "2025-06-08"}
    assert by_name["carers_allowance"]["counted"] == "100.00"
    assert by_name["housing_benefit"]["reduction"] == "39.00"
    assert by_name["pip"]["period"] is None
    assert {a["kind"] for a in answer["alternatives"]} >= {"decline", "redirect_to_group"}
    assert answer["notes"]


def test_a_breach_returns_null_reduction_where_the_benefit_amount_is_unknown(calculator):
    request = {
        "benefits": [{"name": "esa", "permitted_work": "higher", "weekly_hours": "14"}],
        "proposed": {"date": "2025-06-04", "amount": "20.00", "kind": "fee", "hours": "2"},
    }
    answer = calculator.post(URL, json=request).get_json()
    assert answer["outcome"] == "breach"
    assert answer["benefits"][0]["effect"] == "over_limit" and answer["benefits"][0]["reduction"] is None


def test_malformed_input_is_a_400_naming_each_bad_field(calculator):
    request = copy.deepcopy(CONTRACT_EXAMPLE)
    del request["benefits"][1]["work_allowance"]
    request["benefits"][2]["permitted_work"] = "lots"
    request["proposed"]["amount"] = 60.5
    request["already_paid"][0]["date"] = "2 June 2025"
    request["region"] = "mars"
    response = calculator.post(URL, json=request)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {
        "benefits.1.work_allowance",
        "benefits.2.permitted_work",
        "proposed.amount",
        "already_paid.0.date",
        "region",
    }
    for name in error["fields"]:
        assert name in error["message"]


@pytest.mark.parametrize(
    ("benefit", "field"),
    [
        ({"name": "pip", "week_start": "monday"}, "benefits.0.week_start"),
        (
            {"name": "universal_credit", "work_allowance": "none", "assessment_period_start_day": 32},
            "benefits.0.assessment_period_start_day",
        ),
        ({"name": "carers_allowance", "other_weekly_net_earnings": "1.001"}, "benefits.0.other_weekly_net_earnings"),
        ({"name": "jobseekers_allowance"}, "benefits.0.name"),
        ({"name": "esa", "permitted_work": "higher", "weekly_hours": "200"}, "benefits.0.weekly_hours"),
        ({"name": "income_related_esa", "disregard": "couple"}, "benefits.0.disregard"),
        ({"name": "income_related_esa", "disregard": "lone_parent"}, "benefits.0.disregard"),
        ({"name": "housing_benefit", "disregard": "generous"}, "benefits.0.disregard"),
    ],
)
def test_each_benefit_takes_only_its_own_fields(calculator, benefit, field):
    request = {"benefits": [benefit], "proposed": {"date": "2025-06-04", "amount": "1.00", "kind": "fee"}}
    response = calculator.post(URL, json=request)
    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]


def test_payments_may_give_the_day_the_work_was_done(calculator):
    request = {
        "benefits": [{"name": "esa", "permitted_work": "higher"}],
        "already_paid": [{"date": "2025-06-09", "amount": "100.00", "kind": "fee", "hours": "10",
                          "worked_on": "2025-06-04"}],
        "proposed": {"date": "2025-06-05", "amount": "60.00", "kind": "fee", "hours": "6", "worked_on": None},
    }
    response = calculator.post(URL, json=request)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["benefits"][0]["hours"] == "16"
    request["proposed"]["worked_on"] = "last Tuesday"
    response = calculator.post(URL, json=request)
    assert response.status_code == 400
    assert "proposed.worked_on" in response.get_json()["error"]["fields"]


def test_missing_proposed_payment_and_unknown_fields_are_named(calculator):
    response = calculator.post(URL, json={"benefits": [], "proposal": {}})
    assert response.status_code == 400
    assert {"proposed", "proposal"} <= set(response.get_json()["error"]["fields"])


def test_a_date_the_rulebook_does_not_cover_is_a_clear_400(calculator):
    request = {
        "benefits": [{"name": "carers_allowance"}],
        "proposed": {"date": "2020-01-01", "amount": "1.00", "kind": "fee"},
    }
    response = calculator.post(URL, json=request)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "rule_not_found" and "2019-12-30" in error["message"]  # the week's first day


def test_the_calculator_is_in_the_openapi_document(calculator):
    spec = calculator.get("/api/v1/openapi.json").get_json()
    assert "post" in spec["paths"]["/api/v1/policy/check"]


def test_the_calculator_is_rate_limited_per_client_across_workers(app, client):
    app.config.update(PUBLIC_API_RATE_LIMIT=2, PUBLIC_API_RATE_WINDOW_SECONDS=3600)
    reload_settings(app)
    assert client.post(URL, json=CONTRACT_EXAMPLE).status_code == 200
    assert client.post(URL, json=CONTRACT_EXAMPLE).status_code == 200
    refused = client.post(URL, json=CONTRACT_EXAMPLE)
    assert refused.status_code == 429
    assert "Too many requests" in refused.get_json()["error"]["message"]
    # The count lives in the database, so another worker (a second app on the same database) sees it too.
    from ledger import create_app

    other = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "TESTING": True,
                        "PUBLIC_API_RATE_LIMIT": 2, "PUBLIC_API_RATE_WINDOW_SECONDS": 3600})
    try:
        assert other.test_client().post(URL, json=CONTRACT_EXAMPLE).status_code == 429
    finally:
        other.extensions["engine"].dispose()
