"""Projects with a cost centre and a budget; activities with their date, length, place and flat fee; attendance;
the budget by cost line a project manager sets at the start.

Money is integer pence; time is whole minutes. A project's code names its accounts in the books, so it
never changes once the project exists.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from ledger.db import Base, UTCDateTime

ACTIVITY_KINDS = ("advisory_meeting", "interview_panel", "training_delivery", "writing", "review", "event", "other")
REGIONS = ("london", "uk")
# A project's co-production budget by cost line: one line of each kind at most (see ledger.projects.budget).
BUDGET_LINE_KINDS = ("fees", "travel_expenses", "access", "contingency")


class Project(Base):
    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint("budget_pence >= 0", name="budget_not_negative"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    cost_centre: Mapped[str] = mapped_column(String(40))
    budget_pence: Mapped[int] = mapped_column(BigInteger)
    project_manager_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), server_default=func.now())
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Activity(Base):
    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('advisory_meeting','interview_panel','training_delivery','writing','review','event','other')",
            name="kind",
        ),
        CheckConstraint("region IN ('london','uk')", name="region"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("preparation_minutes >= 0", name="preparation_not_negative"),
        CheckConstraint("flat_fee_pence IS NULL OR flat_fee_pence > 0", name="flat_fee_positive"),
        Index("ix_activities_project_occurs", "project_id", "occurs_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    kind: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(200))
    occurs_on: Mapped[dt.date] = mapped_column(Date)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    preparation_minutes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    region: Mapped[str] = mapped_column(String(8))
    location: Mapped[str | None] = mapped_column(String(200))
    flat_fee_pence: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), server_default=func.now())
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Attendance(Base):
    """A participant took part in an activity (once: the pair is unique)."""

    __tablename__ = "attendances"
    __table_args__ = (
        UniqueConstraint("activity_id", "participant_id"),
        CheckConstraint("actual_minutes IS NULL OR actual_minutes > 0", name="actual_minutes_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    # Set only when the participant's time differed from the activity's duration (left early, stayed on).
    actual_minutes: Mapped[int | None] = mapped_column(Integer)
    with_supporter: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), server_default=func.now())
    recorded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ProjectBudgetLine(Base):
    """One cost line of a project's co-production budget: fees, travel and expenses, access costs, contingency.

    The lines are replaced together (``set_budget_plan``), and the project's ``budget_pence`` is their total.
    """

    __tablename__ = "project_budget_lines"
    __table_args__ = (
        UniqueConstraint("project_id", "kind"),
        CheckConstraint("kind IN ('fees','travel_expenses','access','contingency')", name="kind"),
        CheckConstraint("amount_pence >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    name: Mapped[str] = mapped_column(String(200))
    amount_pence: Mapped[int] = mapped_column(BigInteger)
    # How the amount was reached, in words ("6 people x 4 meetings x 4 hours at £12.60"), when it was planned.
    basis: Mapped[str | None] = mapped_column(Text)
    set_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    set_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
