"""The public calculator: the JSON contract of POST /api/v1/policy/check, kept stable."""

from __future__ import annotations

import json

import pytest

from policies.calculator import check_request
from tests.factories import CONTRACT_EXAMPLE

RESULT_KEYS = {
    "name",
    "period",
    "counted",
    "limit",
    "headroom",
    "effect",
    "reduction",
    "explanation",
    "explanation_for_staff",
    "rule",
    "source",
    "confidence",
}


def test_the_contract_example(rulebook):
    answer = check_request(CONTRACT_EXAMPLE, rulebook)
    json.dumps(answer)  # plain JSON types only
    assert {"outcome", "benefits", "alternatives", "notes"} <= set(answer)
    assert answer["outcome"] == "warn"  # HB and PC are reduced
    by_name = {b["name"]: b for b in answer["benefits"]}
    assert list(by_name) == ["carers_allowance", "universal_credit", "esa", "housing_benefit", "pension_credit", "pip"]
    for result in answer["benefits"]:
        assert set(result) >= RESULT_KEYS
    ca = by_name["carers_allowance"]
    assert ca["period"] == {"start": "2025-06-02", "end": "2025-06-08"}
    assert (ca["counted"], ca["limit"], ca["headroom"], ca["effect"], ca["reduction"]) == (
        "100.00",
        "196.00",
        "96.00",
        "none",
        "0.00",
    )
    uc = by_name["universal_credit"]
    assert uc["period"] == {"start": "2025-05-10", "end": "2025-06-09"}
    assert (uc["counted"], uc["limit"], uc["headroom"], uc["effect"]) == ("100.00", "411.00", "311.00", "none")
    esa = by_name["esa"]
    assert (esa["limit"], esa["effect"], esa["hours"]) == ("195.50", "none", "11")
    hb = by_name["housing_benefit"]
    assert (hb["limit"], hb["headroom"], hb["effect"], hb["reduction"]) == ("5.00", "0.00", "reduced", "39.00")
    pc = by_name["pension_credit"]
    assert (pc["effect"], pc["reduction"]) == ("reduced", "60.00")
    pip = by_name["pip"]
    assert (pip["period"], pip["effect"], pip["reduction"]) == (None, "none", "0.00")
    assert {a["kind"] for a in answer["alternatives"]} == {
        "time_credits",
        "redirect_to_group",
        "decline",
        "split_across_periods",
    }
    assert all(a["amount"] == "60.00" for a in answer["alternatives"])
    assert answer["required_action"] == "warn"


def test_reduction_is_null_where_the_amount_of_benefit_is_not_known(rulebook):
    request = {
        "benefits": [{"name": "esa", "permitted_work": "lower", "weekly_hours": "0"}],
        "region": "uk",
        "already_paid": [],
        "proposed": {"date": "2025-06-04", "amount": "20.01", "kind": "fee"},
    }
    answer = check_request(request, rulebook)
    assert answer["outcome"] == "breach"
    assert answer["benefits"][0]["effect"] == "over_limit"
    assert answer["benefits"][0]["reduction"] is None


@pytest.mark.parametrize(("flag", "effect"), [(None, "lost"), (True, "lost"), (False, "none")])
def test_vouchers_can_be_left_out_of_earnings_by_request(rulebook, flag, effect):
    request = {
        "benefits": [{"name": "carers_allowance"}],
        "proposed": {"date": "2025-06-04", "amount": "250.00", "kind": "voucher"},
    }
    if flag is not None:
        request["vouchers_count_as_earnings"] = flag
    assert check_request(request, rulebook)["benefits"][0]["effect"] == effect


def test_devolved_regions_get_a_note(rulebook):
    request = {
        "benefits": [{"name": "pip"}],
        "region": "scotland",
        "proposed": {"date": "2025-06-04", "amount": "1.00", "kind": "fee"},
    }
    assert any("Scotland" in n for n in check_request(request, rulebook)["notes"])


def test_unverified_figures_are_flagged_in_the_answer(rulebook):
    request = {
        "benefits": [
            {"name": "universal_credit", "work_allowance": "without_housing", "assessment_period_start_day": 20}
        ],
        "proposed": {"date": "2026-06-25", "amount": "10.00", "kind": "fee"},
    }
    answer = check_request(request, rulebook)
    assert answer["outcome"] == "warn"
    uc = answer["benefits"][0]
    assert uc["unverified_or_uncertain"] is True and uc["limit"] == "684.00"
    assert any("unverified" in n for n in answer["notes"])


def test_income_related_esa_in_the_calculator_takes_only_its_own_disregard(rulebook):
    from policies.errors import InvalidInput

    request = {
        "benefits": [{"name": "income_related_esa"}],
        "proposed": {"date": "2025-06-04", "amount": "20.00", "kind": "fee"},
    }
    answer = check_request(request, rulebook)
    assert (answer["benefits"][0]["limit"], answer["benefits"][0]["effect"]) == ("20.00", "none")
    request["benefits"][0]["disregard"] = "couple"
    with pytest.raises(InvalidInput, match=r"^disregard"):
        check_request(request, rulebook)


def test_a_breach_resting_only_on_an_unverified_limit_is_a_warning_with_both_readings(rulebook):
    request = {
        "benefits": [{"name": "esa", "permitted_work": "higher"}],
        "proposed": {"date": "2026-06-03", "amount": "200.00", "kind": "fee"},
    }
    answer = check_request(request, rulebook)
    assert (answer["outcome"], answer["required_action"]) == ("warn", "warn")
    esa = answer["benefits"][0]
    assert set(esa) >= RESULT_KEYS  # nothing renamed; the new keys are additions
    assert (esa["effect"], esa["limit"], esa["breach_depends_on_unverified"]) == ("over_limit", "195.50", True)
    assert esa["readings"] == [
        {"reading": "unverified", "rule": "esa.permitted_work.higher_limit", "effective": "2026-04-06 to 2027-04-11",
         "limit": "203.50", "headroom": "3.50", "effect": "none"},
        {"reading": "last_confirmed", "rule": "esa.permitted_work.higher_limit",
         "effective": "2025-04-07 to 2026-04-05", "limit": "195.50", "headroom": "0.00", "effect": "over_limit"},
    ]
    request["proposed"]["amount"] = "210.00"
    answer = check_request(request, rulebook)
    assert answer["outcome"] == "breach" and answer["benefits"][0]["breach_depends_on_unverified"] is False


def test_results_without_an_unverified_limit_have_no_readings(rulebook):
    answer = check_request(CONTRACT_EXAMPLE, rulebook)
    assert all(b["readings"] == [] and b["breach_depends_on_unverified"] is False for b in answer["benefits"])


def test_payment_items_may_say_which_day_the_work_was_done(rulebook):
    # 12 hours worked and paid in the week of 2 June; 4 more worked on 5 June but paid on 10 June.
    request = {
        "benefits": [{"name": "esa", "permitted_work": "higher"}],
        "already_paid": [{"date": "2025-06-03", "amount": "100.00", "kind": "fee", "hours": "12"}],
        "proposed": {"date": "2025-06-10", "amount": "40.00", "kind": "fee", "hours": "4", "worked_on": "2025-06-05"},
    }
    esa = check_request(request, rulebook)["benefits"][0]
    assert (esa["period"], esa["counted"], esa["hours"], esa["effect"]) == (
        {"start": "2025-06-09", "end": "2025-06-15"}, "40.00", "16", "over_limit"
    )
    del request["proposed"]["worked_on"]
    esa = check_request(request, rulebook)["benefits"][0]
    assert (esa["hours"], esa["effect"]) == ("4", "none")
