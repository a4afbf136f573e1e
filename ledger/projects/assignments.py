"""Which projects a project manager may see and act on: the ones assigned to them, and no others.

An administrator or finance assigns a project manager to a project; a project manager can never assign a
project to themselves (the person who spends a budget does not grant themselves one). A project manager
who asks for a project, activity or claim outside their projects is told it does not exist (404), so that
they cannot learn which records exist. Finance and administrators see every project.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.auth.models import ProjectManager, User
from ledger.claims.models import Claim
from ledger.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ledger.events.records import NewEvent
from ledger.events.writer import record_event
from ledger.people import services as people
from ledger.people.models import Participant
from ledger.people.records import ParticipantSummary
from ledger.projects.models import Activity, Attendance, Project

#: Roles that see every project; a project manager without one of them sees only their assigned projects.
SEE_EVERY_PROJECT = frozenset({"admin", "finance"})
MAY_ASSIGN = SEE_EVERY_PROJECT
NOT_YOURS = "There is no such record, or it is not yours to see."


def limited_to_assigned(roles: frozenset[str]) -> bool:
    """True for a user who reaches projects only as a project manager."""
    return "project_manager" in roles and not roles & SEE_EVERY_PROJECT


def assigned_project_ids(session: Session, user_id: int) -> set[int]:
    return set(session.execute(select(ProjectManager.project_id).where(ProjectManager.user_id == user_id)).scalars())


def visible_project_ids(session: Session, user: User) -> set[int] | None:
    """The projects this user may see, or None for every project."""
    return assigned_project_ids(session, user.id) if limited_to_assigned(user.role_names) else None


def _participants_of(project_ids: set[int]):
    """Participant ids of these projects (attended one of their activities, or claimed in them), and of no project
    yet (so a project manager can add a new participant to an activity)."""
    attended = (select(Attendance.participant_id).join(Activity, Activity.id == Attendance.activity_id)
                .where(Activity.project_id.in_(project_ids)))
    claimed = select(Claim.participant_id).where(Claim.project_id.in_(project_ids))
    in_any = select(Attendance.participant_id).union(select(Claim.participant_id))
    unattached = select(Participant.id).where(Participant.id.not_in(in_any))
    return attended.union(claimed, unattached)


def participant_directory(session: Session, user: User, *, include_inactive: bool = False,
                          search: str | None = None, after: tuple[str, int] | None = None,
                          limit: int | None = None) -> list[ParticipantSummary]:
    """The participant directory as this user may see it: a project manager sees the participants of their
    assigned projects only (and those in no project yet, whom they may add), never everyone's names."""
    visible = visible_project_ids(session, user)
    within = None if visible is None else _participants_of(visible)
    return people.list_participants(session, include_inactive=include_inactive, search=search, within=within,
                                    after=after, limit=limit)


def project_id_of(session: Session, kind: str, value: object) -> int | None:
    """The project a URL argument points into (a project code, an activity or a claim), or None if none exists."""
    if kind == "code":
        return session.execute(
            select(Project.id).where(Project.code == str(value).strip().upper())).scalar_one_or_none()
    if kind == "activity_id":
        return session.execute(select(Activity.project_id).where(Activity.id == value)).scalar_one_or_none()
    if kind == "claim_id":
        return session.execute(select(Claim.project_id).where(Claim.id == value)).scalar_one_or_none()
    raise KeyError(f"unknown project argument {kind!r}")


def check_may_reach(session: Session, user: User, kind: str, value: object) -> None:
    """Raise NotFound if ``user`` is a project manager and the record is outside their assigned projects.

    A record that does not exist is left for the view to answer, so that both answers read the same.
    """
    if value is None or not limited_to_assigned(user.role_names):
        return
    project_id = project_id_of(session, kind, value)
    if project_id is not None and project_id not in assigned_project_ids(session, user.id):
        raise NotFound(NOT_YOURS)


def _project(session: Session, code: str) -> Project:
    project = session.execute(select(Project).where(Project.code == (code or "").strip().upper())).scalar_one_or_none()
    if project is None:
        raise NotFound(f"There is no project {code}.")
    return project


