"""Changes in benefits or circumstances a participant reports, for finance to review.

Revision ID: 0019_participant_details
Revises: 0018_correction_rechecks
Create Date: 2026-12-01

- ``circumstance_reports``: what changed (a benefit started or stopped, or something else), from when, in
  the participant's words; waiting -> accepted (with the declaration it led to) | not_accepted.

A new table only: created and dropped in place on SQLite and PostgreSQL alike.
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_participant_details"
down_revision = "0018_correction_rechecks"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "circumstance_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(16), nullable=False),
        sa.Column("benefit", sa.String(40), nullable=True),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), server_default="waiting", nullable=False),
        sa.Column("reported_at", UTC_DATETIME, nullable=False),
        sa.Column("reported_by_user_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", UTC_DATETIME, nullable=True),
        sa.Column("reviewed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("declaration_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("change IN ('started','stopped','other')", name=op.f("ck_circumstance_reports_change")),
        sa.CheckConstraint("status IN ('waiting','accepted','not_accepted')",
                           name=op.f("ck_circumstance_reports_status")),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"],
                                name=op.f("fk_circumstance_reports_participant_id_participants")),
        sa.ForeignKeyConstraint(["reported_by_user_id"], ["users.id"],
                                name=op.f("fk_circumstance_reports_reported_by_user_id_users")),
        sa.ForeignKeyConstraint(["reviewed_by_user_id"], ["users.id"],
                                name=op.f("fk_circumstance_reports_reviewed_by_user_id_users")),
        sa.ForeignKeyConstraint(["declaration_id"], ["benefit_declarations.id"],
                                name=op.f("fk_circumstance_reports_declaration_id_benefit_declarations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_circumstance_reports")),
    )
    op.create_index("ix_circumstance_reports_participant_id", "circumstance_reports", ["participant_id"])
    op.create_index("ix_circumstance_reports_status", "circumstance_reports", ["status", "id"])


def downgrade() -> None:
    op.drop_index("ix_circumstance_reports_status", table_name="circumstance_reports")
    op.drop_index("ix_circumstance_reports_participant_id", table_name="circumstance_reports")
    op.drop_table("circumstance_reports")
