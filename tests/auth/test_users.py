"""Use cases for users: creating them with roles, signing in (rate limited), API tokens."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ledger.auth import users
from ledger.auth.models import ApiToken
from ledger.auth.passwords import verify_password
from ledger.errors import Conflict, NotFound, TooManyRequests, ValidationError
from ledger.people.models import Participant

PASSWORD = "a long enough passphrase"
LIMITS = {"max_failures": 3, "window_seconds": 900}


def _participant(session, name="Ann Example") -> int:
    participant = Participant(name=name)
    session.add(participant)
    session.flush()
    return participant.id


def _finance(session, email="fin@example.org"):
    return users.create_user(session, email=email, display_name="Fin", password=PASSWORD, roles=["finance"])


def test_user_is_stored_with_a_hash_and_normalised_email(session):
    user = users.create_user(session, email="  Fin@Example.ORG ", display_name=" Fin ", password=PASSWORD,
                             roles=["finance", "admin"])
    session.commit()
    assert user.email == "fin@example.org"
    assert user.display_name == "Fin"
    assert user.password_hash != PASSWORD
    assert verify_password(user.password_hash, PASSWORD)
    assert user.role_names == {"admin", "finance"}


def test_one_person_may_hold_several_roles(session):
    user = _finance(session)
    users.set_roles(session, user.id, ["finance", "project_manager"])
    assert users.get_user(session, user.id).role_names == {"finance", "project_manager"}


def test_unknown_role_is_refused(session):
    with pytest.raises(ValidationError, match="Roles must be some of"):
        users.create_user(session, email="x@example.org", display_name="X", password=PASSWORD, roles=["boss"])


def test_second_user_with_the_same_email_is_refused(session):
    _finance(session)
    with pytest.raises(Conflict, match="already exists"):
        _finance(session, email="FIN@example.org")


def test_participant_user_must_be_linked_to_a_participant_record(session):
    with pytest.raises(ValidationError, match="linked to a participant record"):
        users.create_user(session, email="ann@example.org", display_name="Ann", password=PASSWORD,
                          roles=["participant"])


def test_participant_user_linked_to_a_missing_participant_is_refused(session):
    with pytest.raises(NotFound, match="no participant 999"):
        users.create_user(session, email="ann@example.org", display_name="Ann", password=PASSWORD,
                          roles=["participant"], participant_id=999)


def test_two_users_cannot_share_one_participant_record(session):
    participant_id = _participant(session)
    users.create_user(session, email="ann@example.org", display_name="Ann", password=PASSWORD,
                      roles=["participant"], participant_id=participant_id)
    with pytest.raises(Conflict, match="already has a user"):
        users.create_user(session, email="ann2@example.org", display_name="Ann", password=PASSWORD,
                          roles=["participant"], participant_id=participant_id)


def test_giving_the_participant_role_to_an_unlinked_user_is_refused(session):
    user = _finance(session)
    with pytest.raises(ValidationError, match="linked to a participant record"):
        users.set_roles(session, user.id, ["finance", "participant"])
    assert users.get_user(session, user.id).role_names == {"finance"}


def test_right_password_signs_in(session):
    user = _finance(session)
    assert users.authenticate(session, "FIN@example.org ", PASSWORD, client="10.0.0.1", **LIMITS) == user


def test_wrong_password_and_unknown_email_both_answer_none(session):
    _finance(session)
    assert users.authenticate(session, "fin@example.org", "wrong password!", client="10.0.0.1", **LIMITS) is None
    assert users.authenticate(session, "nobody@example.org", PASSWORD, client="10.0.0.1", **LIMITS) is None


def test_unknown_email_costs_a_password_check_too(session, monkeypatch):
    """Answering faster for an unknown email would tell an attacker which addresses have accounts."""
    _finance(session)
    checked = []
    real = users.verify_password
    monkeypatch.setattr(users, "verify_password", lambda h, p: checked.append(p) or real(h, p))
    users.authenticate(session, "nobody@example.org", "guess number one", client="10.0.0.1", **LIMITS)
    assert checked == ["guess number one"]


def test_inactive_user_cannot_sign_in_even_with_the_right_password(session):
    user = _finance(session)
    user.is_active = False
    session.flush()
    assert users.authenticate(session, "fin@example.org", PASSWORD, client="10.0.0.1", **LIMITS) is None


def test_failures_per_email_lock_out_that_email_from_any_client(session):
    _finance(session)
    for n in range(LIMITS["max_failures"]):
        users.authenticate(session, "fin@example.org", "wrong password!", client=f"10.0.0.{n}", **LIMITS)
    with pytest.raises(TooManyRequests, match="Too many failed sign-in attempts"):
        users.authenticate(session, "fin@example.org", PASSWORD, client="10.9.9.9", **LIMITS)


def test_failures_per_client_make_that_client_wait_for_every_email_above_the_account_limit(session):
    _finance(session)
    for n in range(5):
        users.authenticate(session, f"guess{n}@example.org", "wrong password!", client="10.0.0.1",
                           address_max_failures=5, **LIMITS)
    with pytest.raises(TooManyRequests):
        users.authenticate(session, "fin@example.org", PASSWORD, client="10.0.0.1", address_max_failures=5, **LIMITS)
    assert users.authenticate(session, "fin@example.org", PASSWORD, client="10.0.0.2", address_max_failures=5,
                              **LIMITS) is not None


def test_successful_sign_in_forgives_earlier_typos_for_that_email(session):
    _finance(session)
    for _ in range(LIMITS["max_failures"] - 1):
        users.authenticate(session, "fin@example.org", "wrong password!", client="10.0.0.1", **LIMITS)
    assert users.authenticate(session, "fin@example.org", PASSWORD, client="10.0.0.2", **LIMITS) is not None
    users.authenticate(session, "fin@example.org", "wrong password!", client="10.0.0.3", **LIMITS)
    assert users.authenticate(session, "fin@example.org", PASSWORD, client="10.0.0.3", **LIMITS) is not None


def test_failures_in_an_earlier_window_no_longer_count(session):
    from ledger.auth import ratelimit

    for _ in range(5):
        ratelimit.hit(session, "login:email:fin@example.org", window_seconds=900, now=1_000_000.0)
    assert ratelimit.count(session, "login:email:fin@example.org", window_seconds=900, now=1_000_000.0) == 5
    assert ratelimit.count(session, "login:email:fin@example.org", window_seconds=900, now=1_000_900.0) == 0


def test_issued_token_is_stored_only_as_its_sha256(session):
    user = _finance(session)
    issued = users.issue_token(session, user.id, "payroll export")
    session.commit()
    row = session.execute(select(ApiToken).where(ApiToken.id == issued.id)).scalar_one()
    stored = [str(value) for value in (row.name, row.token_hash, row.prefix)]
    assert all(issued.token not in value for value in stored)
    assert len(row.token_hash) == 64
    assert users.user_for_token(session, issued.token) == user


def test_revoked_token_no_longer_names_a_user(session):
    user = _finance(session)
    issued = users.issue_token(session, user.id, "payroll export")
    users.revoke_token(session, user.id, issued.id)
    assert users.user_for_token(session, issued.token) is None


def test_token_of_an_inactive_user_names_nobody(session):
    user = _finance(session)
    issued = users.issue_token(session, user.id, "payroll export")
    user.is_active = False
    session.flush()
    assert users.user_for_token(session, issued.token) is None


def test_a_user_cannot_revoke_someone_elses_token(session):
    owner = _finance(session)
    other = _finance(session, email="other@example.org")
    issued = users.issue_token(session, owner.id, "payroll export")
    with pytest.raises(NotFound, match=f"no API token {issued.id}"):
        users.revoke_token(session, other.id, issued.id)
    assert users.user_for_token(session, issued.token) == owner


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_token_needs_a_name_saying_what_uses_it(session, name):
    user = _finance(session)
    with pytest.raises(ValidationError, match="Give the token a name"):
        users.issue_token(session, user.id, name)


@pytest.mark.parametrize("guess", ["", "lgr_", "lgr_not-a-real-token", "Bearer lgr_x"])
def test_made_up_token_names_nobody(session, guess):
    _finance(session)
    assert users.user_for_token(session, guess) is None
