"""Claims with expense lines, receipts, approvals and history; advances; payment runs; time-credit transfers.

Revision ID: 0003_claims_payments
Revises: 0002_people_projects
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_claims_payments"
down_revision = "0002_people_projects"
branch_labels = None
depends_on = None

TABLES = (
    "receipts",
    "payment_run_items",
    "expense_lines",
    "claim_events",
    "claim_approvals",
    "advances",
    "claims",
    "time_credit_transfers",
    "payments",
    "payment_runs",
)


def upgrade() -> None:
    op.create_table(
        "payment_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=18), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("cutoff_date", sa.Date(), nullable=False),
        sa.Column("payment_date", sa.Date(), nullable=False),
        sa.Column("total_pence", sa.BigInteger(), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("payee_count", sa.Integer(), nullable=False),
        sa.Column("benefit_check", sa.JSON(), nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("confirmed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("bank_reference", sa.String(length=100), nullable=True),
        sa.Column("cancelled_by_user_id", sa.Integer(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('draft','confirmed','cancelled')", name=op.f("ck_payment_runs_status")),
        sa.ForeignKeyConstraint(
            ["cancelled_by_user_id"], ["users.id"], name=op.f("fk_payment_runs_cancelled_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by_user_id"], ["users.id"], name=op.f("fk_payment_runs_confirmed_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["users.id"], name=op.f("fk_payment_runs_created_by_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_runs")),
        sa.UniqueConstraint("reference", name=op.f("uq_payment_runs_reference")),
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("payee_kind", sa.String(length=12), nullable=False),
        sa.Column("payee_id", sa.Integer(), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("account_last4", sa.String(length=4), nullable=True),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.CheckConstraint("payee_kind IN ('participant','group')", name=op.f("ck_payments_payee_kind")),
        sa.CheckConstraint("amount_pence > 0", name=op.f("ck_payments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["journal_entries.id"], name=op.f("fk_payments_entry_id_journal_entries")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["payment_runs.id"], name=op.f("fk_payments_run_id_payment_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("run_id", "payee_kind", "payee_id", name=op.f("uq_payments_run_id_payee_kind_payee_id")),
    )
    op.create_index(op.f("ix_payments_run_id"), "payments", ["run_id"], unique=False)
    op.create_table(
        "time_credit_transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("to_participant_id", sa.Integer(), nullable=True),
        sa.Column("to_group_id", sa.Integer(), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('spent','given_to_participant','given_to_group')", name=op.f("ck_time_credit_transfers_kind")
        ),
        sa.CheckConstraint("minutes > 0", name=op.f("ck_time_credit_transfers_minutes_positive")),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["users.id"], name=op.f("fk_time_credit_transfers_created_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["journal_entries.id"], name=op.f("fk_time_credit_transfers_entry_id_journal_entries")
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["participants.id"], name=op.f("fk_time_credit_transfers_participant_id_participants")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partner_organisations.id"],
            name=op.f("fk_time_credit_transfers_partner_id_partner_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["to_group_id"], ["user_led_groups.id"], name=op.f("fk_time_credit_transfers_to_group_id_user_led_groups")
        ),
        sa.ForeignKeyConstraint(
            ["to_participant_id"],
            ["participants.id"],
            name=op.f("fk_time_credit_transfers_to_participant_id_participants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_credit_transfers")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_time_credit_transfers_idempotency_key")),
    )
    op.create_index(
        op.f("ix_time_credit_transfers_participant_id"), "time_credit_transfers", ["participant_id"], unique=False
    )
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("worked_minutes", sa.Integer(), nullable=True),
        sa.Column("rate_pence", sa.Integer(), nullable=True),
        sa.Column("rate_basis", sa.String(length=120), nullable=True),
        sa.Column("offered_pence", sa.BigInteger(), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("time_minutes", sa.Integer(), nullable=False),
        sa.Column("choice", sa.String(length=16), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("choice_recorded_by_user_id", sa.Integer(), nullable=True),
        sa.Column("choice_recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assisted", sa.Boolean(), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("submitted_by_user_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("policy_outcome", sa.String(length=8), nullable=True),
        sa.Column("policy_decision", sa.JSON(), nullable=True),
        sa.Column("accrual_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("reversal_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("payment_run_id", sa.Integer(), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "choice IS NULL OR choice IN ('take','take_less','decline','redirect','time_credits')",
            name=op.f("ck_claims_choice"),
        ),
        sa.CheckConstraint("kind IN ('fee','expense','time_credit')", name=op.f("ck_claims_kind")),
        sa.CheckConstraint(
            "status IN ('draft','submitted','returned','approved','rejected','cancelled','paid')",
            name=op.f("ck_claims_status"),
        ),
        sa.CheckConstraint("amount_pence >= 0", name=op.f("ck_claims_amount_not_negative")),
        sa.CheckConstraint("time_minutes >= 0", name=op.f("ck_claims_time_not_negative")),
        sa.ForeignKeyConstraint(
            ["accrual_entry_id"], ["journal_entries.id"], name=op.f("fk_claims_accrual_entry_id_journal_entries")
        ),
        sa.ForeignKeyConstraint(["activity_id"], ["activities.id"], name=op.f("fk_claims_activity_id_activities")),
        sa.ForeignKeyConstraint(
            ["choice_recorded_by_user_id"], ["users.id"], name=op.f("fk_claims_choice_recorded_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(["created_by_user_id"], ["users.id"], name=op.f("fk_claims_created_by_user_id_users")),
        sa.ForeignKeyConstraint(["group_id"], ["user_led_groups.id"], name=op.f("fk_claims_group_id_user_led_groups")),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["participants.id"], name=op.f("fk_claims_participant_id_participants")
        ),
        sa.ForeignKeyConstraint(
            ["payment_run_id"], ["payment_runs.id"], name=op.f("fk_claims_payment_run_id_payment_runs")
        ),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_claims_project_id_projects")),
        sa.ForeignKeyConstraint(
            ["reversal_entry_id"], ["journal_entries.id"], name=op.f("fk_claims_reversal_entry_id_journal_entries")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_user_id"], ["users.id"], name=op.f("fk_claims_submitted_by_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_claims_idempotency_key")),
    )
    op.create_index(op.f("ix_claims_activity_id"), "claims", ["activity_id"], unique=False)
    op.create_index(op.f("ix_claims_participant_id"), "claims", ["participant_id"], unique=False)
    op.create_index(op.f("ix_claims_payment_run_id"), "claims", ["payment_run_id"], unique=False)
    op.create_index(op.f("ix_claims_project_id"), "claims", ["project_id"], unique=False)
    op.create_index("ix_claims_status_participant", "claims", ["status", "participant_id"], unique=False)
    op.create_table(
        "advances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("paid_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("settlement_claim_id", sa.Integer(), nullable=True),
        sa.Column("settlement_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("status IN ('paid','settled')", name=op.f("ck_advances_status")),
        sa.CheckConstraint("amount_pence > 0", name=op.f("ck_advances_amount_positive")),
        sa.ForeignKeyConstraint(["activity_id"], ["activities.id"], name=op.f("fk_advances_activity_id_activities")),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["users.id"], name=op.f("fk_advances_created_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["paid_entry_id"], ["journal_entries.id"], name=op.f("fk_advances_paid_entry_id_journal_entries")
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["participants.id"], name=op.f("fk_advances_participant_id_participants")
        ),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_advances_project_id_projects")),
        sa.ForeignKeyConstraint(
            ["settlement_claim_id"], ["claims.id"], name=op.f("fk_advances_settlement_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["settlement_entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_advances_settlement_entry_id_journal_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advances")),
    )
    op.create_index(op.f("ix_advances_participant_id"), "advances", ["participant_id"], unique=False)
    op.create_table(
        "claim_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_claim_approvals_claim_id_claims"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_claim_approvals_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_approvals")),
        sa.UniqueConstraint("claim_id", "user_id", name=op.f("uq_claim_approvals_claim_id_user_id")),
    )
    op.create_index(op.f("ix_claim_approvals_claim_id"), "claim_approvals", ["claim_id"], unique=False)
    op.create_table(
        "claim_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_claim_events_claim_id_claims"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_claim_events_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_events")),
    )
    op.create_index(op.f("ix_claim_events_claim_id"), "claim_events", ["claim_id"], unique=False)
    op.create_table(
        "expense_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("incurred_on", sa.Date(), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("miles", sa.String(length=16), nullable=True),
        sa.Column("vehicle", sa.String(length=16), nullable=True),
        sa.CheckConstraint(
            "category IN ('public_transport','taxi','mileage','accommodation','meals','replacement_care',"
            "'support_worker','personal_assistant','childcare','other')",
            name=op.f("ck_expense_lines_category"),
        ),
        sa.CheckConstraint("amount_pence > 0", name=op.f("ck_expense_lines_amount_positive")),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_expense_lines_claim_id_claims"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expense_lines")),
    )
    op.create_index(op.f("ix_expense_lines_claim_id"), "expense_lines", ["claim_id"], unique=False)
    op.create_table(
        "payment_run_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("payee_kind", sa.String(length=12), nullable=False),
        sa.Column("payee_id", sa.Integer(), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("payee_kind IN ('participant','group')", name=op.f("ck_payment_run_items_payee_kind")),
        sa.CheckConstraint("amount_pence > 0", name=op.f("ck_payment_run_items_amount_positive")),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], name=op.f("fk_payment_run_items_claim_id_claims")),
        sa.ForeignKeyConstraint(
            ["run_id"], ["payment_runs.id"], name=op.f("fk_payment_run_items_run_id_payment_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_run_items")),
        sa.UniqueConstraint("run_id", "claim_id", name=op.f("uq_payment_run_items_run_id_claim_id")),
    )
    op.create_index(op.f("ix_payment_run_items_claim_id"), "payment_run_items", ["claim_id"], unique=False)
    op.create_index(op.f("ix_payment_run_items_run_id"), "payment_run_items", ["run_id"], unique=False)
    op.create_table(
        "receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("expense_line_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("uploaded_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["expense_line_id"],
            ["expense_lines.id"],
            name=op.f("fk_receipts_expense_line_id_expense_lines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_user_id"], ["users.id"], name=op.f("fk_receipts_uploaded_by_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipts")),
    )
    op.create_index(op.f("ix_receipts_expense_line_id"), "receipts", ["expense_line_id"], unique=False)


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)
