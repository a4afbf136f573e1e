"""Use cases for users: create them, log them in (rate limited), issue and revoke API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.orm import Session, joinedload

from ledger.auth import ratelimit
from ledger.auth.models import ROLES, TOKEN_SCOPES, ApiToken, User, UserRole
from ledger.auth.passwords import hash_password, needs_rehash, rehash_password, verify_password
from ledger.db import utcnow
from ledger.errors import AuthenticationRequired, Conflict, NotFound, TooManyRequests, ValidationError
from ledger.events.records import NewEvent
from ledger.events.writer import record_event
from ledger.people.models import Participant

TOKEN_PREFIX = "lgr_"
DEFAULT_TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 366
# ``last_used_at`` is an audit trail, not a hit counter: one write a minute per token is enough.
LAST_USED_EVERY = dt.timedelta(minutes=1)


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
    scope: str = "role"
    expires_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class TokenUse:
    """Who a bearer token acts for, and what it may do."""

    user_id: int
    scope: str


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
    roles = checked_roles(roles)
    check_participant_link(session, roles, participant_id)
    if not display_name or not display_name.strip():
        raise ValidationError("A display name is required.", fields={"display_name": ["required"]})
    if session.execute(select(User.id).where(User.email == email)).first():
        raise Conflict(f"A user with email {email} already exists.", fields={"email": ["exists"]})
    user = User(email=email, display_name=display_name.strip(), password_hash=hash_password(password),
                participant_id=participant_id, is_active=True)
    user.roles = [UserRole(role=r) for r in roles]
    session.add(user)
    session.flush()
    # No email in the event: events are kept for ever (and chained), the user record is what erasure empties.
    _user_event(session, user, "create", actor_user_id, details={"roles": roles})
    return user


def _user_event(session: Session, user: User, action: str, actor: int | None, *, details: dict | None = None,
                before: str | None = None, after: str | None = None) -> None:
    record_event(session, NewEvent(subject="user", subject_id=user.id, action=action, actor_user_id=actor,
                                   before=before, after=after, details=details,
                                   participant_id=user.participant_id))


def checked_roles(roles: Iterable[str]) -> list[str]:
    roles = sorted(set(roles))
    if not roles or any(r not in ROLES for r in roles):
        raise ValidationError(f"Roles must be some of {', '.join(ROLES)}.", fields={"roles": ["invalid"]})
    return roles


def check_participant_link(
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


def set_roles(session: Session, user_id: int, roles: Iterable[str], *, actor_user_id: int | None = None,
              reason: str | None = None) -> User:
    """Replace a user's roles; the change (from which roles to which, by whom, why) is recorded.

    Taking the admin role from the last active administrator is refused: nobody could then manage users.
    """
    user = get_user(session, user_id)
    roles = checked_roles(roles)
    check_participant_link(session, roles, user.participant_id, user.id)
    before = sorted(user.role_names)
    if "admin" in before and "admin" not in roles and user.is_active:
        check_not_last_admin(session, user, "take the admin role from")
    user.roles = [UserRole(role=r) for r in roles]
    session.flush()
    record_event(session, NewEvent(subject="user", subject_id=user.id, action="set_roles", actor_user_id=actor_user_id,
                                   before=",".join(before), after=",".join(roles), reason=_reason(reason),
                                   details={"from": before, "to": roles}, participant_id=user.participant_id))
    return user


def _reason(reason: str | None) -> str | None:
    return (reason or "").strip() or None


def check_not_last_admin(session: Session, user: User, doing: str) -> None:
    """Refuse a change that would leave no active administrator."""
    others = session.execute(
        select(func.count()).select_from(User).join(UserRole)
        .where(UserRole.role == "admin", User.is_active.is_(True), User.id != user.id)
    ).scalar_one()
    if others == 0:
        raise Conflict(f"You cannot {doing} the last active administrator. Make someone else an administrator first.",
                       fields={"roles": ["last admin"]})


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"There is no user {user_id}.")
    return user


@dataclass(frozen=True, slots=True)
class SignInAttempt:
    """A sign-in attempt counted against its account and its address (``claim_sign_in``), ready to be checked."""

    email: str
    account_key: str
    address_key: str
    account: ratelimit.Delays
    address: ratelimit.Delays


def sign_in_delays(max_failures: int, window_seconds: int, *, address_max_failures: int | None = None,
                   first_delay_seconds: int = 30) -> tuple[ratelimit.Delays, ratelimit.Delays]:
    """The delays per account and per address (whose limit is higher: many people share an office's address)."""
    def delays(limit: int) -> ratelimit.Delays:
        return ratelimit.Delays(limit=limit, first_seconds=min(first_delay_seconds, window_seconds),
                                longest_seconds=window_seconds, forget_after_seconds=window_seconds)
    return delays(max_failures), delays(max(address_max_failures or max_failures * 10, max_failures))


def _wait_words(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second" + ("" if seconds == 1 else "s")
    minutes = -(-seconds // 60)
    return f"{minutes} minutes"


def claim_sign_in(session: Session, email: str, *, client: str, account: ratelimit.Delays,
                  address: ratelimit.Delays, now: float | None = None) -> SignInAttempt:
    """Count this attempt against the address, then the account, before any password is checked.

    Raises ``TooManyRequests`` with ``retry_after`` when either must wait; an attempt refused for the account gives
    the address its count back. Commit this before checking the password, so the count holds its lock briefly.
    """
    email = (email or "").strip().lower()
    attempt = SignInAttempt(email=email, account_key=f"login:email:{email}", address_key=f"login:client:{client}",
                            account=account, address=address)
    wait = ratelimit.claim_attempt(session, attempt.address_key, address, now=now)
    if not wait:
        wait = ratelimit.claim_attempt(session, attempt.account_key, account, now=now)
        if wait:
            ratelimit.forgive(session, attempt.address_key, address)
    if wait:
        raise too_many_attempts(wait)
    return attempt


def too_many_attempts(wait: int) -> TooManyRequests:
    """The answer to an attempt that came too soon: how long to wait, and that guessing makes it longer."""
    return TooManyRequests(
        f"Too many failed sign-in attempts. Try again in {_wait_words(wait)}; each further wrong attempt "
        "makes the wait longer. If you have forgotten your password, ask an administrator to reset it.",
        retry_after=wait)


def change_password(session: Session, user_id: int, current: str, new: str) -> User:
    """Change one's own password (the current one first); every other sign-in ends."""
    user = get_user(session, user_id)
    if not verify_password(user.password_hash, current or ""):
        raise ValidationError("Your current password is not right. Check it and try again.",
                              fields={"current": ["does not match"]})
    if new == current:
        raise ValidationError("Choose a new password that is not the same as the current one.",
                              fields={"password": ["unchanged"]})
    user.password_hash = hash_password(new)
    user.session_version += 1
    session.flush()
    _user_event(session, user, "change_password", user.id)
    return user


def reset_password(session: Session, user_id: int, new: str, *, actor_user_id: int | None,
                   reason: str | None = None) -> User:
    """An administrator sets someone's password (``ledger users set-password``); their sign-ins end."""
    user = get_user(session, user_id)
    user.password_hash = hash_password(new)
    user.session_version += 1
    session.flush()
    record_event(session, NewEvent(subject="user", subject_id=user.id, action="reset_password",
                                   actor_user_id=actor_user_id, reason=_reason(reason),
                                   participant_id=user.participant_id))
    return user


def check_sign_in(session: Session, attempt: SignInAttempt, password: str) -> User | None:
    """Check the password of a counted attempt: a success gives back the counts, a failure leaves them."""
    user = session.execute(select(User).where(User.email == attempt.email)).scalar_one_or_none()
    if user is None or not user.is_active:
        verify_password(_decoy_hash(), password or "")
        return None
    if not verify_password(user.password_hash, password or ""):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = rehash_password(password)
    ratelimit.forget(session, attempt.account_key)
    ratelimit.forgive(session, attempt.address_key, attempt.address)
    return user


def authenticate(
    session: Session, email: str, password: str, *, client: str, max_failures: int, window_seconds: int,
    address_max_failures: int | None = None, first_delay_seconds: int = 30, now: float | None = None,
) -> User | None:
    """Count and check a sign-in in one transaction (the pages count in a short transaction of their own first)."""
    account, address = sign_in_delays(max_failures, window_seconds, address_max_failures=address_max_failures,
                                      first_delay_seconds=first_delay_seconds)
    attempt = claim_sign_in(session, email, client=client, account=account, address=address, now=now)
    return check_sign_in(session, attempt, password)


def end_sessions(session: Session, user_id: int) -> None:
    """End every sign-in the user has (signing out): cookies issued under the old session version stop working.

    One atomic UPDATE, so two sign-outs at once both count and neither is lost.
    """
    session.execute(update(User).where(User.id == user_id).values(session_version=User.session_version + 1))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user_id: int, name: str, *, actor_user_id: int | None = None,
                scope: str = "role", expires_in_days: int = DEFAULT_TOKEN_DAYS) -> IssuedToken:
    """Issue a token that expires after ``expires_in_days`` (at most a year) with ``scope`` role or read_only."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError("Give the token a name of 1 to 100 characters, saying what uses it.",
                              fields={"name": ["invalid"]})
    if scope not in TOKEN_SCOPES:
        raise ValidationError("The scope must be 'role' (your roles) or 'read_only' (reading only).",
                              fields={"scope": ["invalid"]})
    if isinstance(expires_in_days, bool) or not isinstance(expires_in_days, int) \
            or not 1 <= expires_in_days <= MAX_TOKEN_DAYS:
        raise ValidationError(f"A token lasts from 1 to {MAX_TOKEN_DAYS} days.",
                              fields={"expires_in_days": ["out of range"]})
    user = get_user(session, user_id)
    if not user.is_active:
        raise Conflict("A deactivated user cannot be given an API token.", fields={"user_id": ["inactive"]})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = utcnow() + dt.timedelta(days=expires_in_days)
    row = ApiToken(user_id=user_id, name=name, token_hash=_token_hash(token), prefix=token[:12], scope=scope,
                   expires_at=expires_at)
    session.add(row)
    session.flush()
    _token_event(session, row, "issue", actor_user_id if actor_user_id is not None else user_id)
    return IssuedToken(id=row.id, name=name, token=token, scope=scope, expires_at=expires_at)



def _token_event(session: Session, row: ApiToken, action: str, actor: int | None) -> None:
    record_event(session, NewEvent(subject="api_token", subject_id=row.id, action=action, actor_user_id=actor,
                                   after="revoked" if row.revoked_at else "active",
                                   details={"user_id": row.user_id, "name": row.name, "prefix": row.prefix,
                                            "scope": row.scope, "expires_at": row.expires_at.isoformat()}))


def revoke_every_token(session: Session, user_id: int, *, actor_user_id: int | None) -> int:
    """Revoke all of a user's live tokens (on deactivation); return how many."""
    rows = session.execute(
        select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    ).scalars().all()
    for row in rows:
        row.revoked_at = utcnow()
    session.flush()
    for row in rows:
        _token_event(session, row, "revoke", actor_user_id)
    return len(rows)


def revoke_token(session: Session, user_id: int, token_id: int) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user_id:
        raise NotFound(f"You have no API token {token_id}.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
        _token_event(session, row, "revoke", user_id)
    return row


def list_tokens(session: Session, user_id: int) -> list[ApiToken]:
    return list(session.execute(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
    ).scalars())


def user_for_token(session: Session, token: str) -> User | None:
    """The active user a live, unexpired token belongs to, or None."""
    try:
        return check_token(session, token).user
    except AuthenticationRequired:
        return None


@dataclass(frozen=True, slots=True)
class CheckedToken:
    """A live token, the user it acts for (their roles loaded with them), and whether its use is due a note."""

    token_id: int
    user: User
    scope: str
    use_due: bool


@cache
def _token_query() -> Select:
    """The token's columns (not the row: a tokens page later in the request reads it afresh), its user and their
    roles. Built once: every API request runs it, and building it took a tenth of a millisecond each time."""
    return (select(ApiToken.id, ApiToken.expires_at, ApiToken.last_used_at, ApiToken.scope, User)
            .join(User, User.id == ApiToken.user_id).options(joinedload(User.roles))
            .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None)))


def check_token(session: Session, token: str, *, now: dt.datetime | None = None) -> CheckedToken:
    """Check a bearer token in one indexed query (token, its user and their roles together); write nothing.

    Every API request starts here, so the token, the user and the roles come in one round trip. Raises
    ``AuthenticationRequired`` saying why: unknown or revoked, expired, or its user deactivated.
    """
    now = now or utcnow()
    found = None
    if token and token.startswith(TOKEN_PREFIX):
        found = session.execute(_token_query(), {"token_hash": _token_hash(token)}).unique().one_or_none()
    if found is None:
        raise AuthenticationRequired("This API token is not valid or has been revoked. Create a new one on "
                                     "your tokens page.")
    row, user = found, found.User
    if row.expires_at <= now:
        raise AuthenticationRequired(f"This API token expired on {row.expires_at:%d %B %Y at %H:%M} UTC. "
                                     "Create a new one on your tokens page.")
    if not user.is_active:
        raise AuthenticationRequired("The user this API token belongs to has been deactivated.")
    use_due = row.last_used_at is None or now - row.last_used_at >= LAST_USED_EVERY
    return CheckedToken(token_id=row.id, user=user, scope=row.scope, use_due=use_due)


def note_token_used(session: Session, token_id: int, now: dt.datetime | None = None) -> None:
    """Keep when the token was last used (the caller checks it is due: at most one write a minute)."""
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now or utcnow()))


def use_token(session: Session, token: str, *, record_use: bool = True, now: dt.datetime | None = None) -> TokenUse:
    """Check a bearer token and note when it was last used (at most one write a minute).

    Raises ``AuthenticationRequired`` saying why: unknown or revoked, expired, or its user deactivated.
    """
    now = now or utcnow()
    checked = check_token(session, token, now=now)
    if record_use and checked.use_due:
        note_token_used(session, checked.token_id, now)
        session.expire_all()
    return TokenUse(user_id=checked.user.id, scope=checked.scope)
