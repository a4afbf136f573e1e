"""Who looked at a person's bank details, benefits or receipts, and when: each view is an event.

UK GDPR gives a person the right to know who has seen their special-category data, and OWASP ASVS (V7, V8)
asks that access to sensitive data be logged. Every page, API answer, PDF and command that shows a person's
bank details (even masked), benefit declarations or checks, circumstances or a receipt calls ``record_view``
in the request's transaction, so the view is kept exactly when the answer is given. Admins read a person's
log on their privacy page, and the person reads their own ("who looked at your details").

The event holds only what was looked at, how, and the record's number: never the data itself, so the log
and any hash over it stay free of personal data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.auth.models import User
from ledger.errors import ValidationError
from ledger.events.models import Event
from ledger.events.records import NewEvent
from ledger.events.writer import record_event, record_events

VIEWED = "view_personal_data"
#: What can be looked at, in the person's words.
WHAT = {
    "bank_details": "bank details",
    "benefits": "benefits and circumstances",
    "receipt": "a receipt",
    "evidence_pack": "benefits evidence letter",
    "subject_access": "a copy of everything held about you",
}
#: How it was looked at.
CHANNELS = {"page": "on a web page", "api": "through the API", "pdf": "as a PDF", "cli": "at the command line",
            "json": "as a data file", "bank_file": "in a file of payments for the bank"}


@dataclass(frozen=True, slots=True)
class ViewRecord:
    """One look at a person's data: when, by whom (their name, or None for a command run by nobody named)."""

    at: dt.datetime
    viewer_user_id: int | None
    viewer_name: str | None
    what: str
    channel: str
    record_id: str | None

    @property
    def what_words(self) -> str:
        return WHAT.get(self.what, self.what)

    @property
    def channel_words(self) -> str:
        return CHANNELS.get(self.channel, self.channel)


def _view(participant_id: int, what: str, channel: str, actor_user_id: int | None,
          record_id: int | str | None = None, claim_id: int | None = None) -> NewEvent:
    if what not in WHAT or channel not in CHANNELS:
        raise ValidationError(f"Unknown view {what!r} {channel!r}.", fields={"what": ["unknown"]})
    details: dict[str, str] = {"what": what, "channel": channel}
    if record_id is not None:
        details["record"] = str(record_id)
    return NewEvent(subject="participant", subject_id=participant_id, participant_id=participant_id,
                    claim_id=claim_id, actor_user_id=actor_user_id, action=VIEWED, details=details)


def record_view(session: Session, *, participant_id: int, what: str, channel: str, actor_user_id: int | None,
                record_id: int | str | None = None, claim_id: int | None = None) -> None:
    """Keep one look at a person's data as an event, in the caller's transaction."""
    record_event(session, _view(participant_id, what, channel, actor_user_id, record_id, claim_id))


def record_views(session: Session, participant_ids, *, what: str, channel: str, actor_user_id: int | None) -> None:
    """Keep a look at several people's data at once (a list of circumstance reports, a bank file): one insert."""
    record_events(session, [_view(participant_id, what, channel, actor_user_id)
                            for participant_id in sorted(set(participant_ids))])


def record_views_of_details(session: Session, participant_id: int, *, shown_bank: bool,
                            actor_user_id: int | None, channel: str = "page") -> None:
    """Keep a look at a details page showing benefits and circumstances (and bank details, if any)."""
    if shown_bank:
        record_view(session, participant_id=participant_id, what="bank_details", channel=channel,
                    actor_user_id=actor_user_id)
    record_view(session, participant_id=participant_id, what="benefits", channel=channel, actor_user_id=actor_user_id)


def views_of(session: Session, participant_id: int, *, limit: int = 500) -> list[ViewRecord]:
    """The latest looks at a person's data, newest first, with the name of whoever looked."""
    rows = session.execute(
        select(Event.at, Event.actor_user_id, Event.details, User.display_name)
        .outerjoin(User, User.id == Event.actor_user_id)
        .where(Event.participant_id == participant_id, Event.subject_type == "participant",
               Event.action == VIEWED)
        .order_by(Event.id.desc()).limit(limit))
    return [ViewRecord(at=r.at, viewer_user_id=r.actor_user_id, viewer_name=r.display_name,
                       what=(r.details or {}).get("what", ""), channel=(r.details or {}).get("channel", ""),
                       record_id=(r.details or {}).get("record")) for r in rows]
