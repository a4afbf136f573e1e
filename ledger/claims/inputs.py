"""What a claim or an advance names, read and checked once: the participant, activity and project, pounds, a reason.

Claims (``ledger.claims.services``) and advances (``ledger.claims.advances``) take the same things from a
request; each is checked here so that both refuse bad input with the same field named and the same words.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.errors import NotFound, ValidationError
from ledger.people.models import Participant
from ledger.projects.models import Activity, Project
from ledger.projects.services import normalise_code

MAX_LINE_PENCE = 500_000  # £5,000
_POUNDS = re.compile(r"^[+-]?\d{1,9}(\.\d{1,2})?$")


def find_participant(session: Session, participant_id: int) -> Participant:
    participant = session.get(Participant, participant_id)
    if participant is None:
        raise NotFound(f"There is no participant {participant_id}.", fields={"participant_id": ["Unknown."]})
    return participant


def find_activity(session: Session, activity_id: int) -> Activity:
    activity = session.get(Activity, activity_id)
    if activity is None:
        raise NotFound(f"There is no activity {activity_id}.", fields={"activity_id": ["Unknown."]})
    return activity


def project_for(session: Session, project_code: str | None, activity: Activity | None) -> Project:
    """The project a claim is for: the activity's, or the one named (which must agree with the activity)."""
    if activity is not None:
        of_activity = session.get_one(Project, activity.project_id)
        if project_code and normalise_code(project_code) != of_activity.code:
            raise ValidationError(f"Activity {activity.id} belongs to project {of_activity.code}, not {project_code}.",
                                  fields={"project_code": ["Does not match the activity's project."]})
        return of_activity
    if not project_code:
        raise ValidationError("Say which project (or activity) the claim is for.",
                              fields={"project_code": ["Give a project code or an activity id."]})
    project = session.execute(select(Project).where(Project.code == normalise_code(project_code))).scalar_one_or_none()
    if project is None:
        raise NotFound(f"There is no project {project_code!r}.", fields={"project_code": ["Unknown."]})
    return project


def pence_from(value: Any, field: str, *, maximum: int) -> int:
    """Pounds (a decimal string such as "12.50", or whole pounds as an int) in pence: more than 0, at most max."""
    if value is None or isinstance(value, bool | float) or not isinstance(value, str | int | Decimal):
        raise ValidationError(f"{field}: give the amount in pounds as a string, like \"12.50\".",
                              fields={field: ["Pounds as a decimal string, like \"12.50\"."]})
    text = str(value).strip()
    if not _POUNDS.match(text):
        raise ValidationError(f"{field}: {text[:20]!r} is not an amount in pounds and pence.",
                              fields={field: ["Pounds and pence, at most two decimal places, like \"12.50\"."]})
    pence = int(Decimal(text) * 100)
    if pence <= 0:
        raise ValidationError(f"{field}: the amount must be more than zero.", fields={field: ["Must be more than 0."]})
    if pence > maximum:
        raise ValidationError(f"{field}: £{Decimal(pence) / 100:.2f} is more than the £{Decimal(maximum) / 100:.2f} "
                              "allowed; check the amount.",
                              fields={field: [f"At most £{Decimal(maximum) / 100:.2f}."]})
    return pence


def reason_given(reason: Any, message: str) -> str:
    text = reason.strip() if isinstance(reason, str) else ""
    if len(text) < 3:
        raise ValidationError(message, fields={"reason": ["Required."]})
    return text
