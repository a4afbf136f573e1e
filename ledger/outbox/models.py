"""The outbox: emails to send, each written in the same transaction as the change that causes it.

A row is never deleted. Its status moves only through ``ledger.outbox.workflow``; ``message_id`` is fixed
before the first attempt to send it, so every attempt carries the same Message-ID.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ledger.db import Base, BigId, UTCDateTime

#: What a message says: a remittance advice (with its PDF), a fee waiting for the person's decision, a claim
#: sent back to them.
MESSAGE_KINDS = ("remittance", "fee_decision", "claim_returned")
MESSAGE_STATUSES = ("pending", "sending", "sent", "failed", "dropped")


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint("kind IN ('remittance','fee_decision','claim_returned')", name="kind"),
        CheckConstraint("status IN ('pending','sending','sent','failed','dropped')", name="status"),
        # What the worker asks for: the messages due to be (re)tried, in order.
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(8), default="pending", server_default="pending")
    # One message per cause ("remittance:run:4:participant:12"): confirming or drafting twice queues it once.
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"))
    payment_run_id: Mapped[int | None] = mapped_column(ForeignKey("payment_runs.id"))
    # The facts the letter states, as they were when it was queued (the reason a claim was returned...).
    details: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # "<outbox-12-…@example.org>": set (and committed) when first claimed, reused by every later attempt.
    message_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # While "sending": the worker holding it has it until then; after that another worker may try again.
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
