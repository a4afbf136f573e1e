"""A participant's own contact details and preferred format, changed by themself.

Only these fields: a participant cannot change their name, date of birth or anything finance keeps, here.
Each change is an event that names the fields changed, never their values (the event log is read far more
widely than the participant's record).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from ledger.errors import ValidationError
from ledger.people.records import ParticipantRecord
from ledger.people.services import update_participant

__all__ = ["CONTACT_FIELDS", "change_contact_details"]

CONTACT_FIELDS = ("email", "phone", "postal_address", "preferred_format", "access_needs")


def change_contact_details(
    session: Session, participant_id: int, changes: Mapping[str, Any], *, actor_user_id: int | None,
    today: dt.date,
) -> ParticipantRecord:
    """Change some of the participant's contact details or preferred format; blank text removes a detail."""
    unknown = sorted(set(changes) - set(CONTACT_FIELDS))
    if unknown:
        raise ValidationError(f"You cannot change these here: {', '.join(unknown)}.",
                              fields={k: ["Not a contact detail."] for k in unknown})
    if "preferred_format" in changes and not changes["preferred_format"]:
        raise ValidationError("Choose how you would like to get letters and statements.",
                              fields={"preferred_format": ["Choose one."]})
    clean = {k: (v.strip() or None) if isinstance(v, str) and k != "preferred_format" else v
             for k, v in changes.items()}
    # update_participant writes the event, naming the fields changed.
    return update_participant(session, participant_id, clean, today=today, actor_user_id=actor_user_id,
                              action="change_contact_details")
