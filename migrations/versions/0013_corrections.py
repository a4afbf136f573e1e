"""Corrections after payment: returned payments (and the flag on bank details), and recovering reversed claims.

Revision ID: 0013_corrections
Revises: 0016_advances_approval
Create Date: 2026-12-01

- ``payment_returns``: one row per payment the bank returned (why, when, the bank's reference), naming the
  entry that put the money back as owed. A payment is returned at most once (unique ``payment_id``).
- ``participants`` and ``user_led_groups`` gain ``bank_details_returned_on`` and
  ``bank_details_returned_reason``: set when a payment is returned, cleared when the bank details change.
  While set, the payee is left out of payment runs (``payment_run_exclusions.reason`` = ``payment_returned``).

- ``claim_versions``: each version of an amended claim's fields (who, when, why, what changed); a redrafted
  rejected fee's first version names the claim it replaces.
- ``claim_recoveries``: how a paid claim reversed since is recovered (netting agreed, a repayment, a
  write-off asked for by one finance user and approved by another). A payee who owes money back with no
  netting agreed is left out of runs (``payment_run_exclusions.reason`` = ``owes_back``).

The exclusion reason's CHECK is replaced in place on PostgreSQL; SQLite rebuilds the table (``batch_alter_table``
from its known definition, since SQLite keeps no names for CHECKs to drop).
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_corrections"
down_revision = "0016_advances_approval"
branch_labels = None
depends_on = None

# 0014 (holds) added 'held' before this migration: both sets keep it.
_OLD_REASONS = "reason IN ('no_bank_details','benefit_block','removed','held')"
_NEW_REASONS = "reason IN ('no_bank_details','benefit_block','removed','held','payment_returned','owes_back')"
_RETURN_REASONS = "reason IN ('account_closed','details_wrong','other')"


def _exclusions(check: str) -> sa.Table:
    """payment_run_exclusions as 0006 made it (0014 changed only its reason check), with ``check`` on its reason.

    SQLite rebuilds the table from this definition."""
    return sa.Table(
        "payment_run_exclusions", sa.MetaData(),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("payee_kind", sa.String(length=12), nullable=False),
        sa.Column("payee_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("claim_ids", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("excluded_by_user_id", sa.Integer(), nullable=True),
        sa.Column("excluded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("payee_kind IN ('participant','group')", name="ck_payment_run_exclusions_payee_kind"),
        sa.CheckConstraint(check, name="ck_payment_run_exclusions_reason"),
        sa.ForeignKeyConstraint(["run_id"], ["payment_runs.id"], ondelete="CASCADE",
                                name="fk_payment_run_exclusions_run_id_payment_runs"),
        sa.ForeignKeyConstraint(["excluded_by_user_id"], ["users.id"],
                                name="fk_payment_run_exclusions_excluded_by_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_payment_run_exclusions"),
        sa.Index("ix_payment_run_exclusions_run_id", "run_id"),
    )


def _set_reasons(check: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("payment_run_exclusions", recreate="always", copy_from=_exclusions(check)):
            pass
        return
    op.drop_constraint("ck_payment_run_exclusions_reason", "payment_run_exclusions", type_="check")
    op.create_check_constraint("ck_payment_run_exclusions_reason", "payment_run_exclusions", check)


def upgrade() -> None:
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "payment_returns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("payee_kind", sa.String(length=12), nullable=False),
        sa.Column("payee_id", sa.Integer(), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("returned_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("bank_reference", sa.String(length=100), nullable=False),
        sa.Column("entry_id", big_id, nullable=False),
        sa.Column("recorded_by_user_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(_RETURN_REASONS, name=op.f("ck_payment_returns_reason")),
        sa.CheckConstraint("amount_pence > 0", name=op.f("ck_payment_returns_amount_positive")),
        sa.ForeignKeyConstraint(["run_id"], ["payment_runs.id"], name=op.f("fk_payment_returns_run_id_payment_runs")),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"], name=op.f("fk_payment_returns_payment_id_payments")),
        sa.ForeignKeyConstraint(["entry_id"], ["journal_entries.id"],
                                name=op.f("fk_payment_returns_entry_id_journal_entries")),
        sa.ForeignKeyConstraint(["recorded_by_user_id"], ["users.id"],
                                name=op.f("fk_payment_returns_recorded_by_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_returns")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_payment_returns_payment_id")),
    )
    op.create_index(op.f("ix_payment_returns_run_id"), "payment_returns", ["run_id"])
    for table in ("participants", "user_led_groups"):
        op.add_column(table, sa.Column("bank_details_returned_on", sa.Date(), nullable=True))
        op.add_column(table, sa.Column("bank_details_returned_reason", sa.String(length=16), nullable=True))
    _set_reasons(_NEW_REASONS)
    _recoveries()
    _versions()


def _versions() -> None:
    op.create_table(
        "claim_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("redraft_of_claim_id", sa.Integer(), nullable=True),
        sa.Column("changed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], name=op.f("fk_claim_versions_claim_id_claims")),
        sa.ForeignKeyConstraint(["redraft_of_claim_id"], ["claims.id"],
                                name=op.f("fk_claim_versions_redraft_of_claim_id_claims")),
        sa.ForeignKeyConstraint(["changed_by_user_id"], ["users.id"],
                                name=op.f("fk_claim_versions_changed_by_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_versions")),
        sa.UniqueConstraint("claim_id", "version", name=op.f("uq_claim_versions_claim_id_version")),
    )
    op.create_index(op.f("ix_claim_versions_claim_id"), "claim_versions", ["claim_id"])


def _recoveries() -> None:
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "claim_recoveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("how", sa.String(length=12), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=True),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("agreed_how", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("entry_id", big_id, nullable=True),
        sa.Column("recorded_by_user_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by_user_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("how IN ('netting','repayment','write_off')", name=op.f("ck_claim_recoveries_how")),
        sa.CheckConstraint("amount_pence IS NULL OR amount_pence > 0",
                           name=op.f("ck_claim_recoveries_amount_positive")),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], name=op.f("fk_claim_recoveries_claim_id_claims")),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"],
                                name=op.f("fk_claim_recoveries_participant_id_participants")),
        sa.ForeignKeyConstraint(["entry_id"], ["journal_entries.id"],
                                name=op.f("fk_claim_recoveries_entry_id_journal_entries")),
        sa.ForeignKeyConstraint(["recorded_by_user_id"], ["users.id"],
                                name=op.f("fk_claim_recoveries_recorded_by_user_id_users")),
        sa.ForeignKeyConstraint(["approved_by_user_id"], ["users.id"],
                                name=op.f("fk_claim_recoveries_approved_by_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_recoveries")),
    )
    op.create_index(op.f("ix_claim_recoveries_claim_id"), "claim_recoveries", ["claim_id"])
    op.create_index(op.f("ix_claim_recoveries_participant_id"), "claim_recoveries", ["participant_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_claim_versions_claim_id"), table_name="claim_versions")
    op.drop_table("claim_versions")
    op.drop_index(op.f("ix_claim_recoveries_participant_id"), table_name="claim_recoveries")
    op.drop_index(op.f("ix_claim_recoveries_claim_id"), table_name="claim_recoveries")
    op.drop_table("claim_recoveries")
    op.execute("DELETE FROM payment_run_exclusions WHERE reason IN ('payment_returned', 'owes_back')")
    _set_reasons(_OLD_REASONS)
    for table in ("user_led_groups", "participants"):
        op.execute(f"ALTER TABLE {table} DROP COLUMN bank_details_returned_reason")
        op.execute(f"ALTER TABLE {table} DROP COLUMN bank_details_returned_on")
    op.drop_index(op.f("ix_payment_returns_run_id"), table_name="payment_returns")
    op.drop_table("payment_returns")
