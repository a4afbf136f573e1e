"""Manual journal entries: the reason, who proposed and who approved, and proposals waiting for a second user.

Revision ID: 0009_manual_entries
Revises: 0008_pay_rules
Create Date: 2026-12-01

Every entry finance posts by hand (the API's ``POST /books/entries`` and the manual entries page) gets a row in
``manual_entries``: its reason, its proposer and, above ``MANUAL_ENTRY_SECOND_APPROVAL_ABOVE_PENCE``, the
different finance user who approved (or rejected) it. A proposal's lines wait here until it is approved; only
then does the entry reach the books.

``events.from_status`` and ``to_status`` grow to 24 characters on PostgreSQL, for "waiting_for_approval".
SQLite does not enforce a varchar's length; rebuilding events there to restate it would drop its append-only
triggers, so its declared type stays as 0006 made it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_manual_entries"
down_revision = "0008_pay_rules"
branch_labels = None
depends_on = None


def upgrade() -> None:
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "manual_entries",
        sa.Column("id", big_id, nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("postings", sa.JSON(), nullable=False),
        sa.Column("gbp_debits_pence", sa.BigInteger(), nullable=False),
        sa.Column("needs_second_user", sa.Boolean(), nullable=False),
        sa.Column("proposed_by_user_id", sa.Integer(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("entry_id", big_id, nullable=True),
        sa.CheckConstraint("status IN ('waiting_for_approval','posted','rejected')",
                           name=op.f("ck_manual_entries_status")),
        sa.ForeignKeyConstraint(["proposed_by_user_id"], ["users.id"],
                                name=op.f("fk_manual_entries_proposed_by_user_id_users")),
        sa.ForeignKeyConstraint(["decided_by_user_id"], ["users.id"],
                                name=op.f("fk_manual_entries_decided_by_user_id_users")),
        sa.ForeignKeyConstraint(["entry_id"], ["journal_entries.id"],
                                name=op.f("fk_manual_entries_entry_id_journal_entries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manual_entries")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_manual_entries_idempotency_key")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_manual_entries_entry_id")),
    )
    op.create_index("ix_manual_entries_status", "manual_entries", ["status", "id"])
    if op.get_bind().dialect.name == "postgresql":
        for column in ("from_status", "to_status"):
            op.alter_column("events", column, type_=sa.String(length=24), existing_type=sa.String(length=16),
                            existing_nullable=True)


def downgrade() -> None:
    # events' status columns stay 24 characters wide: narrowing them would mean rewriting recorded events
    # (append-only), and a wider column is harmless to 0008.
    op.drop_index("ix_manual_entries_status", table_name="manual_entries")
    op.drop_table("manual_entries")
