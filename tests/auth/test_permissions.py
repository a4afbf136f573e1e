"""One permission mechanism: every route says who may use it, and a participant reaches only their own."""

from __future__ import annotations

import pytest
from flask import Flask

from ledger.auth.access import public, requires
from ledger.auth.permissions import PERMISSIONS
from tests.factories import add_user, api_token_for, bearer, participant_of, sign_in

# Endpoints that are not ours to guard: static files and the OpenAPI document flask-smorest serves.
NOT_OURS = ("static", "assets.static")  # the app's static files and the built design system
NOT_OURS_PREFIXES = ("api-docs.",)

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def _unguarded(app: Flask) -> list[str]:
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NOT_OURS or rule.endpoint.startswith(NOT_OURS_PREFIXES):
            continue
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        if view_class is None:
            if getattr(view, "permission", None) not in (*PERMISSIONS, "public"):
                missing.append(rule.endpoint)
            continue
        for method in HTTP_METHODS:
            handler = getattr(view_class, method, None)
            if handler is not None and getattr(handler, "permission", None) not in (*PERMISSIONS, "public"):
                missing.append(f"{rule.endpoint} {method.upper()}")
    return missing


def test_every_route_declares_who_may_use_it(app):
    assert len(list(app.url_map.iter_rules())) > 10
    assert _unguarded(app) == []


def test_the_walk_notices_a_route_nobody_guarded(app):
    app.add_url_rule("/forgotten", "forgotten", lambda: "oops")
    assert _unguarded(app) == ["forgotten"]


def test_an_unknown_permission_is_a_mistake_caught_at_import():
    with pytest.raises(KeyError, match="unknown permission"):
        requires("books.delete")


def test_public_marks_the_view_on_purpose():
    @public
    def open_door():
        return "hello"

    assert open_door.permission == "public"


# ---------------------------------------------------------------- roles and the books


EMAIL = {role: f"{role.replace('_', '-')}@example.org" for role in
         ("admin", "finance", "project_manager", "participant")}


@pytest.fixture
def people(app) -> dict[str, int]:
    return {role: add_user(app, email, [role]) for role, email in EMAIL.items()}


@pytest.mark.parametrize("role", ["participant", "project_manager"])
@pytest.mark.parametrize("path", ["/books/trial-balance", "/books/periods", "/books/accounts/bank"])
def test_books_pages_are_closed_to_participants_and_project_managers(app, client, people, role, path):
    sign_in(client, EMAIL[role])
    response = client.get(path)
    assert response.status_code == 403
    assert "Your role does not allow this." in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["participant", "project_manager"])
def test_locking_a_month_is_closed_to_participants_and_project_managers(app, client, people, role):
    sign_in(client, EMAIL[role])
    assert client.post("/books/periods/lock", data={"month": "2025-04"}).status_code == 403


@pytest.mark.parametrize("role", ["participant", "project_manager"])
@pytest.mark.parametrize("path", ["/api/v1/accounts", "/api/v1/trial-balance", "/api/v1/periods/locks",
                                  "/api/v1/entries/1"])
def test_books_api_is_closed_to_participants_and_project_managers(app, people, role, path):
    response = app.test_client().get(path, headers=bearer(api_token_for(app, people[role])))
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"


ACCOUNT = {"code": "bank", "name": "Bank", "type": "asset", "unit": "GBP"}


@pytest.mark.parametrize("role", ["participant", "project_manager", "admin"])
def test_only_finance_may_post_to_the_books(app, people, role):
    client = app.test_client()
    headers = bearer(api_token_for(app, people[role]))
    assert client.post("/api/v1/accounts", json=ACCOUNT, headers=headers).status_code == 403
    assert client.post("/api/v1/periods/locks", json={"month": "2025-04"}, headers=headers).status_code == 403
    finance = bearer(api_token_for(app, people["finance"]))
    assert client.post("/api/v1/accounts", json=ACCOUNT, headers=finance).status_code == 201


def test_admin_may_read_the_books_but_not_post(app, client, people):
    headers = bearer(api_token_for(app, people["admin"]))
    api = app.test_client()
    assert api.get("/api/v1/trial-balance", headers=headers).status_code == 200
    entry = {"effective_date": "2025-05-01", "description": "Fee", "idempotency_key": "k1",
             "postings": [{"account": "a", "amount": 1, "unit": "GBP"}, {"account": "b", "amount": -1, "unit": "GBP"}]}
    assert api.post("/api/v1/entries", json=entry, headers=headers).status_code == 403
    sign_in(client, EMAIL["admin"])
    assert client.get("/books/trial-balance").status_code == 200
    assert client.post("/books/periods/lock", data={"month": "2025-04"}).status_code == 403


