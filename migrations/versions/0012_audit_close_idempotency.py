"""Closing a month with a reason, reopening it with a second person's approval, and idempotent POSTs over HTTP.

Revision ID: 0012_audit_close_idempotency
Revises: 0013_corrections
Create Date: 2026-12-01

- ``locked_periods.reason``: why the month was closed (nullable: months locked before this have none).
- ``period_reopen_requests``: an admin's request to reopen the latest locked month, with a reason, and a
  second person's decision (requested -> approved | rejected).
- ``idempotent_requests``: a caller's ``Idempotency-Key`` (unique per user), the request's hash and the answer.

New tables and a nullable column: created and dropped in place on SQLite and PostgreSQL alike.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_audit_close_idempotency"
down_revision = "0013_corrections"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("locked_periods", sa.Column("reason", sa.Text(), nullable=True))
    op.create_table(
        "period_reopen_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by_user_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", UTC_DATETIME, nullable=False),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTC_DATETIME, nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('requested','approved','rejected')",
                           name=op.f("ck_period_reopen_requests_status")),
        sa.ForeignKeyConstraint(["requested_by_user_id"], ["users.id"],
                                name=op.f("fk_period_reopen_requests_requested_by_user_id_users")),
        sa.ForeignKeyConstraint(["decided_by_user_id"], ["users.id"],
                                name=op.f("fk_period_reopen_requests_decided_by_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_period_reopen_requests")),
    )
    op.create_index("ix_period_reopen_requests_month", "period_reopen_requests", ["month", "id"])
    op.create_table(
        "idempotent_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_idempotent_requests_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotent_requests")),
        sa.UniqueConstraint("user_id", "key", name="uq_idempotent_requests_user_key"),
    )


def downgrade() -> None:
    op.drop_table("idempotent_requests")
    op.drop_index("ix_period_reopen_requests_month", table_name="period_reopen_requests")
    op.drop_table("period_reopen_requests")
    op.execute("ALTER TABLE locked_periods DROP COLUMN reason")
