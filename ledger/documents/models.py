"""The register of issued documents: one row per PDF the organisation has handed out.

Append-only, like the events: the database refuses UPDATE and DELETE on it (migration 0024). A row says what
the document was (number, kind, whose), what it showed (its figures, as printed), a SHA-256 of the exact bytes
handed out, the verification code printed on it, and when and by whom it was produced.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ledger.db import Base, BigId, UTCDateTime

#: The kinds of document the register knows, and their names as a reader of /verify sees them.
DOCUMENT_KINDS = {
    "statement": "Statement",
    "remittance": "Remittance advice",
    "annual_summary": "Tax-year summary",
    "evidence_pack": "Benefits evidence letter",
    "payment_run_report": "Payment run report",
    "print_pack": "Print pack of letters to post",
    "budget_report": "Project budget report",
    "budget_plan": "Project budget plan",
    "coproduction_report": "Co-production report",
    "benefit_effect": "Benefit effect of a payment",
}


class IssuedDocument(Base):
    __tablename__ = "document_register"
    __table_args__ = (
        CheckConstraint("kind IN (" + ",".join(f"'{k}'" for k in DOCUMENT_KINDS) + ")", name="kind"),
        Index("ix_document_register_participant_id", "participant_id", "id"),
        Index("ix_document_register_sha256", "sha256"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    serial: Mapped[int] = mapped_column(BigInteger, unique=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    code: Mapped[str] = mapped_column(String(11), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))
    issued_on: Mapped[dt.date] = mapped_column(Date)
    # What the document showed, as printed: [[label, value], ...] in the order shown.
    figures: Mapped[list] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))
    produced_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    produced_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Who or what produced it, in words: a user's name, "command line (alice)", "email outbox".
    produced_by: Mapped[str] = mapped_column(String(120))
    channel: Mapped[str] = mapped_column(String(8))  # web, api, cli, email
