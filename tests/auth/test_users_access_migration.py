"""Migration 0015 keeps every user's roles and tokens, up and down: on SQLite a rebuilt users table would
have cascade-deleted them. Tokens issued before it expire in 90 days; each project's manager is assigned."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from ledger.db import make_engine
from ledger.migrate import alembic_config
from tests.books.test_migrations import empty_database_url  # noqa: F401  (the fresh-database fixture)

BEFORE = "0014_holds_controls"


def _migrate(engine, target: str, *, down: bool = False) -> None:
    with engine.begin() as connection:
        (command.downgrade if down else command.upgrade)(alembic_config(connection), target)


def _rows(engine) -> tuple:
    with engine.connect() as connection:
        return tuple(connection.execute(text(sql)).all() for sql in (
            "SELECT user_id, role FROM user_roles", "SELECT id, name FROM api_tokens"))


def test_upgrade_and_downgrade_keep_roles_and_tokens(empty_database_url):  # noqa: F811
    engine = make_engine(empty_database_url)
    try:
        _migrate(engine, BEFORE)
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO users (email, display_name, password_hash) "
                                    "VALUES ('a@x.org', 'A', 'h')"))
            connection.execute(text("INSERT INTO user_roles (user_id, role) VALUES (1, 'project_manager')"))
            connection.execute(text("INSERT INTO api_tokens (user_id, name, token_hash, prefix) "
                                    "VALUES (1, 'export', 'abc', 'lgr_abc')"))
            connection.execute(text("INSERT INTO projects (code, name, cost_centre, budget_pence, "
                                    "project_manager_user_id, starts_on) VALUES ('P', 'P', 'C', 0, 1, '2025-01-01')"))
        before = _rows(engine)
        _migrate(engine, "head")
        assert _rows(engine) == before
        with engine.connect() as connection:
            assert connection.execute(text("SELECT scope, expires_at IS NOT NULL FROM api_tokens")).one() == (
                "role", True)
            assert connection.execute(text("SELECT project_id, user_id FROM project_managers")).all() == [(1, 1)]
            assert connection.execute(text("SELECT session_version FROM users")).scalar_one() == 0
        _migrate(engine, BEFORE, down=True)
        assert _rows(engine) == before
        _migrate(engine, "head")
        assert _rows(engine) == before
    finally:
        engine.dispose()
