"""The audit log: events read back for finance and admins, filtered, a page at a time, with names not ids.

An internal auditor asks "who did what to this person's, this claim's or this run's records, and when";
the page, ``GET /api/v1/events`` and ``flask ledger events-csv`` all answer through ``audit_page`` and
``audit_rows`` here, so the three never disagree. Pages run newest first by event id (ids only grow, and
two events written in one transaction share a moment), so a keyset cursor on the id never skips or repeats
a row however many events are written while someone pages through.

Taking a copy of the log, or of the journal, is itself an event (subject ``export``: who, what, with which
filter, how many rows, through the page, the API or the CLI), so the auditor can see who took data out.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from ledger import paging
from ledger.auth.models import ApiToken, User
from ledger.bounds import check_plausible_date
from ledger.errors import ValidationError
from ledger.events.models import SUBJECTS, Event
from ledger.events.records import NewEvent
from ledger.events.writer import record_event
from ledger.people.models import Participant, UserLedGroup

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
CSV_BATCH = 500
_KIND = re.compile(r"^([a-z_]+)(?:\.([a-z_]+))?$")
_CURSOR_PREFIX = "ev1:"
# Cells a spreadsheet would run as a formula: prefixed with an apostrophe in the CSV so they read as text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

CSV_COLUMNS = ("event", "when (UTC)", "what", "record", "record id", "from status", "to status", "by",
               "person", "claim", "payment run", "entry", "reason", "note", "record name")


@dataclass(frozen=True, slots=True)
class AuditFilters:
    """Which events to show; every field may be left out. Dates are inclusive, in UTC."""

    participant_id: int | None = None
    claim_id: int | None = None
    payment_run_id: int | None = None
    actor_user_id: int | None = None
    subject: str | None = None
    action: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


@dataclass(frozen=True, slots=True)
class AuditPage:
    events: list[dict]
    next_cursor: str | None


def _id_arg(raw: Mapping[str, str], name: str) -> int | None:
    value = (raw.get(name) or "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ValidationError(f"{name} must be a record number like 12.", fields={name: ["not a number"]})
    return int(value)


def _date_arg(raw: Mapping[str, str], name: str) -> dt.date | None:
    value = (raw.get(name) or "").strip()
    if not value:
        return None
    try:
        return check_plausible_date(dt.date.fromisoformat(value), name)
    except ValueError:
        raise ValidationError(f"{name} must be a date like 2025-06-30.", fields={name: ["not a date"]}) from None


def _kind_arg(raw: Mapping[str, str]) -> tuple[str | None, str | None]:
    value = (raw.get("kind") or "").strip()
    if not value:
        return None, None
    found = _KIND.match(value)
    if found is None or found.group(1) not in SUBJECTS:
        raise ValidationError(
            f"kind must be one of {', '.join(SUBJECTS)}, optionally with an action (claim.approve).",
            fields={"kind": ["unknown kind"]})
    return found.group(1), found.group(2)


def parse_filters(raw: Mapping[str, str]) -> AuditFilters:
    """Read the filters from a query string (or the CLI's options), naming the field that is wrong."""
    subject, action = _kind_arg(raw)
    filters = AuditFilters(
        participant_id=_id_arg(raw, "participant_id"), claim_id=_id_arg(raw, "claim_id"),
        payment_run_id=_id_arg(raw, "run_id"), actor_user_id=_id_arg(raw, "user_id"),
        subject=subject, action=action, date_from=_date_arg(raw, "from"), date_to=_date_arg(raw, "to"))
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise ValidationError("from must be on or before to.", fields={"from": ["after to"]})
    return filters


def parse_limit(raw: str | None) -> int:
    return paging.parse_limit(raw, default=DEFAULT_LIMIT, maximum=MAX_LIMIT)


def encode_cursor(event_id: int) -> str:
    return paging.encode_cursor(_CURSOR_PREFIX, event_id)


def decode_cursor(cursor: str | None) -> int | None:
    """The id the next page starts below; a cursor not made here is refused, naming ``cursor``."""
    key = paging.decode_cursor(_CURSOR_PREFIX, cursor, (int,))
    return None if key is None else key[0]


_actor = aliased(User)
_person = aliased(Participant)


def _query(filters: AuditFilters) -> Select:
    e = Event
    query = (select(e, _actor.display_name.label("actor_name"), _person.name.label("person_name"))
             .outerjoin(_actor, _actor.id == e.actor_user_id)
             .outerjoin(_person, _person.id == e.participant_id))
    for column, value in ((e.participant_id, filters.participant_id), (e.claim_id, filters.claim_id),
                          (e.payment_run_id, filters.payment_run_id), (e.actor_user_id, filters.actor_user_id),
                          (e.subject_type, filters.subject), (e.action, filters.action)):
        if value is not None:
            query = query.where(column == value)
    if filters.date_from:
        query = query.where(e.at >= dt.datetime.combine(filters.date_from, dt.time(), dt.UTC))
    if filters.date_to:
        query = query.where(e.at < dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time(), dt.UTC))
    return query.order_by(e.id.desc())


