"""Approved advances paid by bank transfer in a payment run, beside the payee's claims.

A draft takes every approved advance that is in no live run, whose participant has usable bank details and
is not on hold: the advance becomes part of that participant's line in the run (one credit in the Bacs
file and the bank CSV, one remittance, and their total counted against the second-approval threshold
with their claims). Confirming the run posts the advance in the participant's one payment entry
(Dr ``advance:participant:<id>``, Cr the bank) and moves it to ``paid`` through the advance transition table.

Invariants:

- An advance is in at most one live run. A draft takes it with a guarded ``UPDATE advances SET
  payment_run_id = :run WHERE ... AND payment_run_id IS NULL AND status = 'approved'`` (after ``SELECT ...
  FOR UPDATE SKIP LOCKED`` on PostgreSQL), so an advance approved, rejected or paid by another method at
  the same moment is either taken whole or not at all; one not taken waits for the next run.
- While a run holds it, the advance cannot be paid by another method or rejected
  (``ledger.claims.advances``): take the payee out of the run, or cancel the run, first.
- Confirming moves only advances still ``approved`` in this run to ``paid``; if one is not, nothing is paid.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ledger.claims.advance_events import record_advance_event
from ledger.claims.advance_workflow import ADVANCE
from ledger.claims.models import Advance
from ledger.db import is_postgresql, utcnow
from ledger.errors import Conflict
from ledger.payments.models import Hold

__all__ = ["RunAdvance", "advances_in_run", "by_participant", "candidates", "held_participants", "merge_into",
           "pay_advances", "release", "returned", "take"]

_advances = Advance.__table__
_holds = Hold.__table__


@dataclass(frozen=True, slots=True)
class RunAdvance:
    id: int
    participant_id: int
    amount_pence: int


def candidates(session: Session) -> list[RunAdvance]:
    """Approved advances in no live run, oldest first (on PostgreSQL locked, skipping those another holds)."""
    query = (select(_advances.c.id, _advances.c.participant_id, _advances.c.amount_pence)
             .where(_advances.c.status == "approved", _advances.c.payment_run_id.is_(None))
             .order_by(_advances.c.id))
    if is_postgresql(session):
        query = query.with_for_update(skip_locked=True)
    return [RunAdvance(r.id, r.participant_id, r.amount_pence) for r in session.execute(query)]


def held_participants(session: Session, participant_ids: Iterable[int]) -> set[int]:
    """The participants on hold as payees now: their advances wait, as their claims do."""
    ids = sorted(set(participant_ids))
    if not ids:
        return set()
    return set(session.execute(select(_holds.c.payee_id).where(
        _holds.c.status == "held", _holds.c.payee_kind == "participant", _holds.c.payee_id.in_(ids))).scalars())


def take(session: Session, run_id: int, wanted: Sequence[RunAdvance]) -> list[RunAdvance]:
    """Mark the advances as this run's; those approved-and-free no longer (paid, rejected, taken) are skipped."""
    if not wanted:
        return []
    taken = set(session.execute(
        update(_advances)
        .where(_advances.c.id.in_([a.id for a in wanted]), _advances.c.payment_run_id.is_(None),
               _advances.c.status == "approved")
        .values(payment_run_id=run_id)
        .returning(_advances.c.id)
    ).scalars())
    return [a for a in wanted if a.id in taken]


def advances_in_run(session: Session, run_id: int) -> list[RunAdvance]:
    """The advances a run pays (or paid), by id."""
    return [RunAdvance(r.id, r.participant_id, r.amount_pence) for r in session.execute(
        select(_advances.c.id, _advances.c.participant_id, _advances.c.amount_pence)
        .where(_advances.c.payment_run_id == run_id).order_by(_advances.c.id))]


def release(session: Session, run_id: int, participant_id: int | None = None) -> list[RunAdvance]:
    """Give a draft run's advances (or one participant's) back to waiting for a later run."""
    found = [a for a in advances_in_run(session, run_id) if participant_id in (None, a.participant_id)]
    if found:
        session.execute(update(_advances).where(_advances.c.id.in_([a.id for a in found]),
                                                _advances.c.status == "approved")
                        .values(payment_run_id=None))
    return found


def pay_advances(session: Session, *, run_id: int, run_reference: str, paid_on: dt.date,
                 entries: Mapping[int, int], references: Mapping[int, str], actor_user_id: int | None) -> int:
    """Move the run's advances to ``paid`` (each through the transition table, each an event); returns how many.

    ``entries`` is the payment entry of each participant, ``references`` what their bank statement shows.
    """
    advances = list(session.execute(
        select(Advance).where(Advance.payment_run_id == run_id).order_by(Advance.id)
        .with_for_update().execution_options(populate_existing=True)).scalars())
    for advance in advances:
        if not ADVANCE.allows(advance.status, "pay"):
            raise Conflict(f"Advance {advance.id} in run {run_reference} is {advance.status}, no longer approved. "
                           "Nothing was paid; take the payee out of the run or cancel it and draft it again.",
                           fields={"advances": [str(advance.id)]})
        before = advance.status
        advance.status = ADVANCE.next_status(before, "pay")
        advance.paid_on, advance.paid_entry_id = paid_on, entries[advance.participant_id]
        advance.paid_by, advance.paid_reference = "transfer", references[advance.participant_id]
        advance.decided_at = advance.decided_at or utcnow()
        record_advance_event(session, advance, "pay", before, actor_user_id, entry_id=advance.paid_entry_id,
                      note=f"Paid by bank transfer in payment run {run_reference} on {paid_on.isoformat()}")
    return len(advances)


def returned(session: Session, *, entry_id: int, run_reference: str, actor_user_id: int | None,
             note: str) -> list[int]:
    """The advances a returned payment had paid, approved again and out of the run: the participant never got
    the money, so it is neither chased as overdue nor left unpaid; a later run pays it once their bank details
    are changed. An advance already settled by receipts is refused by the transition table (nothing changes)."""
    advances = list(session.execute(
        select(Advance).where(Advance.paid_entry_id == entry_id).order_by(Advance.id)
        .with_for_update().execution_options(populate_existing=True)).scalars())
    for advance in advances:
        if not ADVANCE.allows(advance.status, "payment_returned"):
            raise Conflict(f"Advance {advance.id}, paid in run {run_reference}, is {advance.status}: its receipts "
                           "are in, so its payment cannot be returned. Check with the bank and the participant.",
                           fields={"advances": [str(advance.id)]})
        before = advance.status
        advance.status = ADVANCE.next_status(before, "payment_returned")
        advance.paid_on = advance.paid_entry_id = advance.paid_by = advance.paid_reference = None
        advance.payment_run_id = None
        record_advance_event(session, advance, "payment_returned", before, actor_user_id, note=note)
    session.flush()
    return [a.id for a in advances]


def by_participant(advances: Iterable[RunAdvance]) -> dict[int, list[RunAdvance]]:
    found: dict[int, list[RunAdvance]] = {}
    for advance in advances:
        found.setdefault(advance.participant_id, []).append(advance)
    return found


def merge_into(totals: dict[tuple[str, int], dict[str, Any]], advances: Iterable[RunAdvance]) -> None:
    """Add each participant's advances to their line of the run (``advance`` pence and ``advances`` ids)."""
    for t in totals.values():
        t.setdefault("advance", 0)
        t.setdefault("advances", [])
    for pid, found in by_participant(advances).items():
        t = totals.setdefault(("participant", pid), {"fee": 0, "expense": 0, "claims": [], "advance": 0,
                                                     "advances": []})
        t["advance"] += sum(a.amount_pence for a in found)
        t["advances"].extend(a.id for a in found)
