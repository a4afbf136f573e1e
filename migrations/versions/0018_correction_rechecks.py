"""The benefit check re-run when a reversed paid claim is recovered: netting, repayment or a write-off.

Revision ID: 0018_correction_rechecks
Revises: 0017_advance_run_payments
Create Date: 2026-12-01

- ``benefit_rechecks``: one row per period re-checked after a recovery (the claim, the participant, which
  recovery caused it, a day inside the period, the outcome and the stored check), with ``needs_finance`` set
  when the answer is a warning or a breach.

A new table: created and dropped in place on SQLite and PostgreSQL alike.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_correction_rechecks"
down_revision = "0017_advance_run_payments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "benefit_rechecks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("cause", sa.String(length=12), nullable=False),
        sa.Column("period_of", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("needs_finance", sa.Boolean(), nullable=False),
        sa.Column("benefit_check", sa.JSON(), nullable=False),
        sa.Column("recorded_by_user_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("cause IN ('repayment','netting','write_off')", name=op.f("ck_benefit_rechecks_cause")),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], name=op.f("fk_benefit_rechecks_claim_id_claims")),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"],
                                name=op.f("fk_benefit_rechecks_participant_id_participants")),
        sa.ForeignKeyConstraint(["recorded_by_user_id"], ["users.id"],
                                name=op.f("fk_benefit_rechecks_recorded_by_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benefit_rechecks")),
    )
    op.create_index("ix_benefit_rechecks_claim_id", "benefit_rechecks", ["claim_id"])
    op.create_index("ix_benefit_rechecks_participant_id", "benefit_rechecks", ["participant_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_benefit_rechecks_participant_id", table_name="benefit_rechecks")
    op.drop_index("ix_benefit_rechecks_claim_id", table_name="benefit_rechecks")
    op.drop_table("benefit_rechecks")
