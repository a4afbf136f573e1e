"""The letters to post for a confirmed payment run: the remittance advice of every payee not told by email.

Everyone paid in a run hears about it once: by email when the outbox queued their remittance advice (their
preferred format is email and they have an address), otherwise on paper, in this pack. Large-print readers'
letters are printed in large print. A payee with no postal address cannot be posted to: they are listed on
the cover sheet so that finance can find another way, and have no letter in the pack.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.outbox.models import OutboxMessage
from ledger.payments.models import Payment
from ledger.people.models import Participant
from ledger.reports.organisation import Organisation
from ledger.reports.payees import participant_reference
from ledger.reports.records import PostedLetter, PrintPack
from ledger.reports.remittances import remittances_for_run

__all__ = ["print_pack"]

_FORMATS = {"post": "Post", "large_print": "Large print", "easy_read": "Easy read", "email": "Post (no email address)"}


def print_pack(session: Session, run_id: int, *, organisation: Organisation) -> PrintPack:
    """The remittance advice of each payee of a confirmed run who is not emailed, with how to print it."""
    advices = remittances_for_run(session, run_id, organisation=organisation)
    emailed = {participant_reference(pid) for pid in session.execute(
        select(OutboxMessage.participant_id).where(OutboxMessage.payment_run_id == run_id,
                                                   OutboxMessage.kind == "remittance")).scalars()}
    formats = {participant_reference(pid): fmt for pid, fmt in session.execute(
        select(Participant.id, Participant.preferred_format).join(Payment, Payment.payee_id == Participant.id)
        .where(Payment.run_id == run_id, Payment.payee_kind == "participant"))}
    letters = tuple(
        PostedLetter(advice=advice, large_print=formats.get(advice.payee.reference) == "large_print",
                     easy_read=not advice.payee.is_group and formats.get(advice.payee.reference) == "easy_read",
                     format_label="Post (group)" if advice.payee.is_group
                     else _FORMATS.get(formats.get(advice.payee.reference, "post"), "Post"))
        for advice in advices if advice.payee.reference not in emailed)
    first = advices[0] if advices else None
    return PrintPack(organisation=organisation, run_reference=first.run_reference if first else "",
                     payment_date=first.payment_date if first else None, letters=letters, emailed=len(emailed))
