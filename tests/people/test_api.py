"""Participants, benefits, groups and partners over HTTP: one round trip per feature, and who may see what."""

from __future__ import annotations

import json

from ledger.people import services
from tests.factories import TODAY, add_user, api_token_for, bearer, database


def _finance(app) -> dict[str, str]:
    return bearer(api_token_for(app, add_user(app, "fin@example.org", ["finance"])))


def _participant(app, name: str, email: str) -> int:
    with database(app) as session:
        return services.create_participant(session, name=name, email=email, today=TODAY).id


def test_finance_records_a_participant_and_their_bank_details_come_back_masked(app, client):
    headers = _finance(app)
    created = client.post("/api/v1/participants", headers=headers, json={
        "name": "Ann Example", "email": "ann@example.org", "preferred_format": "large_print",
        "date_of_birth": "1990-03-01", "default_reward": "time_credits",
    })
    assert created.status_code == 201, created.json
    ann = created.json
    assert ann["accounts"] == {"owed": f"owed:participant:{ann['id']}", "advance": f"advance:participant:{ann['id']}",
                               "time_credits": f"time:participant:{ann['id']}"}
    assert ann["bank_details"] is None
    put = client.put(f"/api/v1/participants/{ann['id']}/bank-details", headers=headers,
                     json={"sort_code": "12-34-56", "account_number": "87654321", "account_name": "Ann Example"})
    assert put.status_code == 200, put.json
    got = client.get(f"/api/v1/participants/{ann['id']}", headers=headers)
    assert got.json["bank_details"]["sort_code"] == "**-**-56"
    assert got.json["bank_details"]["account_number"] == "****4321"
    for response in (put, got):
        assert "87654321" not in response.get_data(as_text=True)
        assert "123456" not in response.get_data(as_text=True)
    patched = client.patch(f"/api/v1/participants/{ann['id']}", headers=headers, json={"preferred_name": "Annie"})
    assert patched.status_code == 200 and patched.json["preferred_name"] == "Annie"


def test_bad_input_is_a_400_naming_each_field(app, client):
    headers = _finance(app)
    response = client.post("/api/v1/participants", headers=headers,
                           json={"name": "", "email": "nope", "preferred_format": "braille"})
    assert response.status_code == 400
    assert set(response.json["error"]["fields"]) >= {"name", "email", "preferred_format"}
    ann = _participant(app, "Ann Example", "ann@example.org")
    response = client.put(f"/api/v1/participants/{ann}/bank-details", headers=headers,
                          json={"sort_code": "12-34-5", "account_number": "7654321", "account_name": "Ann"})
    assert response.status_code == 400
    assert set(response.json["error"]["fields"]) == {"sort_code", "account_number"}
    assert client.get("/api/v1/participants/999999", headers=headers).status_code == 404


def test_a_participant_reads_their_own_record_and_benefits_but_nobody_elses(app, client):
    ann = _participant(app, "Ann Example", "ann@example.org")
    bob = _participant(app, "Bob Example", "bob@example.org")
    own = bearer(api_token_for(app, add_user(app, "ann.user@example.org", ["participant"], participant_id=ann)))

    assert client.get(f"/api/v1/participants/{ann}", headers=own).status_code == 200
    assert client.get(f"/api/v1/participants/{bob}", headers=own).status_code == 404
    declared = client.post(f"/api/v1/participants/{ann}/benefits", headers=own, json={
        "declared_on": "2025-05-01",
        "benefits": [{"name": "universal_credit", "work_allowance": "with_housing", "assessment_period_start_day": 10}],
    })
    assert declared.status_code == 201, declared.json
    history = client.get(f"/api/v1/participants/{ann}/benefits", headers=own)
    assert [d["benefits"][0]["name"] for d in history.json] == ["universal_credit"]
    assert client.get(f"/api/v1/participants/{bob}/benefits", headers=own).status_code == 404
    assert client.post(f"/api/v1/participants/{bob}/benefits", headers=own, json={"benefits": []}).status_code == 404
    assert client.get("/api/v1/participants", headers=own).status_code == 403
    bad = client.post(f"/api/v1/participants/{ann}/benefits", headers=own,
                      json={"benefits": [{"name": "universal_credit"}]})
    assert bad.status_code == 400
    assert "benefits.0.work_allowance" in bad.json["error"]["fields"]


def test_project_managers_see_the_directory_but_not_records_or_benefits(app, client):
    ann = _participant(app, "Ann Example", "ann@example.org")
    manager = bearer(api_token_for(app, add_user(app, "pm@example.org", ["project_manager"])))
    directory = client.get("/api/v1/participants", headers=manager)
    assert directory.status_code == 200
    assert directory.json == [{"id": ann, "name": "Ann Example", "preferred_name": None,
                               "preferred_format": "email", "is_active": True}]
    # The own-record rule answers 404 to anyone who is neither allowed nor that participant, staff included.
    assert client.get(f"/api/v1/participants/{ann}", headers=manager).status_code == 404
    assert client.get(f"/api/v1/participants/{ann}/benefits", headers=manager).status_code == 404
    assert client.patch(f"/api/v1/participants/{ann}", headers=manager, json={"name": "X"}).status_code == 403
    assert client.get(f"/api/v1/participants/{ann}", headers={}).status_code == 401


def test_groups_and_partners_are_recorded_once_each(app, client):
    headers = _finance(app)
    group = client.post("/api/v1/groups", headers=headers, json={"name": "Voices Together"})
    assert group.status_code == 201
    assert group.json["accounts"] == {"owed": f"owed:group:{group.json['id']}"}
    assert client.post("/api/v1/groups", headers=headers, json={"name": "VOICES TOGETHER"}).status_code == 409
    bank = client.put(f"/api/v1/groups/{group.json['id']}/bank-details", headers=headers,
                      json={"sort_code": "200000", "account_number": "11112222", "account_name": "Voices Together"})
    assert bank.json["bank_details"]["account_number"] == "****2222"
    assert "11112222" not in json.dumps(client.get("/api/v1/groups", headers=headers).json)
    partner = client.post("/api/v1/partners", headers=headers, json={"name": "Northside Leisure Centre"})
    assert partner.status_code == 201
    assert partner.json["accounts"] == {"time_credits": f"time:partner:{partner.json['id']}"}
    assert client.get(f"/api/v1/partners/{partner.json['id']}", headers=headers).status_code == 200
    assert client.get("/api/v1/partners/999999", headers=headers).status_code == 404
