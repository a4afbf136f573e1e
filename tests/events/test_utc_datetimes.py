"""Every moment the ledger stores reads back as an aware UTC datetime, on SQLite as on PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from ledger import models  # noqa: F401  (every table, for the column check)
from ledger.books.models import Account
from ledger.db import Base, UTCDateTime, as_utc
from ledger.events.records import NewEvent
from ledger.events.writer import events_of, record_event
from tests.factories import make_participant

LONDON_SUMMER = dt.timezone(dt.timedelta(hours=1), "BST")


def test_a_moment_written_in_another_zone_reads_back_as_the_same_moment_in_utc(session):
    at = dt.datetime(2026, 7, 1, 9, 30, tzinfo=LONDON_SUMMER)
    record_event(session, NewEvent("period", "2026-07", "lock", actor_user_id=None), at=at)
    session.flush()
    (event,) = events_of(session, "period", "2026-07")
    assert (event.at, event.at.tzinfo) == (dt.datetime(2026, 7, 1, 8, 30, tzinfo=dt.UTC), dt.UTC)


def test_a_database_default_timestamp_reads_back_aware_in_utc(session):
    make_participant(session)
    session.commit()
    (account_created,) = session.execute(select(Account.created_at).limit(1)).one()
    assert account_created.tzinfo is dt.UTC


def test_every_datetime_column_in_the_models_is_a_utc_datetime():
    columns = [(table.name, column.name) for table in Base.metadata.tables.values() for column in table.columns
               if column.type.python_type is dt.datetime and not isinstance(column.type, UTCDateTime)]
    assert columns == []


def test_a_naive_value_is_taken_as_utc():
    assert as_utc(dt.datetime(2026, 1, 2, 3, 4)) == dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC)
