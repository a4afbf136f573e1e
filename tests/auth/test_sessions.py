"""Sign-ins that end: signing out ends every copy of the cookie, sessions time out when idle and after 12 hours,
and signing in starts a new session with a new CSRF token."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ledger.auth.models import User
from ledger.context import reload_settings
from ledger.web.login import SEEN_AT, SIGNED_IN_AT, session_expired
from tests.factories import PASSWORD, add_user, csrf_token_in, database, sign_in


@pytest.fixture
def finance(app) -> int:
    return add_user(app, "fin@example.org", ["finance"])


def _signed_in(app, client):
    assert sign_in(client, "fin@example.org").status_code == 302
    assert client.get("/books/trial-balance").status_code == 200
    return client.get_cookie("session").value


def _age(client, **seconds_ago) -> None:
    """Move the session's sign-in and last-seen times into the past."""
    with client.session_transaction() as kept:
        for name, ago in seconds_ago.items():
            kept[name] -= ago


def test_signing_out_ends_every_copy_of_the_session_at_once(app, client, finance):
    cookie = _signed_in(app, client)
    other_device = app.test_client()
    other_device.set_cookie("session", cookie)
    assert other_device.get("/books/trial-balance").status_code == 200

    assert client.post("/logout").status_code == 302

    stolen = app.test_client()
    stolen.set_cookie("session", cookie)  # the cookie as it was before signing out, replayed
    for browser in (client, other_device, stolen):
        assert browser.get("/books/trial-balance").headers["Location"].startswith("/login")
    with database(app) as session:
        assert session.execute(select(User.session_version)).scalar_one() == 1
    assert sign_in(client, "fin@example.org").status_code == 302
    assert client.get("/books/trial-balance").status_code == 200


@pytest.mark.parametrize(("name", "limit", "message"), [
    (SEEN_AT, 30 * 60, "You were signed out after 30 minutes without using the service."),
    (SIGNED_IN_AT, 12 * 3600, "You were signed out because you signed in more than 12 hours ago."),
])
def test_a_session_ends_when_idle_for_30_minutes_or_12_hours_after_signing_in(app, client, finance, name, limit,
                                                                               message):
    _signed_in(app, client)
    _age(client, **{name: limit - 5})  # five seconds before the limit it still works
    assert client.get("/books/trial-balance").status_code == 200

    _age(client, **{name: limit if name == SEEN_AT else 5})  # (that request was a sign of life)
    ended = client.get("/books/trial-balance")

    assert ended.status_code == 302 and ended.headers["Location"].startswith("/login?next=/books/trial-balance")
    assert message in client.get("/login").get_data(as_text=True)
    assert client.get("/books/trial-balance").status_code == 302  # and it stays ended


def test_using_the_service_keeps_an_idle_session_alive(app, client, finance):
    _signed_in(app, client)
    _age(client, **{SEEN_AT: 20 * 60})
    assert client.get("/books/trial-balance").status_code == 200
    _age(client, **{SEEN_AT: 20 * 60})  # 40 minutes since signing in, 20 since last seen
    assert client.get("/books/trial-balance").status_code == 200


def test_the_limits_are_configured(app, client, finance):
    app.config.update(SESSION_IDLE_MINUTES="5", SESSION_ABSOLUTE_HOURS="1")
    reload_settings(app)
    _signed_in(app, client)
    _age(client, **{SEEN_AT: 5 * 60})
    assert client.get("/").status_code == 302
    assert session_expired(0, 3000, 3600, idle_minutes=60, absolute_hours=1) == "absolute"
    assert session_expired(None, 0, 1, idle_minutes=60, absolute_hours=1) == "absolute"  # a cookie without times


def test_signing_in_starts_a_new_session_with_a_new_csrf_token(app, client, finance):
    app.config["WTF_CSRF_ENABLED"] = True
    token = csrf_token_in(client.get("/login").get_data(as_text=True))
    with client.session_transaction() as before:
        before["planted"] = "by someone else"
        token_before = before["csrf_token"]

    signed_in = client.post("/login", data={"email": "fin@example.org", "password": PASSWORD, "csrf_token": token})

    assert signed_in.status_code == 302
    with client.session_transaction() as after:
        assert "planted" not in after and after.get("csrf_token") != token_before
    page = client.get("/account/tokens").get_data(as_text=True)
    assert csrf_token_in(page) != token
