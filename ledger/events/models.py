"""The events table: who did what, when, to which record, with the status before and after and why.

Append-only, like the books: the database refuses UPDATE and DELETE on it (migration 0006), but for one
update: erasure setting a person's free text to ``[erased]`` where a ``redactions`` row covers it (0028).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ledger.db import Base, BigId, UTCDateTime

# What an event can be about. A record of one of these kinds is named by its id as text (a month as 2026-10).
SUBJECTS = ("claim", "payment_run", "advance", "period", "participant", "group", "user", "api_token",
            "manual_entry", "hold", "budget_version", "message", "export", "bank_statement", "bank_line")

# Long enough for "waiting_for_approval" (migration 0009 widened it on PostgreSQL). SQLite does not enforce a
# length, and rebuilding events there to restate it would drop its append-only triggers: it keeps 0006's.
STATUS = String(24).with_variant(String(16), "sqlite")


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_subject", "subject_type", "subject_id", "id"),
        Index("ix_events_claim_id", "claim_id", "id"),
        Index("ix_events_participant_id", "participant_id", "id"),
        Index("ix_events_payment_run_id", "payment_run_id", "id"),
        Index("ix_events_actor_user_id", "actor_user_id", "id"),
        Index("ix_events_at", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    subject_type: Mapped[str] = mapped_column(String(24))
    subject_id: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(STATUS)
    to_status: Mapped[str | None] = mapped_column(STATUS)
    # Why, in the words of the person who did it (a rejection, an override, a cancelled run).
    reason: Mapped[str | None] = mapped_column(Text)
    # What the system says happened, when there is more to say than the action ("First of two approvals").
    note: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict | None] = mapped_column(JSON)
    # The records the event concerns, for the audit log's filters (one person, one claim, one run).
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"))
    payment_run_id: Mapped[int | None] = mapped_column(ForeignKey("payment_runs.id"))
    entry_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("journal_entries.id"))
    # How the chain digests it (``ledger.chain.links.event_digest``): 1 before migration 0028, 2 since (its free
    # text by sha256, so that erasure can empty it and the chain still holds).
    digest_version: Mapped[int] = mapped_column(SmallInteger, default=2, server_default="1")