def _check_may_assign(session: Session, actor_user_id: int | None) -> None:
    """Checked before anything is looked up, so that a refusal says nothing about which projects exist."""
    actor = session.get(User, actor_user_id) if actor_user_id is not None else None
    if actor is None or not actor.role_names & MAY_ASSIGN:
        raise PermissionDenied("Only finance or an administrator assigns project managers to projects.")


def _check_assigner(session: Session, actor_user_id: int, user_id: int) -> User:
    if actor_user_id == user_id:
        raise PermissionDenied("You cannot assign a project to yourself; ask finance or an administrator.",
                               fields={"user_id": ["yourself"]})
    manager = session.get(User, user_id) if type(user_id) is int else None
    if manager is None:
        raise ValidationError("There is no such user.", fields={"user_id": ["unknown"]})
    if not manager.is_active or "project_manager" not in manager.role_names:
        raise ValidationError(f"{manager.display_name} is not an active project manager.",
                              fields={"user_id": ["not a project manager"]})
    return manager


def assign_manager(session: Session, code: str, user_id: int, *, actor_user_id: int) -> list[User]:
    """Assign a project manager to a project (finance or an administrator, never the manager themselves)."""
    _check_may_assign(session, actor_user_id)
    if actor_user_id == user_id:
        raise PermissionDenied("You cannot assign a project to yourself; ask finance or an administrator.",
                               fields={"user_id": ["yourself"]})
    project = _project(session, code)
    manager = _check_assigner(session, actor_user_id, user_id)
    if session.get(ProjectManager, (project.id, manager.id)) is not None:
        raise Conflict(f"{manager.display_name} is already assigned to {project.code}.",
                       fields={"user_id": ["already assigned"]})
    session.add(ProjectManager(project_id=project.id, user_id=manager.id, assigned_by_user_id=actor_user_id))
    session.flush()
    _event(session, manager, "assign_project", actor_user_id, project)
    return managers_of(session, project.code)


def unassign_manager(session: Session, code: str, user_id: int, *, actor_user_id: int) -> list[User]:
    """Take a project manager off a project; they stop seeing it at once."""
    _check_may_assign(session, actor_user_id)
    project = _project(session, code)
    row = session.get(ProjectManager, (project.id, user_id))
    if row is None:
        raise NotFound(f"User {user_id} is not assigned to {project.code}.", fields={"user_id": ["not assigned"]})
    manager = session.get(User, user_id)
    session.delete(row)
    session.flush()
    if manager is not None:
        _event(session, manager, "unassign_project", actor_user_id, project)
    return managers_of(session, project.code)


def sync_lead_manager(session: Session, project_id: int, user_id: int | None, *, actor_user_id: int | None) -> None:
    """The project's named manager (``project_manager_user_id``) is always one of its assigned managers."""
    if user_id is None or session.get(ProjectManager, (project_id, user_id)) is not None:
        return
    session.add(ProjectManager(project_id=project_id, user_id=user_id, assigned_by_user_id=actor_user_id))
    session.flush()
    manager, project = session.get(User, user_id), session.get(Project, project_id)
    if manager is not None and project is not None:
        _event(session, manager, "assign_project", actor_user_id, project)


def managers_of(session: Session, code: str) -> list[User]:
    project = _project(session, code)
    return list(session.execute(
        select(User).join(ProjectManager, ProjectManager.user_id == User.id)
        .where(ProjectManager.project_id == project.id).order_by(User.display_name, User.id)
    ).scalars())


def _event(session: Session, manager: User, action: str, actor: int | None, project: Project) -> None:
    record_event(session, NewEvent(subject="user", subject_id=manager.id, action=action, actor_user_id=actor,
                                   details={"project_id": project.id, "project_code": project.code}))


def project_managers(session: Session) -> list[User]:
    """Every active user with the project manager role, by name: who a new project can be given to."""
    users = session.execute(
        select(User).where(User.is_active.is_(True)).order_by(User.display_name, User.id)).scalars()
    return [u for u in users if "project_manager" in u.role_names]


def assignable_managers(session: Session, code: str, *, actor_user_id: int) -> list[User]:
    """Active project managers not yet on the project, other than the person assigning."""
    on_project = {u.id for u in managers_of(session, code)}
    users = session.execute(
        select(User).where(User.is_active.is_(True)).order_by(User.display_name, User.id)).scalars()
    return [u for u in users if "project_manager" in u.role_names and u.id not in on_project
            and u.id != actor_user_id]
