"""Plain helpers for HTTP tests of sign-in, tokens and roles, shared by tests/auth, tests/web and tests/api.

They open their own short unit of work on the app's database, so no transaction is left open while a
request runs (SQLite takes its write lock when a transaction begins).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from ledger.auth import users
from ledger.auth.models import User
from ledger.books.models import JournalEntry
from ledger.db import unit_of_work
from ledger.people.models import Participant

PASSWORD = "a long enough passphrase"


def database(app: Flask):
    """A unit of work on the app's own database."""
    return unit_of_work(app.extensions["session_factory"])


def add_participant(app: Flask, name: str = "Ann Example") -> int:
    with database(app) as session:
        participant = Participant(name=name)
        session.add(participant)
        session.flush()
        return participant.id


def add_user(
    app: Flask,
    email: str,
    roles: Iterable[str],
    *,
    password: str = PASSWORD,
    participant_id: int | None = None,
    active: bool = True,
) -> int:
    """Create a user with these roles (a participant user gets a participant record of their own)."""
    roles = list(roles)
    if "participant" in roles and participant_id is None:
        participant_id = add_participant(app, name=email.split("@")[0])
    with database(app) as session:
        user = users.create_user(session, email=email, display_name=email.split("@")[0].title(),
                                 password=password, roles=roles, participant_id=participant_id)
        user.is_active = active
        session.flush()
        return user.id


def token_for(app: Flask, user_id: int, name: str = "test script") -> str:
    with database(app) as session:
        return users.issue_token(session, user_id, name).token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD, **kwargs):
    """Sign in through the login form (CSRF disabled in the default ``app`` fixture)."""
    return client.post("/login", data={"email": email, "password": password}, **kwargs)


def csrf_token_in(html: str) -> str:
    """The CSRF token of the first form in a rendered page."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def entry_count(app: Flask) -> int:
    with database(app) as session:
        return session.execute(select(func.count()).select_from(JournalEntry)).scalar_one()


def participant_of(app: Flask, user_id: int) -> int:
    """The participant record a participant user is linked to."""
    with database(app) as session:
        return session.get(User, user_id).participant_id
