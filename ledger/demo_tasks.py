"""The end of the demo year: things waiting for the participants who sign in, so a newcomer sees every task.

Siân (``participant@demo.example``) has a fee from this week's meeting waiting for her decision, an expense
claim sent back for its receipt, and a change in her benefits waiting for finance to review. Sam
(``newcomer@demo.example``) has just joined: no bank details yet, and a fee waiting for his decision.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from ledger.auth.users import create_user
from ledger.claims import services as claims
from ledger.people import services as people
from ledger.people.circumstances import report_circumstances
from ledger.projects import services as projects

__all__ = ["NEWCOMER", "leave_tasks_for_participants"]

NEWCOMER = ("newcomer@demo.example", "Sam Newcomer", ("participant",), "demo-newcomer-2026")


def _newcomer(session: Session, today: dt.date) -> int:
    """A participant who joined this week and has not given bank details, with a login of their own."""
    email, name, roles, password = NEWCOMER
    record = people.create_participant(session, name=name, preferred_name="Sam", email=email,
                                       preferred_format="email", date_of_birth=dt.date(today.year - 29, 3, 14),
                                       today=today)
    people.declare_benefits(session, record.id, benefits=[], declared_on=today, today=today)
    create_user(session, email=email, display_name=name, password=password, roles=roles, participant_id=record.id)
    return record.id


def leave_tasks_for_participants(session: Session, *, today: dt.date, participant_id: int, finance: int,
                                 manager: int, rules: claims.ClaimRules) -> None:
    """This week's meeting, a fee each waiting for a decision, a claim sent back, a change to review."""
    newcomer = _newcomer(session, today)
    meeting = projects.schedule_activity(
        session, "GUIDE", kind="advisory_meeting", occurs_on=today - dt.timedelta(days=2), duration_minutes=150,
        preparation_minutes=60, region="uk", title="Advisory group: the guide's last chapter", actor_user_id=manager)
    for attendee in (participant_id, newcomer):
        projects.record_attendance(session, meeting.id, attendee, actor_user_id=manager, today=today)
        claims.draft_fee_claim(session, activity_id=meeting.id, participant_id=attendee, actor_user_id=manager,
                               rules=rules)
    expense, _ = claims.create_expense_claim(
        session, participant_id=participant_id, activity_id=meeting.id, idempotency_key="demo:tasks:bus",
        lines=[{"category": "public_transport", "description": "Bus to the town hall and back",
                "incurred_on": meeting.occurs_on, "amount": "6.40"}], actor_user_id=None,
        rules=rules)
    claims.submit_claim(session, expense.id, actor_user_id=None, actor_participant_id=participant_id)
    claims.return_claim(session, expense.id, reason="Please add a photo of your bus ticket.", actor_user_id=finance)
    report_circumstances(session, participant_id, change="started", benefit="universal_credit",
                         changed_on=today - dt.timedelta(days=10), details="My first Universal Credit payment "
                         "came last week.", actor_user_id=None, today=today)
