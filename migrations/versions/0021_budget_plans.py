"""Saved versions of a project's co-production budget plan, and their priced lines.

Revision ID: 0021_budget_plans
Revises: 0020_read_indexes
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_budget_plans"
down_revision = "0020_read_indexes"
branch_labels = None
depends_on = None


# A saved version is never overwritten: its lines never change or go, and of the version itself only its status
# (and who approved it, when) may move. Any other change is refused by the database, as for events.
FROZEN = "project_id, number, label, inputs, region, priced_on, contingency_percent, time_credit_hours, total_pence"
MESSAGE = "saved budget versions are never overwritten: save a new version instead"
PG_REFUSE = f"""
CREATE FUNCTION ledger_refuse_budget_version_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation';
END $$;
"""


def _guard_versions() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_REFUSE)
        op.execute("CREATE TRIGGER budget_version_lines_frozen BEFORE UPDATE OR DELETE ON budget_version_lines "
                   "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_budget_version_change()")
        op.execute(f"CREATE TRIGGER budget_versions_frozen BEFORE UPDATE OF {FROZEN} ON budget_versions "
                   "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_budget_version_change()")
        return
    for action in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER budget_version_lines_no_{action.lower()} BEFORE {action} ON budget_version_lines "
                   f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")
    op.execute(f"CREATE TRIGGER budget_versions_frozen BEFORE UPDATE OF {FROZEN} ON budget_versions "
               f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")


def upgrade() -> None:
    op.create_table(
        "budget_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("region", sa.String(length=8), nullable=False),
        sa.Column("priced_on", sa.Date(), nullable=False),
        sa.Column("contingency_percent", sa.String(length=12), nullable=False),
        sa.Column("time_credit_hours", sa.String(length=12), nullable=False),
        sa.Column("total_pence", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by_user_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('draft','baseline','superseded')", name=op.f("ck_budget_versions_status")),
        sa.CheckConstraint("number > 0", name=op.f("ck_budget_versions_number_positive")),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_budget_versions_project_id_projects")),
        sa.ForeignKeyConstraint(["created_by_user_id"], ["users.id"],
                                name=op.f("fk_budget_versions_created_by_user_id_users")),
        sa.ForeignKeyConstraint(["approved_by_user_id"], ["users.id"],
                                name=op.f("fk_budget_versions_approved_by_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_versions")),
        sa.UniqueConstraint("project_id", "number", name=op.f("uq_budget_versions_project_id_number")),
    )
    op.create_index(op.f("ix_budget_versions_project_id"), "budget_versions", ["project_id"])
    op.create_table(
        "budget_version_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("section", sa.String(length=16), nullable=False),
        sa.Column("cost_line", sa.String(length=24), nullable=False),
        sa.Column("description", sa.String(length=400), nullable=False),
        sa.Column("priced_on", sa.Date(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.String(length=20), nullable=False),
        sa.Column("unit", sa.String(length=24), nullable=False),
        sa.Column("rate_pence", sa.BigInteger(), nullable=False),
        sa.Column("each_pence", sa.BigInteger(), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("rule_key", sa.String(length=80), nullable=True),
        sa.Column("rule_from", sa.Date(), nullable=True),
        sa.Column("announced", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.CheckConstraint("amount_pence >= 0", name=op.f("ck_budget_version_lines_amount_not_negative")),
        sa.CheckConstraint("cost_line IN ('fees','travel_expenses','access','contingency')",
                           name=op.f("ck_budget_version_lines_cost_line")),
        sa.ForeignKeyConstraint(["version_id"], ["budget_versions.id"],
                                name=op.f("fk_budget_version_lines_version_id_budget_versions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_version_lines")),
        sa.UniqueConstraint("version_id", "position", name=op.f("uq_budget_version_lines_version_id_position")),
    )
    _guard_versions()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS budget_versions_frozen ON budget_versions")
        op.execute("DROP TRIGGER IF EXISTS budget_version_lines_frozen ON budget_version_lines")
        op.execute("DROP FUNCTION IF EXISTS ledger_refuse_budget_version_change()")
    else:
        for name in ("budget_versions_frozen", "budget_version_lines_no_update", "budget_version_lines_no_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("budget_version_lines")
    op.drop_index(op.f("ix_budget_versions_project_id"), table_name="budget_versions")
    op.drop_table("budget_versions")
