"""The email outbox: messages written with the change that causes them, sent later by ``ledger send-email``.

Revision ID: 0022_outbox
Revises: 0021_budget_plans
Create Date: 2026-12-01

- ``outbox_messages``: one email to send (remittance advice, a fee waiting for a decision, a claim returned),
  its status (pending -> sending -> sent | failed, or dropped when no longer true), attempts, when to try
  next, the lease of the worker sending it and its Message-ID (unique, fixed before the first attempt).

A new table: created and dropped in place on SQLite and PostgreSQL alike.
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_outbox"
down_revision = "0021_budget_plans"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "outbox_messages",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(8), server_default="pending", nullable=False),
        sa.Column("dedupe_key", sa.String(120), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("to_address", sa.String(254), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("payment_run_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("message_id", sa.String(200), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", UTC_DATETIME, nullable=False),
        sa.Column("lease_until", UTC_DATETIME, nullable=True),
        sa.Column("sent_at", UTC_DATETIME, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint("kind IN ('remittance','fee_decision','claim_returned')",
                           name=op.f("ck_outbox_messages_kind")),
        sa.CheckConstraint("status IN ('pending','sending','sent','failed','dropped')",
                           name=op.f("ck_outbox_messages_status")),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"],
                                name=op.f("fk_outbox_messages_participant_id_participants")),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], name=op.f("fk_outbox_messages_claim_id_claims")),
        sa.ForeignKeyConstraint(["payment_run_id"], ["payment_runs.id"],
                                name=op.f("fk_outbox_messages_payment_run_id_payment_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_messages_dedupe_key")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbox_messages_message_id")),
    )
    op.create_index(op.f("ix_outbox_messages_participant_id"), "outbox_messages", ["participant_id"], unique=False)
    op.create_index("ix_outbox_messages_status_next_attempt_at", "outbox_messages", ["status", "next_attempt_at"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_outbox_messages_status_next_attempt_at", table_name="outbox_messages")
    op.drop_index(op.f("ix_outbox_messages_participant_id"), table_name="outbox_messages")
    op.drop_table("outbox_messages")
