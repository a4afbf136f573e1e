"""What the project services hand out: frozen records of projects, activities and attendance."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ledger.projects.accounts import ProjectAccounts


@dataclass(frozen=True, slots=True)
class ProjectRecord:
    id: int
    code: str
    name: str
    cost_centre: str
    budget_pence: int
    project_manager_user_id: int | None
    starts_on: dt.date
    ends_on: dt.date | None
    accounts: ProjectAccounts
    created_at: dt.datetime | None
    updated_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class ActivityRecord:
    id: int
    project_id: int
    project_code: str
    kind: str
    title: str
    occurs_on: dt.date
    duration_minutes: int
    preparation_minutes: int
    region: str  # 'london' or 'uk': which living-wage rate applies
    location: str | None
    flat_fee_pence: int | None  # None: paid by the hour
    created_at: dt.datetime | None
    created_by_user_id: int | None


@dataclass(frozen=True, slots=True)
class AttendanceRecord:
    id: int
    activity_id: int
    participant_id: int
    participant_name: str  # the name they prefer to be called
    actual_minutes: int | None  # set only when different from the activity's duration
    minutes_attended: int  # actual minutes, or the activity's duration
    preparation_minutes: int
    with_supporter: bool
    recorded_at: dt.datetime | None
    recorded_by_user_id: int | None
