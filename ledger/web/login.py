"""Signing in with the login cookie: what Flask-Login keeps, and how it finds the user again."""

from __future__ import annotations

from flask import Flask
from flask_login import LoginManager, UserMixin


class SessionUser(UserMixin):
    """What Flask-Login keeps in the cookie: the user id and the session version it was issued under.

    Roles are re-read on every request; deactivating a user raises their session version, so every
    cookie issued before no longer signs anyone in (``ledger.auth.access.current_actor`` compares them).
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


def init_app(app: Flask) -> None:
    login_manager = LoginManager(app)
    login_manager.login_view = "auth.login"
    login_manager.user_loader(session_user_from_cookie)
