"""Signing in and out of the pages with the login cookie."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest

from ledger.auth.models import User
from ledger.context import reload_settings
from tests.factories import PASSWORD, add_user, database, sign_in


@pytest.fixture
def finance(app) -> int:
    return add_user(app, "fin@example.org", ["finance"])


def test_login_page_shows_the_form(client):
    page = client.get("/login")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'autocomplete="username"' in html
    assert 'type="password"' in html


def test_pages_send_a_visitor_who_is_not_signed_in_to_the_login_page(client):
    response = client.get("/books/trial-balance")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/books/trial-balance")


def test_signing_in_sets_a_cookie_that_opens_the_pages(client, finance):
    response = sign_in(client, "fin@example.org")
    assert response.status_code == 302
    assert response.headers["Location"] == "/finance"  # finance lands on its dashboard
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only
    home = client.get("/", follow_redirects=True)
    assert home.status_code == 200
    assert '<h1 class="govuk-heading-l">Finance dashboard</h1>' in home.get_data(as_text=True)


def test_wrong_password_gets_a_401_page_that_says_what_to_do(client, finance):
    response = sign_in(client, "fin@example.org", "not the right one")
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert "That email address and password do not match. Check them and try again." in html
    assert "not the right one" not in html
    assert client.get("/").status_code == 302


def test_unknown_email_gets_exactly_the_same_answer_as_a_wrong_password(client, finance):
    wrong_password = sign_in(client, "fin@example.org", "not the right one").get_data(as_text=True)
    unknown_email = sign_in(client, "nobody@example.org", "not the right one").get_data(as_text=True)
    assert unknown_email.replace("nobody@example.org", "fin@example.org") == wrong_password


@pytest.mark.parametrize("limit", [2, 3])
def test_after_too_many_failures_even_the_right_password_waits(app, client, finance, limit):
    app.config["LOGIN_MAX_FAILURES"] = limit
    reload_settings(app)
    for _ in range(limit):
        assert sign_in(client, "fin@example.org", "not the right one").status_code == 401
    refused = sign_in(client, "fin@example.org")
    assert refused.status_code == 429
    assert "Too many failed sign-in attempts" in refused.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_failures_for_one_email_lock_it_from_another_client_too(app, finance):
    app.config["LOGIN_MAX_FAILURES"] = 2
    reload_settings(app)
    attacker = app.test_client()
    for _ in range(2):
        sign_in(attacker, "fin@example.org", "not the right one", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    owner = app.test_client()
    assert sign_in(owner, "fin@example.org", environ_base={"REMOTE_ADDR": "198.51.100.1"}).status_code == 429


def test_one_client_guessing_many_emails_is_stopped_at_the_higher_address_limit(app, finance):
    app.config.update(LOGIN_MAX_FAILURES=2, LOGIN_ADDRESS_MAX_FAILURES=4)
    reload_settings(app)
    attacker = app.test_client()
    for n in range(4):
        sign_in(attacker, f"guess{n}@example.org", "not the right one", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    refused = sign_in(attacker, "fin@example.org", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert refused.status_code == 429
    elsewhere = sign_in(app.test_client(), "fin@example.org", environ_base={"REMOTE_ADDR": "198.51.100.1"})
    assert elsewhere.status_code == 302


def test_logout_needs_a_post(client, finance):
    sign_in(client, "fin@example.org")
    assert client.get("/logout").status_code == 405
    assert client.get("/", follow_redirects=True).status_code == 200
    response = client.post("/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("target", ["/books/trial-balance", "/books/periods?x=1"])
def test_next_sends_the_user_back_to_the_page_they_wanted(client, finance, target):
    response = sign_in(client, "fin@example.org", query_string={"next": target})
    assert response.headers["Location"] == target


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "///evil.example/", "/\\evil.example/", "\\\\evil.example",
    "/\t/evil.example", "javascript:alert(1)", "evil.example",
])
def test_next_never_sends_the_user_to_another_site(client, finance, target):
    response = sign_in(client, "fin@example.org", query_string={"next": target})
    assert response.status_code == 302
    # Resolve the answer as a browser would: a backslash reads as a slash, tabs and newlines vanish.
    location = response.headers["Location"].replace("\\", "/")
    location = "".join(c for c in location if c not in "\t\n\r")
    assert urlsplit(urljoin("http://ledger.example/login", location)).netloc == "ledger.example"


def test_inactive_user_cannot_sign_in(app, client):
    add_user(app, "gone@example.org", ["finance"], active=False)
    response = sign_in(client, "gone@example.org")
    assert response.status_code == 401
    assert client.get("/").status_code == 302


def test_deactivating_a_user_ends_their_signed_in_session(app, client, finance):
    sign_in(client, "fin@example.org")
    assert client.get("/books/trial-balance").status_code == 200
    with database(app) as session:
        session.get(User, finance).is_active = False
    assert client.get("/books/trial-balance").status_code == 302


def test_password_is_never_echoed_back_into_the_form(client, finance):
    html = sign_in(client, "fin@example.org", PASSWORD + "x").get_data(as_text=True)
    assert PASSWORD not in html
