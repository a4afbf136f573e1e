"""Link every journal entry and event into one keyed chain as its transaction commits.

Each record gets one link, in the order the transactions that wrote them commit::

    link(n) = HMAC-SHA256(key, link(n-1) | n | record type | record id | digest of the record)

The key (``LEDGER_CHAIN_KEY``) is configuration and never stored in the database, so someone who can change
the database but not read the configuration cannot make a link for a record they edited, inserted or deleted,
nor rewrite the chain after it: ``ledger verify`` names the first link that no longer holds.

The writers (``post_entry``, ``record_events``) note what they wrote with ``note_written``; the session's
``before_commit`` listener (installed on every session factory by ``ledger.db.make_session_factory``) reads those
rows back and links them. The one-row chain head is locked (``FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN
IMMEDIATE`` already holds every other writer out) as the last lock the transaction takes, just before it
commits: concurrent writers queue on it for an instant, cannot fork the chain, and cannot deadlock on it,
because nobody waits for anything else while holding it.

A transaction that writes entries or events must run at READ COMMITTED (the default): under REPEATABLE READ
on PostgreSQL, locking the head that someone else moved since the snapshot fails the commit. The read-only
snapshots of ``ledger verify`` and ``ledger export`` write nothing there.

What a link covers of an event is its ``event_digest``; of an entry, its fingerprint (``content_hash``) and who
recorded it when. Since migration 0028 both take free text by its sha256 (event ``digest_version`` 2, entry
``fingerprint_version`` 3), so that erasure can empty a person's text to ``ERASED`` and the link still holds: the
checks stand in the sha256 the ``redactions`` table keeps for it. Rows written before keep their versions and are
checked the old way; no link was remade.

This module imports nothing else of the ledger (``ledger.db`` imports it), and finds the tables through the
metadata it is handed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import MetaData, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

#: The development and test key: derived in the open from this text, so it protects nothing. Production refuses
#: to start without a real ``LEDGER_CHAIN_KEY`` (``ledger.config.check_production``).
DEV_CHAIN_KEY = hashlib.sha256(b"development-only chain key: never use in production").hexdigest()
ENTRY, EVENT = "entry", "event"
_PENDING = "ledger.chain.pending"
_KEY = "ledger.chain.key"
_METADATA = "ledger.chain.metadata"
CHUNK = 500


def install(factory: sessionmaker[Session], key: str, metadata: MetaData) -> None:
    """Make every session of ``factory`` link what it wrote when it commits, with ``key``."""
    factory.kw.setdefault("info", {}).update({_KEY: key, _METADATA: metadata})
    event.listen(factory, "before_commit", link_written)
    event.listen(factory, "after_transaction_end", _forget)


def note_written(session: Session, record_type: str, ids: Iterable[int]) -> None:
    """Remember records this transaction wrote, to link them when it commits."""
    session.info.setdefault(_PENDING, {}).setdefault(record_type, set()).update(ids)


def pending(session: Session, record_type: str) -> frozenset[int]:
    """The records of this transaction not linked yet (verify leaves them to the commit)."""
    return frozenset(session.info.get(_PENDING, {}).get(record_type, ()))


def chain_key(session: Session) -> bytes:
    """The key of this session's chain."""
    key = session.info.get(_KEY) or DEV_CHAIN_KEY
    return key.encode()


def _forget(session: Session, transaction: SessionTransaction) -> None:
    """Forget what was written once the whole transaction has ended (committed, so linked, or rolled back).

    Only the outermost transaction: a savepoint rolled back undoes its own rows (the linker skips ids no longer
    there), not what the transaction wrote before it. A rolled-back transaction's ids must not be linked later:
    SQLite may give them to someone else's rows.
    """
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


# ---------------------------------------------------------------- what a link covers


