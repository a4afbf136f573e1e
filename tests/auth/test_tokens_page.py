"""Each user's own API tokens, on the page: shown once, stored hashed, revocable."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from ledger.auth.models import ApiToken
from tests.factories import add_user, api_token_for, bearer, database, sign_in


@pytest.fixture
def finance(app) -> int:
    return add_user(app, "fin@example.org", ["finance"])


def _new_token_on_the_page(client, name="payroll export") -> str:
    page = client.post("/account/tokens", data={"name": name})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "it will not be shown again" in html
    return re.search(r'<code id="new-token">([^<]+)</code>', html).group(1)


def test_token_created_on_the_page_is_shown_once_and_stored_only_hashed(app, client, finance):
    sign_in(client, "fin@example.org")
    token = _new_token_on_the_page(client)
    with database(app) as session:
        row = session.execute(select(ApiToken)).scalar_one()
        stored = " ".join(str(getattr(row, column.key)) for column in ApiToken.__table__.columns)
    assert token not in stored
    assert row.user_id == finance and row.name == "payroll export"
    again = client.get("/account/tokens").get_data(as_text=True)
    assert token not in again
    assert "payroll export" in again and "Active" in again


def test_token_from_the_page_opens_the_api(client, finance):
    sign_in(client, "fin@example.org")
    token = _new_token_on_the_page(client)
    api = client.application.test_client()  # no cookie
    assert api.get("/api/v1/accounts", headers=bearer(token)).status_code == 200


def test_token_revoked_on_the_page_stops_working(app, client, finance):
    sign_in(client, "fin@example.org")
    token = _new_token_on_the_page(client)
    with database(app) as session:
        token_id = session.execute(select(ApiToken.id)).scalar_one()
    response = client.post(f"/account/tokens/{token_id}/revoke", follow_redirects=True)
    assert "The token has been revoked" in response.get_data(as_text=True)
    assert "Revoked" in response.get_data(as_text=True)
    assert app.test_client().get("/api/v1/accounts", headers=bearer(token)).status_code == 401


def test_the_page_lists_only_your_own_tokens(app, client, finance):
    other = add_user(app, "pm@example.org", ["project_manager"])
    api_token_for(app, other, "someone else's export")
    sign_in(client, "fin@example.org")
    html = client.get("/account/tokens").get_data(as_text=True)
    assert "someone else" not in html
    assert "You have no tokens." in html


def test_revoking_someone_elses_token_on_the_page_is_not_found(app, client, finance):
    other = add_user(app, "pm@example.org", ["project_manager"])
    token = api_token_for(app, other)
    with database(app) as session:
        token_id = session.execute(select(ApiToken.id)).scalar_one()
    sign_in(client, "fin@example.org")
    response = client.post(f"/account/tokens/{token_id}/revoke")
    assert response.status_code == 404
    assert "text/html" in response.content_type
    assert app.test_client().get("/", headers=bearer(token), follow_redirects=True).status_code == 200


def test_every_role_may_keep_api_tokens(app, client):
    add_user(app, "ann@example.org", ["participant"])
    sign_in(client, "ann@example.org")
    assert client.get("/account/tokens").status_code == 200
    assert _new_token_on_the_page(client).startswith("lgr_")
