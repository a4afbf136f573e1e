"""``ledger backup`` and ``ledger restore``: a copy restored into an empty database verifies, chain included."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ledger import create_app
from ledger.chain import audit
from tests.chain.test_chain import guards_off
from tests.factories import PaymentsWorld, database


def _some_books(app) -> None:
    with database(app) as session:
        world = PaymentsWorld(session)
        world.claim(world.participant("Ann"), 4500)
        world.confirm(world.draft().id)


@pytest.fixture
def empty_database_url(backend, tmp_path):
    """A database with nothing in it, not even tables: where a restore may go."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    from tests.conftest import TEST_DATABASE_URL

    url = make_url(TEST_DATABASE_URL)
    name = f"{url.database}_restore_{abs(hash(str(tmp_path))) % 10**8}"
    admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_backup_restored_into_an_empty_database_verifies(app, runner, backend, empty_database_url, tmp_path):
    if backend == "postgresql" and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    _some_books(app)
    path = tmp_path / "books.backup"
    made = runner.invoke(args=["ledger", "backup", str(path)])
    assert made.exit_code == 0, made.output
    assert path.stat().st_size > 0
    assert runner.invoke(args=["ledger", "backup", str(path)]).exit_code == 1  # never over an old backup

    restored_app = create_app({"DATABASE_URL": empty_database_url, "TESTING": True})
    try:
        restored = restored_app.test_cli_runner().invoke(args=["ledger", "restore", str(path)])
        assert restored.exit_code == 0, restored.output
        assert f"All {len(audit.VERIFY_CHECKS)} checks passed." in restored.output

        again = restored_app.test_cli_runner().invoke(args=["ledger", "restore", str(path)])
        assert again.exit_code == 1
        assert "is not empty" in again.output

        with database(restored_app) as session:  # the chain came along: an edit in the copy shows
            guards_off(session)
            session.execute(text("UPDATE journal_entries SET description = 'Edited in the copy'"))
        broken = restored_app.test_cli_runner().invoke(args=["ledger", "verify"])
        assert broken.exit_code == 1 and "(check: chain)" in broken.output
    finally:
        restored_app.extensions["engine"].dispose()


def test_restore_refuses_a_missing_file(runner, tmp_path):
    refused = runner.invoke(args=["ledger", "restore", str(tmp_path / "nothing.backup")])
    assert refused.exit_code == 1
    assert "There is no backup file" in refused.output
