"""Administrators invite users, change their roles, deactivate and reactivate them: over the API, the pages
and the CLI; every change is an event, and bad input changes nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from ledger.auth.models import ApiToken, User
from ledger.events.writer import events_of
from tests.factories import (
    accept_invitation,
    add_user,
    api_token_for,
    bearer,
    database,
    invitation_path,
    invite_by_api,
    sign_in,
)


@pytest.fixture
def admin_id(app) -> int:
    return add_user(app, "admin@example.org", ["admin"])


@pytest.fixture
def admin_token(app, admin_id) -> str:
    return api_token_for(app, admin_id, "user admin script")


def _user(app, email: str) -> User:
    with database(app) as session:
        user = session.execute(select(User).where(User.email == email)).scalar_one()
        session.expunge(user)
        return user


def _events(app, user_id: int) -> list:
    with database(app) as session:
        return events_of(session, "user", user_id)


# ---------------------------------------------------------------- invite, accept, sign in


def test_invited_user_is_inactive_until_they_set_a_password_then_signs_in(app, client, admin_id, admin_token):
    answer = invite_by_api(client, admin_token, "new@example.org", ["finance", "project_manager"])
    assert answer["user"]["status"] == "invited"
    assert answer["user"]["roles"] == ["finance", "project_manager"]
    token = answer["invitation_url"].rsplit("/", 1)[1]
    stored = _user(app, "new@example.org")
    assert stored.is_active is False and token not in (stored.invitation_token_hash or "")
    assert sign_in(client, "new@example.org").status_code == 401

    page = client.get(invitation_path(answer["invitation_url"]))
    assert page.status_code == 200 and "Welcome, New Person" in page.get_data(as_text=True)
    accepted = accept_invitation(client, answer["invitation_url"])
    assert accepted.status_code == 302 and accepted.location.endswith("/login")
    assert sign_in(client, "new@example.org").status_code == 302
    assert client.get("/projects").status_code == 200

    again = client.get(invitation_path(answer["invitation_url"]))
    assert again.status_code == 404
    events = _events(app, stored.id)
    assert [(e.action, e.actor_user_id, e.before, e.after) for e in events] == [
        ("invite", admin_id, None, "invited"), ("accept_invitation", stored.id, "invited", "active")]


def test_invitation_with_a_short_password_is_refused_beside_the_field(app, client, admin_token):
    answer = invite_by_api(client, admin_token, "new@example.org")
    refused = client.post(invitation_path(answer["invitation_url"]), data={"password": "short", "confirm": "short"})
    assert refused.status_code == 400
    words = " ".join(re.sub(r"<[^>]+>", " ", refused.get_data(as_text=True)).split())
    assert "Error: Field must be between 10 and 200 characters long." in words
    assert _user(app, "new@example.org").status == "invited"


def test_expired_invitation_link_is_refused_and_a_renewed_one_works(app, client, admin_token):
    import datetime as dt

    answer = invite_by_api(client, admin_token, "new@example.org")
    with database(app) as session:
        user = session.execute(select(User).where(User.email == "new@example.org")).scalar_one()
        user.invitation_expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    expired = client.get(invitation_path(answer["invitation_url"]))
    assert expired.status_code == 404 and "expired" in expired.get_data(as_text=True)
    renewed = client.post(f"/api/v1/users/{answer['user']['id']}/invitation", headers=bearer(admin_token))
    assert renewed.status_code == 201
    assert accept_invitation(client, answer["invitation_url"]).status_code == 404
    assert accept_invitation(client, renewed.json["invitation_url"]).status_code == 302


@pytest.mark.parametrize(("body", "field"), [
    ({"email": "not-an-email", "display_name": "X", "roles": ["finance"]}, "email"),
    ({"email": "x@example.org", "display_name": "X", "roles": ["boss"]}, "roles.0"),
    ({"email": "x@example.org", "display_name": "X", "roles": []}, "roles"),
    ({"email": "x@example.org", "roles": ["finance"]}, "display_name"),
    ({"email": "x@example.org", "display_name": "X", "roles": ["participant"]}, "participant_id"),
    ({"email": "admin@example.org", "display_name": "X", "roles": ["finance"]}, "email"),
])
def test_bad_invitation_names_the_field_and_creates_nobody(app, client, admin_token, body, field):
    refused = client.post("/api/v1/users", json=body, headers=bearer(admin_token))
    assert refused.status_code in (400, 409)
    assert field in refused.json["error"]["fields"]
    with database(app) as session:
        assert session.execute(select(User.email)).scalars().all() == ["admin@example.org"]


def test_only_administrators_manage_users(app, client):
    finance = add_user(app, "fin@example.org", ["finance"])
    token = api_token_for(app, finance)
    assert client.get("/api/v1/users", headers=bearer(token)).status_code == 403
    assert client.post("/api/v1/users", json={}, headers=bearer(token)).status_code == 403
    sign_in(client, "fin@example.org")
    assert client.get("/admin/users").status_code == 403


# ---------------------------------------------------------------- roles


def test_role_change_is_recorded_with_before_after_and_reason(app, client, admin_id, admin_token):
    user_id = add_user(app, "fin@example.org", ["finance"])
    changed = client.patch(f"/api/v1/users/{user_id}", json={"roles": ["project_manager"], "reason": "moved team"},
                           headers=bearer(admin_token))
    assert changed.status_code == 200 and changed.json["roles"] == ["project_manager"]
    last = _events(app, user_id)[-1]
    assert (last.action, last.actor_user_id, last.before, last.after, last.reason) == (
        "set_roles", admin_id, "finance", "project_manager", "moved team")


def test_the_last_administrator_keeps_the_admin_role(app, client, admin_id, admin_token):
    refused = client.patch(f"/api/v1/users/{admin_id}", json={"roles": ["finance"]}, headers=bearer(admin_token))
    assert refused.status_code == 409
    assert "last active administrator" in refused.json["error"]["message"]
    assert refused.json["error"]["fields"] == {"roles": ["last admin"]}
    assert _user(app, "admin@example.org").role_names == {"admin"}
    second = add_user(app, "admin2@example.org", ["admin"])
    assert client.patch(f"/api/v1/users/{admin_id}", json={"roles": ["finance"]},
                        headers=bearer(admin_token)).status_code == 200
    assert _user(app, "admin2@example.org").id == second


def test_unknown_user_is_404(client, admin_token):
    missing = client.patch("/api/v1/users/999", json={"roles": ["finance"]}, headers=bearer(admin_token))
    assert missing.status_code == 404
    assert client.post("/api/v1/users/999/deactivate", json={}, headers=bearer(admin_token)).status_code == 404


# ---------------------------------------------------------------- deactivate, reactivate


def test_deactivation_ends_a_live_session_and_revokes_every_token_at_once(app, client, admin_id, admin_token):
    user_id = add_user(app, "fin@example.org", ["finance"])
    token = api_token_for(app, user_id)
    browser = app.test_client()
    sign_in(browser, "fin@example.org")
    assert browser.get("/projects").status_code == 200
    assert client.get("/api/v1/accounts", headers=bearer(token)).status_code == 200

    done = client.post(f"/api/v1/users/{user_id}/deactivate", json={"reason": "left the organisation"},
                       headers=bearer(admin_token))
    assert done.status_code == 200 and done.json["status"] == "deactivated"

    signed_out = browser.get("/projects")
    assert signed_out.status_code == 302 and "/login" in signed_out.location
    refused = client.get("/api/v1/accounts", headers=bearer(token))
    assert refused.status_code == 401
    with database(app) as session:
        assert all(t.revoked_at is not None for t in session.execute(select(ApiToken).where(
            ApiToken.user_id == user_id)).scalars())
    last = _events(app, user_id)[-1]
    assert (last.action, last.actor_user_id, last.before, last.after, last.reason) == (
        "deactivate", admin_id, "active", "deactivated", "left the organisation")
    assert last.details["tokens_revoked"] == 1

    back = client.post(f"/api/v1/users/{user_id}/reactivate", json={}, headers=bearer(admin_token))
    assert back.status_code == 200 and back.json["status"] == "active"
    assert browser.get("/projects").status_code == 302  # the old session stays ended
    assert client.get("/api/v1/accounts", headers=bearer(token)).status_code == 401  # and the old token revoked
    assert sign_in(browser, "fin@example.org").status_code == 302
    assert browser.get("/projects").status_code == 200


def test_deactivation_on_the_page_ends_a_live_session_and_revokes_every_token_at_once(app, client, admin_id):
    user_id = add_user(app, "fin@example.org", ["finance"])
    token = api_token_for(app, user_id)
    browser = app.test_client()
    sign_in(browser, "fin@example.org")
    assert browser.get("/projects").status_code == 200
    sign_in(client, "admin@example.org")

    done = client.post(f"/admin/users/{user_id}/deactivate", data={"access-reason": "left the organisation"})

    assert done.status_code == 302
    signed_out = browser.get("/projects")
    assert signed_out.status_code == 302 and "/login" in signed_out.location
    assert browser.get("/api/v1/accounts", headers=bearer(token)).status_code == 401
    last = _events(app, user_id)[-1]
    assert (last.action, last.actor_user_id, last.reason, last.details["tokens_revoked"]) == (
        "deactivate", admin_id, "left the organisation", 1)


def test_an_administrator_cannot_deactivate_themselves(app, client, admin_id, admin_token):
    refused = client.post(f"/api/v1/users/{admin_id}/deactivate", json={}, headers=bearer(admin_token))
    assert refused.status_code == 409 and refused.json["error"]["fields"] == {"user_id": ["self"]}
    assert _user(app, "admin@example.org").is_active


def test_reactivating_an_active_user_is_refused(app, client, admin_token):
    user_id = add_user(app, "fin@example.org", ["finance"])
    refused = client.post(f"/api/v1/users/{user_id}/reactivate", json={}, headers=bearer(admin_token))
    assert refused.status_code == 409 and "is not deactivated" in refused.json["error"]["message"]


# ---------------------------------------------------------------- the pages


def test_admin_pages_invite_change_roles_and_deactivate(app, client, admin_id):
    sign_in(client, "admin@example.org")
    home = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert 'href="/admin/users"' in home
    page = client.post("/admin/users", data={"email": "pm@example.org", "display_name": "Pat Manager",
                                             "roles": ["project_manager"]})
    assert page.status_code == 201
    link = re.search(r'<code id="invitation-link"[^>]*>([^<]+)</code>', page.get_data(as_text=True)).group(1)
    assert "/invitations/inv_" in link
    user = _user(app, "pm@example.org")
    assert user.status == "invited" and user.role_names == {"project_manager"}

    roles = client.post(f"/admin/users/{user.id}/roles", data={"roles": ["project_manager", "finance"],
                                                               "reason": "covering"})
    assert roles.status_code == 302
    assert _user(app, "pm@example.org").role_names == {"project_manager", "finance"}
    gone = client.post(f"/admin/users/{user.id}/deactivate", data={"access-reason": "never started"})
    assert gone.status_code == 302
    shown = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "Deactivated" in shown and "Reactivate Pat Manager" in shown
    assert _events(app, user.id)[-1].reason == "never started"


def test_invite_form_with_no_role_says_so_beside_the_field(app, client, admin_id):
    sign_in(client, "admin@example.org")
    page = client.post("/admin/users", data={"email": "pm@example.org", "display_name": "Pat"})
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert '<a href="#roles">Roles: Choose at least one role.</a>' in html
    assert 'id="roles-error"><span class="govuk-visually-hidden">Error:</span> Choose at least one role.' in html
    with database(app) as session:
        assert session.execute(select(User.email)).scalars().all() == ["admin@example.org"]


def test_last_admin_cannot_drop_their_role_on_the_page(app, client, admin_id):
    sign_in(client, "admin@example.org")
    page = client.post(f"/admin/users/{admin_id}/roles", data={"roles": ["finance"]})
    assert page.status_code == 409
    assert "last active administrator" in page.get_data(as_text=True)
    assert _user(app, "admin@example.org").role_names == {"admin"}


# ---------------------------------------------------------------- the CLI


def test_cli_invites_and_deactivates(app, runner, admin_id):
    invited = runner.invoke(args=["ledger", "invite-user", "pm@example.org", "--name", "Pat", "--role",
                                  "project_manager", "--by", "admin@example.org", "--site", "https://l.example"])
    assert invited.exit_code == 0, invited.output
    link = re.search(r"https://l\.example/invitations/inv_\S+", invited.output).group(0)
    user = _user(app, "pm@example.org")
    assert user.status == "invited" and _events(app, user.id)[0].actor_user_id == admin_id
    client = app.test_client()
    assert accept_invitation(client, link).status_code == 302

    gone = runner.invoke(args=["ledger", "deactivate-user", "pm@example.org", "--reason", "left",
                               "--by", "admin@example.org"])
    assert gone.exit_code == 0, gone.output
    assert _user(app, "pm@example.org").status == "deactivated"
    again = runner.invoke(args=["ledger", "deactivate-user", "nobody@example.org"])
    assert again.exit_code == 1 and "no user with email nobody@example.org" in again.output


def test_someone_deactivated_before_accepting_then_reactivated_is_invited_again_and_gets_in(app, client,
                                                                                            admin_token):
    answer = invite_by_api(client, admin_token, "late@example.org", name="Lee Late")
    user_id, auth = answer["user"]["id"], bearer(admin_token)
    assert client.post(f"/api/v1/users/{user_id}/deactivate", json={}, headers=auth).status_code == 200

    back = client.post(f"/api/v1/users/{user_id}/reactivate", json={}, headers=auth)
    assert back.status_code == 200 and back.json["status"] == "invited"  # not active with nobody's password
    assert sign_in(client, "late@example.org").status_code != 302 or not _user(app, "late@example.org").is_active
    renewed = client.post(f"/api/v1/users/{user_id}/invitation", headers=auth)
    assert renewed.status_code == 201 or renewed.status_code == 200, renewed.json

    assert accept_invitation(client, answer["invitation_url"]).status_code == 404  # the old link stays void
    assert accept_invitation(client, renewed.json["invitation_url"]).status_code == 302
    assert _user(app, "late@example.org").is_active
    assert [e.action for e in _events(app, user_id)] == ["invite", "deactivate", "reactivate", "renew_invitation",
                                                         "accept_invitation"]
