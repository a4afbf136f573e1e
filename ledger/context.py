"""What a request or a CLI command reads from the running app: its settings and its database session.

The one place the API, the web pages and the CLI get these from. Services never import this module:
their callers pass them the session and the settings they need, so the services run the same way in a
request, a command, a test or a benchmark.
"""

from __future__ import annotations

import datetime as dt

from flask import Flask, current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ledger.db import make_engine, make_session_factory
from ledger.settings import Settings, build_settings
from policies.budget_rates import load_planning_defaults, with_planning_defaults
from policies.rulebook import Rulebook

_SETTINGS = "ledger.settings"
_PLANNER_RULES = "ledger.planner_rulebook"


def init_app(app: Flask) -> None:
    """Build the settings record and the database engine once; close each request's session after it."""
    app.extensions[_SETTINGS] = build_settings(app.config)
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["engine"] = engine
    app.extensions["session_factory"] = make_session_factory(engine)
    app.teardown_appcontext(_close_session)


def settings() -> Settings:
    """The running app's settings."""
    return current_app.extensions[_SETTINGS]


def todays_date() -> dt.date:
    """The day the app takes as today: the calendar's, unless LEDGER_TODAY fixes it (a demonstration, a test)."""
    return settings().fixed_today or dt.date.today()


def engine() -> Engine:
    return current_app.extensions["engine"]


def session_factory() -> sessionmaker[Session]:
    """For work in a transaction of its own (a CLI command, a rate-limit counter that must survive a refusal)."""
    return current_app.extensions["session_factory"]


def get_session() -> Session:
    """The request's (or command's) session, opened on first use and closed when the app context ends."""
    if "db_session" not in g:
        g.db_session = session_factory()()
    return g.db_session


def reload_settings(app: Flask) -> Settings:
    """Rebuild the settings after ``app.config`` has changed (tests and the shell only; the app never does)."""
    app.extensions[_SETTINGS] = build_settings(app.config)
    return app.extensions[_SETTINGS]


def _close_session(_exc=None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()


def planner_rulebook() -> Rulebook:
    """The rules with the budget planner's dated planning defaults beside them, built once per app."""
    found = current_app.extensions.get(_PLANNER_RULES)
    if found is None or found[0] is not settings().rulebook:
        found = (settings().rulebook, with_planning_defaults(settings().rulebook, load_planning_defaults()))
        current_app.extensions[_PLANNER_RULES] = found
    return found[1]