def test_the_menu_offers_only_what_the_role_may_open(client, people):
    sign_in(client, EMAIL["participant"])
    assert "Trial balance" not in client.get("/", follow_redirects=True).get_data(as_text=True)
    client.post("/logout")
    sign_in(client, EMAIL["finance"])
    assert "Trial balance" in client.get("/", follow_redirects=True).get_data(as_text=True)


def _guarded_api_calls(app: Flask) -> list[tuple[str, str]]:
    """(method, url) for every guarded JSON API route, with 1 for each URL argument."""
    urls = app.url_map.bind("localhost")
    calls = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.endpoint.startswith(NOT_OURS_PREFIXES):
            continue
        view = app.view_functions[rule.endpoint]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            handler = getattr(view.view_class, method.lower()) if hasattr(view, "view_class") else view
            if handler.permission != "public":
                calls.append((method, urls.build(rule.endpoint, dict.fromkeys(rule.arguments, 1), method=method)))
    return calls


def test_every_api_route_refuses_a_stranger_before_reading_the_request(app):
    """Nobody learns what a request should look like before showing who they are."""
    client = app.test_client()
    calls = _guarded_api_calls(app)
    assert ("POST", "/api/v1/entries") in calls
    answers = {(method, url): client.open(url, method=method, json={"nonsense": True},
                                          query_string={"as_of": "not a date"}).status_code
               for method, url in calls}
    assert {call: status for call, status in answers.items() if status != 401} == {}


def test_every_api_route_refuses_a_wrong_role_before_reading_the_request(app, people):
    """A participant's token on a finance route is refused as such, not told how to fix the body."""
    client = app.test_client()
    headers = bearer(api_token_for(app, people["participant"]))
    entry = client.post("/api/v1/entries", json={"nonsense": True}, headers=headers)
    assert entry.status_code == 403
    lock = client.post("/api/v1/periods/locks", json={"month": "April"}, headers=headers)
    assert lock.status_code == 403


# ---------------------------------------------------------------- the own-record rule


@pytest.fixture
def records_app(app) -> Flask:
    """The app with one extra route reading a participant's record, guarded like the real ones."""

    @requires("participants.read", own_participant="participant_id")
    def participant_record(participant_id: int):
        return {"participant_id": participant_id}

    app.add_url_rule("/test/participants/<int:participant_id>", view_func=participant_record)
    return app


def test_participant_reaches_their_own_record(records_app, people):
    own_id = participant_of(records_app, people["participant"])
    client = records_app.test_client()
    sign_in(client, EMAIL["participant"])
    response = client.get(f"/test/participants/{own_id}")
    assert response.status_code == 200
    assert response.json == {"participant_id": own_id}


def test_participant_gets_not_found_for_anyone_elses_record(records_app, people):
    others_id = participant_of(records_app, add_user(records_app, "bob@example.org", ["participant"]))
    client = records_app.test_client()
    sign_in(client, EMAIL["participant"])
    for path in (f"/test/participants/{others_id}", "/test/participants/999999"):
        response = client.get(path)
        assert response.status_code == 404
        assert "There is no such record, or it is not yours to see." in response.get_data(as_text=True)


def test_participant_gets_not_found_through_the_api_too(records_app, people):
    others_id = participant_of(records_app, add_user(records_app, "bob@example.org", ["participant"]))
    own_id = participant_of(records_app, people["participant"])
    headers = bearer(api_token_for(records_app, people["participant"]))
    client = records_app.test_client()
    assert client.get(f"/test/participants/{own_id}", headers=headers).status_code == 200
    assert client.get(f"/test/participants/{others_id}", headers=headers).status_code == 404


def test_finance_reaches_every_participants_record(records_app, people):
    ids = [participant_of(records_app, people["participant"]),
           participant_of(records_app, add_user(records_app, "bob@example.org", ["participant"]))]
    client = records_app.test_client()
    sign_in(client, EMAIL["finance"])
    for participant_id in ids:
        assert client.get(f"/test/participants/{participant_id}").status_code == 200


def test_project_manager_is_refused_a_participants_record(records_app, people):
    own_id = participant_of(records_app, people["participant"])
    client = records_app.test_client()
    sign_in(client, EMAIL["project_manager"])
    assert client.get(f"/test/participants/{own_id}").status_code == 404


def test_participant_who_is_also_finance_reaches_everyone(records_app, people):
    both = add_user(records_app, "both@example.org", ["participant", "finance"])
    client = records_app.test_client()
    sign_in(client, "both@example.org")
    assert client.get(f"/test/participants/{participant_of(records_app, people['participant'])}").status_code == 200
    assert client.get(f"/test/participants/{participant_of(records_app, both)}").status_code == 200
