"""Holds: a claim, or every claim of one payee, kept out of payment runs until someone releases it.

A hold is its own record (``holds``), not a claim status, so a claim's workflow is unchanged by it: a held
claim can still be approved, and stays approved and unpaid while held. Drafting a run passes over held
claims and lists them under ``left_out`` as ``held`` with the reason; confirming a run refuses while any
claim in it is held (a hold made while the run was being drafted), so a held claim is never paid.

A hold is made once and released once (``HOLD``); each is an event. Releasing needs a note, so the
auditor reads why the money went ahead. The functions here work in the caller's transaction and never
commit; taking held claims out of draft runs is ``ledger.payments.hold_actions``'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, or_, select, update
from sqlalchemy.orm import Session

from ledger.auth.models import User
from ledger.claims.models import Claim
from ledger.db import utcnow
from ledger.errors import Conflict, NotFound, ValidationError
from ledger.events.records import NewEvent
from ledger.events.writer import record_event
from ledger.payments.models import HOLD_STATUSES, PAYEE_KINDS, Hold, PaymentRunItem
from ledger.people.models import Participant, UserLedGroup
from ledger.workflow import Workflow

__all__ = ["HOLD", "MAX_TEXT", "HoldRecord", "active_claim_hold", "active_payee_hold", "check_text",
           "create_hold", "held_in_run", "holds_of_rows", "list_holds", "release_hold"]

HOLD = Workflow("hold", {("held", "release"): "released"}, {"held": "in force", "released": "released"})
MAX_TEXT = 500

_holds = Hold.__table__
_items = PaymentRunItem.__table__
_claims = Claim.__table__


@dataclass(frozen=True, slots=True)
class HoldRecord:
    """A hold as people read it: what is held, who held it and why, and its release."""

    id: int
    status: str
    subject: str  # claim | participant | group
    claim_id: int | None
    payee_kind: str | None
    payee_id: int | None
    name: str  # the payee's name (a claim's: its participant's)
    reason: str
    held_by_user_id: int | None
    held_by: str
    held_at: dt.datetime
    released_by_user_id: int | None
    released_by: str | None
    released_at: dt.datetime | None
    release_note: str | None

    @property
    def describe(self) -> str:
        what = f"claim {self.claim_id}" if self.claim_id is not None else f"every claim of {self.name}"
        return f"{what} held by {self.held_by} on {self.held_at:%d %B %Y}: {self.reason}"



def check_text(value: Any, field: str, what: str) -> str:
    """A reason or note: required, at most ``MAX_TEXT`` characters."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise ValidationError(f"Say {what}.", fields={field: ["Required."]})
    if len(text) > MAX_TEXT:
        raise ValidationError(f"The {field} is longer than {MAX_TEXT} characters.",
                              fields={field: [f"At most {MAX_TEXT} characters."]})
    return text


def _names(session: Session, ids: Iterable[int], model: Any) -> dict[int, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return dict(session.execute(select(model.id, model.name).where(model.id.in_(wanted))).all())


def _records(session: Session, holds: Sequence[Hold]) -> list[HoldRecord]:
    claim_ids = [h.claim_id for h in holds if h.claim_id]
    claim_people: dict[int, int] = dict(session.execute(
        select(_claims.c.id, _claims.c.participant_id).where(_claims.c.id.in_(claim_ids))
    ).all()) if claim_ids else {}
    people = _names(session, [h.payee_id for h in holds if h.payee_kind == "participant" and h.payee_id]
                    + list(claim_people.values()), Participant)
    groups = _names(session, [h.payee_id for h in holds if h.payee_kind == "group" and h.payee_id], UserLedGroup)
    users = _names_of_users(session, [u for h in holds for u in (h.held_by_user_id, h.released_by_user_id)
                                      if u is not None])
    records = []
    for h in holds:
        if h.claim_id is not None:
            name = people.get(claim_people.get(h.claim_id, 0), f"claim {h.claim_id}")
        else:
            name = (people if h.payee_kind == "participant" else groups).get(h.payee_id or 0,
                                                                              f"{h.payee_kind} {h.payee_id}")
        records.append(HoldRecord(
            id=h.id, status=h.status, subject="claim" if h.claim_id is not None else str(h.payee_kind),
            claim_id=h.claim_id, payee_kind=h.payee_kind, payee_id=h.payee_id, name=name, reason=h.reason,
            held_by_user_id=h.held_by_user_id, held_by=users.get(h.held_by_user_id or 0, "someone"), held_at=h.held_at,
            released_by_user_id=h.released_by_user_id,
            released_by=users.get(h.released_by_user_id or 0, "someone") if h.released_at else None,
            released_at=h.released_at, release_note=h.release_note))
    return records


def _names_of_users(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.display_name).where(User.id.in_(wanted))).all())


def record_of(session: Session, hold_id: int) -> HoldRecord:
    hold = session.execute(select(Hold).where(Hold.id == hold_id).execution_options(populate_existing=True)
                           ).scalar_one_or_none()
    if hold is None:
        raise NotFound(f"There is no hold {hold_id}.")
    return _records(session, [hold])[0]


def active_claim_hold(session: Session, claim_id: int) -> Hold | None:
    return session.execute(select(Hold).where(Hold.claim_id == claim_id, Hold.status == "held")
                           .order_by(Hold.id)).scalars().first()


