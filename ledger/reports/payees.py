"""Who a document is for: the organisation's references for participants and groups, and their names and addresses.

A reference ('P00012', 'G00003') is the organisation's own number for a payee: printed on their documents and
used in file names, so it is unique and never changes.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.errors import NotFound
from ledger.people.models import Participant, UserLedGroup
from ledger.reports.records import Payee

__all__ = [
    "easy_read_references",
    "group_payee",
    "group_reference",
    "large_print_references",
    "participant_payee",
    "participant_reference",
    "participant_row",
]


def participant_reference(participant_id: int) -> str:
    """The organisation's reference for a participant on their documents: 'P00012'."""
    return f"P{participant_id:05d}"


def group_reference(group_id: int) -> str:
    """The reference for a user-led group: 'G00003'."""
    return f"G{group_id:05d}"


def _address(text: str | None) -> tuple[str, ...]:
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


def participant_payee(row: Participant) -> Payee:
    """A participant as their documents name them."""
    return Payee(name=row.name, reference=participant_reference(row.id), address=_address(row.postal_address))


def group_payee(row: UserLedGroup) -> Payee:
    """A user-led group as its documents name it."""
    return Payee(name=row.name, reference=group_reference(row.id), address=_address(row.postal_address),
                 is_group=True)


def participant_row(session: Session, participant_id: int) -> Participant:
    """The participant a document is for, or NotFound."""
    row = session.get(Participant, participant_id)
    if row is None:
        raise NotFound(f"There is no participant {participant_id}.")
    return row


def easy_read_references(session: Session) -> set[str]:
    """References of the participants whose preferred format is easy read."""
    return {participant_reference(pid) for pid in session.execute(
        select(Participant.id).where(Participant.preferred_format == "easy_read")).scalars()}


def large_print_references(session: Session) -> set[str]:
    """References of the participants whose preferred format is large print."""
    return {participant_reference(pid) for pid in session.execute(
        select(Participant.id).where(Participant.preferred_format == "large_print")).scalars()}
