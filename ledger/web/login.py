"""Signing in with the login cookie: what Flask-Login keeps, how it finds the user again, and when it ends.

A sign-in ends at once when the person signs out or is deactivated (both move the user's session version on,
and ``ledger.auth.access.current_actor`` refuses a cookie carrying an older one, on every device), after
``SESSION_IDLE_MINUTES`` without a request, and ``SESSION_ABSOLUTE_HOURS`` after signing in whatever happens.
Signing in starts a new session: everything kept before (and the CSRF token) is thrown away, so a session
or token seen before sign-in is worth nothing after it.
"""

from __future__ import annotations

from flask import Flask, flash, g, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from ledger.auth import totp
from ledger.auth.access import current_actor
from ledger.context import settings
from ledger.db import utcnow

#: When the person signed in, and when they were last seen (seconds since the epoch), kept in the signed cookie.
SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"
#: The last-seen time is rewritten at most this often, so that not every response sets a new cookie.
SEEN_EVERY_SECONDS = 60
#: Requests that never act for a signed-in person: the JSON API (bearer tokens only) and the built assets.
NOT_SIGNED_IN_ENDPOINTS = frozenset({"static", "assets.static"})


class SessionUser(UserMixin):
    """What Flask-Login keeps in the cookie: the user id and the session version it was issued under.

    Roles are re-read on every request; signing out and deactivating a user raise their session version, so
    every cookie issued before no longer signs anyone in (``ledger.auth.access.current_actor`` compares them).
    """

    def __init__(self, user_id: int, session_version: int = 0):
        self.user_id = user_id
        self.session_version = session_version
        self.id = f"{user_id}:{session_version}"


def session_user_from_cookie(value: str) -> SessionUser | None:
    """Read the cookie's ``<user id>:<session version>``; an older cookie with an id alone is version 0."""
    user_id, _, version = value.partition(":")
    if not user_id.isdigit() or not (version or "0").isdigit():
        return None
    return SessionUser(int(user_id), int(version or "0"))


def _now() -> int:
    return int(utcnow().timestamp())


def _fresh_session() -> None:
    """Throw away the session and the CSRF token made for it (Flask-WTF keeps the signed one in ``g``)."""
    session.clear()
    g.pop("csrf_token", None)


def start_session(user_id: int, session_version: int) -> None:
    """Sign the person in with a new session and a new CSRF token, timed from now."""
    _fresh_session()
    login_user(SessionUser(user_id, session_version))
    session[SIGNED_IN_AT] = session[SEEN_AT] = _now()


#: Between the password and the code: the user id, session version and when the password was right.
PENDING_SECOND_FACTOR = "second_factor_for"
#: How long the password step stays good while the person finds their phone.
SECOND_FACTOR_SECONDS = 300


def start_second_factor(user_id: int, session_version: int) -> None:
    """Remember, in a fresh session signed in as nobody, whose password was right: the code comes next."""
    _fresh_session()
    session[PENDING_SECOND_FACTOR] = [user_id, session_version, _now()]


def pending_second_factor() -> tuple[int, int] | None:
    """The user id and session version waiting for a code, while the password step is recent; else None."""
    found = session.get(PENDING_SECOND_FACTOR)
    if not isinstance(found, list) or len(found) != 3 or not all(isinstance(v, int) for v in found):
        return None
    if _now() - found[2] > SECOND_FACTOR_SECONDS:
        session.pop(PENDING_SECOND_FACTOR, None)
        return None
    return found[0], found[1]


def end_session() -> None:
    """Sign the person out of this browser (the caller moves the session version on for the rest)."""
    logout_user()
    _fresh_session()


def session_expired(signed_in_at: object, seen_at: object, now: int, *, idle_minutes: int,
                    absolute_hours: int) -> str | None:
    """Why a sign-in has ended (``idle`` or ``absolute``), or None while it lasts; a cookie without times ends."""
    if not isinstance(signed_in_at, int) or not isinstance(seen_at, int):
        return "absolute"
    if now - signed_in_at >= absolute_hours * 3600:
        return "absolute"
    if now - seen_at >= idle_minutes * 60:
        return "idle"
    return None


def check_session_age() -> None:
    """End a sign-in that has been idle or has lasted too long; otherwise note that the person was seen (before
    any view runs, so the guard then finds nobody signed in and sends them to sign in again)."""
    if request.path.startswith("/api/") or request.endpoint in NOT_SIGNED_IN_ENDPOINTS \
            or not current_user.is_authenticated:
        return
    limits, now = settings().sessions, _now()
    why = session_expired(session.get(SIGNED_IN_AT), session.get(SEEN_AT), now,
                          idle_minutes=limits.idle_minutes, absolute_hours=limits.absolute_hours)
    if why is None:
        if now - session[SEEN_AT] >= SEEN_EVERY_SECONDS:
            session[SEEN_AT] = now
        return
    end_session()
    flash(f"You were signed out after {_count(limits.idle_minutes, 'minute')} without using the service. Sign in "
          "again." if why == "idle" else
          f"You were signed out because you signed in more than {_count(limits.absolute_hours, 'hour')} ago. Sign "
          "in again.", "info")


def _count(number: int, unit: str) -> str:
    return f"{number} {unit}" + ("" if number == 1 else "s")


#: What a finance or admin user who must set up their authenticator app may still reach.
ENROLMENT_ENDPOINTS = frozenset({"auth.two_factor", "auth.logout", "auth.login", "auth.login_code"})


def send_to_enrol():
    """A finance or admin user without a second factor, where one is required, sets it up before anything else."""
    if request.path.startswith("/api/") or request.endpoint in NOT_SIGNED_IN_ENDPOINTS \
            or request.endpoint in ENROLMENT_ENDPOINTS or not current_user.is_authenticated:
        return None
    user = current_actor()
    if user is not None and totp.must_enrol(user, settings().totp_required):
        flash("Finance and administrator accounts sign in with a code from an authenticator app too. Set it "
              "up now to continue.", "info")
        return redirect(url_for("auth.two_factor"))
    return None


def init_app(app: Flask) -> None:
    login_manager = LoginManager(app)
    login_manager.login_view = "auth.login"
    login_manager.user_loader(session_user_from_cookie)
    # Before the permission check (``ledger.web.setup`` adds that next): an ended sign-in is nobody.
    app.before_request(check_session_age)
    app.before_request(send_to_enrol)
