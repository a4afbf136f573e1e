"""Your API tokens over JSON: issued once, stored hashed, revocable, and only ever your own."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ledger.auth import users
from ledger.auth.models import ApiToken, User
from tests.factories import add_user, api_token_for, bearer, database


@pytest.fixture
def finance(app) -> int:
    return add_user(app, "fin@example.org", ["finance"])


@pytest.fixture
def first_token(app, finance) -> str:
    return api_token_for(app, finance, "set up by hand")


def _issue(app, user_id: int, name: str):
    """A new token, made as the tokens page makes one (a token cannot make tokens)."""
    with database(app) as session:
        return users.issue_token(session, user_id, name)


def test_new_token_is_shown_once_and_only_its_sha256_is_stored(app, client, finance, first_token):
    token = _issue(app, finance, "payroll export").token
    assert token.startswith("lgr_")
    with database(app) as session:
        row = session.execute(select(ApiToken).where(ApiToken.name == "payroll export")).scalar_one()
        stored = " ".join(str(getattr(row, column.key)) for column in ApiToken.__table__.columns)
    assert token not in stored
    listed = client.get("/api/v1/tokens", headers=bearer(first_token))
    assert listed.status_code == 200
    assert [t["name"] for t in listed.json] == ["set up by hand", "payroll export"]
    assert token not in listed.get_data(as_text=True)
    assert all("token" not in t and "token_hash" not in t for t in listed.json)


def test_a_token_cannot_create_tokens(app, client, first_token):
    refused = client.post("/api/v1/tokens", json={"name": "payroll export", "expires_in_days": 366},
                          headers=bearer(first_token))
    assert refused.status_code == 403
    assert refused.json["error"]["message"] == (
        "An API token cannot create API tokens. Sign in with your password and create one on your API tokens "
        "page (/account/tokens).")
    with database(app) as session:
        assert session.execute(select(ApiToken.name)).scalars().all() == ["set up by hand"]


def test_new_token_authenticates_api_calls(app, client, finance):
    token = _issue(app, finance, "payroll export").token
    assert client.get("/api/v1/trial-balance", headers=bearer(token)).status_code == 200


def test_revoked_token_is_refused_afterwards(app, client, finance, first_token):
    issued = _issue(app, finance, "payroll export")
    assert client.get("/api/v1/accounts", headers=bearer(issued.token)).status_code == 200
    revoked = client.delete(f"/api/v1/tokens/{issued.id}", headers=bearer(first_token))
    assert revoked.status_code == 204
    refused = client.get("/api/v1/accounts", headers=bearer(issued.token))
    assert refused.status_code == 401
    assert refused.json["error"]["code"] == "unauthenticated"
    listed = {t["name"]: t for t in client.get("/api/v1/tokens", headers=bearer(first_token)).json}
    assert listed["payroll export"]["revoked_at"] is not None
    assert listed["set up by hand"]["revoked_at"] is None


def test_a_token_may_revoke_itself(client, first_token):
    mine = client.get("/api/v1/tokens", headers=bearer(first_token)).json[0]["id"]
    assert client.delete(f"/api/v1/tokens/{mine}", headers=bearer(first_token)).status_code == 204
    assert client.get("/api/v1/tokens", headers=bearer(first_token)).status_code == 401


def test_a_user_cannot_revoke_another_users_token(app, client, first_token):
    other = add_user(app, "pm@example.org", ["project_manager"])
    others_token = api_token_for(app, other, "their export")
    with database(app) as session:
        others_id = session.execute(select(ApiToken.id).where(ApiToken.user_id == other)).scalar_one()
    refused = client.delete(f"/api/v1/tokens/{others_id}", headers=bearer(first_token))
    assert refused.status_code == 404
    assert refused.json["error"]["message"] == f"You have no API token {others_id}."
    assert client.get("/api/v1/tokens", headers=bearer(others_token)).status_code == 200


def test_token_list_shows_only_your_own(app, client, first_token):
    other = add_user(app, "pm@example.org", ["project_manager"])
    api_token_for(app, other, "their export")
    assert [t["name"] for t in client.get("/api/v1/tokens", headers=bearer(first_token)).json] == ["set up by hand"]


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "x" * 101}, {"name": 7}])
def test_token_needs_a_name(client, first_token, body):
    refused = client.post("/api/v1/tokens", json=body, headers=bearer(first_token))
    assert refused.status_code == 400
    assert "name" in refused.json["error"]["fields"]


def test_inactive_users_tokens_stop_working(app, client, finance, first_token):
    with database(app) as session:
        session.get(User, finance).is_active = False
    assert client.get("/api/v1/tokens", headers=bearer(first_token)).status_code == 401


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer ", "Basic Zm9vOmJhcg==", "Bearer lgr_made-up",
                                    "Token {token}", "{token}"])
def test_anything_but_a_valid_bearer_token_is_refused(client, first_token, header):
    response = client.get("/api/v1/tokens", headers={"Authorization": header.format(token=first_token)})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
