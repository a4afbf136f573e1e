"""The chain's tables: one link per journal entry or event, the one-row head every writer queues on, and the
sha256 of each free text an erasure emptied (``redactions``).

Append-only like the books: the database refuses UPDATE and DELETE on links (migration 0025). The head is
the one row that changes, and only ever forward: ``ledger verify`` checks it names the last link.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ledger.db import Base, BigId


class ChainLink(Base):
    __tablename__ = "chain_links"
    __table_args__ = (UniqueConstraint("record_type", "record_id"),)

    # 1, 2, 3... in the order the transactions that wrote the records committed; no gaps.
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    record_type: Mapped[str] = mapped_column(String(8))  # "entry" or "event"
    record_id: Mapped[int] = mapped_column(BigId)
    digest: Mapped[str] = mapped_column(String(64))
    link: Mapped[str] = mapped_column(String(64))


class ChainHead(Base):
    __tablename__ = "chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    link: Mapped[str] = mapped_column(String(64), default="")
    # The last entry and event written before the chain existed (migration 0025): ``ledger seal`` links them.
    before_chain_entry_id: Mapped[int] = mapped_column(BigInteger, default=0)
    before_chain_event_id: Mapped[int] = mapped_column(BigInteger, default=0)


class Redaction(Base):
    """One free text erasure emptied in an append-only record, and the sha256 it had, so the chain still holds.

    ``record_type`` is "event" (fields "reason", "note", "details.<key>"), "entry" ("description") or "posting"
    ("memo"). Written only by ``ledger.privacy.erasure``, in the transaction of the erasure event it names; that
    event's details commit to every row of it (``redactions_sha256``), so a row edited, added or removed later is
    reported by ``ledger verify``. Append-only (migration 0028).
    """

    __tablename__ = "redactions"
    __table_args__ = (UniqueConstraint("record_type", "record_id", "field"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    record_type: Mapped[str] = mapped_column(String(8))
    record_id: Mapped[int] = mapped_column(BigId)
    field: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    erasure_event_id: Mapped[int] = mapped_column(BigId, ForeignKey("events.id"), index=True)
