"""Putting messages in the outbox, in the caller's transaction, beside the change that causes them.

Called by the three changes that tell someone something: confirming a payment run (remittance advice),
drafting a fee (it waits for the participant's decision) and returning a claim (with the reason). Each writes
its outbox rows and their events in the transaction that makes the change, so the change and the message
commit or roll back together: a message is never sent for a change that did not happen, nor lost for one that
did. Only participants whose preferred format is email, and who have an email address, are queued; everyone
else is told on paper (the payment run's print pack, ``ledger.reports.print_pack``).

Nothing here sends anything or renders anything: the worker (``ledger.outbox.sending``) does, after commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.claims.models import Claim
from ledger.db import insert_rows
from ledger.events.records import NewEvent
from ledger.events.writer import record_events
from ledger.outbox.models import OutboxMessage
from ledger.people.models import Participant

__all__ = ["emailed_participants", "queue_claim_returned", "queue_fee_decision", "queue_remittances"]

_CHUNK = 500
_messages = OutboxMessage.__table__


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def emailed_participants(session: Session, participant_ids: Iterable[int]) -> dict[int, str]:
    """The participants among these who are told by email: their preferred format is email and they have one."""
    ids = sorted(set(participant_ids))
    found: dict[int, str] = {}
    for start in range(0, len(ids), _CHUNK):
        found.update((pid, email or "") for pid, email in session.execute(
            select(Participant.id, Participant.email).where(
                Participant.id.in_(ids[start:start + _CHUNK]), Participant.preferred_format == "email",
                Participant.email.is_not(None), func.trim(Participant.email) != "")))
    return {pid: email.strip() for pid, email in found.items()}


def _queue(session: Session, rows: list[dict[str, Any]], actor_user_id: int | None) -> int:
    """Add the messages and one ``message.queue`` event each; return how many."""
    if not rows:
        return 0
    ids = insert_rows(session.connection(), _messages, rows)  # a run's thousands of remittances in two statements
    record_events(session, (NewEvent(
        subject="message", subject_id=message_id, action="queue", actor_user_id=actor_user_id, after="pending",
        note=f"Email queued to {row['to_address']}", participant_id=row["participant_id"],
        details={"kind": row["kind"], "claim_id": row["claim_id"], "payment_run_id": row["payment_run_id"]},
    ) for message_id, row in zip(ids, rows, strict=True)))
    return len(rows)


def _message(kind: str, key: str, participant_id: int, to: str, now: dt.datetime, details: dict, *,
             claim_id: int | None = None, payment_run_id: int | None = None) -> dict[str, Any]:
    return {"kind": kind, "status": "pending", "dedupe_key": key, "participant_id": participant_id, "to_address": to,
            "claim_id": claim_id, "payment_run_id": payment_run_id, "details": details, "created_at": now,
            "next_attempt_at": now, "attempts": 0}


def queue_fee_decision(session: Session, claim: Claim, *, actor_user_id: int | None) -> int:
    """Tell the participant a fee was drafted for them and waits for their decision (if they are emailed)."""
    to = emailed_participants(session, [claim.participant_id]).get(claim.participant_id)
    if to is None:
        return 0
    now = _utcnow()
    details = {"description": claim.description, "offered_pence": claim.offered_pence, "choice": claim.choice}
    return _queue(session, [_message("fee_decision", f"fee-decision:claim:{claim.id}", claim.participant_id, to,
                                     now, details, claim_id=claim.id)], actor_user_id)


def queue_claim_returned(session: Session, claim: Claim, *, reason: str, actor_user_id: int | None) -> int:
    """Tell the participant their claim came back to them, and why (if they are emailed)."""
    to = emailed_participants(session, [claim.participant_id]).get(claim.participant_id)
    if to is None:
        return 0
    # A claim can be returned, resubmitted and returned again: each return is its own message.
    earlier = session.execute(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.claim_id == claim.id, OutboxMessage.kind == "claim_returned")).scalar_one()
    details = {"description": claim.description, "reason": reason, "kind": claim.kind}
    return _queue(session, [_message("claim_returned", f"claim-returned:claim:{claim.id}:{earlier + 1}",
                                     claim.participant_id, to, _utcnow(), details, claim_id=claim.id)],
                  actor_user_id)


def queue_remittances(session: Session, run_id: int, paid_pence: Mapping[int, int], *, run_reference: str,
                      payment_date: dt.date, actor_user_id: int | None) -> int:
    """Queue the remittance advice of each emailed participant paid in a confirmed run (``paid_pence`` by id)."""
    emailed = emailed_participants(session, paid_pence)
    now = _utcnow()
    rows = [_message("remittance", f"remittance:run:{run_id}:participant:{pid}", pid, to, now,
                     {"run_reference": run_reference, "payment_date": payment_date.isoformat(),
                      "paid_pence": paid_pence[pid]}, payment_run_id=run_id)
            for pid, to in sorted(emailed.items())]
    return _queue(session, rows, actor_user_id)
