"""Saved versions of a project's co-production budget, and their priced lines.

A version keeps the plan exactly as the manager gave it (``inputs``, JSON) and every priced line with its
working (count, quantity, rate, the rule and date the rate came from, whether it was an announced rate).
Versions are numbered per project and never overwritten: only their status moves, through
``ledger.budgets.workflow``. Quantities are decimal text (exact, on every database); money is whole pence.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ledger.db import Base, UTCDateTime


class BudgetVersion(Base):
    __tablename__ = "budget_versions"
    __table_args__ = (
        UniqueConstraint("project_id", "number"),
        CheckConstraint("status IN ('draft','baseline','superseded')", name="status"),
        CheckConstraint("number > 0", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    label: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    inputs: Mapped[dict] = mapped_column(JSON)
    region: Mapped[str] = mapped_column(String(8))
    priced_on: Mapped[dt.date] = mapped_column(Date)
    contingency_percent: Mapped[str] = mapped_column(String(12))
    time_credit_hours: Mapped[str] = mapped_column(String(12))
    total_pence: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    approved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class BudgetVersionLine(Base):
    __tablename__ = "budget_version_lines"
    __table_args__ = (
        UniqueConstraint("version_id", "position"),
        CheckConstraint("amount_pence >= 0", name="amount_not_negative"),
        CheckConstraint("cost_line IN ('fees','travel_expenses','access','contingency')", name="cost_line"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("budget_versions.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(300))
    section: Mapped[str] = mapped_column(String(16))
    cost_line: Mapped[str] = mapped_column(String(24))
    description: Mapped[str] = mapped_column(String(400))
    priced_on: Mapped[dt.date | None] = mapped_column(Date)
    count: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str] = mapped_column(String(24))
    rate_pence: Mapped[int] = mapped_column(BigInteger)
    each_pence: Mapped[int] = mapped_column(BigInteger)
    amount_pence: Mapped[int] = mapped_column(BigInteger)
    rule_key: Mapped[str | None] = mapped_column(String(80))
    rule_from: Mapped[dt.date | None] = mapped_column(Date)
    announced: Mapped[bool] = mapped_column(Boolean)
    notes: Mapped[str | None] = mapped_column(Text)
