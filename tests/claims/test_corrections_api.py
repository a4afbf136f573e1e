"""Corrections after payment over HTTP: reverse a paid claim, then net, repay or write off what is owed back."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.books import queries
from ledger.context import reload_settings
from tests.factories import PAY_ON, PaymentsWorld, add_user, api_token_for, bearer, database, footprint

LATER = PAY_ON + dt.timedelta(days=4)


@pytest.fixture
def setup(app):
    """Ann's £40 fee, paid in a confirmed run; two finance users; the app's today four days after payment."""
    app.config["LEDGER_TODAY"] = LATER.isoformat()
    reload_settings(app)
    with database(app) as session:
        world = PaymentsWorld(session)
        ann = world.participant("Ann Smith")
        claim = world.claim(ann, 4000)
        world.confirm(world.draft().id)
    fiona = bearer(api_token_for(app, add_user(app, "fiona@example.org", ["finance"])))
    frank = bearer(api_token_for(app, add_user(app, "frank@example.org", ["finance"])))
    return {"app": app, "ann": ann, "claim": claim, "fiona": fiona, "frank": frank,
            "url": f"/api/v1/claims/{claim}"}


def owes(app, participant_id: int) -> int:
    with database(app) as session:
        assert queries.trial_balance(session).totals["GBP"] == 0
        return queries.balance(session, f"owed:participant:{participant_id}")


def reverse(client, setup):
    response = client.post(f"{setup['url']}/reversal", json={"reason": "Paid twice"}, headers=setup["fiona"])
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_reverse_then_repay_over_http(client, setup):
    state = reverse(client, setup)
    assert (state["status"], state["owed_back"], state["owed_back_pence"]) == ("rejected", "40.00", 4000)
    assert owes(setup["app"], setup["ann"]) == 4000
    repaid = client.post(f"{setup['url']}/recovery", headers=setup["fiona"], json={
        "how": "repayment", "amount": "40.00", "on": LATER.isoformat(), "reference": "BGC ANN SMITH"})
    assert repaid.status_code == 200, repaid.get_json()
    assert repaid.get_json()["owed_back_pence"] == 0
    assert repaid.get_json()["recoveries"][0]["amount"] == "40.00"
    assert owes(setup["app"], setup["ann"]) == 0


def test_netting_is_agreed_over_http(client, setup):
    reverse(client, setup)
    agreed = client.post(f"{setup['url']}/recovery", headers=setup["fiona"], json={
        "how": "netting", "on": LATER.isoformat(), "agreed_how": "in_writing", "note": "Signed form on file"})
    assert agreed.status_code == 200, agreed.get_json()
    assert agreed.get_json()["netting_agreed"] is True
    read = client.get(f"{setup['url']}/owed-back", headers=setup["fiona"]).get_json()
    assert read["recoveries"][0]["agreed_how"] == "in_writing"


def test_a_write_off_needs_a_second_finance_user_over_http(client, setup):
    reverse(client, setup)
    asked = client.post(f"{setup['url']}/recovery", headers=setup["fiona"],
                        json={"how": "write_off", "note": "Moved abroad"})
    assert asked.status_code == 200 and asked.get_json()["write_off_waiting"] is True
    assert client.post(f"{setup['url']}/write-off/approve", headers=setup["fiona"]).status_code == 403
    approved = client.post(f"{setup['url']}/write-off/approve", headers=setup["frank"])
    assert approved.status_code == 200 and approved.get_json()["owed_back_pence"] == 0
    assert owes(setup["app"], setup["ann"]) == 0


@pytest.mark.parametrize(("body", "field"), [
    ({"how": "repayment", "amount": "41.00", "on": LATER.isoformat(), "reference": "R"}, "amount"),
    ({"how": "repayment", "amount": 40, "on": LATER.isoformat(), "reference": "R"}, "amount"),
    ({"how": "repayment", "amount": "40.00", "reference": "R"}, "on"),
    ({"how": "repayment", "amount": "40.00", "on": (LATER + dt.timedelta(days=1)).isoformat(), "reference": "R"},
     "received_on"),
    ({"how": "netting", "on": LATER.isoformat(), "agreed_how": "nod", "note": "ok"}, "agreed_how"),
    ({"how": "write_off"}, "note"),
    ({"how": "barter"}, "how"),
])
def test_bad_recoveries_are_a_4xx_naming_the_field_and_write_nothing(client, setup, body, field):
    reverse(client, setup)
    with database(setup["app"]) as session:
        before = footprint(session)
    response = client.post(f"{setup['url']}/recovery", json=body, headers=setup["fiona"])
    assert 400 <= response.status_code < 500
    assert field in response.get_json()["error"]["fields"], response.get_json()
    with database(setup["app"]) as session:
        assert footprint(session) == before


def test_an_unpaid_claim_cannot_be_reversed_and_a_reason_is_needed(client, setup):
    short = client.post(f"{setup['url']}/reversal", json={"reason": ""}, headers=setup["fiona"])
    assert short.status_code == 400 and "reason" in short.get_json()["error"]["fields"]
    reverse(client, setup)
    again = client.post(f"{setup['url']}/reversal", json={"reason": "Paid twice"}, headers=setup["fiona"])
    assert again.status_code == 409
