"""Fixtures: every database test runs on SQLite and again on PostgreSQL.

PostgreSQL comes from TEST_DATABASE_URL (default: the local server's ``test`` database, next to which each
run makes a scratch database of its own). Without it,
PostgreSQL runs are skipped, except under CI=true, where they fail loudly instead.
Tests marked ``postgres_only`` (concurrency, deferred constraint triggers) run on PostgreSQL only.

Nothing depends on how fast the machine is or on when the suite runs: Hypothesis has no deadline per example,
and the rate limits' clock stands still (see ``_rate_limit_windows_stand_still``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import Session

from ledger.db import make_engine, make_session_factory, normalise_url
from ledger.migrate import upgrade

TEST_DATABASE_URL = normalise_url(
    os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
)
IN_CI = os.environ.get("CI", "").lower() == "true"

# A slow example on a busy machine is not a failure: without this, Hypothesis fails any example over 200 ms.
settings.register_profile("ledger", deadline=None)
settings.load_profile("ledger")


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing():
    """Argon2 at its cheapest in tests: the hashing is the library's, its cost only slows the suite."""
    from argon2 import PasswordHasher, profiles

    from ledger.auth import passwords

    real = passwords._hasher
    passwords._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    yield
    passwords._hasher = real


@pytest.fixture(autouse=True)
def _rate_limit_windows_stand_still(monkeypatch):
    """Count every rate-limited hit in one fixed window.

    The limits count in fixed windows of the wall clock (``time.time() // window``); a window that ended
    between a test's failed sign-ins and its check would forget them, and the test would fail for that
    reason alone. Tests of the windows themselves pass ``now`` explicitly.
    """
    from ledger.auth import ratelimit

    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_750_000_000.0))


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("postgres_only")
        metafunc.parametrize("backend", ["postgresql"] if marker else ["sqlite", "postgresql"])


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated, empty PostgreSQL database of this test run's own.

    A scratch database is created next to TEST_DATABASE_URL's and dropped afterwards, so that two test
    runs on one server cannot disturb each other.
    """
    engine = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
    except Exception as error:
        engine.dispose()
        message = f"PostgreSQL is unreachable at {TEST_DATABASE_URL}: {error}"
        if IN_CI:
            pytest.fail(message + " (CI=true: PostgreSQL tests must run)", pytrace=False)
        pytest.skip(message)
    url = make_url(TEST_DATABASE_URL)
    scratch = f"{url.database}_run_{os.getpid()}"
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch}"'))
        connection.execute(text(f'CREATE DATABASE "{scratch}"'))
    scratch_url = url.set(database=scratch).render_as_string(hide_password=False)
    migrated = create_engine(scratch_url)
    upgrade(migrated)
    migrated.dispose()
    yield scratch_url
    cleaner = _CLEANERS.pop(scratch_url, None)
    if cleaner is not None:
        cleaner[0].dispose()
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("template") / "ledger.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return str(path)


_CLEANERS: dict[str, tuple] = {}


def _truncate_all(url: str) -> None:
    """Empty every table that holds rows, with one engine per database for the whole run."""
    if url not in _CLEANERS:
        engine = create_engine(url)
        with engine.connect() as connection:
            tables = connection.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )).scalars().all()
        probe = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM {t})" for t in tables)
        _CLEANERS[url] = (engine, text(probe))
    engine, probe = _CLEANERS[url]
    with engine.begin() as connection:
        used = connection.execute(probe).scalars().all()
        if used:
            connection.execute(text(f"TRUNCATE {', '.join(used)} RESTART IDENTITY CASCADE"))


@pytest.fixture
def database_url(request, backend, tmp_path) -> Iterator[str]:
    if backend == "sqlite":
        path = tmp_path / "ledger.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_url")
    _truncate_all(url)
    yield url


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine):
    return make_session_factory(engine)


@pytest.fixture
def session(session_factory) -> Iterator[Session]:
    session = session_factory()
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def app(database_url, tmp_path):
    from ledger import create_app

    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "WTF_CSRF_ENABLED": False,
                      "SECRET_KEY": "test-secret-key-test-secret-key-0123456789"})
    yield app
    app.extensions["engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def pytest_collection_modifyitems(config, items) -> None:
    """The slow tests first (``@pytest.mark.slow``), keeping the order otherwise: pytest-xdist hands the first
    tests out one to each worker in turn, so the minutes-long demo year runs beside the rest of the suite
    instead of after it, as its tail."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