def _as_dict(row) -> dict:
    event: Event = row[0]
    return {
        "id": event.id, "at": event.at.isoformat(), "kind": f"{event.subject_type}.{event.action}",
        "actor": None if event.actor_user_id is None else {"id": event.actor_user_id, "name": row.actor_name},
        "subject": event.subject_type, "subject_id": event.subject_id, "action": event.action,
        "from_status": event.from_status, "to_status": event.to_status, "reason": event.reason,
        "note": event.note, "details": event.details,
        "participant": None if event.participant_id is None else {"id": event.participant_id,
                                                                  "name": row.person_name},
        "claim_id": event.claim_id, "run_id": event.payment_run_id, "entry_id": event.entry_id,
        "subject_name": None,
    }


# The records an event can be about that people know by a name, not a number: the name read back for them.
_NAMED = {"user": (User.id, User.display_name), "participant": (Participant.id, Participant.name),
          "group": (UserLedGroup.id, UserLedGroup.name), "api_token": (ApiToken.id, ApiToken.name)}


def _name_subjects(session: Session, events: list[dict]) -> None:
    """Put the name of each event's user, person, group or token beside its number (one read per kind a page).

    "User 4: assign project" tells an auditor nothing; "User Priya Shah: assign project" does. The number stays
    in ``subject_id`` for scripts; ``subject_name`` is what people are shown.
    """
    for subject, (id_column, name_column) in _NAMED.items():
        ids = {int(e["subject_id"]) for e in events if e["subject"] == subject and e["subject_id"].isdigit()}
        if not ids:
            continue
        names = {row[0]: row[1] for row in session.execute(select(id_column, name_column).where(id_column.in_(ids)))}
        for event in events:
            if event["subject"] == subject and event["subject_id"].isdigit():
                event["subject_name"] = names.get(int(event["subject_id"]))


def audit_page(session: Session, filters: AuditFilters, *, cursor: str | None = None,
               limit: int = DEFAULT_LIMIT) -> AuditPage:
    """One page of matching events, newest first, and the cursor for the next (None on the last page)."""
    below = decode_cursor(cursor)
    query = _query(filters)
    if below is not None:
        query = query.where(Event.id < below)
    rows = session.execute(query.limit(limit + 1)).all()
    events = [_as_dict(row) for row in rows[:limit]]
    _name_subjects(session, events)
    more = len(rows) > limit
    return AuditPage(events=events, next_cursor=encode_cursor(events[-1]["id"]) if more else None)


def audit_rows(session: Session, filters: AuditFilters) -> Iterator[dict]:
    """Every matching event, newest first, read a batch at a time so a year's log never sits in memory."""
    cursor = None
    while True:
        page = audit_page(session, filters, cursor=cursor, limit=CSV_BATCH)
        yield from page.events
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_line(values) -> str:
    out = io.StringIO()
    csv.writer(out).writerow([_cell(v) for v in values])
    return out.getvalue()


def audit_csv(session: Session, filters: AuditFilters) -> Iterator[str]:
    """The log as CSV lines (a header, then one line per event), people and users by name.

    The read transaction ends with the last line: a streamed download must not hold it open afterwards.
    """
    try:
        yield from _csv_lines(session, filters)
    finally:
        session.rollback()


def record_export(session: Session, *, what: str, via: str, actor_user_id: int | None, rows: int,
                  filters: Mapping[str, Any] | None = None) -> None:
    """Record that someone took a copy of the log or the journal: what, through what, which filter, how many rows."""
    kept = {name: (value.isoformat() if isinstance(value, dt.date) else value)
            for name, value in (filters or {}).items() if value is not None}
    record_event(session, NewEvent(subject="export", subject_id=what, action="download", actor_user_id=actor_user_id,
                                   note=f"{rows} rows of the {what.replace('_', ' ')} taken through the {via}",
                                   details={"what": what, "via": via, "filters": kept, "rows": rows}))


def recorded_audit_csv(session: Session, filters: AuditFilters, *, via: str,
                       actor_user_id: int | None) -> Iterator[str]:
    """The audit CSV, streamed, then the export event for it, committed.

    A streamed download ends after the route has returned, so it is its own unit of work: the rows are read
    (and the read transaction ended), then the export is recorded and committed with the number of rows that
    actually went out, even when the download is stopped part way.
    """
    rows = -1  # the header is not a row
    try:
        for line in audit_csv(session, filters):
            rows += 1
            yield line
    finally:
        record_export(session, what="audit_csv", via=via, actor_user_id=actor_user_id, rows=max(rows, 0),
                      filters=asdict(filters))
        session.commit()


def _csv_lines(session: Session, filters: AuditFilters) -> Iterator[str]:
    yield csv_line(CSV_COLUMNS)
    for event in audit_rows(session, filters):
        yield csv_line((
            event["id"], event["at"], event["kind"], event["subject"], event["subject_id"], event["from_status"],
            event["to_status"], event["actor"]["name"] if event["actor"] else "system",
            event["participant"]["name"] if event["participant"] else "", event["claim_id"], event["run_id"],
            event["entry_id"], event["reason"], event["note"], event["subject_name"]))


def filter_choices(session: Session) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The people and the users the page's filter form offers, by name."""
    people = [(r.id, r.name) for r in session.execute(select(Participant.id, Participant.name)
                                                      .order_by(Participant.name, Participant.id))]
    users = [(r.id, r.display_name) for r in session.execute(select(User.id, User.display_name)
                                                             .order_by(User.display_name, User.id))]
    return people, users
