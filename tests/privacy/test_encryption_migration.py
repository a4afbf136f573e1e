"""Migration 0026 encrypts the personal data already stored, in place, and the app reads it back."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
from alembic import command
from sqlalchemy.orm import Session

from ledger.db import make_engine
from ledger.migrate import alembic_config, upgrade
from ledger.people.models import BenefitDeclaration, CircumstanceReport, Participant
from tests.books.test_migrations import empty_database_url  # noqa: F401  (a brand-new database)

FERNET_TOKEN = re.compile(r'"?gAAAAA[A-Za-z0-9_-]+=*"?')  # version byte 0x80, then a timestamp
NOW = dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.UTC)


def _plain_rows(connection) -> None:
    """A participant, a declaration and a report as they were stored before 0026: in clear."""
    people = sa.table("participants", sa.column("id"), sa.column("name"), sa.column("email"),
                      sa.column("date_of_birth", sa.Date()))
    declarations = sa.table("benefit_declarations", sa.column("participant_id"), sa.column("declared_on", sa.Date()),
                            sa.column("benefits", sa.JSON()), sa.column("circumstances"))
    reports = sa.table("circumstance_reports", sa.column("participant_id"), sa.column("change"),
                       sa.column("benefit"), sa.column("changed_on", sa.Date()), sa.column("details"),
                       sa.column("status"), sa.column("reported_at", sa.DateTime(timezone=True)))
    connection.execute(sa.insert(people).values(id=1, name="Ann Example", email="ann@example.org",
                                                date_of_birth=dt.date(1961, 2, 3)))
    connection.execute(sa.insert(declarations).values(participant_id=1, declared_on=dt.date(2025, 5, 1),
                                                      benefits=[{"name": "carers_allowance"}],
                                                      circumstances="Cares for her mother"))
    connection.execute(sa.insert(reports).values(participant_id=1, change="started", benefit="pip",
                                                 changed_on=dt.date(2025, 5, 2), details="Award letter came",
                                                 status="waiting", reported_at=NOW))


def test_upgrade_encrypts_what_was_stored_in_clear(empty_database_url):  # noqa: F811
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine, "0022_outbox")
        with engine.begin() as connection:
            _plain_rows(connection)
        upgrade(engine)
        with engine.connect() as connection:
            stored = [str(v) for table, columns in (
                ("participants", "date_of_birth_encrypted"), ("benefit_declarations", "benefits, circumstances"),
                ("circumstance_reports", "benefit_encrypted, details"))
                for row in connection.execute(sa.text(f"SELECT {columns} FROM {table}")) for v in row]
        # Each value is a whole Fernet token (the JSON column holds one as a JSON string), so nothing is left in
        # clear. Looking for the clear words in the tokens instead failed now and then: a token is random base64,
        # and 'pip' turned up in one by chance.
        assert len(stored) == 5
        for value in stored:
            assert FERNET_TOKEN.fullmatch(value), value
        with Session(engine) as session:
            assert session.get(Participant, 1).date_of_birth == dt.date(1961, 2, 3)
            declaration = session.scalars(sa.select(BenefitDeclaration)).one()
            assert (declaration.benefits, declaration.circumstances) == ([{"name": "carers_allowance"}],
                                                                         "Cares for her mother")
            report = session.scalars(sa.select(CircumstanceReport)).one()
            assert (report.benefit, report.details) == ("pip", "Award letter came")
        with engine.begin() as connection:  # and back: the downgrade decrypts into the plain columns again
            command.downgrade(alembic_config(connection), "0022_outbox")
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT date_of_birth FROM participants")).scalar_one() in (
                dt.date(1961, 2, 3), "1961-02-03")
            assert connection.execute(sa.text("SELECT circumstances FROM benefit_declarations")).scalar_one() == \
                "Cares for her mother"
    finally:
        engine.dispose()
