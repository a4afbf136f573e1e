"""A participant giving their own time credits to someone they name: a user-led group, or another person by the
email address we hold for them.

Nobody is shown a list of other participants: the giver names the person they mean. An address we do not
hold answers the same whether or not it exists in some other form, and nothing moves.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.errors import NotFound, ValidationError
from ledger.people.models import Participant
from ledger.timebank.services import TimeCreditTransferRecord, give_time_credits

__all__ = ["give_own_time_credits"]


def _participant_by_email(session: Session, email: Any) -> int:
    text = email.strip().lower() if isinstance(email, str) else ""
    if not text:
        raise ValidationError("Give the email address of the person.", fields={"email": ["Required."]})
    found = session.execute(select(Participant.id).where(func.lower(Participant.email) == text,
                                                         Participant.is_active).limit(2)).scalars().all()
    if len(found) != 1:
        raise NotFound("We could not find one person taking part with that email address. Check it with them, "
                       "or ask us to help.", fields={"email": ["Not found: check the address."]})
    return found[0]


def give_own_time_credits(
    session: Session, participant_id: int, *, to: Any, group_id: Any = None, email: Any = None, minutes: int,
    on: dt.date, note: str | None, idempotency_key: str, actor_user_id: int, overdraft_limit_minutes: int,
    today: dt.date,
) -> TimeCreditTransferRecord:
    """Give time credits to a group (``to="group"``) or to a person named by their email (``to="person"``)."""
    if to not in ("group", "person"):
        raise ValidationError("Choose who to give the time credits to.", fields={"to": ["Choose one."]})
    if to == "group" and type(group_id) is not int:
        raise ValidationError("Choose the group.", fields={"group_id": ["Choose one."]})
    recipient = _participant_by_email(session, email) if to == "person" else None
    try:
        return give_time_credits(session, participant_id, to_participant_id=recipient,
                                 to_group_id=group_id if to == "group" else None, minutes=minutes, on=on, note=note,
                                 idempotency_key=idempotency_key, actor_user_id=actor_user_id,
                                 overdraft_limit_minutes=overdraft_limit_minutes, today=today, by_participant=True)
    except ValidationError as error:
        if "to_participant_id" in error.fields and to == "person":
            raise ValidationError("That is your own email address: give the address of the person you are giving "
                                  "to.", fields={"email": ["Your own address."]}) from None
        raise
