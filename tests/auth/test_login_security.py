"""Sign-ins that hold: attempts counted before the password is checked, growing delays (never a lockout), the
client's address through the configured proxies, common passwords refused, and the second factor end to end."""

from __future__ import annotations

import datetime as dt
import time

import pyotp
import pytest
from sqlalchemy import select

from ledger.auth import passwords, ratelimit, totp, users
from ledger.auth.models import LoginThrottle, User
from ledger.context import reload_settings
from ledger.errors import TooManyRequests, ValidationError
from tests.factories import (
    PASSWORD,
    add_user,
    all_at_once,
    api_token_for,
    bearer,
    database,
    make_finance_user,
    sign_in,
)

NOW = 1_800_000_000.0


def test_past_the_limit_each_wrong_password_doubles_the_wait_and_a_quiet_spell_forgives(session):
    make_finance_user(session)
    limits = {"max_failures": 3, "window_seconds": 900, "first_delay_seconds": 30}
    for _ in range(3):
        assert users.authenticate(session, "fin@example.org", "wrong password!", client="10.0.0.1", now=NOW,
                                  **limits) is None
    waits = []
    at = NOW
    for _ in range(4):
        with pytest.raises(TooManyRequests) as refused:
            users.authenticate(session, "fin@example.org", PASSWORD, client="10.0.0.1", now=at, **limits)
        waits.append(refused.value.retry_after)
        at += refused.value.retry_after
        assert users.authenticate(session, "fin@example.org", "wrong password!", client="10.0.0.1", now=at,
                                  **limits) is None
    assert waits == [30, 60, 120, 240]
    assert "Try again in 4 minutes" in str(refused.value)
    # Waiting out the wait lets the right password in, and forgets the account's failures.
    at += 480
    assert users.authenticate(session, "fin@example.org", PASSWORD, client="10.0.0.1", now=at, **limits) is not None
    assert session.get(LoginThrottle, "login:email:fin@example.org") is None
    # Far below the address limit (30), the address's count is back to where the failures left it.
    assert session.get(LoginThrottle, "login:client:10.0.0.1").failures == 7


def test_the_wait_never_grows_past_the_window_and_early_attempts_do_not_count(session):
    delays = ratelimit.Delays(limit=2, first_seconds=30, longest_seconds=100, forget_after_seconds=100)
    assert [delays.wait_after(n) for n in range(1, 7)] == [0, 30, 60, 100, 100, 100]
    for _ in range(2):
        assert ratelimit.claim_attempt(session, "k", delays, now=NOW) == 0
    assert [ratelimit.claim_attempt(session, "k", delays, now=NOW + s) for s in (0, 10, 29)] == [30, 20, 1]
    assert session.get(LoginThrottle, "k").failures == 2


def test_the_login_page_answers_429_with_retry_after_and_what_to_do(app, client):
    add_user(app, "fin@example.org", ["finance"])
    app.config["LOGIN_MAX_FAILURES"] = 2
    reload_settings(app)
    for _ in range(2):
        assert sign_in(client, "fin@example.org", "not the right one").status_code == 401
    refused = sign_in(client, "fin@example.org")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "30"
    assert "Try again in 30 seconds" in refused.get_data(as_text=True)


def test_the_address_counted_is_the_one_the_configured_proxies_forwarded(client, database_url):
    from ledger import create_app

    def keys_after_a_wrong_password(tab) -> set[str]:
        sign_in(tab, "nobody@example.org", "not the right one", headers={"X-Forwarded-For": "198.51.100.7"},
                environ_base={"REMOTE_ADDR": "10.0.0.2"})
        with database(tab.application) as session:
            return set(session.execute(select(LoginThrottle.key)).scalars())

    # No proxy configured: the header is anyone's to write, so the connection's address counts.
    assert {k for k in keys_after_a_wrong_password(client) if k.startswith("login:client:")} == {
        "login:client:10.0.0.2"}
    behind_one = create_app({"DATABASE_URL": database_url, "TESTING": True, "WTF_CSRF_ENABLED": False,
                             "TRUSTED_PROXIES": 1, "SECRET_KEY": "test-secret-key-test-secret-key-0123456789"})
    try:
        assert "login:client:198.51.100.7" in keys_after_a_wrong_password(behind_one.test_client())
    finally:
        behind_one.extensions["engine"].dispose()


