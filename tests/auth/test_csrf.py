"""Every form carries a CSRF token; the JSON API uses bearer tokens instead and never the login cookie."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ledger import create_app
from ledger.auth.models import ApiToken
from ledger.books.models import LockedPeriod
from tests.factories import PASSWORD, add_user, api_token_for, bearer, csrf_token_in, database


@pytest.fixture
def csrf_app(database_url):
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "WTF_CSRF_ENABLED": True,
                      "SECRET_KEY": "test-secret-key-test-secret-key-0123456789"})
    yield app
    app.extensions["engine"].dispose()


@pytest.fixture
def finance(csrf_app) -> int:
    return add_user(csrf_app, "fin@example.org", ["finance"])


def _sign_in(client) -> None:
    token = csrf_token_in(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": "fin@example.org", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def _count(app, model) -> int:
    with database(app) as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_login_without_the_form_token_is_refused(csrf_app, finance):
    client = csrf_app.test_client()
    response = client.post("/login", data={"email": "fin@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert "The CSRF token is missing." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_login_with_the_token_from_the_form_works(csrf_app, finance):
    client = csrf_app.test_client()
    _sign_in(client)
    assert client.get("/", follow_redirects=True).status_code == 200


def test_a_token_from_another_session_is_refused(csrf_app, finance):
    other = csrf_app.test_client()
    stolen = csrf_token_in(other.get("/login").get_data(as_text=True))
    client = csrf_app.test_client()
    client.get("/login")
    response = client.post("/login", data={"email": "fin@example.org", "password": PASSWORD, "csrf_token": stolen})
    assert response.status_code == 400


def test_logout_without_the_token_is_refused_and_leaves_the_user_signed_in(csrf_app, finance):
    client = csrf_app.test_client()
    _sign_in(client)
    assert client.post("/logout").status_code == 400
    assert client.get("/", follow_redirects=True).status_code == 200
    token = csrf_token_in(client.get("/", follow_redirects=True).get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_locking_a_month_without_the_token_is_refused_and_locks_nothing(csrf_app, finance):
    client = csrf_app.test_client()
    _sign_in(client)
    assert client.post("/books/periods/lock", data={"month": "2025-04"}).status_code == 400
    assert _count(csrf_app, LockedPeriod) == 0
    token = csrf_token_in(client.get("/books/periods").get_data(as_text=True))
    response = client.post("/books/periods/lock", data={"month": "2025-04", "reason": "Reconciled",
                                                          "csrf_token": token})
    assert response.status_code == 302
    assert _count(csrf_app, LockedPeriod) == 1


def test_creating_an_api_token_without_the_form_token_is_refused(csrf_app, finance):
    client = csrf_app.test_client()
    _sign_in(client)
    assert client.post("/account/tokens", data={"name": "payroll export"}).status_code == 400
    assert _count(csrf_app, ApiToken) == 0
    token = csrf_token_in(client.get("/account/tokens").get_data(as_text=True))
    response = client.post("/account/tokens", data={"name": "payroll export", "csrf_token": token})
    assert response.status_code == 200
    assert _count(csrf_app, ApiToken) == 1


def test_revoking_an_api_token_without_the_form_token_is_refused(csrf_app, finance):
    token = api_token_for(csrf_app, finance)
    with database(csrf_app) as session:
        token_id = session.execute(select(ApiToken.id)).scalar_one()
    client = csrf_app.test_client()
    _sign_in(client)
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 400
    assert client.get("/api/v1/accounts", headers=bearer(token)).status_code == 200


def test_json_api_with_a_bearer_token_needs_no_csrf_token(csrf_app, finance):
    client = csrf_app.test_client()
    response = client.post("/api/v1/accounts", headers=bearer(api_token_for(csrf_app, finance)),
                           json={"code": "bank", "name": "Bank", "type": "asset", "unit": "GBP"})
    assert response.status_code == 201


def test_json_api_never_accepts_the_login_cookie_alone(csrf_app, finance):
    client = csrf_app.test_client()
    _sign_in(client)
    assert client.get("/", follow_redirects=True).status_code == 200
    read = client.get("/api/v1/accounts")
    assert read.status_code == 401
    assert read.headers["WWW-Authenticate"] == "Bearer"
    assert read.json["error"]["code"] == "unauthenticated"
    write = client.post("/api/v1/accounts", json={"code": "bank", "name": "Bank", "type": "asset", "unit": "GBP"})
    assert write.status_code == 401
    assert client.post("/api/v1/tokens", json={"name": "sneaky"}).status_code == 401
    assert _count(csrf_app, ApiToken) == 0
