"""A project's co-production budget by cost line.

Revision ID: 0004_budget_lines
Revises: 0003_claims_payments
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_budget_lines"
down_revision = "0003_claims_payments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "project_budget_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("basis", sa.Text(), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_by_user_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('fees','travel_expenses','access','contingency')", name=op.f("ck_project_budget_lines_kind")
        ),
        sa.CheckConstraint("amount_pence >= 0", name=op.f("ck_project_budget_lines_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_project_budget_lines_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["set_by_user_id"], ["users.id"], name=op.f("fk_project_budget_lines_set_by_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_budget_lines")),
        sa.UniqueConstraint("project_id", "kind", name=op.f("uq_project_budget_lines_project_id_kind")),
    )


def downgrade() -> None:
    op.drop_table("project_budget_lines")
