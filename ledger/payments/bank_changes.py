"""A second person for bank details changed after a payment run was drafted.

Changed bank details are how payments are stolen: someone (a fraudster with a payee's password, or an insider)
changes where the money goes just before a run is sent to the bank. So when a payee's bank details change after
a draft run that pays them was drafted, that run's Bacs file and bank CSV cannot be made, and the run cannot be
confirmed, until a second finance person approves the change.

Invariants:

- What needs approval is each payee's latest change made after the run's ``created_at`` (an earlier change
  since replaced pays nobody); approving it is recorded on the change (``approved_by_user_id``, ``approved_at``)
  and as an event on the payee, with masked digits only.
- The approver is an active finance user who neither made the change nor is the payee. Approving twice is
  refused, as is approving a change that waits for no run.
- The refusal names each payee, who changed their details and when, and the change to approve, so the pages,
  the API and the CLI can each offer the approval.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from ledger.auth.models import User
from ledger.db import utcnow
from ledger.errors import Conflict, NotFound, PermissionDenied
from ledger.events.records import NewEvent
from ledger.events.writer import record_event
from ledger.payments.models import PaymentRun
from ledger.people.bank import mask_account_number, mask_sort_code
from ledger.people.models import BankDetailChange, Participant, UserLedGroup

PayeeKey = tuple[str, int]
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class WaitingChange:
    """A bank-details change that waits for a second person before a run may pay the payee."""

    change_id: int
    payee_kind: str
    payee_id: int
    payee_name: str
    changed_at: dt.datetime
    changed_by_user_id: int | None
    changed_by: str
    sort_code: str  # masked
    account_number: str  # masked


def _latest_changes_since(session: Session, keys: Iterable[PayeeKey], since: dt.datetime
                          ) -> dict[PayeeKey, BankDetailChange]:
    latest: dict[PayeeKey, BankDetailChange] = {}
    for kind, column in (("participant", BankDetailChange.participant_id), ("group", BankDetailChange.group_id)):
        ids = sorted({pid for k, pid in keys if k == kind})
        for start in range(0, len(ids), _CHUNK):
            rows = session.execute(
                select(BankDetailChange).where(column.in_(ids[start:start + _CHUNK]),
                                               BankDetailChange.changed_at > since)
                .order_by(BankDetailChange.changed_at.desc(), BankDetailChange.id.desc())).scalars()
            for row in rows:
                latest.setdefault((kind, cast(int, row.participant_id or row.group_id)), row)
    return latest


def waiting_changes(session: Session, run: PaymentRun, keys: Iterable[PayeeKey]) -> dict[PayeeKey, WaitingChange]:
    """Each payee's change since the run was drafted that no second person has approved yet."""
    if run.created_at is None:
        return {}
    waiting = {key: row for key, row in _latest_changes_since(session, list(keys), run.created_at).items()
               if row.approved_at is None}
    if not waiting:
        return {}
    names = _payee_names(session, waiting)
    users = _user_names(session, {row.changed_by_user_id for row in waiting.values()})
    return {key: WaitingChange(
        change_id=row.id, payee_kind=key[0], payee_id=key[1], payee_name=names.get(key, f"{key[0]} {key[1]}"),
        changed_at=row.changed_at, changed_by_user_id=row.changed_by_user_id,
        changed_by=users.get(row.changed_by_user_id, "someone using the command line"),
        sort_code=mask_sort_code(row.sort_code_last2), account_number=mask_account_number(row.account_last4))
        for key, row in sorted(waiting.items())}


def _payee_names(session: Session, keys: Iterable[PayeeKey]) -> dict[PayeeKey, str]:
    found: dict[PayeeKey, str] = {}
    for kind, model in (("participant", Participant), ("group", UserLedGroup)):
        ids = sorted({pid for k, pid in keys if k == kind})
        if ids:
            found.update(((kind, r.id), r.name) for r in session.execute(
                select(model.id, model.name).where(model.id.in_(ids))))
    return found


