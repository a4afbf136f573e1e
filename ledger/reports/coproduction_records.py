"""The co-production report's records (``ledger.reports.coproduction`` reads them from the database): plain data,
so the PDF can be drawn from them without a database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

NETWORK_TARGETS = (Decimal(40), Decimal(50))  # per cent of the network: the seeds' first, then later, target


@dataclass(frozen=True, slots=True)
class PaymentTimes:
    """Days from submitted to paid for one group of claims (a project, an approver, or all)."""

    name: str
    claims: int
    median_days: Decimal | None
    p90_days: int | None
    not_timed: int = 0  # paid claims recorded as submitted after they were paid (entered late): left out


@dataclass(frozen=True, slots=True)
class ProjectFigures:
    code: str
    name: str
    people: int
    sessions: int
    hours: Decimal
    fees_pence: int
    expenses_pence: int
    time_credit_minutes_issued: int
    to_groups_pence: int


@dataclass(frozen=True, slots=True)
class CoproductionReport:
    """A report for a period: one project's figures, or the organisation's with a row per project."""

    title: str
    project_code: str | None
    start: dt.date
    end: dt.date
    totals: ProjectFigures
    projects: tuple[ProjectFigures, ...]
    time_credit_minutes_spent: int | None  # None for a project: spending belongs to no project
    network_size: int | None  # active participants on the register (organisation only)
    network_taking_part: int | None
    by_project: tuple[PaymentTimes, ...]
    by_approver: tuple[PaymentTimes, ...]
    overall: PaymentTimes

    @property
    def network_share_percent(self) -> Decimal | None:
        if not self.network_size or self.network_taking_part is None:
            return None
        return (Decimal(100) * self.network_taking_part / self.network_size).quantize(Decimal("0.1"))