def active_payee_hold(session: Session, payee_kind: str, payee_id: int) -> Hold | None:
    return session.execute(select(Hold).where(Hold.payee_kind == payee_kind, Hold.payee_id == payee_id,
                                              Hold.status == "held").order_by(Hold.id)).scalars().first()


def create_hold(session: Session, *, actor_user_id: int | None, reason: str, claim_id: int | None = None,
                payee_kind: str | None = None, payee_id: int | None = None,
                participant_id: int | None = None, details: dict | None = None) -> Hold:
    """Write the hold and its event. The caller has checked that the claim or payee exists and is not held."""
    hold = Hold(status="held", claim_id=claim_id, payee_kind=payee_kind, payee_id=payee_id, reason=reason,
                held_by_user_id=actor_user_id, held_at=utcnow())
    session.add(hold)
    session.flush()
    record_event(session, NewEvent(
        subject="hold", subject_id=hold.id, action="hold", actor_user_id=actor_user_id, before=None, after="held",
        reason=reason,
        details={"claim_id": claim_id, "payee_kind": payee_kind, "payee_id": payee_id, **(details or {})},
        participant_id=participant_id, claim_id=claim_id))
    return hold


def release_hold(session: Session, hold: Hold, *, actor_user_id: int | None, note: Any,
                 participant_id: int | None = None) -> HoldRecord:
    """Release a hold in one guarded UPDATE, so two people releasing it at once cannot both succeed."""
    text = check_text(note, "note", "why the hold is released")
    (before,) = HOLD.statuses_allowing("release")
    won = cast(CursorResult[Any], session.execute(
        update(_holds).where(_holds.c.id == hold.id, _holds.c.status == before)
        .values(status=HOLD.next_status(before, "release"), released_by_user_id=actor_user_id,
                released_at=utcnow(), release_note=text))).rowcount
    record = record_of(session, hold.id)
    if won != 1:
        raise Conflict(f"This hold was already released by {record.released_by} "
                       f"({record.release_note}).", fields={"status": [record.status]})
    record_event(session, NewEvent(
        subject="hold", subject_id=hold.id, action="release", actor_user_id=actor_user_id, before=before,
        after=record.status, note=text, participant_id=participant_id, claim_id=hold.claim_id,
        details={"claim_id": hold.claim_id, "payee_kind": hold.payee_kind, "payee_id": hold.payee_id}))
    return record


def list_holds(session: Session, *, status: str | None = "held", payee_kind: str | None = None,
               payee_id: int | None = None, claim_id: int | None = None, limit: int = 500) -> list[HoldRecord]:
    """Holds, newest first: by default those in force."""
    if status is not None and status not in HOLD_STATUSES:
        raise ValidationError(f"status must be one of {', '.join(HOLD_STATUSES)}.", fields={"status": ["invalid"]})
    query = select(Hold).order_by(Hold.id.desc()).limit(limit)
    if status is not None:
        query = query.where(Hold.status == status)
    if payee_kind is not None:
        query = query.where(Hold.payee_kind == payee_kind)
    if payee_id is not None:
        query = query.where(Hold.payee_id == payee_id)
    if claim_id is not None:
        query = query.where(Hold.claim_id == claim_id)
    return _records(session, list(session.execute(query).scalars()))


def _in_force_for(session: Session, claim_ids: Sequence[int], payees: Sequence[tuple[str, int]]) -> list[Hold]:
    conditions: list[ColumnElement[bool]] = []
    if claim_ids:
        conditions.append(Hold.claim_id.in_(sorted(set(claim_ids))))
    for kind in PAYEE_KINDS:
        ids = sorted({pid for k, pid in payees if k == kind})
        if ids:
            conditions.append(and_(Hold.payee_kind == kind, Hold.payee_id.in_(ids)))
    if not conditions:
        return []
    return list(session.execute(select(Hold).where(Hold.status == "held", or_(*conditions))
                                .order_by(Hold.id)).scalars())


def holds_of_rows(session: Session, rows: Sequence[tuple[int, str, int]]) -> dict[int, HoldRecord]:
    """For (claim id, payee kind, payee id) rows, the hold in force on each held claim (its own, else its payee's)."""
    holds = _in_force_for(session, [r[0] for r in rows], [(r[1], r[2]) for r in rows])
    if not holds:
        return {}
    records = {h.id: r for h, r in zip(holds, _records(session, holds), strict=True)}
    by_claim = {h.claim_id: records[h.id] for h in holds if h.claim_id is not None}
    by_payee = {(h.payee_kind, h.payee_id): records[h.id] for h in holds if h.claim_id is None}
    found = {}
    for claim_id, kind, pid in rows:
        hold = by_claim.get(claim_id) or by_payee.get((kind, pid))
        if hold is not None:
            found[claim_id] = hold
    return found


def held_in_run(session: Session, run_id: int) -> dict[int, HoldRecord]:
    """The claims in a run that are held now (by their own hold or their payee's)."""
    rows = [tuple(r) for r in session.execute(
        select(_items.c.claim_id, _items.c.payee_kind, _items.c.payee_id).where(_items.c.run_id == run_id))]
    return holds_of_rows(session, cast(list[tuple[int, str, int]], rows))
