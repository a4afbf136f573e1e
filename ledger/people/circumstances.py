"""Changes in benefits or circumstances a participant reports, and finance's review of each.

A participant who says "I now get Universal Credit" has not made a declaration: what they get, and its
details (the assessment period, the work allowance), decide every benefit check, so finance reviews the
report first. Until then the declaration in force stays as it was, and the report waits, listed for finance.
Accepting a report records a new declaration through ``declare_benefits`` (the benefit in or out, the
details finance confirmed); not accepting it needs a note saying why. Either way the report is reviewed
once (``REPORT``, the transition table) and every step is an event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.errors import Conflict, NotFound, ValidationError
from ledger.events.records import NewEvent
from ledger.events.writer import record_event
from ledger.labels import BENEFIT_NAMES as BENEFIT_WORDS
from ledger.people import checks
from ledger.people.benefits import BENEFIT_NAMES
from ledger.people.models import CIRCUMSTANCE_CHANGES, CircumstanceReport, Participant
from ledger.people.services import current_benefits, declare_benefits
from ledger.workflow import Workflow

__all__ = ["REPORT", "CircumstanceReportRecord", "circumstance_reports", "report_circumstances",
           "review_circumstance_report"]

REPORT = Workflow("report of a change", {
    ("waiting", "accept"): "accepted",
    ("waiting", "not_accept"): "not_accepted",
}, {"waiting": "waiting for finance to review it", "accepted": "accepted", "not_accepted": "not accepted"})

MAX_DETAILS = 2000
MAX_NOTE = 2000
FURTHEST_AHEAD = dt.timedelta(days=366)  # "I will start getting ... next month" is worth telling us
FURTHEST_BACK = dt.timedelta(days=6 * 366)


@dataclass(frozen=True, slots=True)
class CircumstanceReportRecord:
    id: int
    participant_id: int
    participant_name: str
    change: str  # started, stopped or other
    benefit: str | None
    changed_on: dt.date
    details: str | None
    status: str
    reported_at: dt.datetime
    reviewed_at: dt.datetime | None
    review_note: str | None
    declaration_id: int | None

    @property
    def summary(self) -> str:
        """The change in the participant's words: "Started getting Universal Credit on 1 December 2026"."""
        benefit = BENEFIT_WORDS.get(self.benefit or "", self.benefit or "")
        when = f"{self.changed_on.day} {self.changed_on:%B %Y}"
        if self.change == "started":
            return f"Started getting {benefit} on {when}"
        if self.change == "stopped":
            return f"Stopped getting {benefit} on {when}"
        return f"Something else changed on {when}"

    @property
    def review_words(self) -> str:
        """What finance's review did, for the person who made it."""
        return {"accepted": "accepted, and their benefits are updated", "not_accepted": "not accepted"}.get(
            self.status, "waiting for review")

    @property
    def waiting(self) -> bool:
        return self.status == "waiting"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _record(row: CircumstanceReport, name: str) -> CircumstanceReportRecord:
    return CircumstanceReportRecord(
        id=row.id, participant_id=row.participant_id, participant_name=name, change=row.change, benefit=row.benefit,
        changed_on=row.changed_on, details=row.details, status=row.status, reported_at=row.reported_at,
        reviewed_at=row.reviewed_at, review_note=row.review_note, declaration_id=row.declaration_id)


def _checked_report(change: Any, benefit: Any, changed_on: Any, details: Any, today: dt.date) -> dict[str, Any]:
    """The report's fields, or one ValidationError naming every field a person must put right."""
    problems = checks.Problems()
    if change not in CIRCUMSTANCE_CHANGES:
        problems.add("change", "Choose what has changed: a benefit started, a benefit stopped, or something else.")
    if change in ("started", "stopped") and benefit not in BENEFIT_NAMES:
        problems.add("benefit", "Choose the benefit that started or stopped.")
    on = checks.date(problems, "changed_on", changed_on, required=True)
    if on is not None and not today - FURTHEST_BACK <= on <= today + FURTHEST_AHEAD:
        problems.add("changed_on", "Give a date within the last six years or the next year.")
    note = checks.text(problems, "details", details, max_length=MAX_DETAILS, required=change == "other")
    if change == "other" and note is None and "details" not in problems.fields:
        problems.add("details", "Tell us what has changed.")
    problems.raise_if_any()
    return {"change": change, "benefit": benefit if change in ("started", "stopped") else None,
            "changed_on": on, "details": note}


