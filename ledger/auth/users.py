"""Use cases for users: create them, log them in (rate limited), issue and revoke API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.auth import ratelimit
from ledger.auth.models import ROLES, ApiToken, User, UserRole
from ledger.auth.passwords import hash_password, needs_rehash, verify_password
from ledger.errors import Conflict, NotFound, TooManyRequests, ValidationError
from ledger.events.records import NewEvent
from ledger.events.writer import record_event
from ledger.people.models import Participant

TOKEN_PREFIX = "lgr_"


@cache
def _decoy_hash() -> str:
    """A hash to check against when no user matches, so that an unknown email costs as much time as a
    wrong password and the answer's timing does not reveal which addresses have accounts."""
    return hash_password(secrets.token_urlsafe(32))


@dataclass(frozen=True, slots=True)
class IssuedToken:
    id: int
    name: str
    token: str  # shown once, never stored


def normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        raise ValidationError("Enter a valid email address.", fields={"email": ["invalid"]})
    return email


def create_user(
    session: Session,
    *,
    email: str,
    display_name: str,
    password: str,
    roles: Iterable[str],
    participant_id: int | None = None,
    actor_user_id: int | None = None,
) -> User:
    """Create a user with their roles (``actor_user_id``: the administrator creating them, if any)."""
    email = normalise_email(email)
    roles = _checked_roles(roles)
    _check_participant_link(session, roles, participant_id)
    if not display_name or not display_name.strip():
        raise ValidationError("A display name is required.", fields={"display_name": ["required"]})
    if session.execute(select(User.id).where(User.email == email)).first():
        raise Conflict(f"A user with email {email} already exists.", fields={"email": ["exists"]})
    user = User(email=email, display_name=display_name.strip(), password_hash=hash_password(password),
                participant_id=participant_id, is_active=True)
    user.roles = [UserRole(role=r) for r in roles]
    session.add(user)
    session.flush()
    _user_event(session, user, "create", actor_user_id, details={"roles": roles, "email": email})
    return user


def _user_event(session: Session, user: User, action: str, actor: int | None, *, details: dict | None = None,
                before: str | None = None, after: str | None = None) -> None:
    record_event(session, NewEvent(subject="user", subject_id=user.id, action=action, actor_user_id=actor,
                                   before=before, after=after, details=details,
                                   participant_id=user.participant_id))


def _checked_roles(roles: Iterable[str]) -> list[str]:
    roles = sorted(set(roles))
    if not roles or any(r not in ROLES for r in roles):
        raise ValidationError(f"Roles must be some of {', '.join(ROLES)}.", fields={"roles": ["invalid"]})
    return roles


def _check_participant_link(
    session: Session, roles: list[str], participant_id: int | None, user_id: int | None = None
) -> None:
    """A participant user is linked to one existing participant record that no other user holds."""
    if participant_id is None:
        if "participant" in roles:
            raise ValidationError("A participant user must be linked to a participant record.",
                                  fields={"participant_id": ["required"]})
        return
    if session.get(Participant, participant_id) is None:
        raise NotFound(f"There is no participant {participant_id} to link this user to.",
                       fields={"participant_id": ["unknown"]})
    holder = session.execute(
        select(User.id).where(User.participant_id == participant_id, User.id != (user_id or 0))
    ).scalar_one_or_none()
    if holder is not None:
        raise Conflict(f"Participant {participant_id} already has a user (user {holder}).",
                       fields={"participant_id": ["taken"]})


def set_roles(session: Session, user_id: int, roles: Iterable[str], *, actor_user_id: int | None = None) -> User:
    """Replace a user's roles; the change (from which roles to which) is recorded."""
    user = get_user(session, user_id)
    roles = _checked_roles(roles)
    _check_participant_link(session, roles, user.participant_id, user.id)
    before = sorted(user.role_names)
    user.roles = [UserRole(role=r) for r in roles]
    session.flush()
    _user_event(session, user, "set_roles", actor_user_id, details={"from": before, "to": roles})
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"There is no user {user_id}.")
    return user


def authenticate(
    session: Session, email: str, password: str, *, client: str, max_failures: int, window_seconds: int
) -> User | None:
    """Check a password; after ``max_failures`` failures per email or per client in a window, refuse."""
    email_key = f"login:email:{(email or '').strip().lower()}"
    client_key = f"login:client:{client}"
    for key in (email_key, client_key):
        if ratelimit.count(session, key, window_seconds=window_seconds) >= max_failures:
            raise TooManyRequests(
                "Too many failed sign-in attempts. Wait 15 minutes and try again, "
                "or ask an administrator to reset your password."
            )
    user = session.execute(
        select(User).where(User.email == (email or "").strip().lower())
    ).scalar_one_or_none()
    if user is None or not user.is_active:
        verify_password(_decoy_hash(), password or "")
    if user is None or not user.is_active or not verify_password(user.password_hash, password or ""):
        ratelimit.hit(session, email_key, window_seconds=window_seconds)
        ratelimit.hit(session, client_key, window_seconds=window_seconds)
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    ratelimit.clear(session, email_key)
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user_id: int, name: str, *, actor_user_id: int | None = None) -> IssuedToken:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError("Give the token a name of 1 to 100 characters, saying what uses it.",
                              fields={"name": ["invalid"]})
    get_user(session, user_id)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user_id, name=name, token_hash=_token_hash(token), prefix=token[:12])
    session.add(row)
    session.flush()
    _token_event(session, row, "issue", actor_user_id if actor_user_id is not None else user_id)
    return IssuedToken(id=row.id, name=name, token=token)


def _token_event(session: Session, row: ApiToken, action: str, actor: int | None) -> None:
    record_event(session, NewEvent(subject="api_token", subject_id=row.id, action=action, actor_user_id=actor,
                                   after="revoked" if row.revoked_at else "active",
                                   details={"user_id": row.user_id, "name": row.name, "prefix": row.prefix}))


def revoke_token(session: Session, user_id: int, token_id: int) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user_id:
        raise NotFound(f"You have no API token {token_id}.")
    if row.revoked_at is None:
        row.revoked_at = dt.datetime.now(dt.UTC)
        session.flush()
        _token_event(session, row, "revoke", user_id)
    return row


def list_tokens(session: Session, user_id: int) -> list[ApiToken]:
    return list(session.execute(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
    ).scalars())


def user_for_token(session: Session, token: str) -> User | None:
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    row = session.execute(
        select(ApiToken).where(ApiToken.token_hash == _token_hash(token), ApiToken.revoked_at.is_(None))
    ).scalar_one_or_none()
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return user
