"""Returned payments over HTTP: record one against a confirmed run, read them back, bad input refused."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.books import queries
from ledger.context import reload_settings
from tests.factories import PAY_ON, PaymentsWorld, add_user, api_token_for, bearer, database, footprint

LATER = PAY_ON + dt.timedelta(days=4)


@pytest.fixture
def setup(app):
    """A confirmed run paying Ann £52.50 and Bob £30, with the app's today four days after it was paid."""
    app.config["LEDGER_TODAY"] = LATER.isoformat()
    reload_settings(app)
    with database(app) as session:
        world = PaymentsWorld(session)
        ann, bob = world.participant("Ann Smith"), world.participant("Bob Jones")
        world.claim(ann, 4000)
        world.claim(ann, 1250, kind="expense")
        world.claim(bob, 3000)
        run = world.draft()
        world.confirm(run.id)
    finance = add_user(app, "fiona@example.org", ["finance"])
    return {"app": app, "auth": bearer(api_token_for(app, finance)), "ann": ann, "bob": bob, "run": run.id,
            "url": f"/api/v1/payment-runs/{run.id}/returns"}


def body(setup, **changes):
    return {"payee_kind": "participant", "payee_id": setup["ann"], "amount": "52.50",
            "returned_on": PAY_ON.isoformat(), "reason": "details_wrong", "bank_reference": "RTN-77", **changes}


def test_finance_records_a_returned_payment_and_reads_it_back(client, setup):
    response = client.post(setup["url"], json=body(setup), headers=setup["auth"])
    assert response.status_code == 201, response.get_json()
    made = response.get_json()
    assert (made["amount"], made["amount_pence"], made["reason"], len(made["claim_ids"])) == \
        ("52.50", 5250, "details_wrong", 2)
    listed = client.get(setup["url"], headers=setup["auth"]).get_json()
    assert [r["id"] for r in listed] == [made["id"]]
    person = client.get(f"/api/v1/participants/{setup['ann']}", headers=setup["auth"]).get_json()
    assert person["bank_details"]["returned_on"] == PAY_ON.isoformat()
    assert person["bank_details"]["returned_reason"] == "details_wrong"
    with database(setup["app"]) as session:
        assert -queries.balance(session, f"owed:participant:{setup['ann']}") == 5250
        assert queries.trial_balance(session).totals["GBP"] == 0

    again = client.post(setup["url"], json=body(setup), headers=setup["auth"])
    assert again.status_code == 409 and "already" in again.get_json()["error"]["message"]


@pytest.mark.parametrize(("changes", "field"), [
    ({"amount": "52.00"}, "amount"),
    ({"amount": "52.505"}, "amount"),
    ({"amount": "lots"}, "amount"),
    ({"returned_on": "2025-13-01"}, "returned_on"),
    ({"returned_on": (LATER + dt.timedelta(days=1)).isoformat()}, "returned_on"),
    ({"reason": "lost"}, "reason"),
    ({"reason": "other"}, "note"),
    ({"bank_reference": ""}, "bank_reference"),
    ({"payee_id": 99999}, "payee_id"),
])
def test_bad_input_is_a_4xx_naming_the_field_and_writes_nothing(client, setup, changes, field):
    with database(setup["app"]) as session:
        before = footprint(session)
    response = client.post(setup["url"], json=body(setup, **changes), headers=setup["auth"])
    assert 400 <= response.status_code < 500, response.get_json()
    assert field in response.get_json()["error"]["fields"], response.get_json()
    with database(setup["app"]) as session:
        assert footprint(session) == before


def test_an_unknown_run_is_404_and_a_participant_cannot_record_returns(client, setup):
    assert client.post("/api/v1/payment-runs/9999/returns", json=body(setup),
                       headers=setup["auth"]).status_code == 404
    helper = add_user(setup["app"], "pat@example.org", ["participant"])
    refused = client.post(setup["url"], json=body(setup), headers=bearer(api_token_for(setup["app"], helper)))
    assert refused.status_code == 403
