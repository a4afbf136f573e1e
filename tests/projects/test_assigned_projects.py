"""A project manager sees and acts on only the projects assigned to them (their claims and receipts included);
every other project, activity or claim answers 404, on every route a project manager can reach. Finance or an
administrator assigns; a project manager can never assign someone else's project to themselves (a project they
set up themselves is theirs from the start)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from ledger.claims import advances
from ledger.events.writer import events_of
from ledger.projects import assignments
from ledger.projects import services as projects
from tests.factories import (
    MEETING_DAY,
    ClaimsWorld,
    add_user,
    api_token_for,
    bearer,
    claims_world,
    database,
    draft_fee,
    make_activity,
    make_participant,
    make_project,
    make_user,
    set_today,
    sign_in,
)

NOT_YOURS = "There is no such record, or it is not yours to see."
V1 = "/api/v1"


@dataclass
class TwoProjects:
    world: ClaimsWorld  # GUIDE, managed by Pam (pm@example.org)
    other_activity: int  # in OTHER, which nobody assigned to Pam
    other_claim: int
    guide_claim: int
    pam: dict[str, str]
    finance: dict[str, str]


@pytest.fixture
def two(app) -> TwoProjects:
    with database(app) as session:
        world = claims_world(session)
        make_project(session, "OTHER", name="Another team's project")
        other = make_activity(session, "OTHER", title="Someone else's meeting").id
        projects.record_attendance(session, other, world.ann, today=MEETING_DAY)
        other_claim = draft_fee(session, world, activity=other)
        guide_claim = draft_fee(session, world)
    return TwoProjects(world, other, other_claim, guide_claim, bearer(api_token_for(app, world.manager)),
                       bearer(api_token_for(app, world.finance)))


def _api_routes(two: TwoProjects) -> list[tuple[str, str, dict | None]]:
    """Every API route a project manager can reach, pointed into the project not assigned to them."""
    a, c, ann = two.other_activity, two.other_claim, two.world.ann
    return [
        ("GET", "/projects/OTHER", None), ("PATCH", "/projects/OTHER", {"name": "Mine now"}),
        ("GET", "/projects/OTHER/activities", None),
        ("POST", "/projects/OTHER/activities", {"kind": "review", "occurs_on": "2025-06-10", "duration_minutes": 60,
                                                "region": "uk"}),
        ("GET", f"/activities/{a}", None), ("GET", f"/activities/{a}/attendance", None),
        ("POST", f"/activities/{a}/attendance", {"participant_id": two.world.teen}),
        ("GET", "/projects/OTHER/budget", None),
        ("PUT", "/projects/OTHER/budget", {"lines": [{"kind": "fees", "amount_pence": 100}]}),
        ("POST", "/projects/OTHER/budget/plan", {"participants": 1, "meetings": 1, "meeting_hours": "1"}),
        ("GET", "/projects/OTHER/budget-report.pdf", None), ("GET", "/projects/OTHER/managers", None),
        ("POST", "/claims/fee", {"activity_id": a, "participant_id": two.world.teen}),
        ("POST", "/claims/expense", {"participant_id": ann, "activity_id": a, "idempotency_key": "x",
                                     "lines": [{"category": "public_transport", "description": "Bus",
                                                "amount": "2.50"}]}),
        ("POST", "/claims/time-credits", {"participant_id": ann, "project_code": "OTHER", "idempotency_key": "y",
                                          "hours": "2"}),
        ("GET", f"/claims/{c}", None), ("GET", f"/claims/{c}/receipts/1", None),
        ("POST", f"/claims/{c}/choice", {"choice": "take"}),
        ("POST", f"/claims/{c}/choice-preview", {"choice": "take"}),
        ("POST", f"/claims/{c}/submit", None), ("POST", f"/claims/{c}/cancel", {"reason": "Not mine"}),
        ("POST", "/advances/requests", {"participant_id": ann, "project_code": "other", "amount": "40.00",
                                        "purpose": "Train", "settle_by": "2025-06-20"}),
        ("POST", "/advances/requests", {"participant_id": ann, "activity_id": a, "amount": "40.00",
                                        "purpose": "Train", "settle_by": "2025-06-20"}),
    ]


def test_every_api_route_answers_404_for_a_project_not_assigned(app, client, two):
    for method, path, body in _api_routes(two):
        answer = client.open(V1 + path, method=method, json=body, headers=two.pam)
        assert (method, path, answer.status_code) == (method, path, 404), answer.get_data(as_text=True)[:300]
        assert answer.json["error"]["message"] == NOT_YOURS, path
    upload = client.post(f"{V1}/claims/{two.other_claim}/lines/1/receipts", headers=two.pam,
                         data={"file": (b"%PDF-1.4", "r.pdf")}, content_type="multipart/form-data")
    assert upload.status_code == 404 and upload.json["error"]["message"] == NOT_YOURS
    with database(app) as session:
        assert projects.get_project(session, "OTHER").name == "Another team's project"
        assert len(projects.list_activities(session, "OTHER")) == 1


def test_the_same_routes_work_for_finance(client, two):
    for method, path, _body in _api_routes(two):
        if method == "GET" and "receipts" not in path:
            assert client.get(V1 + path, headers=two.finance).status_code == 200, path


def test_lists_show_only_assigned_projects_and_their_claims(client, two):
    listed = client.get(f"{V1}/projects", headers=two.pam).json
    assert [p["code"] for p in listed] == ["GUIDE"]
    claims = client.get(f"{V1}/claims", headers=two.pam).json
    assert [c["id"] for c in claims] == [two.guide_claim]
    assert client.get(f"{V1}/claims?project_code=OTHER", headers=two.pam).json == []
    assert [p["code"] for p in client.get(f"{V1}/projects", headers=two.finance).json] == ["GUIDE", "OTHER"]
    assert client.get(f"{V1}/claims/{two.guide_claim}", headers=two.pam).status_code == 200


def test_every_page_answers_404_for_a_project_not_assigned(app, client, two):
    sign_in(client, "pm@example.org")
    page = client.get("/projects").get_data(as_text=True)
    assert "GUIDE" in page and "OTHER" not in page
    a, c = two.other_activity, two.other_claim
    for method, path, data in [
        ("GET", "/projects/OTHER", None), ("GET", "/projects/OTHER/budget-report.pdf", None),
        ("POST", "/projects/OTHER/activities", {"kind": "review", "occurs_on": "2025-06-10",
                                                "duration_minutes": "60", "region": "uk"}),
        ("GET", f"/activities/{a}", None), ("POST", f"/activities/{a}/attendance", {"participant_id": "1"}),
        ("POST", f"/activities/{a}/participants/{two.world.teen}/fee", None),
        ("POST", f"/activities/{a}/claims/{c}/submit", None),
        ("POST", "/finance/advances/request", {"participant_id": str(two.world.ann), "project_code": "OTHER",
                                               "amount": "40.00", "purpose": "Train", "settle_by": "2025-06-20"}),
    ]:
        answer = client.open(path, method=method, data=data)
        assert (path, answer.status_code) == (path, 404)
    assert client.get("/projects/GUIDE").status_code == 200
    assert client.get(f"/activities/{two.world.activity_id}").status_code == 200


def test_a_project_manager_cannot_assign_a_project_to_themselves(app, client, two):
    for code in ("OTHER", "GUIDE", "NOSUCH"):
        refused = client.post(f"{V1}/projects/{code}/managers", json={"user_id": two.world.manager}, headers=two.pam)
        assert refused.status_code == 403, code
    changed = client.patch(f"{V1}/projects/GUIDE", json={"project_manager_user_id": two.world.manager},
                           headers=two.pam)
    assert changed.status_code == 403
    for_someone_else = client.post(f"{V1}/projects", headers=two.pam, json={
        "code": "THEIRS", "name": "Theirs", "cost_centre": "CC1", "budget_pence": 0, "starts_on": "2025-04-01",
        "project_manager_user_id": two.world.finance})
    assert for_someone_else.status_code == 403
    assert "project_manager_user_id" in for_someone_else.json["error"]["fields"]
    created = client.post(f"{V1}/projects", headers=two.pam, json={
        "code": "MINE", "name": "Mine", "cost_centre": "CC1", "budget_pence": 0, "starts_on": "2025-04-01"})
    assert created.status_code == 201 and created.json["project_manager_user_id"] == two.world.manager
    assert client.get(f"{V1}/projects/MINE", headers=two.pam).status_code == 200
    assert [m["user_id"] for m in client.get(f"{V1}/projects/MINE/managers", headers=two.finance).json] == [
        two.world.manager]
    both = add_user(app, "finpm@example.org", ["finance", "project_manager"])
    self_assigned = client.post(f"{V1}/projects/OTHER/managers", json={"user_id": both},
                                headers=bearer(api_token_for(app, both)))
    assert self_assigned.status_code == 403
    assert self_assigned.json["error"]["fields"] == {"user_id": ["yourself"]}
    assert client.get(f"{V1}/projects/OTHER/managers", headers=two.finance).json == []


def test_finance_assigns_and_unassigns_and_the_manager_sees_it_at_once(app, client, two):
    assigned = client.post(f"{V1}/projects/OTHER/managers", json={"user_id": two.world.manager}, headers=two.finance)
    assert assigned.status_code == 201
    assert [m["email"] for m in assigned.json] == ["pm@example.org"]
    assert client.get(f"{V1}/projects/OTHER", headers=two.pam).status_code == 200
    assert client.get(f"{V1}/claims/{two.other_claim}", headers=two.pam).status_code == 200
    again = client.post(f"{V1}/projects/OTHER/managers", json={"user_id": two.world.manager}, headers=two.finance)
    assert again.status_code == 409
    not_a_manager = client.post(f"{V1}/projects/OTHER/managers", json={"user_id": two.world.carer_user},
                                headers=two.finance)
    assert not_a_manager.status_code == 400 and "user_id" in not_a_manager.json["error"]["fields"]
    removed = client.delete(f"{V1}/projects/OTHER/managers/{two.world.manager}", headers=two.finance)
    assert removed.status_code == 200 and removed.json == []
    assert client.get(f"{V1}/projects/OTHER", headers=two.pam).status_code == 404
    with database(app) as session:
        actions = [(e.action, e.actor_user_id, e.details["project_code"])
                   for e in events_of(session, "user", two.world.manager) if e.action.endswith("project")]
    assert actions == [("assign_project", None, "GUIDE"), ("assign_project", two.world.finance, "OTHER"),
                       ("unassign_project", two.world.finance, "OTHER")]


def test_finance_assigns_on_the_project_page(app, client, two):
    sign_in(client, "fin@example.org")
    page = client.get("/projects/OTHER").get_data(as_text=True)
    assert "No project manager is assigned." in page and "Pam (pm@example.org)" in page
    done = client.post("/projects/OTHER/managers", data={"user_id": str(two.world.manager)})
    assert done.status_code == 302
    assert "Take Pam off this project" in client.get("/projects/OTHER").get_data(as_text=True)
    pm = app.test_client()
    sign_in(pm, "pm@example.org")
    assert "OTHER" in pm.get("/projects").get_data(as_text=True)
    assert pm.post("/projects/OTHER/managers", data={"user_id": str(two.world.manager)}).status_code == 403


def test_the_cli_assigns_several_managers_at_once_or_none(app, runner, two):
    with database(app) as session:
        make_user(session, "pat@example.org", ["project_manager"], display_name="Pat")
    done = runner.invoke(args=["ledger", "assign-project", "other", "pm@example.org", "pat@example.org",
                               "--by", "fin@example.org"])
    assert done.exit_code == 0, done.output
    assert "OTHER is managed by: pm@example.org, pat@example.org." in done.output  # Pam, then Pat
    refused = runner.invoke(args=["ledger", "assign-project", "GUIDE", "pat@example.org", "pm@example.org",
                                  "--by", "fin@example.org"])
    assert refused.exit_code == 1 and "already assigned" in refused.output
    with database(app) as session:
        assert [u.email for u in assignments.managers_of(session, "GUIDE")] == ["pm@example.org"]


def test_a_project_managers_participant_directory_holds_only_their_projects_people_and_the_unplaced(app, client,
                                                                                                    two):
    with database(app) as session:
        olu = make_participant(session, "Olu Other").id
        projects.record_attendance(session, two.other_activity, olu, today=MEETING_DAY)
        nia = make_participant(session, "Nia New").id  # in no project yet: Pam may add her to a meeting
    names = {p["name"] for p in client.get(f"{V1}/participants", headers=two.pam).json}
    everyone = {p["name"] for p in client.get(f"{V1}/participants", headers=two.finance).json}

    assert names == {"Ann Jones", "Siân Evans", "Kai Brown", "Nia New"}
    assert everyone == names | {"Olu Other"}
    sign_in(client, "pm@example.org")
    page = client.get(f"/activities/{two.world.activity_id}").get_data(as_text=True)
    assert f'value="{nia}"' in page and f'value="{olu}"' not in page


def test_a_project_manager_asks_for_an_advance_only_in_their_projects_and_sees_no_one_elses(app, client, two):
    set_today(app, MEETING_DAY)
    with database(app) as session:
        elsewhere = advances.request_advance(session, participant_id=two.world.ann, project_code="OTHER",
                                             amount="12.00", purpose="Parking at the other team's venue",
                                             settle_by=dt.date(2025, 6, 20), today=MEETING_DAY,
                                             actor_user_id=two.world.finance)
    body = {"participant_id": two.world.ann, "project_code": "GUIDE", "amount": "40.00", "purpose": "Train",
            "settle_by": "2025-06-20"}
    asked = client.post(f"{V1}/advances/requests", json=body, headers=two.pam)
    assert asked.status_code == 201, asked.json
    assert asked.json["project_code"] == "GUIDE"

    sign_in(client, "pm@example.org")
    refused = client.post("/finance/advances/request", data={**body, "amount": "lots"})
    assert refused.status_code in (400, 409)
    assert "Parking at the other team's venue" not in refused.get_data(as_text=True)
    with database(app) as session:
        assert {a.id for a in advances.list_advances(session, today=MEETING_DAY)} == {elsewhere.id, asked.json["id"]}
