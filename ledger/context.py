"""What a request or a CLI command reads from the running app: its settings and its database session.

The one place the API, the web pages and the CLI get these from. Services never import this module:
their callers pass them the session and the settings they need, so the services run the same way in a
request, a command, a test or a benchmark.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, Response, current_app, g, has_app_context
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ledger.books.posting import MAX_POSTINGS_KEY
from ledger.claims.preview_cache import PreviewCache
from ledger.db import PoolSettings, count_statements, make_engine, make_session_factory, unit_of_work
from ledger.encryption import use_personal_data_key
from ledger.settings import Settings, build_settings
from policies.budget_rates import load_planning_defaults, with_planning_defaults
from policies.rulebook import Rulebook

_SETTINGS = "ledger.settings"
_PLANNER_RULES = "ledger.planner_rulebook"
_PREVIEW_CACHE = "ledger.preview_cache"


def init_app(app: Flask) -> None:
    """Build the settings record and the database engine once; close each request's session after it."""
    app.extensions[_SETTINGS] = build_settings(app.config)
    # The encrypted columns see no app: their keys are installed for the process, once, here.
    use_personal_data_key(app.extensions[_SETTINGS].personal_data_keys)
    engine = make_engine(app.config["DATABASE_URL"], PoolSettings(
        size=app.config["DB_POOL_SIZE"], max_overflow=app.config["DB_MAX_OVERFLOW"],
        timeout_seconds=app.config["DB_POOL_TIMEOUT_SECONDS"],
        statement_timeout_ms=app.config["DB_STATEMENT_TIMEOUT_MS"],
        idle_in_transaction_ms=app.config["DB_IDLE_IN_TRANSACTION_TIMEOUT_MS"]))
    app.extensions["engine"] = engine
    app.extensions["session_factory"] = make_session_factory(
        engine, app.config["LEDGER_CHAIN_KEY"], limits={MAX_POSTINGS_KEY: app.config["MAX_POSTINGS_PER_ENTRY"]})
    # Per app (so per database and per worker): the finance queue's benefit checks, kept while nothing changes.
    app.extensions[_PREVIEW_CACHE] = PreviewCache()
    app.teardown_appcontext(_close_session)
    if app.config.get("COUNT_SQL_STATEMENTS"):
        count_statements(engine, _count_one)
        app.after_request(_say_statements)


def _count_one() -> None:
    """One more SQL statement for this request (only when the benchmark asks; outside a request, nothing)."""
    if has_app_context():
        g.sql_statements = g.get("sql_statements", 0) + 1


def _say_statements(response: Response) -> Response:
    response.headers["X-SQL-Statements"] = str(g.get("sql_statements", 0))
    return response


def settings() -> Settings:
    """The running app's settings."""
    return current_app.extensions[_SETTINGS]


def preview_cache() -> PreviewCache:
    """The running app's cache of the finance queue's benefit checks (``ledger.claims.preview_cache``)."""
    return current_app.extensions[_PREVIEW_CACHE]


def todays_date() -> dt.date:
    """The day the app takes as today: the calendar's, unless LEDGER_TODAY fixes it (a demonstration, a test)."""
    return settings().fixed_today or dt.date.today()


def engine() -> Engine:
    return current_app.extensions["engine"]


def session_factory() -> sessionmaker[Session]:
    """For work in a transaction of its own (a CLI command, a rate-limit counter that must survive a refusal)."""
    return current_app.extensions["session_factory"]


@contextmanager
def transaction_of_its_own() -> Iterator[Session]:
    """A unit of work beside the request's, for what must be kept whatever the request does next (a rate-limit
    count, a sign-in attempt, a token's last use); it commits as the block ends.

    The request's own read so far is ended first: on SQLite every transaction takes the write lock as it
    begins, so an open read would keep this one waiting on the same process until the lock timed out. The
    request must have written nothing yet (this is for the checks before the work)."""
    request_session = g.get("db_session")
    if request_session is not None and request_session.in_transaction():
        if request_session.new or request_session.dirty or request_session.deleted:
            raise RuntimeError("a transaction of its own is for before the request writes anything")
        request_session.rollback()
    with unit_of_work(session_factory()) as own:
        yield own


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
