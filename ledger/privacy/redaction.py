"""Erasure of a person's free text where the records are append-only and chained: events, entries, postings.

Which texts are the person's:

- events about them (``participant_id``) or their claims: the reason (typed by whoever acted: a rejection, a
  hold, an amendment, a returned payment, a corrected attendance), the note (the system's words, but they
  quote what was typed: an amendment's old and new descriptions, a review of a reported change, a repayment's
  reference), and the values of ``PERSONAL_DETAILS`` in the details (an amendment's changes, a benefit check
  and its figures, a returned payment's reason, masked bank digits, the names of groups they gave to). Ids,
  statuses, amounts and dates stay: the history still says who did what to which record, and when;
- journal entries with a posting to one of their accounts, or named by one of their events (a fee they gave
  to a group posts to the group's account): the description, which quotes the claim's own
  description, a reason or a write-off's note, except the kinds whose descriptions the system writes with
  ids and a run's reference only (``SYSTEM_WORDED_KINDS``); and the memo of every posting of those entries
  (a time credit's note is on both legs: theirs and the partner's).

Each text becomes ``ERASED``, and a ``redactions`` row keeps the sha256 it had. The chain commits to those texts
by their sha256 (event digest version 2, entry fingerprint version 3: ``ledger.chain.links``), so the links still
hold; the erasure event's details commit to every redaction row (``redactions_sha256``), so a row edited,
forged or removed afterwards is reported by ``ledger verify``. Records written before migration 0028 (digest
version 1, fingerprint 1 or 2) commit to the text itself and cannot be emptied without breaking their link:
they are counted, not changed (``not_erasable``); a database made since then has none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ledger.books.models import Account, JournalEntry, Posting
from ledger.chain.links import ERASED, EVENT_FREE_TEXT, text_sha
from ledger.chain.models import Redaction
from ledger.chain.redactions import ENTRY, EVENT, POSTING, redactions_sha
from ledger.events.models import Event

# Keys of an event's details whose values are typed, or special-category data, about the person.
PERSONAL_DETAILS = ("changes", "reason", "benefit_check", "sort_code", "account_number", "group", "parts",
                    "reference", "bank_reference", "name")
# Entry kinds whose descriptions carry only the system's words and ids ("Payment run PR-12: paid to ...").
SYSTEM_WORDED_KINDS = frozenset({"payment", "payment_returned", "time_credits_spent", "time_credits_given",
                                 "reversal:payment", "reversal:payment_returned"})
_events, _entries, _postings = Event.__table__, JournalEntry.__table__, Posting.__table__


@dataclass(frozen=True, slots=True)
class Erasure:
    """One text to empty: the record, the field, the sha256 it has."""

    record_type: str
    record_id: int
    field: str
    sha256: str


@dataclass(slots=True)
class Plan:
    erasures: list[Erasure] = field(default_factory=list)
    details: dict[int, dict] = field(default_factory=dict)  # event id -> its details with the personal values erased
    not_erasable: int = 0

    def commitment(self) -> str:
        """The sha256 the erasure event keeps of every redaction row (``ledger verify`` recomputes it)."""
        return redactions_sha([(e.record_type, e.record_id, e.field, e.sha256) for e in self.erasures])


def plan_erasure(session: Session, participant_id: int, claim_ids: sa.Select, account_codes: Sequence[str]) -> Plan:
    """Every free text of the person's in events, entries and postings, with the sha256 it has now."""
    plan = Plan()
    _plan_events(session, plan, participant_id, claim_ids)
    accounts = sa.select(Account.id).where(Account.code.in_(list(account_codes)))
    named = sa.select(_events.c.entry_id).where(_events.c.entry_id.is_not(None), sa.or_(
        _events.c.participant_id == participant_id, _events.c.claim_id.in_(claim_ids)))
    _plan_entries(session, plan, accounts, named)
    return plan


def _plan_events(session: Session, plan: Plan, participant_id: int, claim_ids: sa.Select) -> None:
    for row in session.execute(sa.select(_events).where(sa.or_(
            _events.c.participant_id == participant_id, _events.c.claim_id.in_(claim_ids))).order_by(_events.c.id)):
        texts = [(name, row._mapping[name]) for name in EVENT_FREE_TEXT]
        details = row.details if isinstance(row.details, dict) else {}
        texts += [(f"details.{key}", details[key]) for key in PERSONAL_DETAILS if details.get(key) is not None]
        texts = [(name, value) for name, value in texts if value is not None and value != ERASED]
        if not texts:
            continue
        if row.digest_version < 2:
            plan.not_erasable += 1
            continue
        plan.erasures.extend(Erasure(EVENT, row.id, name, text_sha(value)) for name, value in texts)
        if any(name.startswith("details.") for name, _ in texts):
            plan.details[row.id] = {key: (ERASED if f"details.{key}" in dict(texts) else value)
                                    for key, value in details.items()}


def _plan_entries(session: Session, plan: Plan, accounts: sa.Select, named: sa.Select) -> None:
    """Entries on their accounts, or named by their events (a fee given to a group posts to the group's)."""
    touching = sa.select(_postings.c.entry_id).where(_postings.c.account_id.in_(accounts))
    for entry_id, description, kind, version in session.execute(
            sa.select(_entries.c.id, _entries.c.description, _entries.c.kind, _entries.c.fingerprint_version)
            .where(sa.or_(_entries.c.id.in_(touching), _entries.c.id.in_(named)), _entries.c.description != ERASED)
            .order_by(_entries.c.id)):
        if kind in SYSTEM_WORDED_KINDS:
            continue
        if version < 3:
            plan.not_erasable += 1
            continue
        plan.erasures.append(Erasure(ENTRY, entry_id, "description", text_sha(description)))
    for posting_id, memo, version in session.execute(
            sa.select(_postings.c.id, _postings.c.memo, _entries.c.fingerprint_version)
            .join(_entries, _entries.c.id == _postings.c.entry_id)
            .where(sa.or_(_postings.c.entry_id.in_(touching), _postings.c.entry_id.in_(named)),
                   _postings.c.memo.is_not(None), _postings.c.memo != ERASED)
            .order_by(_postings.c.id)):
        if version < 3:
            plan.not_erasable += 1
            continue
        plan.erasures.append(Erasure(POSTING, posting_id, "memo", text_sha(memo)))


def apply_erasure(session: Session, plan: Plan, erasure_event_id: int) -> None:
    """Keep each text's sha256 in ``redactions``, then empty it: the triggers let exactly this update through."""
    if not plan.erasures:
        return
    session.execute(sa.insert(Redaction.__table__), [
        {"record_type": e.record_type, "record_id": e.record_id, "field": e.field, "sha256": e.sha256,
         "erasure_event_id": erasure_event_id} for e in plan.erasures])
    for record_type, field_name, table, column in ((EVENT, "reason", _events, "reason"),
                                                   (EVENT, "note", _events, "note"),
                                                   (ENTRY, "description", _entries, "description"),
                                                   (POSTING, "memo", _postings, "memo")):
        ids = [e.record_id for e in plan.erasures if e.record_type == record_type and e.field == field_name]
        for start in range(0, len(ids), 500):
            session.execute(sa.update(table).where(table.c.id.in_(ids[start:start + 500])).values({column: ERASED}))
    for event_id, details in plan.details.items():
        session.execute(sa.update(_events).where(_events.c.id == event_id).values(details=details))