def report_circumstances(
    session: Session, participant_id: int, *, change: Any, benefit: Any = None, changed_on: Any,
    details: Any = None, actor_user_id: int | None, today: dt.date, now: dt.datetime | None = None,
) -> CircumstanceReportRecord:
    """Keep a change the participant reports, for finance to review; the declaration in force is unchanged."""
    participant = session.get(Participant, participant_id)
    if participant is None:
        raise NotFound(f"There is no participant {participant_id}.", fields={"participant_id": ["Unknown."]})
    values = _checked_report(change, benefit, changed_on, details, today)
    moment = now or _utcnow()
    row = CircumstanceReport(participant_id=participant_id, status="waiting", reported_at=moment,
                             reported_by_user_id=actor_user_id, **values)
    session.add(row)
    session.flush()
    # Which benefit stays in the report (special-category data); the event says only that one was made.
    record_event(session, NewEvent(
        subject="participant", subject_id=participant_id, action="report_circumstances",
        actor_user_id=actor_user_id, participant_id=participant_id, after="waiting",
        details={"report_id": row.id, "change": row.change}), at=moment)
    return _record(row, participant.name)


def circumstance_reports(
    session: Session, *, status: str | None = "waiting", participant_id: int | None = None,
) -> list[CircumstanceReportRecord]:
    """Reports, oldest first (the longest waiting at the top); ``status=None`` for every one."""
    query = (select(CircumstanceReport, Participant.name)
             .join(Participant, Participant.id == CircumstanceReport.participant_id)
             .order_by(CircumstanceReport.id))
    if status is not None:
        query = query.where(CircumstanceReport.status == status)
    if participant_id is not None:
        query = query.where(CircumstanceReport.participant_id == participant_id)
    return [_record(row, name) for row, name in session.execute(query)]


def _declared_after(session: Session, report: CircumstanceReport, benefit_fields: Mapping[str, Any]) -> list[dict]:
    """The declaration in force with the reported benefit added (with the details finance gave) or taken out."""
    current = current_benefits(session, report.participant_id)
    benefits = [dict(b) for b in (current.benefits if current else ()) if b.get("name") != report.benefit]
    if report.change == "started":
        given = {k: v for k, v in benefit_fields.items() if v not in (None, "")}
        benefits.append({**given, "name": report.benefit})
    return benefits


def _declare(session: Session, report: CircumstanceReport, benefit_fields: Mapping[str, Any], note: str | None,
             actor_user_id: int, today: dt.date) -> int:
    """Record the new declaration; a missing or wrong detail of the benefit is named as the form's field."""
    if report.changed_on > today:
        raise Conflict(f"This change happens on {report.changed_on:%d %B %Y}: accept it on or after that day, "
                       "so that payments before it are checked against what is true now.",
                       fields={"changed_on": ["In the future."]})
    benefits = _declared_after(session, report, benefit_fields)
    try:
        declaration = declare_benefits(session, report.participant_id, benefits=benefits,
                                       declared_on=report.changed_on, circumstances=note or report.details,
                                       actor_user_id=actor_user_id, today=today)
    except ValidationError as error:
        fields = {key.rsplit(".", 1)[-1]: found for key, found in error.fields.items()}
        raise ValidationError("Give the details of the benefit: " + ", ".join(sorted(fields)) + ".",
                              fields=fields) from None
    return declaration.id


def review_circumstance_report(
    session: Session, report_id: int, *, accepted: Any, note: Any = None,
    benefit_fields: Mapping[str, Any] | None = None, actor_user_id: int, today: dt.date,
    now: dt.datetime | None = None,
) -> CircumstanceReportRecord:
    """Accept a report (a new declaration, from the day it changed) or not (with a note saying why)."""
    row = session.execute(select(CircumstanceReport).where(CircumstanceReport.id == report_id)
                          .with_for_update()).scalar_one_or_none()
    if row is None:
        raise NotFound(f"There is no report {report_id}.", fields={"report_id": ["Unknown."]})
    if not isinstance(accepted, bool):
        raise ValidationError("Say whether the change is accepted.", fields={"accepted": ["Choose yes or no."]})
    problems = checks.Problems()
    clean_note = checks.text(problems, "note", note, max_length=MAX_NOTE, required=not accepted)
    problems.raise_if_any()
    action = "accept" if accepted else "not_accept"
    before, after = row.status, REPORT.next_status(row.status, action)
    if accepted:
        row.declaration_id = _declare(session, row, benefit_fields or {}, clean_note, actor_user_id, today)
    moment = now or _utcnow()
    row.status, row.reviewed_at, row.reviewed_by_user_id, row.review_note = after, moment, actor_user_id, clean_note
    session.flush()
    record_event(session, NewEvent(
        subject="participant", subject_id=row.participant_id, action="review_circumstances",
        actor_user_id=actor_user_id, participant_id=row.participant_id, before=before, after=after,
        note=clean_note, details={"report_id": row.id, "declaration_id": row.declaration_id}), at=moment)
    participant = session.get(Participant, row.participant_id)
    return _record(row, participant.name if participant else "")
