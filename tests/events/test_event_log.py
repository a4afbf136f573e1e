"""One append-only events table, written by one function: what the audit log will read."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from ledger.errors import ValidationError
from ledger.events.models import Event
from ledger.events.records import NewEvent
from ledger.events.writer import events_of, record_event, record_events

CHANGES = {
    "edit an event's reason": "UPDATE events SET reason = 'rewritten'",
    "move an event in time": "UPDATE events SET at = at",
    "delete an event": "DELETE FROM events",
}


def _period_locked(session, month: str = "2026-10") -> None:
    record_event(session, NewEvent(subject="period", subject_id=month, action="lock", actor_user_id=None,
                                   after="locked", reason="October's books are closed"))


@pytest.mark.parametrize("change", CHANGES)
def test_events_cannot_be_changed_or_deleted(session, change):
    _period_locked(session)
    session.commit()

    with pytest.raises(DBAPIError, match="events are append-only"):
        session.execute(text(CHANGES[change]))
    session.rollback()

    assert session.execute(select(Event.reason)).scalar_one() == "October's books are closed"


def test_an_event_is_read_back_as_it_was_written(session):
    _period_locked(session)
    session.commit()

    (event,) = events_of(session, "period", "2026-10")
    assert (event.kind, event.after, event.reason, event.subject_id) == (
        "period.lock", "locked", "October's books are closed", "2026-10")
    assert event.at.tzinfo is not None


def test_events_written_together_share_their_moment_and_keep_their_order(session):
    written = record_events(session, [
        NewEvent(subject="period", subject_id=f"2026-{m:02d}", action="lock", actor_user_id=None) for m in (1, 2, 3)])
    session.commit()

    rows = session.execute(select(Event.subject_id, Event.at).order_by(Event.id)).all()
    assert written == 3 and [r.subject_id for r in rows] == ["2026-01", "2026-02", "2026-03"]
    assert len({r.at for r in rows}) == 1


def test_an_event_about_something_unknown_is_refused_and_writes_nothing(session):
    with pytest.raises(ValidationError):
        record_event(session, NewEvent(subject="spaceship", subject_id=1, action="launch", actor_user_id=None))
    assert session.execute(select(func.count()).select_from(Event)).scalar_one() == 0
