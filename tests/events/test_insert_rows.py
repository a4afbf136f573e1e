"""``insert_rows``: many rows in two statements on PostgreSQL (arrays), stored exactly as a plain insert stores them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import event, insert, select

import ledger.models  # noqa: F401  (every table, so that foreign keys resolve)
from ledger.db import ARRAYS_FROM, insert_rows, insert_rows_skipping_conflicts
from ledger.events.models import Event

_events = Event.__table__
AT = dt.datetime(2026, 10, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))  # stored in UTC, read back so


def _rows(start: int, count: int) -> list[dict]:
    return [{"at": AT, "actor_user_id": None, "subject_type": "period", "subject_id": f"2026-{n:04d}",
             "action": "lock", "from_status": "open" if n % 3 else None, "to_status": "locked",
             "reason": None if n % 2 else f"Reason {n}: it's \"quoted\", {{braced}}, back\\slashed, ünïcode",
             "note": "" if n % 5 == 0 else f"note {n}", "details": None if n % 4 == 0 else {"n": n, "list": [1, "a"]},
             "participant_id": None, "claim_id": None, "payment_run_id": None, "entry_id": None, "digest_version": 2}
            for n in range(start, start + count)]


def _stored(session, ids):
    columns = [c for c in _events.c if c.name != "id"]
    by_id = {row[0]: row[1:] for row in session.execute(select(_events.c.id, *columns).where(_events.c.id.in_(ids)))}
    return [by_id[i] for i in ids]


def test_many_rows_are_stored_as_a_plain_insert_stores_them(session, backend):
    many = ARRAYS_FROM + 5
    statements = []
    engine = session.get_bind()
    listener = lambda *_: statements.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    ids = insert_rows(session.connection(), _events, _rows(0, many))
    event.remove(engine, "before_cursor_execute", listener)
    plain = session.execute(insert(_events).returning(_events.c.id, sort_by_parameter_order=True),
                            _rows(0, many)).scalars().all()
    session.commit()

    assert len(ids) == len(set(ids)) == many
    assert _stored(session, ids) == _stored(session, plain)  # text, JSON (and JSON null), moments, NULLs alike
    assert _stored(session, ids)[1][0] == AT.astimezone(dt.UTC)
    if backend == "postgresql":
        assert len(statements) == 2  # the ids from the sequence, then the rows as arrays


def test_rows_breaking_a_unique_index_are_skipped_and_say_so(session):
    from ledger.outbox.models import OutboxMessage
    from tests.factories import make_participant

    participant = make_participant(session)
    messages = OutboxMessage.__table__
    now = dt.datetime.now(dt.UTC)

    def rows(keys):
        return [{"kind": "remittance", "status": "pending", "dedupe_key": key, "participant_id": participant.id,
                 "to_address": "ann@example.org", "claim_id": None, "payment_run_id": None, "details": {"k": key},
                 "created_at": now, "next_attempt_at": now, "attempts": 0} for key in keys]

    first = insert_rows(session.connection(), messages, rows(["k-3", "k-7"]))
    keys = [f"k-{n}" for n in range(ARRAYS_FROM + 5)]
    ids = insert_rows_skipping_conflicts(session.connection(), messages, rows(keys))
    session.commit()

    assert [key for key, i in zip(keys, ids, strict=True) if i is None] == ["k-3", "k-7"]
    stored = dict(session.execute(select(messages.c.id, messages.c.dedupe_key)).all())
    assert {stored[i] for i in ids if i is not None} == set(keys) - {"k-3", "k-7"}
    assert {stored[i] for i in first} == {"k-3", "k-7"}
