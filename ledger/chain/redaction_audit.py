"""``ledger verify``'s check of erasures: every emptied text is covered by an erasure, and every erasure is whole.

The chain checks (``ledger.chain.audit``) already find a text changed after it was linked, erased or not: an
erased field is digested by the sha256 its redaction row keeps, so a redaction row edited afterwards makes the
record no longer match its link. ``check_erasures`` says what happened, naming the record:

- a text holding ``[erased]`` that no redaction row covers: someone blanked it by hand;
- a field a redaction row covers that holds text again: someone put text back (the original or any other);
- an erasure event whose redaction rows are not the ones it committed to (``redactions_sha256``): a row was
  edited, forged or removed; a redaction row naming an event that is not an erasure: a row was forged.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import Session

from ledger.books.models import JournalEntry, Posting
from ledger.books.verify import Problem, _capped
from ledger.chain.links import ERASED, EVENT_FREE_TEXT
from ledger.chain.models import Redaction
from ledger.chain.redactions import ENTRY, EVENT, POSTING, redactions_sha
from ledger.events.models import Event

ERASURE_ACTION = "erase_personal_details"
_events, _entries, _postings = Event.__table__, JournalEntry.__table__, Posting.__table__
_redactions = Redaction.__table__
CHECK = "erasure"


def _where(record_type: str, record_id: int, entry_id: int | None) -> tuple[str, int | None]:
    """How a problem names the record: events and postings by number; an entry by its entry id."""
    if record_type == EVENT:
        return f"event {record_id}: ", None
    if record_type == POSTING:
        return f"posting {record_id}: ", entry_id
    return "", record_id


def _fields_now(session: Session, record_type: str, ids: list[int]) -> dict[int, tuple[dict, int | None]]:
    """Each record's erasable fields as they are now (and, for a posting, its entry)."""
    found: dict[int, tuple[dict, int | None]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        if record_type == EVENT:
            for row in session.execute(select(_events.c.id, _events.c.reason, _events.c.note, _events.c.details)
                                       .where(_events.c.id.in_(chunk))):
                details = row.details if isinstance(row.details, dict) else {}
                found[row.id] = ({"reason": row.reason, "note": row.note,
                                  **{f"details.{k}": v for k, v in details.items()}}, None)
        elif record_type == ENTRY:
            for rid, description in session.execute(select(_entries.c.id, _entries.c.description)
                                                    .where(_entries.c.id.in_(chunk))):
                found[rid] = ({"description": description}, rid)
        else:
            for rid, memo, entry_id in session.execute(select(_postings.c.id, _postings.c.memo, _postings.c.entry_id)
                                                       .where(_postings.c.id.in_(chunk))):
                found[rid] = ({"memo": memo}, entry_id)
    return found


def _covered_fields_problems(session: Session, rows: list) -> list[tuple[str, int | None]]:
    """Each field a redaction row covers still holds the marker."""
    by_type: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        by_type[row.record_type].append(row.record_id)
    now = {t: _fields_now(session, t, sorted(set(ids))) for t, ids in by_type.items()}
    found = []
    for row in rows:
        fields, entry_id = now.get(row.record_type, {}).get(row.record_id, ({}, None))
        prefix, entry = _where(row.record_type, row.record_id, entry_id)
        if row.record_id not in now.get(row.record_type, {}):
            found.append((f"{prefix}a redaction names {row.record_type} {row.record_id}, which does not exist: "
                          "the redaction row was forged, or the record deleted.", entry))
        elif fields.get(row.field) != ERASED:
            found.append((f"{prefix}its {row.field} was erased (by erasure event {row.erasure_event_id}) but holds "
                          "text again: it was written back outside the application.", entry))
    return found


def _erasure_events_problems(session: Session, rows: list) -> list[tuple[str, int | None]]:
    """Each erasure event's redaction rows are exactly those it committed to; no row names another event."""
    by_event: dict[int, list] = defaultdict(list)
    for row in rows:
        by_event[row.erasure_event_id].append((row.record_type, row.record_id, row.field, row.sha256))
    erasures = {r.id: r.details for r in session.execute(
        select(_events.c.id, _events.c.details).where(or_(_events.c.action == ERASURE_ACTION,
                                                          _events.c.id.in_(list(by_event)))))}
    found: list[tuple[str, int | None]] = [
        (f"event {event_id}: {len(by_event[event_id])} redaction row(s) name it as their erasure, but there is no "
         "such event: the rows were forged, or the event deleted.", None)
        for event_id in sorted(set(by_event) - set(erasures))]
    for event_id, details in sorted(erasures.items()):
        details = details if isinstance(details, dict) else {}
        committed = details.get("redactions_sha256")
        listed = by_event.get(event_id, [])
        if committed is None and listed:
            found.append((f"event {event_id}: {len(listed)} redaction row(s) name it, but it is not an erasure that "
                          "made them: the rows were forged.", None))
        elif committed is not None and committed != redactions_sha(listed):
            found.append((f"event {event_id}: the erasure committed to {details.get('redactions')} redaction(s), but "
                          f"the {len(listed)} row(s) naming it are not those: a redaction row was edited, forged "
                          "or removed afterwards.", None))
    return found


def _marked(session: Session) -> list[tuple[str, int, str, int | None]]:
    """Every field holding the marker now: (record type, id, field, entry id)."""
    marked: list[tuple[str, int, str, int | None]] = []
    for row in session.execute(select(_events.c.id, _events.c.reason, _events.c.note, _events.c.details).where(or_(
            _events.c.reason == ERASED, _events.c.note == ERASED,
            cast(_events.c.details, String).like(f'%"{ERASED}"%'))).order_by(_events.c.id)):
        marked.extend((EVENT, row.id, name, None) for name in EVENT_FREE_TEXT if getattr(row, name) == ERASED)
        details = row.details if isinstance(row.details, dict) else {}
        marked.extend((EVENT, row.id, f"details.{k}", None) for k, v in details.items() if v == ERASED)
    marked.extend((ENTRY, rid, "description", rid) for rid in session.execute(
        select(_entries.c.id).where(_entries.c.description == ERASED).order_by(_entries.c.id)).scalars())
    marked.extend((POSTING, rid, "memo", entry_id) for rid, entry_id in session.execute(
        select(_postings.c.id, _postings.c.entry_id).where(_postings.c.memo == ERASED).order_by(_postings.c.id)))
    return marked


def check_erasures(session: Session) -> list[Problem]:
    """Every emptied text is covered by an erasure, every covered one is still empty, every erasure is whole."""
    rows = list(session.execute(select(_redactions).order_by(_redactions.c.id)).all())
    covered = {(r.record_type, r.record_id, r.field) for r in rows}
    found = []
    for record_type, record_id, field, entry_id in _marked(session):
        if (record_type, record_id, field) not in covered:
            prefix, entry = _where(record_type, record_id, entry_id)
            found.append((f"{prefix}its {field} says {ERASED} but no erasure covers it: the text was blanked "
                           "outside the application.", entry))
    found += _covered_fields_problems(session, rows) + _erasure_events_problems(session, rows)
    return _capped(CHECK, found, lambda f: Problem(CHECK, f[0], entry_id=f[1]))
