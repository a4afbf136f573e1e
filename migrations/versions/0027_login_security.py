"""Sign-ins that hold: growing delays per account and per address, a second factor, and a second person for
bank details changed while a payment run is a draft.

Revision ID: 0027_login_security
Revises: 0025_keyed_chain
Create Date: 2026-12-01

- ``login_throttles``: attempts per account or address, the last failure and when the next may be checked.
- ``recovery_codes``: one-time codes (argon2 hashes) for someone without their authenticator app.
- ``users``: the TOTP secret (Fernet-encrypted), when it was turned on, the last time step accepted.
- ``bank_detail_changes``: who approved a change, and when.

New tables and nullable columns: nothing existing is rewritten. ``bank_detail_changes`` gains a foreign key,
so on SQLite it is rebuilt (batch mode); on PostgreSQL the columns are added in place.
"""

import sqlalchemy as sa
from alembic import op

revision = "0027_login_security"
down_revision = "0025_keyed_chain"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttles")),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(255), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("used_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_recovery_codes_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
    )
    op.create_index(op.f("ix_recovery_codes_user_id"), "recovery_codes", ["user_id"], unique=False)
    op.add_column("users", sa.Column("totp_secret_encrypted", sa.Text(), nullable=True))
    op.add_column("users", sa.Column("totp_enabled_at", UTC_DATETIME, nullable=True))
    op.add_column("users", sa.Column("totp_last_step", sa.Integer(), nullable=True))
    with op.batch_alter_table("bank_detail_changes") as batch:
        batch.add_column(sa.Column("approved_by_user_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("approved_at", UTC_DATETIME, nullable=True))
        batch.create_foreign_key(op.f("fk_bank_detail_changes_approved_by_user_id_users"), "users",
                                 ["approved_by_user_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("bank_detail_changes") as batch:
        batch.drop_constraint(op.f("fk_bank_detail_changes_approved_by_user_id_users"), type_="foreignkey")
        batch.drop_column("approved_at")
        batch.drop_column("approved_by_user_id")
    op.drop_column("users", "totp_last_step")
    op.drop_column("users", "totp_enabled_at")
    op.drop_column("users", "totp_secret_encrypted")
    op.drop_index(op.f("ix_recovery_codes_user_id"), table_name="recovery_codes")
    op.drop_table("recovery_codes")
    op.drop_table("login_throttles")
