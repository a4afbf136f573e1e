"""An advance's history: every change is an event, and every status change goes through its transition table.

Shared by paying and settling advances (``ledger.claims.services``) and by requesting and approving them
(``ledger.claims.advances``).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ledger.claims.advance_workflow import ADVANCE
from ledger.claims.models import Advance
from ledger.events.records import NewEvent
from ledger.events.writer import record_event


def record_advance_event(session: Session, advance: Advance, action: str, before: str | None, actor: int | None,
                         *, note: str | None = None, entry_id: int | None = None, reason: str | None = None) -> None:
    record_event(session, NewEvent(
        subject="advance", subject_id=advance.id, action=action, actor_user_id=actor, before=before,
        after=advance.status, note=note, reason=reason, participant_id=advance.participant_id,
        claim_id=advance.settlement_claim_id, entry_id=entry_id))


def move_advance(session: Session, advance: Advance, action: str, actor: int | None, *,
                 note: str | None = None, entry_id: int | None = None, reason: str | None = None) -> None:
    """Move the advance on through its one transition table, and record it."""
    before = advance.status
    advance.status = ADVANCE.next_status(before, action)
    record_advance_event(session, advance, action, before, actor, note=note, entry_id=entry_id, reason=reason)
