"""Holds over HTTP, on SQLite and PostgreSQL: a finance user holds and releases claims and payees; bad input
is a 4xx naming the field and writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from ledger.payments import calendar
from ledger.payments.models import Hold
from tests.factories import PaymentsWorld, add_user, api_token_for, bearer, database


@pytest.fixture
def setup(app):
    today = dt.date.today()
    with database(app) as session:
        world = PaymentsWorld(session, today=today)
        ann, bob = world.participant("Ann Smith"), world.participant("Bob Jones")
        group = world.group("Voices Together")
        ids = {"ann": ann, "bob": bob, "group": group, "anns": world.claim(ann, 4000),
               "bobs": world.claim(bob, 3000)}
    finance = add_user(app, "fiona@example.org", ["finance"])
    return {"app": app, "auth": bearer(api_token_for(app, finance)), "ids": ids, "today": today,
            "pay_on": calendar.earliest_payment_date(today)}


def post(client, setup, url, body):
    return client.post(f"/api/v1{url}", json=body, headers=setup["auth"])


def draft(client, setup):
    return post(client, setup, "/payment-runs", {"cutoff_date": setup["today"].isoformat(),
                                                  "payment_date": setup["pay_on"].isoformat()})


def hold_count(setup) -> int:
    with database(setup["app"]) as session:
        return session.execute(select(func.count()).select_from(Hold)).scalar_one()


def test_a_held_claim_stays_out_of_the_draft_until_released(client, setup):
    claim = setup["ids"]["anns"]
    held = post(client, setup, f"/claims/{claim}/hold", {"reason": "Hours disputed"})
    assert held.status_code == 201, held.get_json()
    body = held.get_json()
    assert (body["status"], body["subject"], body["claim_id"], body["name"], body["held_by"]) == (
        "held", "claim", claim, "Ann Smith", "Fiona")

    run = draft(client, setup).get_json()
    assert [p["payee_id"] for p in run["payees"]] == [setup["ids"]["bob"]]
    assert [(x["reason"], x["claim_ids"]) for x in run["left_out"]] == [("held", [claim])]
    listed = client.get("/api/v1/holds", headers=setup["auth"]).get_json()
    assert [h["claim_id"] for h in listed] == [claim]

    released = post(client, setup, f"/claims/{claim}/release", {"note": "Hours agreed with the project"})
    assert released.status_code == 200 and released.get_json()["release_note"] == "Hours agreed with the project"
    assert client.get("/api/v1/holds", headers=setup["auth"]).get_json() == []
    assert len(client.get("/api/v1/holds?status=released", headers=setup["auth"]).get_json()) == 1


def test_holding_a_participant_and_a_group(client, setup):
    ann, group = setup["ids"]["ann"], setup["ids"]["group"]
    run = draft(client, setup).get_json()
    held = post(client, setup, f"/participants/{ann}/hold", {"reason": "Safeguarding review"})
    assert held.status_code == 201 and held.get_json()["subject"] == "participant"
    after = client.get(f"/api/v1/payment-runs/{run['id']}", headers=setup["auth"]).get_json()
    assert [p["payee_id"] for p in after["payees"]] == [setup["ids"]["bob"]]
    again = post(client, setup, f"/participants/{ann}/hold", {"reason": "Again"})
    assert again.status_code == 409 and "already on hold" in again.get_json()["error"]["message"]

    assert post(client, setup, f"/groups/{group}/hold", {"reason": "Constitution query"}).status_code == 201
    groups = client.get("/api/v1/holds?payee_kind=group", headers=setup["auth"]).get_json()
    assert [(h["subject"], h["payee_id"], h["name"]) for h in groups] == [("group", group, "Voices Together")]
    assert post(client, setup, f"/groups/{group}/release", {"note": "Resolved"}).status_code == 200
    assert post(client, setup, f"/participants/{ann}/release", {"note": "Review closed"}).status_code == 200


@pytest.mark.parametrize(("url", "body", "status", "field"), [
    ("/claims/{anns}/hold", {}, 400, "reason"),
    ("/claims/{anns}/hold", {"reason": ""}, 400, "reason"),
    ("/claims/{anns}/hold", {"reason": "x" * 501}, 400, "reason"),
    ("/claims/{anns}/hold", {"reason": "   "}, 400, "reason"),
    ("/claims/999999/hold", {"reason": "x"}, 404, None),
    ("/participants/999999/hold", {"reason": "x"}, 404, None),
    ("/claims/{anns}/release", {"note": "x"}, 409, "claim_id"),
    ("/claims/{anns}/release", {}, 400, "note"),
])
def test_bad_input_names_the_field_and_writes_nothing(client, setup, url, body, status, field):
    response = post(client, setup, url.format(**setup["ids"]), body)
    assert response.status_code == status, response.get_json()
    error = response.get_json()
    if field is not None:
        fields = error["error"]["fields"]
        assert field in fields, error
    assert hold_count(setup) == 0


def test_holds_need_finance(client, setup):
    staff = add_user(setup["app"], "pm@example.org", ["project_manager"])
    response = client.post(f"/api/v1/claims/{setup['ids']['anns']}/hold", json={"reason": "x"},
                           headers=bearer(api_token_for(setup["app"], staff)))
    assert response.status_code == 403 and hold_count(setup) == 0


def test_flask_ledger_holds_holds_and_releases_in_bulk_all_or_nothing(client, setup):
    cli, ids = setup["app"].test_cli_runner(), setup["ids"]
    as_fiona = ["--as-user", "fiona@example.org"]

    refused = cli.invoke(args=["ledger", "holds", "hold", "--claim", str(ids["anns"]), "--claim", "999999",
                               "--reason", "Audit sample", *as_fiona])
    assert refused.exit_code == 1 and "There is no claim 999999. Nothing was held." in refused.output
    assert hold_count(setup) == 0

    held = cli.invoke(args=["ledger", "holds", "hold", "--claim", str(ids["anns"]), "--participant", str(ids["bob"]),
                            "--reason", "Audit sample", *as_fiona])
    assert held.exit_code == 0, held.output
    assert f"claim {ids['anns']} (Ann Smith), held" in held.output and "participant" in held.output
    listed = cli.invoke(args=["ledger", "holds", "list", *as_fiona])
    assert listed.output.count("Audit sample") == 2
    assert draft(client, setup).status_code == 409  # everything is held: nothing to pay

    released = cli.invoke(args=["ledger", "holds", "release", "--claim", str(ids["anns"]), "--participant",
                                str(ids["bob"]), "--note", "Sample checked", *as_fiona])
    assert released.exit_code == 0 and released.output.count("Sample checked") == 2
    assert cli.invoke(args=["ledger", "holds", "list", *as_fiona]).output == "No holds.\n"
    nobody = cli.invoke(args=["ledger", "holds", "hold", "--reason", "x", *as_fiona])
    assert nobody.exit_code == 2 and "Name at least one" in nobody.output


def test_removing_a_payee_from_a_draft_holds_them_unless_told_not_to(client, setup):
    ann, bob = setup["ids"]["ann"], setup["ids"]["bob"]
    run = draft(client, setup).get_json()
    url = f"/payment-runs/{run['id']}/remove-payee"
    held = post(client, setup, url, {"payee_kind": "participant", "payee_id": ann, "reason": "Query"})
    assert held.status_code == 200
    assert post(client, setup, url, {"payee_kind": "participant", "payee_id": bob, "reason": "Wrong date",
                                     "hold": False}).status_code == 200
    listed = client.get("/api/v1/holds", headers=setup["auth"]).get_json()
    assert [(h["payee_id"], h["reason"]) for h in listed] == [(ann, "Query")]
