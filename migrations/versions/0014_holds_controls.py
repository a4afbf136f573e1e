"""Holds: a claim, or every claim of a payee, kept out of payment runs with a reason until released.

Revision ID: 0014_holds_controls
Revises: 0011_national_insurance_numbers
Create Date: 2026-12-01

- ``holds``: one row per hold (a claim, or a participant or group), who held it and why, who released it
  and with what note. Not a claim status, so the claims' workflow is unchanged.
- ``payment_run_exclusions.reason`` may now be ``held``: a draft lists the held claims it passed over.
  On SQLite the check constraint changes by rebuilding the table (nothing refers to it).
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_holds_controls"
down_revision = "0011_national_insurance_numbers"
branch_labels = None
depends_on = None

_OLD = "reason IN ('no_bank_details','benefit_block','removed')"
_NEW = "reason IN ('no_bank_details','benefit_block','removed','held')"


def upgrade() -> None:
    op.create_table(
        "holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("payee_kind", sa.String(length=12), nullable=True),
        sa.Column("payee_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("held_by_user_id", sa.Integer(), nullable=True),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_by_user_id", sa.Integer(), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("release_note", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('held','released')", name=op.f("ck_holds_status")),
        sa.CheckConstraint("(claim_id IS NOT NULL AND payee_kind IS NULL AND payee_id IS NULL) OR "
                           "(claim_id IS NULL AND payee_kind IN ('participant','group') AND payee_id IS NOT NULL)",
                           name=op.f("ck_holds_one_subject")),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], name=op.f("fk_holds_claim_id_claims")),
        sa.ForeignKeyConstraint(["held_by_user_id"], ["users.id"], name=op.f("fk_holds_held_by_user_id_users")),
        sa.ForeignKeyConstraint(["released_by_user_id"], ["users.id"],
                                name=op.f("fk_holds_released_by_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holds")),
    )
    op.create_index(op.f("ix_holds_claim_id"), "holds", ["claim_id"])
    op.create_index("ix_holds_payee", "holds", ["payee_kind", "payee_id"])
    _restate_reasons(_NEW)


def downgrade() -> None:
    op.execute("DELETE FROM payment_run_exclusions WHERE reason = 'held'")
    _restate_reasons(_OLD)
    op.drop_index("ix_holds_payee", table_name="holds")
    op.drop_index(op.f("ix_holds_claim_id"), table_name="holds")
    op.drop_table("holds")


def _restate_reasons(condition: str) -> None:
    with op.batch_alter_table("payment_run_exclusions") as batch:
        batch.drop_constraint(op.f("ck_payment_run_exclusions_reason"), type_="check")
        batch.create_check_constraint(op.f("ck_payment_run_exclusions_reason"), condition)
