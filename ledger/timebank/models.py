"""Movements of time credits out of a participant's balance (awards are claims)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from ledger.db import Base, BigId, UTCDateTime


class TimeCreditTransfer(Base):
    __tablename__ = "time_credit_transfers"
    __table_args__ = (
        CheckConstraint("minutes > 0", name="minutes_positive"),
        CheckConstraint("kind IN ('spent','given_to_participant','given_to_group')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner_organisations.id"))
    to_participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))
    to_group_id: Mapped[int | None] = mapped_column(ForeignKey("user_led_groups.id"))
    minutes: Mapped[int] = mapped_column(Integer)
    effective_date: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(500))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    entry_id: Mapped[int] = mapped_column(BigId, ForeignKey("journal_entries.id"))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), server_default=func.now())
