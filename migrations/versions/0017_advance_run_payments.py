"""Approved advances paid by bank transfer in a payment run, and advance requests made once per key.

Revision ID: 0017_advance_run_payments
Revises: 0012_audit_close_idempotency
Create Date: 2026-12-01

- ``advances.payment_run_id``: the live payment run paying the advance (empty until a draft takes it, and
  again if that draft is cancelled or the payee taken out of it).
- ``advances.request_key``: the caller's key for the request, unique per person asking, so a page form sent
  twice asks for one advance.

Nullable columns only; on SQLite the table is rebuilt with ``batch_alter_table`` (nothing refers to it
that a rebuild would break).
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_advance_run_payments"
down_revision = "0012_audit_close_idempotency"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("advances") as batch:
        batch.add_column(sa.Column("payment_run_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("request_key", sa.String(length=200), nullable=True))
        batch.create_foreign_key(op.f("fk_advances_payment_run_id_payment_runs"), "payment_runs",
                                 ["payment_run_id"], ["id"])
        batch.create_unique_constraint(op.f("uq_advances_requested_by_user_id_request_key"),
                                       ["requested_by_user_id", "request_key"])
    op.create_index(op.f("ix_advances_payment_run_id"), "advances", ["payment_run_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_advances_payment_run_id"), table_name="advances")
    with op.batch_alter_table("advances") as batch:
        batch.drop_constraint(op.f("uq_advances_requested_by_user_id_request_key"), type_="unique")
        batch.drop_constraint(op.f("fk_advances_payment_run_id_payment_runs"), type_="foreignkey")
        batch.drop_column("request_key")
        batch.drop_column("payment_run_id")
