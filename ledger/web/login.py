"""Signing in with the login cookie: what Flask-Login keeps, and how it finds the user again."""

from __future__ import annotations

from flask import Flask
from flask_login import LoginManager, UserMixin


class SessionUser(UserMixin):
    """What Flask-Login keeps in the cookie: only the user id; roles are re-read on every request."""

    def __init__(self, user_id: int):
        self.id = user_id


def init_app(app: Flask) -> None:
    login_manager = LoginManager(app)
    login_manager.login_view = "auth.login"

    @login_manager.user_loader
    def _load(user_id: str):
        return SessionUser(int(user_id)) if user_id.isdigit() else None
