"""A project's co-production budget against what is committed and spent, by cost line.

The figures are ``ledger.projects.services.budget_position``'s, read into the record the budget report PDF and
the project pages both show: committed is approved and not yet paid, spent is paid, on the date asked for.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from ledger.projects.services import budget_position
from ledger.reports.organisation import Organisation
from ledger.reports.records import BudgetLine, ProjectBudgetReport

__all__ = ["project_budget_report"]


def project_budget_report(
    session: Session, project_code: str, *, organisation: Organisation, as_at: dt.date
) -> ProjectBudgetReport:
    """A project's budget against what is committed and spent by cost line (``ledger.projects.services``)."""
    position = budget_position(session, project_code, as_at=as_at)
    return ProjectBudgetReport(
        organisation=organisation, project=position.project_name, cost_centre=position.cost_centre,
        as_at=as_at,
        lines=tuple(BudgetLine(line.name, line.budget_pence, line.committed_pence, line.spent_pence)
                    for line in position.lines),
        people_involved=position.people_involved, activities_held=position.activities_held, notes=position.notes,
    )