def _moment(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    value = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return value.isoformat()


def _sha(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


def entry_digest(content_hash: str, idempotency_key: str, recorded_at: dt.datetime | None,
                 actor_user_id: int | None) -> str:
    """What a link says about an entry: its fingerprint (date, description, kind, reversal, postings) and who
    recorded it when, under which key."""
    return _sha([content_hash, idempotency_key, _moment(recorded_at), actor_user_id])


EVENT_FIELDS = ("at", "actor_user_id", "subject_type", "subject_id", "action", "from_status", "to_status", "reason",
                "note", "details", "participant_id", "claim_id", "payment_run_id", "entry_id")
#: What an erased free text holds from then on (``ledger.privacy.erasure``); its sha256 is kept in ``redactions``.
ERASED = "[erased]"
#: Events written since migration 0028 are digested so (``digest_version`` 2): free text by its sha256.
EVENT_DIGEST_VERSION = 2
EVENT_FREE_TEXT = ("reason", "note")


def text_sha(value: Any) -> str:
    """The sha256 a digest commits to in place of a free text (or one value of an event's details)."""
    return _sha(value)


class Committed(str):
    """A free text known now only by the sha256 it had (it was erased): digests take the sha as it is."""

    __slots__ = ()


def committed(value: Any, erased_sha: str | None) -> Any:
    """What to digest for a value: the erasure's sha256 if the value is the erased marker and an erasure covers it,
    else the value itself (so a marker nobody erased, or text put back, no longer matches the link)."""
    return Committed(erased_sha) if value == ERASED and erased_sha is not None else value


def _commitment(value: Any) -> str | None:
    if value is None:
        return None
    return str(value) if isinstance(value, Committed) else text_sha(value)


def event_digest(row: Mapping[Any, Any], erased: Mapping[str, str] | None = None) -> str:
    """What a link says about an event: every column of it.

    Version 1 (events from before migration 0028) covers the texts themselves. Version 2 covers the reason, the
    note and each top-level value of the details by its sha256, so that erasure can empty them (to ``ERASED``)
    and the link still holds: ``erased`` maps each erased field ("reason", "note", "details.<key>") to the sha256
    its text had, from the ``redactions`` table.
    """
    version = row.get("digest_version") or 1
    body = {name: (_moment(row[name]) if name == "at" else row[name]) for name in EVENT_FIELDS}
    if version == 1:
        return _sha(body)
    erased = erased or {}
    body["digest_version"] = version
    for name in EVENT_FREE_TEXT:
        body[name] = _commitment(committed(row[name], erased.get(name)))
    details = row["details"]
    if isinstance(details, dict):
        body["details"] = {key: _commitment(committed(value, erased.get(f"details.{key}")))
                           for key, value in details.items()}
    return _sha(body)


def make_link(key: bytes, previous: str, seq: int, record_type: str, record_id: int, digest: str) -> str:
    message = f"{previous}|{seq}|{record_type}|{record_id}|{digest}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


# ---------------------------------------------------------------- linking


def link_written(session: Session) -> None:
    """Link the entries and events this transaction wrote, after the chain's head (the before_commit listener)."""
    written = session.info.get(_PENDING)
    if not written or not any(written.values()):
        return
    metadata: MetaData = session.info[_METADATA]
    digests = _digests(session, metadata, written)
    if digests:
        link_records(session, metadata, digests)
    session.info.pop(_PENDING, None)


def _digests(session: Session, metadata: MetaData, written: Mapping[str, set[int]]) -> list[tuple[str, int, str]]:
    """(type, id, digest) of each record written that is still there (a savepoint may have undone some)."""
    connection = session.connection()
    found: list[tuple[str, int, str]] = []
    entries, events = metadata.tables["journal_entries"], metadata.tables["events"]
    ids = sorted(written.get(ENTRY, ()))
    for start in range(0, len(ids), CHUNK):
        for r in connection.execute(
            select(entries.c.id, entries.c.content_hash, entries.c.idempotency_key, entries.c.recorded_at,
                   entries.c.actor_user_id).where(entries.c.id.in_(ids[start:start + CHUNK])).order_by(entries.c.id)
        ):
            found.append((ENTRY, r.id, entry_digest(r.content_hash, r.idempotency_key, r.recorded_at,
                                                    r.actor_user_id)))
    ids = sorted(written.get(EVENT, ()))
    for start in range(0, len(ids), CHUNK):
        for r in connection.execute(
            select(events).where(events.c.id.in_(ids[start:start + CHUNK])).order_by(events.c.id)
        ):
            found.append((EVENT, r.id, event_digest(r._mapping)))
    return found


def link_records(session: Session, metadata: MetaData, digests: list[tuple[str, int, str]]) -> int:
    """Append links for these records after the head, holding the head's lock; return the new head's number."""
    connection = session.connection()
    head, links = metadata.tables["chain_head"], metadata.tables["chain_links"]
    query = select(head.c.seq, head.c.link).where(head.c.id == 1)
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    row = connection.execute(query).one_or_none()
    if row is None:
        # An emptied database (TRUNCATE): start the chain again. Should links remain, the first new link's number
        # collides with theirs and the commit fails, loudly, rather than forking the chain.
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        connection.execute(dialect.insert(head).values(id=1, seq=0, link="", before_chain_entry_id=0,
                                                       before_chain_event_id=0).on_conflict_do_nothing())
        row = connection.execute(query).one()
    seq, previous = row.seq, row.link
    key = chain_key(session)
    rows = []
    for record_type, record_id, digest in digests:
        seq += 1
        previous = make_link(key, previous, seq, record_type, record_id, digest)
        rows.append({"seq": seq, "record_type": record_type, "record_id": record_id, "digest": digest,
                     "link": previous})
    for start in range(0, len(rows), CHUNK):
        connection.execute(links.insert(), rows[start:start + CHUNK])
    connection.execute(head.update().where(head.c.id == 1).values(seq=seq, link=previous))
    return seq
