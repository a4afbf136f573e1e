"""The 0002 migration rebuilds participants on SQLite without losing rows or the users linked to them."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from ledger.db import make_engine
from ledger.migrate import alembic_config, upgrade


def test_participants_and_their_users_survive_the_upgrade_and_the_downgrade(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    try:
        upgrade(engine, "0001_foundation")
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO participants (id, name, email) VALUES (7, 'Ann', 'ann@example.org')"))
            connection.execute(text("INSERT INTO users (email, display_name, password_hash, is_active, participant_id) "
                                    "VALUES ('ann@example.org', 'Ann', 'x', 1, 7)"))
        upgrade(engine)
        with engine.connect() as connection:
            row = connection.execute(text(
                "SELECT name, email, preferred_format, default_reward, is_active FROM participants WHERE id = 7"
            )).one()
            assert tuple(row) == ("Ann", "ann@example.org", "email", "paid_to_me", 1)
            assert connection.execute(text("SELECT participant_id FROM users")).scalar_one() == 7
            assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0001_foundation")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT name FROM participants WHERE id = 7")).scalar_one() == "Ann"
            assert connection.execute(text("SELECT participant_id FROM users")).scalar_one() == 7
    finally:
        engine.dispose()
