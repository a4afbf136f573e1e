"""The one function that records events, and the queries that read them back.

Every state change (a claim moving through its workflow, a payment run drafted or confirmed, an advance
settled, a month locked, bank details or benefits changed, a user's roles, a token) is written here, in
the caller's transaction, so the event and the change it records commit or roll back together. Nothing
else inserts into ``events``, and nothing updates or deletes it (the database refuses), but erasure
(``ledger.privacy.erasure``), which may set a person's free text to ``[erased]``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.chain.links import EVENT, EVENT_DIGEST_VERSION, note_written
from ledger.db import insert_rows, utcnow
from ledger.errors import ValidationError
from ledger.events.models import SUBJECTS, Event
from ledger.events.records import EventRecord, NewEvent

_events = Event.__table__
MAX_TEXT = 2000



def record_events(session: Session, events: Iterable[NewEvent], *, at: dt.datetime | None = None) -> int:
    """Write events (all at the same moment), in the caller's transaction; return how many."""
    return len(_write(session, events, at=at))


def _write(session: Session, events: Iterable[NewEvent], *, at: dt.datetime | None) -> list[int]:
    moment = at or utcnow()
    rows = []
    for event in events:
        if event.subject not in SUBJECTS:
            raise ValidationError(f"Unknown event subject {event.subject!r}.", fields={"subject": ["unknown"]})
        rows.append({
            "at": moment, "actor_user_id": event.actor_user_id, "subject_type": event.subject,
            "subject_id": str(event.subject_id), "action": event.action, "from_status": event.before,
            "to_status": event.after, "reason": _clip(event.reason), "note": _clip(event.note),
            "details": event.details, "participant_id": event.participant_id, "claim_id": event.claim_id,
            "payment_run_id": event.payment_run_id, "entry_id": event.entry_id,
            "digest_version": EVENT_DIGEST_VERSION,
        })
    if not rows:
        return []
    ids = insert_rows(session.connection(), _events, rows)
    note_written(session, EVENT, ids)
    return ids


def record_event(session: Session, event: NewEvent, *, at: dt.datetime | None = None) -> None:
    """Write one event (see ``record_events``)."""
    record_events(session, (event,), at=at)


def record_event_returning_id(session: Session, event: NewEvent, *, at: dt.datetime | None = None) -> int:
    """Write one event (see ``record_events``) and give its id, for rows that must name it (an erasure's)."""
    return _write(session, (event,), at=at)[0]


def _clip(text: str | None) -> str | None:
    return None if text is None else text[:MAX_TEXT]


def event_record(row) -> EventRecord:
    return EventRecord(
        id=row.id, at=row.at, actor_user_id=row.actor_user_id, subject=row.subject_type,
        subject_id=row.subject_id, action=row.action, before=row.from_status, after=row.to_status,
        reason=row.reason, note=row.note, details=row.details, participant_id=row.participant_id,
        claim_id=row.claim_id, payment_run_id=row.payment_run_id, entry_id=row.entry_id,
    )


def events_of_claims(session: Session, claim_ids: Sequence[int]) -> dict[int, list[EventRecord]]:
    """Each claim's own history (the events whose subject is the claim), oldest first."""
    found: dict[int, list[EventRecord]] = {}
    if not claim_ids:
        return found
    for row in session.execute(
        select(_events).where(_events.c.claim_id.in_(list(claim_ids)), _events.c.subject_type == "claim")
        .order_by(_events.c.id)
    ):
        found.setdefault(row.claim_id, []).append(event_record(row))
    return found


def events_of(session: Session, subject: str, subject_id: int | str) -> list[EventRecord]:
    """One record's history, oldest first."""
    return [event_record(row) for row in session.execute(
        select(_events).where(_events.c.subject_type == subject, _events.c.subject_id == str(subject_id))
        .order_by(_events.c.id))]