def test_a_negative_number_of_proxies_stops_the_app(database_url):
    from ledger import create_app
    from ledger.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="TRUSTED_PROXIES"):
        create_app({"DATABASE_URL": database_url, "TRUSTED_PROXIES": -1})


@pytest.mark.postgres_only
def test_forty_wrong_passwords_at_the_same_moment_check_at_most_the_limit(session_factory, session, monkeypatch):
    make_finance_user(session)
    session.commit()
    checked = []
    real_verify = passwords.verify_password

    def counting_verify(password_hash, password):
        checked.append(password)
        return real_verify(password_hash, password)

    monkeypatch.setattr(users, "verify_password", counting_verify)
    account, address = users.sign_in_delays(5, 900, address_max_failures=50)

    def work(i, ready):
        own = session_factory()
        try:
            ready()
            try:
                attempt = users.claim_sign_in(own, "fin@example.org", client=f"10.0.1.{i}", account=account,
                                              address=address)
                own.commit()  # as the login page does: the count commits before the password is checked
            except TooManyRequests as refused:
                own.rollback()
                return refused
            found = users.check_sign_in(own, attempt, f"wrong guess number {i}")
            own.commit()
            return found
        finally:
            own.close()

    results = all_at_once(40, work)
    assert len(checked) == 5
    assert sum(isinstance(r, TooManyRequests) for r in results) == 35
    assert all(r.retry_after and r.retry_after > 0 for r in results if isinstance(r, TooManyRequests))
    assert session.get(LoginThrottle, "login:email:fin@example.org").failures == 5


@pytest.mark.parametrize("password", ["Password123", "Qwertyuiop", "manchester", "aaaaaaaaaaaa"])
def test_common_and_breached_passwords_are_refused_with_what_to_do(password):
    with pytest.raises(ValidationError) as refused:
        passwords.hash_password(password)
    assert refused.value.fields == {"password": ["too common"]}
    assert "three or four random words" in refused.value.message


def test_the_shipped_list_is_large_and_a_passphrase_passes():
    assert len(passwords.common_passwords()) >= 10_000
    assert passwords.check_new_password("correct horse battery staple") == "correct horse battery staple"


def test_changing_a_password_checks_the_current_one_and_the_list_on_the_page(app, client):
    user_id = add_user(app, "fin@example.org", ["finance"])
    sign_in(client, "fin@example.org")
    wrong = client.post("/account/password", data={"current": "not it at all", "password": "a brand new phrase"})
    assert wrong.status_code == 400 and "Your current password is not right" in wrong.get_data(as_text=True)
    common = client.post("/account/password", data={"current": PASSWORD, "password": "password1234"})
    assert common.status_code == 400 and "most commonly used or breached" in common.get_data(as_text=True)
    changed = client.post("/account/password", data={"current": PASSWORD, "password": "a brand new phrase"})
    assert changed.status_code == 302
    assert client.get("/account/tokens").status_code == 200  # this browser stays signed in
    with database(app) as session:
        assert passwords.verify_password(session.get(User, user_id).password_hash, "a brand new phrase")


def test_an_administrators_reset_from_the_command_line_refuses_a_common_password(app, runner):
    add_user(app, "admin@example.org", ["admin"])
    add_user(app, "fin@example.org", ["finance"])
    refused = runner.invoke(args=["ledger", "set-password", "fin@example.org", "--password", "football123",
                                  "--by", "admin@example.org"])
    assert refused.exit_code != 0 and "most commonly used or breached" in refused.output
    done = runner.invoke(args=["ledger", "set-password", "fin@example.org", "--password", "a fresh long phrase",
                               "--by", "admin@example.org", "--reason", "forgotten"])
    assert done.exit_code == 0, done.output
    assert sign_in(app.test_client(), "fin@example.org", "a fresh long phrase").status_code == 302


def _code(secret: str, at: float | None = None) -> str:
    return pyotp.TOTP(secret).at(at if at is not None else time.time())


