"""Participants in full, benefit declarations, user-led groups, partner organisations; projects, activities, attendance.

Revision ID: 0002_people_projects
Revises: 0001_foundation
Create Date: 2026-11-22

Participants gain contact details, preferred format, date of birth, encrypted bank details, default
reward and an active flag; rows already there keep their values and get the defaults (email,
paid_to_me, active). On SQLite the table is rebuilt (batch mode) to add its CHECK and FOREIGN KEY
constraints. Foreign keys are on and cannot be turned off inside the migration's transaction, so
dropping the old table would fail while users point at it: their links are set aside in a temporary
table for the rebuild and put back afterwards.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0002_people_projects"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def _bank_columns() -> list:
    return [
        sa.Column("bank_details_encrypted", sa.Text(), nullable=True),
        sa.Column("bank_sort_code_last2", sa.String(length=2), nullable=True),
        sa.Column("bank_account_last4", sa.String(length=4), nullable=True),
        sa.Column("bank_details_set_at", sa.DateTime(timezone=True), nullable=True),
    ]


@contextmanager
def _rebuilding_participants() -> Iterator[None]:
    """On SQLite, unlink users from participants while the participants table is rebuilt."""
    if op.get_bind().dialect.name != "sqlite":
        yield
        return
    op.execute(
        "CREATE TEMPORARY TABLE _users_participants AS "
        "SELECT id, participant_id FROM users WHERE participant_id IS NOT NULL"
    )
    op.execute("UPDATE users SET participant_id = NULL WHERE participant_id IS NOT NULL")
    yield
    op.execute(
        "UPDATE users SET participant_id = "
        "(SELECT t.participant_id FROM _users_participants AS t WHERE t.id = users.id) "
        "WHERE id IN (SELECT id FROM _users_participants)"
    )
    op.execute("DROP TABLE _users_participants")


def upgrade() -> None:
    op.create_table(
        "user_led_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("postal_address", sa.Text(), nullable=True),
        sa.Column("charity_number", sa.String(length=20), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        *_bank_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_led_groups")),
        sa.UniqueConstraint("name", name=op.f("uq_user_led_groups_name")),
    )
    op.create_table(
        "partner_organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("postal_address", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_organisations")),
        sa.UniqueConstraint("name", name=op.f("uq_partner_organisations_name")),
    )

    with _rebuilding_participants(), op.batch_alter_table("participants") as batch:
        batch.add_column(sa.Column("phone", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("postal_address", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("preferred_format", sa.String(length=16), server_default="email", nullable=False)
        )
        batch.add_column(sa.Column("date_of_birth", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column("default_reward", sa.String(length=16), server_default="paid_to_me", nullable=False)
        )
        batch.add_column(sa.Column("default_group_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("is_active", sa.Boolean(), server_default="1", nullable=False))
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        for column in _bank_columns():
            batch.add_column(column)
        batch.create_check_constraint(
            op.f("ck_participants_preferred_format"),
            "preferred_format IN ('email','post','large_print','easy_read')",
        )
        batch.create_check_constraint(
            op.f("ck_participants_default_reward"),
            "default_reward IN ('paid_to_me','paid_to_group','time_credits','decline')",
        )
        batch.create_check_constraint(
            op.f("ck_participants_default_group"),
            "(default_reward = 'paid_to_group' AND default_group_id IS NOT NULL) OR "
            "(default_reward <> 'paid_to_group' AND default_group_id IS NULL)",
        )
        batch.create_foreign_key(
            op.f("fk_participants_default_group_id_user_led_groups"),
            "user_led_groups",
            ["default_group_id"],
            ["id"],
        )

    op.create_table(
        "bank_detail_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("sort_code_last2", sa.String(length=2), nullable=False),
        sa.Column("account_last4", sa.String(length=4), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by_user_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(participant_id IS NULL) <> (group_id IS NULL)", name=op.f("ck_bank_detail_changes_one_payee")
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["participants.id"], name=op.f("fk_bank_detail_changes_participant_id_participants")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["user_led_groups.id"], name=op.f("fk_bank_detail_changes_group_id_user_led_groups")
        ),
        sa.ForeignKeyConstraint(
            ["changed_by_user_id"], ["users.id"], name=op.f("fk_bank_detail_changes_changed_by_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_detail_changes")),
    )
    op.create_index(
        op.f("ix_bank_detail_changes_participant_id"), "bank_detail_changes", ["participant_id"], unique=False
    )
    op.create_index(op.f("ix_bank_detail_changes_group_id"), "bank_detail_changes", ["group_id"], unique=False)

    op.create_table(
        "benefit_declarations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("declared_on", sa.Date(), nullable=False),
        sa.Column("benefits", sa.JSON(), nullable=False),
        sa.Column("circumstances", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("recorded_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["participants.id"], name=op.f("fk_benefit_declarations_participant_id_participants")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_user_id"], ["users.id"], name=op.f("fk_benefit_declarations_recorded_by_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benefit_declarations")),
    )
    op.create_index(
        "ix_benefit_declarations_participant_declared",
        "benefit_declarations",
        ["participant_id", "declared_on", "id"],
        unique=False,
    )

    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("cost_centre", sa.String(length=40), nullable=False),
        sa.Column("budget_pence", sa.BigInteger(), nullable=False),
        sa.Column("project_manager_user_id", sa.Integer(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("budget_pence >= 0", name=op.f("ck_projects_budget_not_negative")),
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name=op.f("ck_projects_dates_in_order")),
        sa.ForeignKeyConstraint(
            ["project_manager_user_id"], ["users.id"], name=op.f("fk_projects_project_manager_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("code", name=op.f("uq_projects_code")),
    )
    op.create_index(
        op.f("ix_projects_project_manager_user_id"), "projects", ["project_manager_user_id"], unique=False
    )

    op.create_table(
        "activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("occurs_on", sa.Date(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("preparation_minutes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("region", sa.String(length=8), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("flat_fee_pence", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('advisory_meeting','interview_panel','training_delivery','writing','review','event','other')",
            name=op.f("ck_activities_kind"),
        ),
        sa.CheckConstraint("region IN ('london','uk')", name=op.f("ck_activities_region")),
        sa.CheckConstraint("duration_minutes > 0", name=op.f("ck_activities_duration_positive")),
        sa.CheckConstraint("preparation_minutes >= 0", name=op.f("ck_activities_preparation_not_negative")),
        sa.CheckConstraint(
            "flat_fee_pence IS NULL OR flat_fee_pence > 0", name=op.f("ck_activities_flat_fee_positive")
        ),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_activities_project_id_projects")),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["users.id"], name=op.f("fk_activities_created_by_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
    )
    op.create_index("ix_activities_project_occurs", "activities", ["project_id", "occurs_on"], unique=False)

    op.create_table(
        "attendances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("actual_minutes", sa.Integer(), nullable=True),
        sa.Column("with_supporter", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("recorded_by_user_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "actual_minutes IS NULL OR actual_minutes > 0", name=op.f("ck_attendances_actual_minutes_positive")
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activities.id"], name=op.f("fk_attendances_activity_id_activities")
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["participants.id"], name=op.f("fk_attendances_participant_id_participants")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_user_id"], ["users.id"], name=op.f("fk_attendances_recorded_by_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendances")),
        sa.UniqueConstraint(
            "activity_id", "participant_id", name=op.f("uq_attendances_activity_id_participant_id")
        ),
    )
    op.create_index(op.f("ix_attendances_participant_id"), "attendances", ["participant_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_attendances_participant_id"), table_name="attendances")
    op.drop_table("attendances")
    op.drop_index("ix_activities_project_occurs", table_name="activities")
    op.drop_table("activities")
    op.drop_index(op.f("ix_projects_project_manager_user_id"), table_name="projects")
    op.drop_table("projects")
    op.drop_index("ix_benefit_declarations_participant_declared", table_name="benefit_declarations")
    op.drop_table("benefit_declarations")
    op.drop_index(op.f("ix_bank_detail_changes_group_id"), table_name="bank_detail_changes")
    op.drop_index(op.f("ix_bank_detail_changes_participant_id"), table_name="bank_detail_changes")
    op.drop_table("bank_detail_changes")
    with _rebuilding_participants(), op.batch_alter_table("participants") as batch:
        batch.drop_constraint(op.f("fk_participants_default_group_id_user_led_groups"), type_="foreignkey")
        batch.drop_constraint(op.f("ck_participants_default_group"), type_="check")
        batch.drop_constraint(op.f("ck_participants_default_reward"), type_="check")
        batch.drop_constraint(op.f("ck_participants_preferred_format"), type_="check")
        for column in (
            "bank_details_set_at",
            "bank_account_last4",
            "bank_sort_code_last2",
            "bank_details_encrypted",
            "updated_at",
            "is_active",
            "default_group_id",
            "default_reward",
            "date_of_birth",
            "preferred_format",
            "postal_address",
            "phone",
        ):
            batch.drop_column(column)
    op.drop_table("partner_organisations")
    op.drop_table("user_led_groups")
