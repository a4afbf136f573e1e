"""Projects, activities and attendance over HTTP: a project manager's round trip, errors, and who may."""

from __future__ import annotations

from ledger.people import services as people
from tests.factories import TODAY, add_user, api_token_for, bearer, database


def test_a_project_manager_plans_a_project_and_records_attendance(app, client):
    pm_id = add_user(app, "pm@example.org", ["project_manager"])
    headers = bearer(api_token_for(app, pm_id))
    finance = bearer(api_token_for(app, add_user(app, "fin@example.org", ["finance"])))
    with database(app) as session:
        ann = people.create_participant(session, name="Ann Example", email="ann@example.org", today=TODAY).id

    # Finance sets the project up and names its manager, who is then assigned to it.
    created = client.post("/api/v1/projects", headers=finance, json={
        "code": "adv-2025", "name": "Advisory group", "cost_centre": "ASC-104", "budget_pence": 1_250_000,
        "starts_on": "2025-04-01", "ends_on": "2026-03-31", "project_manager_user_id": pm_id,
    })
    assert created.status_code == 201, created.json
    assert created.json["accounts"] == {"fees": "fees:project:ADV-2025", "expenses": "expenses:project:ADV-2025"}
    activity = client.post("/api/v1/projects/ADV-2025/activities", headers=headers, json={
        "kind": "interview_panel", "occurs_on": "2025-06-04", "duration_minutes": 180, "preparation_minutes": 60,
        "region": "london", "location": "Town Hall, Islington",
    })
    assert activity.status_code == 201, activity.json
    url = f"/api/v1/activities/{activity.json['id']}/attendance"
    attended = client.post(url, headers=headers, json={"participant_id": ann, "with_supporter": True})
    assert attended.status_code == 201, attended.json
    assert attended.json["minutes_attended"] == 180
    assert client.post(url, headers=headers, json={"participant_id": ann}).status_code == 409
    assert [a["participant_id"] for a in client.get(url, headers=headers).json] == [ann]
    listed = client.get("/api/v1/projects/adv-2025/activities", headers=headers)
    assert [a["id"] for a in listed.json] == [activity.json["id"]]
    patched = client.patch("/api/v1/projects/ADV-2025", headers=headers, json={"budget_pence": 1_300_000})
    assert patched.json["budget_pence"] == 1_300_000


def test_bad_input_unknown_ids_and_duplicates_get_clear_errors(app, client):
    headers = bearer(api_token_for(app, add_user(app, "fin@example.org", ["finance"])))
    bad = client.post("/api/v1/projects", headers=headers, json={
        "code": "X", "name": "X", "cost_centre": "C", "budget_pence": 12.5, "starts_on": "someday"})
    assert bad.status_code == 400
    assert set(bad.json["error"]["fields"]) == {"budget_pence", "starts_on"}
    good = {"code": "X", "name": "X", "cost_centre": "C", "budget_pence": 0, "starts_on": "2025-04-01"}
    assert client.post("/api/v1/projects", headers=headers, json=good).status_code == 201
    assert client.post("/api/v1/projects", headers=headers, json=good).status_code == 409
    early = client.post("/api/v1/projects/X/activities", headers=headers, json={
        "kind": "writing", "occurs_on": "2025-03-01", "duration_minutes": 60, "region": "uk"})
    assert early.status_code == 400 and "occurs_on" in early.json["error"]["fields"]
    assert client.get("/api/v1/projects/NOPE", headers=headers).status_code == 404
    assert client.get("/api/v1/activities/999999", headers=headers).status_code == 404
    assert client.post("/api/v1/activities/999999/attendance", headers=headers,
                       json={"participant_id": 1}).status_code == 404


def test_participants_cannot_manage_projects(app, client):
    own = bearer(api_token_for(app, add_user(app, "ann@example.org", ["participant"])))
    assert client.get("/api/v1/projects", headers=own).status_code == 403
    body = {"code": "X", "name": "X", "cost_centre": "C", "budget_pence": 0, "starts_on": "2025-04-01"}
    assert client.post("/api/v1/projects", headers=own, json=body).status_code == 403