def test_finance_sets_up_the_second_factor_before_anything_else_and_signs_in_with_it(app, client):
    app.config["TOTP_REQUIRED"] = True
    reload_settings(app)
    user_id = add_user(app, "fin@example.org", ["finance"])
    assert sign_in(client, "fin@example.org").status_code == 302
    sent = client.get("/finance/payment-runs")
    assert sent.status_code == 302 and sent.headers["Location"] == "/account/two-step"
    page = client.get("/account/two-step").get_data(as_text=True)
    assert "<svg" in page and 'id="totp-key"' in page
    with database(app) as session:
        stored = session.get(User, user_id).totp_secret_encrypted
    secret = settings_cipher().decrypt_text(stored)
    assert secret not in stored  # kept only encrypted
    assert " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)) in page
    assert client.post("/account/two-step", data={"code": "000000" if _code(secret) != "000000" else "111111"}
                       ).status_code == 400
    first = _code(secret)
    enrolled = client.post("/account/two-step", data={"code": first})
    assert enrolled.status_code == 200
    recovery = [c for c in enrolled.get_data(as_text=True).split("<code>")[1:]]
    recovery = [c.split("</code>")[0] for c in recovery]
    assert len(recovery) == 10
    assert client.get("/finance/payment-runs").status_code == 200
    client.post("/logout")

    # Signing in again: the password, then a code; the same code again is refused (replay).
    assert sign_in(client, "fin@example.org").headers["Location"].startswith("/login/code")
    assert client.get("/finance/payment-runs").status_code == 302  # not signed in between the two steps
    replay = client.post("/login/code", data={"code": first})
    assert replay.status_code == 400 and "has been used already" in replay.get_data(as_text=True)
    assert client.post("/login/code", data={"code": recovery[0]}).status_code == 302
    assert client.get("/finance/payment-runs").status_code == 200
    client.post("/logout")
    sign_in(client, "fin@example.org")
    assert client.post("/login/code", data={"code": recovery[0]}).status_code == 400  # each recovery code once
    with database(app) as session:
        assert totp.recovery_codes_left(session, user_id) == 9


def test_a_code_is_accepted_once_for_its_step_and_not_from_long_ago(session):
    cipher = settings_cipher()
    user = make_finance_user(session)
    enrolment = totp.start_enrolment(session, user.id, cipher)
    moment = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    codes = totp.confirm_enrolment(session, user.id, _code(enrolment.secret, moment.timestamp()), cipher, now=moment)
    assert len(set(codes)) == 10
    later = moment + dt.timedelta(minutes=5)
    code = _code(enrolment.secret, later.timestamp())
    assert totp.check_second_factor(session, user.id, code, cipher, now=later) == "totp"
    assert totp.check_second_factor(session, user.id, code, cipher, now=later) is None
    stale = _code(enrolment.secret, (later - dt.timedelta(minutes=3)).timestamp())
    assert totp.check_second_factor(session, user.id, stale, cipher, now=later + dt.timedelta(seconds=30)) is None


def settings_cipher():
    from ledger.config import DEV_BANK_DETAILS_KEY
    from ledger.people.bank import BankCipher

    return BankCipher(DEV_BANK_DETAILS_KEY)


def _enrol(app, user_id: int) -> None:
    cipher = settings_cipher()
    with database(app) as session:
        enrolment = totp.start_enrolment(session, user_id, cipher)
        totp.confirm_enrolment(session, user_id, _code(enrolment.secret), cipher)


def test_an_administrator_resets_a_lost_second_factor_on_the_page_and_over_the_api(app, client):
    admin_id = add_user(app, "admin@example.org", ["admin"])
    fin = add_user(app, "fin@example.org", ["finance"])
    _enrol(app, fin)
    sign_in(client, "admin@example.org")
    assert "Reset two-step sign in for" in client.get(f"/admin/users/{fin}").get_data(as_text=True)
    refused = client.post(f"/admin/users/{fin}/two-step/reset", data={"two_step-reason": ""})
    assert refused.status_code == 400 and "Say why" in refused.get_data(as_text=True)
    assert client.post(f"/admin/users/{fin}/two-step/reset", data={"two_step-reason": "Lost phone"}).status_code == 302
    with database(app) as session:
        user = session.get(User, fin)
        assert user.totp_enabled_at is None and user.totp_secret_encrypted is None
        assert totp.recovery_codes_left(session, fin) == 0

    _enrol(app, fin)
    token = api_token_for(app, admin_id)
    assert client.get(f"/api/v1/users/{fin}", headers=bearer(token)).get_json()["two_step_since"] is not None
    reset = client.post(f"/api/v1/users/{fin}/two-step/reset", json={"reason": "Lost phone again"},
                        headers=bearer(token))
    assert reset.status_code == 200 and reset.get_json()["two_step_since"] is None
    again = client.post(f"/api/v1/users/{fin}/two-step/reset", json={"reason": "x"}, headers=bearer(token))
    assert again.status_code == 409 and again.get_json()["error"]["fields"] == {"user_id": ["no totp"]}
