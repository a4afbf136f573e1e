"""Use cases for projects, their activities and attendance, and budgets by cost line.

Functions take the session, the acting user's id and dates as arguments, work in the caller's
transaction and never commit. Creating a project opens its fees and expenses accounts in the books in
the same transaction (see ``ledger.projects.accounts``). Setting a budget plan replaces the project's cost
lines and makes its ``budget_pence`` their total (see ``ledger.projects.budget``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session, aliased

from ledger.auth.models import User
from ledger.books.models import JournalEntry
from ledger.books.posting import MAX_ABS_AMOUNT
from ledger.claims.models import Advance, Claim, ExpenseLine
from ledger.db import utcnow
from ledger.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ledger.formatting import money
from ledger.labels import ACTIVITY_KIND_LABELS
from ledger.people import checks
from ledger.people.models import Participant
from ledger.projects import assignments
from ledger.projects.accounts import open_project_accounts, project_accounts
from ledger.projects.budget import (
    EXPENSE_CATEGORY_LINE,
    LINE_KINDS,
    LINE_NAMES,
    BudgetPlan,
    BudgetPlanLine,
    BudgetPosition,
    BudgetPositionLine,
    plan_budget,
)
from ledger.projects.models import ACTIVITY_KINDS, REGIONS, Activity, Attendance, Project, ProjectBudgetLine
from ledger.projects.records import ActivityRecord, AttendanceRecord, ProjectRecord
from policies import pay
from policies.errors import PolicyError
from policies.money import HUNDRED, round_to_penny
from policies.rulebook import Rulebook

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,31}$")
UPDATABLE_PROJECT_FIELDS = ("name", "cost_centre", "budget_pence", "project_manager_user_id", "starts_on", "ends_on")
# A single activity longer than 100 hours, or a flat fee above £10,000, is a typo.
MAX_MINUTES = 100 * 60
MAX_FLAT_FEE_PENCE = 1_000_000




def normalise_code(code: Any) -> str:
    """Project codes are upper case: 'prj-7' and 'PRJ-7' are the same project."""
    return code.strip().upper() if isinstance(code, str) else ""


# ---------------------------------------------------------------- projects


def project_record(row: Project) -> ProjectRecord:
    return ProjectRecord(
        id=row.id,
        code=row.code,
        name=row.name,
        cost_centre=row.cost_centre,
        budget_pence=row.budget_pence,
        project_manager_user_id=row.project_manager_user_id,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        accounts=project_accounts(row.code),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _load_project(session: Session, code: str) -> Project:
    row = session.execute(select(Project).where(Project.code == normalise_code(code))).scalar_one_or_none()
    if row is None:
        raise NotFound(f"There is no project {code}.")
    return row


def _check_project(
    session: Session, values: Mapping[str, Any], problems: checks.Problems | None = None
) -> dict[str, Any]:
    problems = checks.Problems() if problems is None else problems
    clean: dict[str, Any] = {
        "name": checks.text(problems, "name", values.get("name"), max_length=200, required=True),
        "cost_centre": checks.text(problems, "cost_centre", values.get("cost_centre"), max_length=40, required=True),
        "budget_pence": checks.whole_number(problems, "budget_pence", values.get("budget_pence"), minimum=0,
                                            maximum=MAX_ABS_AMOUNT, required=True),
        "starts_on": checks.date(problems, "starts_on", values.get("starts_on"), required=True),
        "ends_on": checks.date(problems, "ends_on", values.get("ends_on")),
        "project_manager_user_id": values.get("project_manager_user_id"),
    }
    if clean["starts_on"] and clean["ends_on"] and clean["ends_on"] < clean["starts_on"]:
        problems.add("ends_on", "Cannot be before the start date.")
    manager_id = clean["project_manager_user_id"]
    if manager_id is not None:
        user = session.get(User, manager_id) if type(manager_id) is int else None
        if user is None:
            problems.add("project_manager_user_id", "There is no such user.")
        elif not user.is_active or "project_manager" not in user.role_names:
            problems.add("project_manager_user_id", f"{user.display_name} is not an active project manager.")
    problems.raise_if_any()
    return clean


def create_project(
    session: Session,
    *,
    code: str,
    name: str,
    cost_centre: str,
    budget_pence: int,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    project_manager_user_id: int | None = None,
    actor_user_id: int | None = None,
) -> ProjectRecord:
    """Record a project with its budget, and open its fees and expenses accounts.

    Finance or an administrator sets a project up for any manager (or none yet). A project manager sets up
    their own at the start of the work, to plan its budget before anything is spent: they become its manager
    and cannot name someone else (only finance or an administrator assigns projects to other managers).
    Setting a project up moves no money; claims on it still need finance's approval. The named manager is
    assigned to the project (``ledger.projects.assignments``).
    """
    project_manager_user_id = _manager_of_a_new_project(session, actor_user_id, project_manager_user_id)
    normalised = normalise_code(code)
    problems = checks.Problems()
    if not _CODE.match(normalised):
        problems.add("code", "1 to 32 letters, digits, dots, dashes or underscores, starting with a letter or digit.")
    clean = _check_project(session, {"name": name, "cost_centre": cost_centre, "budget_pence": budget_pence,
                                     "starts_on": starts_on, "ends_on": ends_on,
                                     "project_manager_user_id": project_manager_user_id}, problems)
    if session.execute(select(Project.id).where(Project.code == normalised)).first():
        raise Conflict(f"There is already a project {normalised}.", fields={"code": ["Already exists."]})
    row = Project(code=normalised, **clean)
    checks.add_unique(session, row, message=f"There is already a project {normalised}.", field="code")
    open_project_accounts(session, row.code)
    assignments.sync_lead_manager(session, row.id, row.project_manager_user_id, actor_user_id=actor_user_id)
    return project_record(row)


def _manager_of_a_new_project(session: Session, actor_user_id: int | None, named: int | None) -> int | None:
    """The manager a new project gets: whoever finance names, or the project manager who sets it up."""
    actor = session.get(User, actor_user_id) if actor_user_id is not None else None
    if actor is None or not assignments.limited_to_assigned(actor.role_names):
        return named
    if named not in (None, actor.id):
        raise PermissionDenied("A project you set up is yours to manage; finance or an administrator assigns "
                               "projects to other managers.",
                               fields={"project_manager_user_id": ["Leave it empty: you will manage it."]})
    return actor.id


def _check_may_set_up(session: Session, actor_user_id: int | None) -> None:
    actor = session.get(User, actor_user_id) if actor_user_id is not None else None
    if actor is not None and assignments.limited_to_assigned(actor.role_names):
        raise PermissionDenied("Finance or an administrator sets up projects and assigns their managers; a "
                               "project manager cannot assign a project to themselves.",
                               fields={"project_manager_user_id": ["not yours to set"]})


def update_project(
    session: Session, code: str, changes: Mapping[str, Any], *, now: dt.datetime | None = None,
    actor_user_id: int | None = None,
) -> ProjectRecord:
    """Change a project's name, cost centre, budget, manager or dates; its code never changes.

    Only finance or an administrator changes the manager (who is then assigned to the project).
    """
    if "project_manager_user_id" in changes:
        _check_may_set_up(session, actor_user_id)
    unknown = sorted(set(changes) - set(UPDATABLE_PROJECT_FIELDS))
    if unknown:
        raise ValidationError(f"These cannot be changed here: {', '.join(unknown)}.",
                              fields={k: ["Cannot be changed."] for k in unknown})
    row = _load_project(session, code)
    values = {field: getattr(row, field) for field in UPDATABLE_PROJECT_FIELDS}
    values.update(changes)
    clean = _check_project(session, values)
    outside = select(func.count()).select_from(Activity).where(Activity.project_id == row.id)
    early = session.execute(outside.where(Activity.occurs_on < clean["starts_on"])).scalar_one()
    late = 0
    if clean["ends_on"] is not None:
        late = session.execute(outside.where(Activity.occurs_on > clean["ends_on"])).scalar_one()
    if early or late:
        fields = {}
        if early:
            fields["starts_on"] = [f"{early} activities are before this date."]
        if late:
            fields["ends_on"] = [f"{late} activities are after this date."]
        raise ValidationError("The project's dates must include all its activities.", fields=fields)
    for field, value in clean.items():
        setattr(row, field, value)
    row.updated_at = now or utcnow()
    session.flush()
    assignments.sync_lead_manager(session, row.id, row.project_manager_user_id, actor_user_id=actor_user_id)
    return project_record(row)


def get_project(session: Session, code: str) -> ProjectRecord:
    return project_record(_load_project(session, code))


def list_projects(session: Session, *, project_manager_user_id: int | None = None,
                  only_ids: set[int] | None = None) -> list[ProjectRecord]:
    """Every project by code; ``only_ids``: only these (a project manager's assigned projects)."""
    query = select(Project).order_by(Project.code)
    if only_ids is not None:
        query = query.where(Project.id.in_(sorted(only_ids)))
    if project_manager_user_id is not None:
        query = query.where(Project.project_manager_user_id == project_manager_user_id)
    return [project_record(r) for r in session.execute(query).scalars()]


# ---------------------------------------------------------------- activities


def _activity_record(row: Activity, project_code: str) -> ActivityRecord:
    return ActivityRecord(
        id=row.id,
        project_id=row.project_id,
        project_code=project_code,
        kind=row.kind,
        title=row.title,
        occurs_on=row.occurs_on,
        duration_minutes=row.duration_minutes,
        preparation_minutes=row.preparation_minutes,
        region=row.region,
        location=row.location,
        flat_fee_pence=row.flat_fee_pence,
        created_at=row.created_at,
        created_by_user_id=row.created_by_user_id,
    )


def schedule_activity(
    session: Session,
    project_code: str,
    *,
    kind: str,
    occurs_on: dt.date,
    duration_minutes: int,
    region: str,
    preparation_minutes: int = 0,
    title: str | None = None,
    location: str | None = None,
    flat_fee_pence: int | None = None,
    actor_user_id: int | None = None,
) -> ActivityRecord:
    """Add an activity to a project: its date, length, preparation time, place and any flat fee.

    ``region`` ('london' or 'uk') decides the living-wage rate; ``location`` is free text for people
    and for mileage. Without a flat fee, the activity is paid by the hour.
    """
    project = _load_project(session, project_code)
    problems = checks.Problems()
    checked_kind = checks.choice(problems, "kind", kind, ACTIVITY_KINDS)
    activity_date = checks.date(problems, "occurs_on", occurs_on, required=True)
    row = Activity(
        project_id=project.id,
        kind=checked_kind,
        occurs_on=activity_date,
        duration_minutes=checks.whole_number(problems, "duration_minutes", duration_minutes, minimum=1,
                                             maximum=MAX_MINUTES, required=True),
        preparation_minutes=checks.whole_number(problems, "preparation_minutes", preparation_minutes, minimum=0,
                                                maximum=MAX_MINUTES, required=True),
        region=checks.choice(problems, "region", region, REGIONS),
        title=checks.text(problems, "title", title, max_length=200),
        location=checks.text(problems, "location", location, max_length=200),
        flat_fee_pence=checks.whole_number(problems, "flat_fee_pence", flat_fee_pence, minimum=1,
                                           maximum=MAX_FLAT_FEE_PENCE),
        created_by_user_id=actor_user_id,
    )
    if activity_date is not None and not (
        project.starts_on <= activity_date and (project.ends_on is None or activity_date <= project.ends_on)
    ):
        until = f" to {project.ends_on.isoformat()}" if project.ends_on else " onwards"
        problems.add("occurs_on", f"Project {project.code} runs from {project.starts_on.isoformat()}{until}.")
    problems.raise_if_any()
    if row.title is None:
        row.title = f"{ACTIVITY_KIND_LABELS[row.kind]}, {row.occurs_on.isoformat()}"
    session.add(row)
    session.flush()
    return _activity_record(row, project.code)


def _load_activity(session: Session, activity_id: int) -> tuple[Activity, str]:
    found = session.execute(
        select(Activity, Project.code).join(Project, Project.id == Activity.project_id)
        .where(Activity.id == activity_id)
    ).first()
    if found is None:
        raise NotFound(f"There is no activity {activity_id}.")
    return found[0], found[1]


def get_activity(session: Session, activity_id: int) -> ActivityRecord:
    row, code = _load_activity(session, activity_id)
    return _activity_record(row, code)


def list_activities(
    session: Session, project_code: str, *, start: dt.date | None = None, end: dt.date | None = None
) -> list[ActivityRecord]:
    """A project's activities by date, optionally those between two dates (inclusive)."""
    project = _load_project(session, project_code)
    query = select(Activity).where(Activity.project_id == project.id).order_by(Activity.occurs_on, Activity.id)
    if start is not None:
        query = query.where(Activity.occurs_on >= start)
    if end is not None:
        query = query.where(Activity.occurs_on <= end)
    return [_activity_record(r, project.code) for r in session.execute(query).scalars()]


# ---------------------------------------------------------------- attendance


def _attendance_record(row: Attendance, activity: Activity, participant: Participant) -> AttendanceRecord:
    return AttendanceRecord(
        id=row.id,
        activity_id=row.activity_id,
        participant_id=row.participant_id,
        participant_name=participant.preferred_name or participant.name,
        actual_minutes=row.actual_minutes,
        minutes_attended=row.actual_minutes or activity.duration_minutes,
        preparation_minutes=activity.preparation_minutes,
        with_supporter=bool(row.with_supporter),
        recorded_at=row.recorded_at,
        recorded_by_user_id=row.recorded_by_user_id,
    )


def record_attendance(
    session: Session,
    activity_id: int,
    participant_id: int,
    *,
    actual_minutes: int | None = None,
    with_supporter: bool = False,
    actor_user_id: int | None = None,
    today: dt.date | None = None,
) -> AttendanceRecord:
    """Record that a participant took part in an activity (once), and for how long if not the whole time."""
    activity, _code = _load_activity(session, activity_id)
    problems = checks.Problems()
    participant = None
    if type(participant_id) is not int:
        problems.add("participant_id", "Must be a participant's id.")
    else:
        participant = session.get(Participant, participant_id)
        if participant is None:
            problems.add("participant_id", f"There is no participant {participant_id}.")
    minutes = checks.whole_number(problems, "actual_minutes", actual_minutes, minimum=1, maximum=MAX_MINUTES)
    if not isinstance(with_supporter, bool):
        problems.add("with_supporter", "Must be true or false.")
    if activity.occurs_on > (today or dt.date.today()):
        problems.add("activity_id", f"The activity is on {activity.occurs_on.isoformat()}: record attendance "
                                    "once it has happened.")
    problems.raise_if_any()
    assert participant is not None
    if not participant.is_active:
        raise Conflict(f"Participant {participant_id} is marked inactive; make them active again first.",
                       fields={"participant_id": ["Inactive."]})
    existing = session.execute(
        select(Attendance.id).where(Attendance.activity_id == activity_id,
                                    Attendance.participant_id == participant_id)
    ).first()
    message = f"Participant {participant_id}'s attendance at activity {activity_id} is already recorded."
    if existing is not None:
        raise Conflict(message, fields={"participant_id": ["Already recorded."]})
    row = Attendance(
        activity_id=activity_id,
        participant_id=participant_id,
        actual_minutes=None if minutes == activity.duration_minutes else minutes,
        with_supporter=with_supporter,
        recorded_by_user_id=actor_user_id,
    )
    checks.add_unique(session, row, message=message, field="participant_id")
    return _attendance_record(row, activity, participant)


def list_attendance(session: Session, activity_id: int) -> list[AttendanceRecord]:
    """Who attended an activity, by name."""
    activity, _code = _load_activity(session, activity_id)
    rows = session.execute(
        select(Attendance, Participant).join(Participant, Participant.id == Attendance.participant_id)
        .where(Attendance.activity_id == activity_id)
        .order_by(func.lower(func.coalesce(Participant.preferred_name, Participant.name)), Participant.id)
    ).all()
    return [_attendance_record(a, activity, p) for a, p in rows]


def get_attendance(session: Session, activity_id: int, participant_id: int) -> AttendanceRecord:
    activity, _code = _load_activity(session, activity_id)
    found = session.execute(
        select(Attendance, Participant).join(Participant, Participant.id == Attendance.participant_id)
        .where(Attendance.activity_id == activity_id, Attendance.participant_id == participant_id)
    ).first()
    if found is None:
        raise NotFound(f"Participant {participant_id} is not recorded as attending activity {activity_id}.")
    return _attendance_record(found[0], activity, found[1])


# ---------------------------------------------------------------- budgets by cost line


def _plan_line(problems: checks.Problems, index: int, line: Any) -> BudgetPlanLine | None:
    where = f"lines.{index}"
    if isinstance(line, BudgetPlanLine):
        line = {"kind": line.kind, "name": line.name, "amount_pence": line.amount_pence, "basis": line.basis}
    if not isinstance(line, Mapping):
        problems.add(where, "Each line is an object with a kind and an amount_pence.")
        return None
    kind = checks.choice(problems, f"{where}.kind", line.get("kind"), LINE_KINDS)
    name = checks.text(problems, f"{where}.name", line.get("name"), max_length=200)
    amount = checks.whole_number(problems, f"{where}.amount_pence", line.get("amount_pence"), minimum=0,
                                 maximum=MAX_ABS_AMOUNT, required=True)
    basis = checks.text(problems, f"{where}.basis", line.get("basis") or None, max_length=1000)
    if kind is None or amount is None:
        return None
    return BudgetPlanLine(kind, name or LINE_NAMES[kind], amount, basis or "")


def _budget_plan(session: Session, project: Project) -> BudgetPlan:
    rows = session.execute(
        select(ProjectBudgetLine).where(ProjectBudgetLine.project_id == project.id)
    ).scalars().all()
    return _plan_of(project, rows)


def _plan_of(project: Project, rows: Sequence[ProjectBudgetLine]) -> BudgetPlan:
    """A project's stored cost lines as its plan, in the order of ``LINE_KINDS``."""
    rows = sorted(rows, key=lambda r: LINE_KINDS.index(r.kind))
    return BudgetPlan(
        project_code=project.code,
        budget_pence=project.budget_pence,
        lines=tuple(BudgetPlanLine(r.kind, r.name, r.amount_pence, r.basis or "") for r in rows),
        set_at=rows[0].set_at if rows else None,
        set_by_user_id=rows[0].set_by_user_id if rows else None,
    )


def get_budget_plan(session: Session, project_code: str) -> BudgetPlan:
    """A project's budget by cost line, as last set (no lines if it has never been split)."""
    return _budget_plan(session, _load_project(session, project_code))


def set_budget_plan(
    session: Session, project_code: str, lines: Sequence[Any], actor_user_id: int | None, *,
    now: dt.datetime | None = None,
) -> BudgetPlan:
    """Replace a project's cost lines, and make its budget their total.

    Each line is a ``BudgetPlanLine`` or ``{kind, name?, amount_pence, basis?}``; at most one line of each
    kind (fees, travel_expenses, access, contingency).
    """
    project = session.execute(
        select(Project).where(Project.code == normalise_code(project_code)).with_for_update()
    ).scalar_one_or_none()
    if project is None:
        raise NotFound(f"There is no project {project_code}.")
    problems = checks.Problems()
    if isinstance(lines, str | bytes | Mapping) or not isinstance(lines, Sequence) or not 1 <= len(lines) <= 10:
        raise ValidationError("A budget needs 1 to 4 cost lines.", fields={"lines": ["Give 1 to 4 lines."]})
    clean = [_plan_line(problems, index, line) for index, line in enumerate(lines)]
    kinds = [line.kind for line in clean if line is not None]
    for kind in sorted({k for k in kinds if kinds.count(k) > 1}):
        problems.add("lines", f"More than one {kind} line: give each kind of cost once.")
    total = sum(line.amount_pence for line in clean if line is not None)
    if total > MAX_ABS_AMOUNT:
        problems.add("lines", "The total is too large.")
    problems.raise_if_any()
    moment = now or utcnow()
    session.execute(delete(ProjectBudgetLine).where(ProjectBudgetLine.project_id == project.id))
    session.add_all(
        ProjectBudgetLine(project_id=project.id, kind=line.kind, name=line.name, amount_pence=line.amount_pence,
                          basis=line.basis or None, set_at=moment, set_by_user_id=actor_user_id)
        for line in clean if line is not None
    )
    project.budget_pence = total
    project.updated_at = moment
    session.flush()
    return _budget_plan(session, project)


def plan_project_budget(
    session: Session,
    project_code: str,
    *,
    rulebook: Rulebook,
    pay_basis: str,
    region: str,
    rate_on: dt.date | None,
    actor_user_id: int | None,
    participants: int,
    meetings: int,
    meeting_hours: Any,
    preparation_hours: Any,
    expenses_per_person_per_meeting_pence: int,
    access_costs_pence: int,
    contingency_percent: Any,
    now: dt.datetime | None = None,
) -> BudgetPlan:
    """Plan a project's cost lines from the formula at the policy rate for its region, and store them.

    The hourly rate is the organisation's pay basis (``PAY_BASIS``) for ``region`` on ``rate_on`` (the
    project's start when not given), never below the adult legal minimum.
    """
    project = _load_project(session, project_code)
    on = rate_on or project.starts_on
    if region not in REGIONS:
        raise ValidationError(f"region must be one of {', '.join(REGIONS)}.", fields={"region": ["Unknown."]})
    try:
        rate = pay.hourly_rate(rulebook, on, basis=pay_basis, region=region)
    except PolicyError as error:
        raise Conflict(f"No pay rate is known for {on:%d %B %Y}: {error}",
                       fields={"rate_on": [str(error)]}) from None
    lines = plan_budget(
        participants=participants, meetings=meetings, meeting_hours=meeting_hours,
        preparation_hours=preparation_hours, hourly_rate_pence=round_to_penny(rate.per_hour * HUNDRED),
        expenses_per_person_per_meeting_pence=expenses_per_person_per_meeting_pence,
        access_costs_pence=access_costs_pence, contingency_percent=contingency_percent,
    )
    return set_budget_plan(session, project.code, lines, actor_user_id, now=now)


def _actual_costs(session: Session, project: Project, as_at: dt.date) -> dict[str, list[int]]:
    """Committed (approved, not yet paid) and spent (paid) pence per cost-line kind, as the books stood on ``as_at``.

    A claim counts from its accrual's effective date until any reversal's; it is spent once paid on or before
    ``as_at``. A fee costs what is owed under the participant's choice (redirected fees too; declined fees and
    fees taken as time credits cost no money). An expense claim costs its lines, by category
    (``EXPENSE_CATEGORY_LINE``); the part already paid as an advance is spent, taken from its first lines. An
    advance not yet settled by receipts on ``as_at`` is spent on travel and expenses.
    """
    actual = {kind: [0, 0] for kind in LINE_KINDS}  # kind -> [committed, spent]
    accrual = aliased(JournalEntry)
    reversal = aliased(JournalEntry)
    claims = session.execute(
        select(Claim.id, Claim.kind, Claim.status, Claim.amount_pence, Claim.offered_pence, Claim.paid_on)
        .join(accrual, accrual.id == Claim.accrual_entry_id)
        .outerjoin(reversal, reversal.id == Claim.reversal_entry_id)
        .where(Claim.project_id == project.id, Claim.kind.in_(("fee", "expense")), accrual.effective_date <= as_at,
               or_(reversal.id.is_(None), reversal.effective_date > as_at))
        .order_by(Claim.id)
    ).all()
    lines = _expense_lines(session, [c.id for c in claims if c.kind == "expense"])
    _add_claim_costs(actual, claims, lines, as_at)
    settlement = aliased(JournalEntry)
    unsettled = session.execute(
        select(func.coalesce(func.sum(Advance.amount_pence), 0))
        .outerjoin(settlement, settlement.id == Advance.settlement_entry_id)
        .where(Advance.project_id == project.id, Advance.paid_on <= as_at,
               or_(settlement.id.is_(None), settlement.effective_date > as_at))
    ).scalar_one()
    actual["travel_expenses"][1] += int(unsettled)  # a SUM of BIGINT is a Decimal on PostgreSQL
    return actual


def _expense_lines(session: Session, expense_claim_ids: Sequence[int]) -> dict[int, list]:
    """The lines of these expense claims, by claim, in the order they were entered (500 claims a statement)."""
    lines: dict[int, list] = {}
    for start in range(0, len(expense_claim_ids), 500):
        for row in session.execute(
            select(ExpenseLine.claim_id, ExpenseLine.category, ExpenseLine.amount_pence)
            .where(ExpenseLine.claim_id.in_(expense_claim_ids[start:start + 500])).order_by(ExpenseLine.id)
        ):
            lines.setdefault(row.claim_id, []).append(row)
    return lines


def _add_claim_costs(actual: dict[str, list[int]], claims: Sequence[Any], lines: Mapping[int, list],
                     as_at: dt.date) -> None:
    """Add one project's claims (counted in the books on ``as_at``) to its committed and spent by kind."""
    paid = {c.id for c in claims if c.status == "paid" and c.paid_on is not None and c.paid_on <= as_at}
    for claim in claims:
        if claim.kind == "fee":
            actual["fees"][1 if claim.id in paid else 0] += claim.amount_pence
            continue
        # Paid in full, or the part an advance (or a netted-off surplus) already paid.
        already = claim.offered_pence if claim.id in paid else claim.offered_pence - claim.amount_pence
        for line in lines.get(claim.id, []):
            kind = EXPENSE_CATEGORY_LINE.get(line.category, "travel_expenses")
            spent = min(max(already, 0), line.amount_pence)
            already -= spent
            actual[kind][1] += spent
            actual[kind][0] += line.amount_pence - spent


def budget_position(session: Session, project_code: str, *, as_at: dt.date) -> BudgetPosition:
    """A project's budget against what is committed and spent by cost line, on ``as_at``.

    Claims count from their accrual in the books until any reversal; spent once paid on or before ``as_at``.
    A cost with no budget line of its kind is shown on a line of its own with no budget, so nothing is hidden.
    """
    project = _load_project(session, project_code)
    plan = _budget_plan(session, project)
    actual = _actual_costs(session, project, as_at)
    held = select(Activity.id).where(Activity.project_id == project.id, Activity.occurs_on <= as_at)
    activities = session.execute(select(func.count()).select_from(held.subquery())).scalar_one()
    people = session.execute(
        select(func.count(func.distinct(Attendance.participant_id))).where(Attendance.activity_id.in_(held))
    ).scalar_one()
    return _position(project, plan, actual, as_at=as_at, people=people, activities=activities)


def budget_positions(session: Session, project_ids: Collection[int], *, as_at: dt.date) -> dict[int, BudgetPosition]:
    """``budget_position`` of each of these projects, by project id, in a fixed number of statements.

    The projects list shows every project's position: read one project at a time, that was nine statements a
    project (issue 12). Here each kind of row is read for all of them at once and grouped by project (expense
    lines 500 claims a statement, as for one project). An id with no project is left out.
    """
    ids = sorted(set(project_ids))
    if not ids:
        return {}
    found = session.execute(select(Project).where(Project.id.in_(ids))).scalars().all()
    plans: dict[int, list[ProjectBudgetLine]] = {p.id: [] for p in found}
    for line in session.execute(select(ProjectBudgetLine).where(ProjectBudgetLine.project_id.in_(ids))).scalars():
        plans[line.project_id].append(line)
    accrual, reversal, settlement = aliased(JournalEntry), aliased(JournalEntry), aliased(JournalEntry)
    claims: dict[int, list[Any]] = {p.id: [] for p in found}
    for claim in session.execute(
        select(Claim.project_id, Claim.id, Claim.kind, Claim.status, Claim.amount_pence, Claim.offered_pence,
               Claim.paid_on)
        .join(accrual, accrual.id == Claim.accrual_entry_id)
        .outerjoin(reversal, reversal.id == Claim.reversal_entry_id)
        .where(Claim.project_id.in_(ids), Claim.kind.in_(("fee", "expense")), accrual.effective_date <= as_at,
               or_(reversal.id.is_(None), reversal.effective_date > as_at))
        .order_by(Claim.id)
    ):
        claims[claim.project_id].append(claim)
    lines = _expense_lines(session, [c.id for rows in claims.values() for c in rows if c.kind == "expense"])
    unsettled = dict(session.execute(
        select(Advance.project_id, func.coalesce(func.sum(Advance.amount_pence), 0))
        .outerjoin(settlement, settlement.id == Advance.settlement_entry_id)
        .where(Advance.project_id.in_(ids), Advance.paid_on <= as_at,
               or_(settlement.id.is_(None), settlement.effective_date > as_at))
        .group_by(Advance.project_id)
    ).all())
    held = (Activity.project_id.in_(ids), Activity.occurs_on <= as_at)
    activities = dict(session.execute(
        select(Activity.project_id, func.count()).where(*held).group_by(Activity.project_id)).all())
    people = dict(session.execute(
        select(Activity.project_id, func.count(func.distinct(Attendance.participant_id)))
        .join(Attendance, Attendance.activity_id == Activity.id).where(*held).group_by(Activity.project_id)
    ).all())
    positions = {}
    for project in found:
        actual = {kind: [0, 0] for kind in LINE_KINDS}
        _add_claim_costs(actual, claims[project.id], lines, as_at)
        actual["travel_expenses"][1] += int(unsettled.get(project.id, 0))
        positions[project.id] = _position(project, _plan_of(project, plans[project.id]), actual, as_at=as_at,
                                          people=people.get(project.id, 0),
                                          activities=activities.get(project.id, 0))
    return positions


def _position(project: Project, plan: BudgetPlan, actual: Mapping[str, list[int]], *, as_at: dt.date,
              people: int, activities: int) -> BudgetPosition:
    """The position from the plan and the costs by kind: each planned line, and any cost without one."""
    notes: list[str] = []
    if plan.lines:
        stored = {line.kind: line for line in plan.lines}
        lines = [
            BudgetPositionLine(kind, stored[kind].name if kind in stored else LINE_NAMES[kind],
                               stored[kind].amount_pence if kind in stored else 0, *actual[kind])
            for kind in LINE_KINDS if kind in stored or any(actual[kind])
        ]
        difference = project.budget_pence - sum(line.amount_pence for line in plan.lines)
        if difference > 0:
            lines.append(BudgetPositionLine(None, "Budget not split into cost lines", difference, 0, 0))
        elif difference < 0:
            notes.append(f"The project's budget is {money(-difference)} less than its cost lines add up to; "
                         "the cost lines are shown.")
    else:
        lines = [BudgetPositionLine(None, "Co-production budget (not yet split into cost lines)",
                                    project.budget_pence, sum(c for c, _ in actual.values()),
                                    sum(s for _, s in actual.values()))]
        notes.append("No budget by cost line has been set for this project: plan one to see fees, travel, "
                     "access costs and contingency separately.")
    return BudgetPosition(project_code=project.code, project_name=project.name, cost_centre=project.cost_centre,
                          as_at=as_at, lines=tuple(lines), people_involved=people, activities_held=activities,
                          notes=tuple(notes))