def _user_names(session: Session, ids: set[int | None]) -> dict[int | None, str]:
    wanted = sorted(i for i in ids if i is not None)
    if not wanted:
        return {}
    return {r.id: r.display_name for r in session.execute(select(User.id, User.display_name)
                                                           .where(User.id.in_(wanted)))}


def refuse_unapproved_changes(session: Session, run: PaymentRun, keys: Iterable[PayeeKey], doing: str) -> None:
    """Refuse to make the run's bank file, or confirm it, while a change since drafting waits for a second person."""
    waiting = waiting_changes(session, run, keys)
    if not waiting:
        return
    listed = "; ".join(f"{w.payee_name} (changed by {w.changed_by} at {w.changed_at:%H:%M} UTC on "
                       f"{w.changed_at:%d %B %Y}, change {w.change_id})" for w in list(waiting.values())[:10])
    raise Conflict(
        f"Bank details were changed after payment run {run.reference} was drafted: {listed}. Before the run's "
        f"{doing}, a second finance person (not the one who changed them, and not the payee) must check the new "
        "details with the payee and approve the change.",
        fields={"bank_detail_changes": [w.change_id for w in waiting.values()]})


def approve_bank_details_change(session: Session, change_id: int, *, actor_user_id: int,
                                now: dt.datetime | None = None) -> WaitingChange:
    """A second finance person approves a change of bank details, so the runs it held up can go ahead."""
    row = session.get(BankDetailChange, change_id)
    if row is None:
        raise NotFound(f"There is no bank-details change {change_id}.", fields={"change_id": ["unknown"]})
    actor = session.get(User, actor_user_id)
    if actor is None or not actor.is_active or "finance" not in actor.role_names:
        raise PermissionDenied("Only a finance user may approve a change of bank details.")
    if row.changed_by_user_id == actor_user_id:
        raise PermissionDenied("You changed these bank details: a second finance person must approve the change.",
                               fields={"change_id": ["same person"]})
    if row.participant_id is not None and actor.participant_id == row.participant_id:
        raise PermissionDenied("These are your own bank details: another finance person must approve the change.",
                               fields={"change_id": ["payee"]})
    now = now or utcnow()
    approved = session.execute(update(BankDetailChange).where(BankDetailChange.id == change_id,
                                                              BankDetailChange.approved_at.is_(None))
                               .values(approved_by_user_id=actor_user_id, approved_at=now))
    if cast(CursorResult[Any], approved).rowcount != 1:
        session.refresh(row)
        raise Conflict(f"This change of bank details was approved already, at {row.approved_at:%H:%M} UTC on "
                       f"{row.approved_at:%d %B %Y}.", fields={"change_id": ["approved"]})
    kind = "participant" if row.participant_id is not None else "group"
    payee_id = cast(int, row.participant_id or row.group_id)
    record_event(session, NewEvent(
        subject=kind, subject_id=payee_id, action="approve_bank_details", actor_user_id=actor_user_id,
        participant_id=row.participant_id,
        details={"change_id": row.id, "changed_by_user_id": row.changed_by_user_id,
                 "changed_at": row.changed_at.isoformat(), "sort_code": mask_sort_code(row.sort_code_last2),
                 "account_number": mask_account_number(row.account_last4)}), at=now)
    session.flush()
    names = _user_names(session, {row.changed_by_user_id})
    return WaitingChange(
        change_id=row.id, payee_kind=kind, payee_id=payee_id,
        payee_name=_payee_names(session, [(kind, payee_id)]).get((kind, payee_id), f"{kind} {payee_id}"),
        changed_at=row.changed_at, changed_by_user_id=row.changed_by_user_id,
        changed_by=names.get(row.changed_by_user_id, "someone using the command line"),
        sort_code=mask_sort_code(row.sort_code_last2), account_number=mask_account_number(row.account_last4))
