"""What an administrator does to other users: invite them, change their roles, deactivate and reactivate them.

Every change is an event saying who did it, the state before and after, and the reason where one is given,
so that an auditor can see who could do what, and when that changed.

Someone invited and deactivated before they accepted has no password of their own: reactivating them makes
them invited again (not active with a password nobody knows), and a new invitation link (the old one stays
void) lets them set one and get in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.auth import users
from ledger.auth.models import User, UserRole
from ledger.auth.passwords import hash_password
from ledger.db import utcnow
from ledger.errors import Conflict, NotFound, ValidationError
from ledger.events.records import NewEvent
from ledger.events.writer import events_of, record_event

INVITATION_DAYS = 7
INVITATION_PREFIX = "inv_"


@dataclass(frozen=True, slots=True)
class Invitation:
    """An invited user and the one-time secret for their link (shown once; only its hash is stored)."""

    user: User
    token: str
    expires_at: dt.datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()



def _event(session: Session, user: User, action: str, actor: int | None, *, before: str | None = None,
           after: str | None = None, reason: str | None = None, details: dict | None = None) -> None:
    record_event(session, NewEvent(subject="user", subject_id=user.id, action=action, actor_user_id=actor,
                                   before=before, after=after, reason=(reason or "").strip() or None,
                                   details=details, participant_id=user.participant_id))


def list_users(session: Session) -> list[User]:
    return list(session.execute(select(User).order_by(User.display_name, User.id)).scalars())


def invite_user(session: Session, *, email: str, display_name: str, roles: Iterable[str],
                participant_id: int | None = None, actor_user_id: int | None, now: dt.datetime | None = None
                ) -> Invitation:
    """Create a user who stays inactive until they set a password through their invitation link."""
    email = users.normalise_email(email)
    display_name = (display_name or "").strip()
    if not display_name or len(display_name) > 200:
        raise ValidationError("Enter the person's name (up to 200 characters).", fields={"display_name": ["required"]})
    checked = users.checked_roles(roles)
    users.check_participant_link(session, checked, participant_id)
    if session.execute(select(User.id).where(User.email == email)).first():
        raise Conflict(f"A user with email {email} already exists.", fields={"email": ["exists"]})
    user = User(email=email, display_name=display_name, is_active=False, participant_id=participant_id,
                # Nobody knows this password: the invitee sets their own through the link.
                password_hash=hash_password(secrets.token_urlsafe(32)))
    user.roles = [UserRole(role=r) for r in checked]
    session.add(user)
    session.flush()
    invitation = _new_link(user, now)
    _event(session, user, "invite", actor_user_id, after="invited",
           details={"roles": checked, "expires_at": invitation.expires_at.isoformat()})  # no email: see create_user
    return invitation


def _new_link(user: User, now: dt.datetime | None) -> Invitation:
    token = INVITATION_PREFIX + secrets.token_urlsafe(32)
    user.invitation_token_hash = _hash(token)
    user.invitation_expires_at = (now or utcnow()) + dt.timedelta(days=INVITATION_DAYS)
    return Invitation(user=user, token=token, expires_at=user.invitation_expires_at)


def never_accepted(session: Session, user: User) -> bool:
    """True for someone invited who has never set their password through an invitation link."""
    actions = {event.action for event in events_of(session, "user", user.id)}
    return "invite" in actions and "accept_invitation" not in actions


def renew_invitation(session: Session, user_id: int, *, actor_user_id: int | None,
                     now: dt.datetime | None = None) -> Invitation:
    """A fresh link for someone who has not yet accepted; the old link stops working.

    Someone reactivated before they ever accepted (who so has no password of their own) is invited again
    the same way, and stays unable to sign in until they accept.
    """
    user = users.get_user(session, user_id)
    before = user.status
    if before == "deactivated":
        raise Conflict(f"{user.display_name} is deactivated: reactivate them first.",
                       fields={"user_id": ["deactivated"]})
    if before != "invited" and not never_accepted(session, user):
        raise Conflict(f"{user.display_name} has already accepted their invitation.", fields={"user_id": ["accepted"]})
    user.is_active = False
    invitation = _new_link(user, now)
    session.flush()
    _event(session, user, "renew_invitation", actor_user_id, before=before, after="invited",
           details={"expires_at": invitation.expires_at.isoformat()})
    return invitation


def invited_user(session: Session, token: str, *, now: dt.datetime | None = None) -> User:
    """The user a live invitation link belongs to; 404 for an unknown, used or expired link."""
    user = None
    if token and token.startswith(INVITATION_PREFIX):
        user = session.execute(
            select(User).where(User.invitation_token_hash == _hash(token))
        ).scalar_one_or_none()
    if user is None:
        raise NotFound("This invitation link is not valid or has already been used. Ask an administrator for "
                       "a new one.")
    if user.invitation_expires_at is None or user.invitation_expires_at <= (now or utcnow()):
        raise NotFound("This invitation link has expired. Ask an administrator for a new one.")
    return user


def accept_invitation(session: Session, token: str, password: str, *, now: dt.datetime | None = None) -> User:
    """Set the invitee's password and make them active; the link works once only."""
    user = invited_user(session, token, now=now)
    user.password_hash = hash_password(password)
    user.invitation_token_hash = None
    user.invitation_expires_at = None
    user.is_active = True
    session.flush()
    _event(session, user, "accept_invitation", user.id, before="invited", after="active")
    return user


def deactivate_user(session: Session, user_id: int, *, actor_user_id: int | None, reason: str | None = None,
                    now: dt.datetime | None = None) -> User:
    """Stop a user at once: their sessions end (the session version moves on) and every token is revoked."""
    user = users.get_user(session, user_id)
    if user.id == actor_user_id:
        raise Conflict("You cannot deactivate yourself; ask another administrator.", fields={"user_id": ["self"]})
    if user.status == "deactivated":
        raise Conflict(f"{user.display_name} is already deactivated.", fields={"user_id": ["deactivated"]})
    if "admin" in user.role_names and user.is_active:
        users.check_not_last_admin(session, user, "deactivate")
    before = user.status
    user.is_active = False
    user.invitation_token_hash = None
    user.invitation_expires_at = None
    user.session_version += 1
    user.deactivated_at = now or utcnow()
    session.flush()
    revoked = users.revoke_every_token(session, user.id, actor_user_id=actor_user_id)
    _event(session, user, "deactivate", actor_user_id, before=before, after="deactivated", reason=reason,
           details={"tokens_revoked": revoked, "roles": sorted(user.role_names)})
    return user


def reactivate_user(session: Session, user_id: int, *, actor_user_id: int | None,
                    reason: str | None = None) -> User:
    """Let a deactivated user sign in again with their old password; their old tokens stay revoked.

    Someone who never accepted their invitation has no password of their own: they become invited again
    (still unable to sign in), and the administrator makes them a new invitation link.
    """
    user = users.get_user(session, user_id)
    if user.status != "deactivated":
        raise Conflict(f"{user.display_name} is not deactivated.", fields={"user_id": [user.status]})
    if never_accepted(session, user):
        _new_link(user, None)  # its secret is never shown: the administrator makes a new link to pass on
    else:
        user.is_active = True
    session.flush()
    _event(session, user, "reactivate", actor_user_id, before="deactivated", after=user.status, reason=reason,
           details={"roles": sorted(user.role_names)})
    return user
