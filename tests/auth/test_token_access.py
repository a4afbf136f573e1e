"""API tokens expire, have a scope (read-only, or the holder's roles when used) and record when last used."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from ledger.auth import users
from ledger.auth.models import ApiToken
from ledger.errors import AuthenticationRequired
from tests.factories import add_user, api_token_for, bearer, database, sign_in


@pytest.fixture
def finance(app) -> int:
    return add_user(app, "fin@example.org", ["finance"])


@pytest.fixture
def token(app, finance) -> str:
    return api_token_for(app, finance, "set up by hand")


def _row(app, token_id: int) -> ApiToken:
    with database(app) as session:
        row = session.get(ApiToken, token_id)
        session.expunge(row)
        return row


def test_a_token_made_the_old_way_is_for_the_holders_roles_and_lasts_90_days(client, token):
    listed = client.get("/api/v1/tokens", headers=bearer(token)).json
    assert {"expires_at", "scope", "last_used_at"} <= set(listed[0]) and listed[0]["scope"] == "role"
    expires = dt.datetime.fromisoformat(listed[0]["expires_at"])
    assert abs(expires - (dt.datetime.now(dt.UTC) + dt.timedelta(days=90))) < dt.timedelta(minutes=1)


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "x", "expires_in_days": 0}, "expires_in_days"),
    ({"name": "x", "expires_in_days": 367}, "expires_in_days"),
    ({"name": "x", "expires_in_days": "30"}, "expires_in_days"),
    ({"name": "x", "scope": "admin"}, "scope"),
])
def test_bad_expiry_or_scope_names_the_field_and_issues_nothing(app, client, token, body, field):
    refused = client.post("/api/v1/tokens", json=body, headers=bearer(token))
    assert refused.status_code == 400
    assert list(refused.json["error"]["fields"]) == [field]
    with database(app) as session:
        assert len(session.execute(select(ApiToken)).scalars().all()) == 1


def test_an_expired_token_is_refused_with_a_clear_message(app, client, token):
    with database(app) as session:
        session.execute(select(ApiToken)).scalar_one().expires_at = dt.datetime(2025, 6, 1, 9, 30, tzinfo=dt.UTC)
    refused = client.get("/api/v1/accounts", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.json["error"] == {"code": "unauthenticated", "message": (
        "This API token expired on 01 June 2025 at 09:30 UTC. Create a new one on your tokens page.")}


def test_a_read_only_token_reads_but_may_not_change_anything(app, client, finance, token):
    with database(app) as session:
        issued = users.issue_token(session, finance, "dashboard", scope="read_only")
    read_only = issued.token
    assert client.get("/api/v1/accounts", headers=bearer(read_only)).status_code == 200
    refused = client.post("/api/v1/tokens", json={"name": "another"}, headers=bearer(read_only))
    assert refused.status_code == 403
    assert "read-only" in refused.json["error"]["message"]
    assert client.delete(f"/api/v1/tokens/{issued.id}", headers=bearer(read_only)).status_code == 403
    assert _row(app, issued.id).revoked_at is None
    with database(app) as session:
        assert len(session.execute(select(ApiToken)).scalars().all()) == 2


def test_a_role_token_acts_with_the_holders_roles_at_the_time_of_use(app, client, finance, token):
    assert client.get("/api/v1/accounts", headers=bearer(token)).status_code == 200
    with database(app) as session:
        users.set_roles(session, finance, ["project_manager"])
    assert client.get("/api/v1/accounts", headers=bearer(token)).status_code == 403


def test_last_use_is_recorded_at_most_once_a_minute(app, client, token):
    assert _row(app, 1).last_used_at is None
    client.get("/api/v1/accounts", headers=bearer(token))
    first = _row(app, 1).last_used_at
    assert first is not None and dt.datetime.now(dt.UTC) - first < dt.timedelta(minutes=1)
    client.get("/api/v1/accounts", headers=bearer(token))
    assert _row(app, 1).last_used_at == first
    with database(app) as session:
        users.use_token(session, token, now=first + dt.timedelta(seconds=59))
        assert session.get(ApiToken, 1).last_used_at == first
        users.use_token(session, token, now=first + dt.timedelta(seconds=61))
        assert session.get(ApiToken, 1).last_used_at == first + dt.timedelta(seconds=61)


def test_last_use_is_recorded_even_when_the_request_is_refused_for_its_role(app, client, token):
    client.get("/api/v1/users", headers=bearer(token))  # finance may not manage users: 403
    assert _row(app, 1).last_used_at is not None


def test_use_token_says_why_a_token_is_refused(app, finance, token):
    with database(app) as session:
        with pytest.raises(AuthenticationRequired, match="not valid or has been revoked"):
            users.use_token(session, "lgr_guess")
        row = session.get(ApiToken, 1)
        with pytest.raises(AuthenticationRequired, match="expired"):
            users.use_token(session, token, now=row.expires_at)


def test_the_tokens_page_makes_a_read_only_token_and_shows_expiry_and_last_use(app, client, finance, token):
    sign_in(client, "fin@example.org")
    client.get("/api/v1/accounts", headers=bearer(token))
    page = client.post("/account/tokens", data={"name": "dashboard", "scope": "read_only", "expires_in_days": 30})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "for reading only" in html and "Read only" in html and "Never" in html
    assert " UTC, " in html  # the first token's last use
    with database(app) as session:
        row = session.execute(select(ApiToken).where(ApiToken.name == "dashboard")).scalar_one()
        assert row.scope == "read_only"
        assert abs(row.expires_at - (dt.datetime.now(dt.UTC) + dt.timedelta(days=30))) < dt.timedelta(minutes=1)


def test_the_tokens_page_refuses_a_year_and_more_beside_the_field(app, client, finance):
    sign_in(client, "fin@example.org")
    page = client.post("/account/tokens", data={"name": "dashboard", "scope": "role", "expires_in_days": 400})
    assert page.status_code == 400
    error = re.search(r'id="expires_in_days-error"[^>]*>(.*?)</p>', page.get_data(as_text=True), re.S)
    assert error and " ".join(re.sub(r"<[^>]+>", "", error.group(1)).split()) == "Error: Enter 1 to 366 days."
    with database(app) as session:
        assert session.execute(select(ApiToken)).scalars().all() == []
