"""Use cases of the budget planner: preview a plan, save it as a new version, compare two, approve a baseline,
and read the baseline against what approved claims have committed and spent.

Invariants kept here:
- a saved version is never changed: its inputs and priced lines are written once; only its status moves,
  through ``ledger.budgets.workflow``, and every move is an event (``ledger.events.writer``);
- at most one version of a project is its baseline; approving one supersedes the one before, in the same
  transaction, with the project row locked so two approvals cannot both win;
- the baseline's totals by cost line become the project's budget lines (``set_budget_plan``), so claims
  approved and paid draw it down exactly as the budget report and the old budget API show it;
- nothing here commits: the caller's transaction decides.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.budgets.models import BudgetVersion, BudgetVersionLine
from ledger.budgets.plan import read_plan
from ledger.budgets.pricing import price_plan, totals_by_cost_line
from ledger.budgets.records import (
    BudgetVersionRecord,
    BudgetWarning,
    ComparedLine,
    PricedLine,
    PricedPlan,
    VersionComparison,
)
from ledger.budgets.workflow import BUDGET_VERSION
from ledger.errors import NotFound, ValidationError
from ledger.events.records import NewEvent
from ledger.events.writer import record_events
from ledger.formatting import money
from ledger.projects.budget import LINE_NAMES, BudgetPlanLine, BudgetPosition
from ledger.projects.models import Project
from ledger.projects.services import budget_position, normalise_code, set_budget_plan
from policies.rulebook import Rulebook

WARN_AT_PERCENT = 80


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _project(session: Session, code: str, *, lock: bool = False) -> Project:
    query = select(Project).where(Project.code == normalise_code(code))
    project = session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if project is None:
        raise NotFound(f"There is no project {code}.")
    return project


def preview_budget(session: Session, project_code: str, data: Any, *, rulebook: Rulebook, pay_basis: str,
                   today: dt.date) -> PricedPlan:
    """Price a plan for a project without saving anything."""
    project = _project(session, project_code)
    return price_plan(read_plan(data, starts_on=project.starts_on), rulebook=rulebook, pay_basis=pay_basis,
                      priced_on=today)


def save_budget_version(session: Session, project_code: str, data: Any, *, label: str | None, rulebook: Rulebook,
                        pay_basis: str, today: dt.date, actor_user_id: int | None,
                        now: dt.datetime | None = None) -> BudgetVersionRecord:
    """Price a plan and save it as the project's next version (a draft); earlier versions are left as they are."""
    project = _project(session, project_code, lock=True)
    if label is not None and (not isinstance(label, str) or len(label) > 200):
        raise ValidationError("Please correct: label.", fields={"label": ["Text of at most 200 characters."]})
    plan = price_plan(read_plan(data, starts_on=project.starts_on), rulebook=rulebook, pay_basis=pay_basis,
                      priced_on=today)
    number = (session.execute(select(func.max(BudgetVersion.number)).where(BudgetVersion.project_id == project.id))
              .scalar_one() or 0) + 1
    version = BudgetVersion(
        project_id=project.id, number=number, label=(label or "").strip() or None, status="draft", inputs=data,
        region=plan.region, priced_on=today, contingency_percent=str(plan.contingency_percent),
        time_credit_hours=str(plan.time_credit_hours), total_pence=plan.total_pence, created_at=now or _utcnow(),
        created_by_user_id=actor_user_id)
    session.add(version)
    session.flush()
    session.add_all(_line_row(version.id, position, line) for position, line in enumerate(plan.lines))
    session.flush()
    return _record(session, version, project)


def _line_row(version_id: int, position: int, line: PricedLine) -> BudgetVersionLine:
    return BudgetVersionLine(
        version_id=version_id, position=position, key=line.key, section=line.section, cost_line=line.cost_line,
        description=line.description, priced_on=line.priced_on, count=line.count, quantity=str(line.quantity),
        unit=line.unit, rate_pence=line.rate_pence, each_pence=line.each_pence, amount_pence=line.amount_pence,
        rule_key=line.rule_key, rule_from=line.rule_from, announced=line.announced,
        notes="\n".join(line.notes) or None)


def _record(session: Session, version: BudgetVersion, project: Project) -> BudgetVersionRecord:
    rows = session.execute(select(BudgetVersionLine).where(BudgetVersionLine.version_id == version.id)
                           .order_by(BudgetVersionLine.position)).scalars().all()
    lines = tuple(PricedLine(
        key=r.key, section=r.section, cost_line=r.cost_line, description=r.description, priced_on=r.priced_on,
        count=r.count, quantity=Decimal(r.quantity), unit=r.unit, rate_pence=r.rate_pence, each_pence=r.each_pence,
        amount_pence=r.amount_pence, rule_key=r.rule_key, rule_from=r.rule_from, announced=r.announced,
        notes=tuple(r.notes.split("\n")) if r.notes else ()) for r in rows)
    plan = PricedPlan(lines=lines, priced_on=version.priced_on, region=version.region,
                      contingency_percent=Decimal(version.contingency_percent),
                      time_credit_hours=Decimal(version.time_credit_hours))
    return BudgetVersionRecord(
        id=version.id, project_code=project.code, project_name=project.name, number=version.number,
        label=version.label, status=version.status, plan=plan, inputs=version.inputs, created_at=version.created_at,
        created_by_user_id=version.created_by_user_id, approved_at=version.approved_at)


def _version(session: Session, project: Project, number: int, *, lock: bool = False) -> BudgetVersion:
    query = select(BudgetVersion).where(BudgetVersion.project_id == project.id, BudgetVersion.number == number)
    found = session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if found is None:
        raise NotFound(f"Project {project.code} has no budget version {number}.")
    return found


