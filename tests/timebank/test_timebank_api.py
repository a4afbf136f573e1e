"""The time bank over HTTP: one round trip per feature."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.context import reload_settings
from ledger.organisation import open_organisation_accounts
from tests.factories import (
    add_user,
    api_token_for,
    bearer,
    database,
    make_group,
    make_participant,
    make_partner,
    post_time_credits,
)


@pytest.fixture
def app_with_timebank(app):
    """The app with the time-bank API (a no-op once ledger.api registers it), allowing a 30-minute overdraft."""
    from ledger.api import timebank

    if "timebank_api" not in app.blueprints:
        app.extensions["csrf"].exempt(timebank.blp)
        app.extensions["api"].register_blueprint(timebank.blp)
    app.config["TIME_CREDIT_OVERDRAFT_MINUTES"] = 30
    reload_settings(app)
    return app


@pytest.fixture
def setup(app_with_timebank):
    app = app_with_timebank
    with database(app) as session:
        open_organisation_accounts(session)
        ann = make_participant(session, "Ann Smith").id
        bob = make_participant(session, "Bob Jones").id
        partner = make_partner(session, "Leisure Centre").id
        group = make_group(session, "Voices Together").id
        post_time_credits(session, ann, 120)
    finance = add_user(app, "fiona@example.org", ["finance"])
    ann_user = add_user(app, "ann@example.org", ["participant"], participant_id=ann)
    return {"app": app, "ann": ann, "bob": bob, "partner": partner, "group": group,
            "finance": bearer(api_token_for(app, finance)), "as_ann": bearer(api_token_for(app, ann_user))}


def url(participant_id: int, action: str = "") -> str:
    return f"/api/v1/participants/{participant_id}/time-credits{action}"


def test_a_participant_sees_their_own_balance_and_no_one_elses(client, setup):
    response = client.get(url(setup["ann"]), headers=setup["as_ann"])
    assert response.status_code == 200
    body = response.get_json()
    assert (body["balance_minutes"], body["balance_hours"], body["overdraft_limit_minutes"]) == (120, "2.00", 30)
    assert body["history"][0]["minutes"] == 120
    assert client.get(url(setup["bob"]), headers=setup["as_ann"]).status_code == 404


def test_finance_records_a_spend_in_hours(client, setup):
    response = client.post(url(setup["ann"], "/spend"), headers=setup["finance"],
                           json={"partner_id": setup["partner"], "hours": "1.5", "idempotency_key": "till-1"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["minutes"], body["hours"], body["balance_minutes"], body["balance_hours"]) == (90, "1.50", 30, "0.50")


def test_a_participant_gives_their_own_credits_to_a_group(client, setup):
    response = client.post(url(setup["ann"], "/give"), headers=setup["as_ann"],
                           json={"to_group_id": setup["group"], "minutes": 45, "idempotency_key": "gift-1"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["kind"] == "given_to_group"
    other = client.post(url(setup["bob"], "/give"), headers=setup["as_ann"],
                        json={"to_participant_id": setup["ann"], "minutes": 5, "idempotency_key": "gift-2"})
    assert other.status_code == 404


def test_spending_beyond_the_overdraft_is_a_409(client, setup):
    response = client.post(url(setup["ann"], "/spend"), headers=setup["finance"],
                           json={"partner_id": setup["partner"], "minutes": 151, "idempotency_key": "till-2"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "insufficient_time_credits"


@pytest.mark.parametrize("body", [{"hours": "0.333"}, {"hours": "-1"}, {"minutes": 0}, {"hours": "1", "minutes": 60},
                                  {}, {"minutes": 10, "idempotency_key": ""}])
def test_bad_amounts_are_a_400(client, setup, body):
    body = {"partner_id": setup["partner"], "idempotency_key": "till-3", **body}
    response = client.post(url(setup["ann"], "/spend"), headers=setup["finance"], json=body)
    assert response.status_code == 400, response.get_json()


def test_a_participant_cannot_back_date_their_own_spend_but_finance_can(app, client, setup):
    from ledger.context import todays_date

    with app.app_context():
        last_month = (todays_date().replace(day=1) - dt.timedelta(days=1)).isoformat()
    spend = {"partner_id": setup["partner"], "minutes": 10, "on": last_month}
    refused = client.post(url(setup["ann"], "/spend"), headers=setup["as_ann"], json={**spend, "idempotency_key": "a"})
    assert refused.status_code == 400
    assert list(refused.get_json()["error"]["fields"]) == ["on"]
    recorded = client.post(url(setup["ann"], "/spend"), headers=setup["finance"],
                           json={**spend, "idempotency_key": "b"})
    assert recorded.status_code == 201, recorded.get_json()
