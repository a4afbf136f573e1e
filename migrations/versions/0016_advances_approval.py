"""Advances asked for and approved before they are paid, and paid in a run or by another method.

Revision ID: 0016_advances_approval
Revises: 0015_users_access
Create Date: 2026-12-01

- ``advances``: ``status`` may also be requested, approved or rejected (and is wider); ``paid_on`` and
  ``paid_entry_id`` are empty until it is paid; ``purpose``, ``settle_by`` (when receipts are due),
  ``requested_by_user_id``, ``decided_at``, ``rejection_reason``, ``paid_by`` and ``paid_reference``.
- ``advance_approvals``: who approved an advance (two different finance officers above the threshold).

Nothing refers to the advances table, so on SQLite it is rebuilt with ``batch_alter_table``.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_advances_approval"
down_revision = "0015_users_access"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("advances") as batch:
        batch.drop_constraint(op.f("ck_advances_status"), type_="check")
        batch.alter_column("status", existing_type=sa.String(length=8), type_=sa.String(length=16),
                           existing_nullable=False)
        batch.alter_column("paid_on", existing_type=sa.Date(), nullable=True)
        batch.alter_column("paid_entry_id", existing_type=BIG_ID, nullable=True)
        batch.add_column(sa.Column("purpose", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("settle_by", sa.Date(), nullable=True))
        batch.add_column(sa.Column("requested_by_user_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("rejection_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("paid_by", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("paid_reference", sa.String(length=100), nullable=True))
        batch.create_foreign_key(op.f("fk_advances_requested_by_user_id_users"), "users",
                                 ["requested_by_user_id"], ["id"])
        batch.create_check_constraint(op.f("ck_advances_status"),
                                      "status IN ('requested','approved','rejected','paid','settled')")
    op.create_table(
        "advance_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("advance_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["advance_id"], ["advances.id"], name=op.f("fk_advance_approvals_advance_id_advances"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_advance_approvals_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advance_approvals")),
        sa.UniqueConstraint("advance_id", "user_id", name=op.f("uq_advance_approvals_advance_id_user_id")),
    )
    op.create_index(op.f("ix_advance_approvals_advance_id"), "advance_approvals", ["advance_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_advance_approvals_advance_id"), table_name="advance_approvals")
    op.drop_table("advance_approvals")
    op.execute("DELETE FROM advances WHERE status IN ('requested','approved','rejected')")
    with op.batch_alter_table("advances") as batch:
        batch.drop_constraint(op.f("ck_advances_status"), type_="check")
        batch.drop_constraint(op.f("fk_advances_requested_by_user_id_users"), type_="foreignkey")
        for column in ("paid_reference", "paid_by", "rejection_reason", "decided_at", "requested_by_user_id",
                       "settle_by", "purpose"):
            batch.drop_column(column)
        batch.alter_column("paid_entry_id", existing_type=BIG_ID, nullable=False)
        batch.alter_column("paid_on", existing_type=sa.Date(), nullable=False)
        batch.alter_column("status", existing_type=sa.String(length=16), type_=sa.String(length=8),
                           existing_nullable=False)
        batch.create_check_constraint(op.f("ck_advances_status"), "status IN ('paid','settled')")