def list_budget_versions(session: Session, project_code: str) -> list[BudgetVersionRecord]:
    """Every saved version of a project's budget, newest first."""
    project = _project(session, project_code)
    rows = session.execute(select(BudgetVersion).where(BudgetVersion.project_id == project.id)
                           .order_by(BudgetVersion.number.desc())).scalars().all()
    return [_record(session, row, project) for row in rows]


def get_budget_version(session: Session, project_code: str, number: int) -> BudgetVersionRecord:
    project = _project(session, project_code)
    return _record(session, _version(session, project, number), project)


def baseline_version(session: Session, project_code: str) -> BudgetVersionRecord | None:
    """The version approved as the project's baseline, if any."""
    project = _project(session, project_code)
    row = session.execute(select(BudgetVersion).where(BudgetVersion.project_id == project.id,
                                                      BudgetVersion.status == "baseline")).scalar_one_or_none()
    return None if row is None else _record(session, row, project)


def compare_budget_versions(session: Session, project_code: str, before: int, after: int) -> VersionComparison:
    """Two versions line by line, matched by each line's key (its meeting and cost), in the later one's order."""
    old, new = get_budget_version(session, project_code, before), get_budget_version(session, project_code, after)
    old_lines = {line.key: line for line in old.plan.lines}
    new_lines = {line.key: line for line in new.plan.lines}
    keys = [line.key for line in new.plan.lines] + [k for k in old_lines if k not in new_lines]
    return VersionComparison(before=old, after=new, lines=tuple(
        ComparedLine(key=key, description=(new_lines.get(key) or old_lines[key]).description,
                     before_pence=old_lines[key].amount_pence if key in old_lines else None,
                     after_pence=new_lines[key].amount_pence if key in new_lines else None,
                     before_working=old_lines[key].working if key in old_lines else "",
                     after_working=new_lines[key].working if key in new_lines else "")
        for key in keys))


def approve_budget_baseline(session: Session, project_code: str, number: int, *, actor_user_id: int | None,
                            now: dt.datetime | None = None) -> BudgetVersionRecord:
    """Make one version the project's baseline: the one before is superseded, and the project's budget by cost
    line becomes this version's totals (an event for each status that moves)."""
    project = _project(session, project_code, lock=True)
    version = _version(session, project, number, lock=True)
    after = BUDGET_VERSION.next_status(version.status, "approve")
    moment = now or _utcnow()
    events = []
    current = session.execute(select(BudgetVersion).where(BudgetVersion.project_id == project.id,
                                                          BudgetVersion.status == "baseline")).scalar_one_or_none()
    if current is not None:
        current.status = BUDGET_VERSION.next_status(current.status, "supersede")
        events.append(NewEvent("budget_version", current.id, "supersede", actor_user_id, before="baseline",
                               after=current.status, note=f"Replaced by version {version.number} of {project.code}",
                               details={"project": project.code, "number": current.number}))
    events.append(NewEvent("budget_version", version.id, "approve", actor_user_id, before=version.status,
                           after=after, note=f"Version {version.number} is the baseline of {project.code}",
                           details={"project": project.code, "number": version.number,
                                    "total_pence": version.total_pence}))
    version.status, version.approved_at, version.approved_by_user_id = after, moment, actor_user_id
    session.flush()
    record = _record(session, version, project)
    totals = totals_by_cost_line(record.plan)
    set_budget_plan(session, project.code, [
        BudgetPlanLine(kind, LINE_NAMES[kind], amount, f"Baseline: version {version.number} of the budget planner")
        for kind, amount in totals.items()], actor_user_id, now=moment)
    record_events(session, events, at=moment)
    return record


def budget_warnings(position: BudgetPosition, baseline: BudgetVersionRecord | None,
                    repriced: PricedPlan | None) -> tuple[BudgetWarning, ...]:
    """Warnings on the baseline against reality: a line 80% or 100% used, and a rate rise that takes it over.

    ``repriced`` is the baseline's plan priced again with the rules known today (announced rates included).
    """
    warnings = []
    for line in position.lines:
        used = line.committed_pence + line.spent_pence
        if line.budget_pence <= 0 or used * 100 < line.budget_pence * WARN_AT_PERCENT:
            continue
        level = "over" if used >= line.budget_pence else "warning"
        share = used * 100 // line.budget_pence
        warnings.append(BudgetWarning(
            level, f"{line.name}: {share}% used ({money(used)} of {money(line.budget_pence)})."))
    if baseline is not None and repriced is not None and repriced.total_pence > baseline.total_pence:
        rise = repriced.total_pence - baseline.total_pence
        warnings.append(BudgetWarning("over", (
            f"Priced with the rates known today ({repriced.announced_lines} lines at announced rates), the baseline "
            f"plan comes to {money(repriced.total_pence)}: {money(rise)} over its budget of "
            f"{money(baseline.total_pence)}.")))
    return tuple(warnings)


def budget_against_reality(session: Session, project_code: str, *, as_at: dt.date, rulebook: Rulebook,
                           pay_basis: str, today: dt.date) -> tuple[BudgetPosition, tuple[BudgetWarning, ...]]:
    """The project's budget position (baseline by cost line) on ``as_at``, with its warnings."""
    position = budget_position(session, project_code, as_at=as_at)
    baseline = baseline_version(session, project_code)
    repriced = None
    if baseline is not None:
        try:
            repriced = preview_budget(session, project_code, baseline.inputs, rulebook=rulebook, pay_basis=pay_basis,
                                      today=today)
        except ValidationError:
            repriced = None  # a rate has since gone from the rules: the baseline stands as priced
    return position, budget_warnings(position, baseline, repriced)
