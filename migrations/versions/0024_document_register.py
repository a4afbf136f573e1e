"""The register of issued documents: number, kind, whose, the figures shown, a hash and a verification code.

Revision ID: 0024_document_register
Revises: 0027_login_security
Create Date: 2026-12-01

- ``document_register``: one row per PDF issued (statement, remittance advice, evidence letter, run report,
  print pack, budget report...), with a unique number and serial, a unique verification code, the figures the
  document showed, the SHA-256 of its bytes, and when and by whom it was produced.
- Append-only, as ``events``: UPDATE and DELETE are refused by triggers on SQLite and PostgreSQL.
- PostgreSQL numbers documents from a sequence (``document_serial``), so that two requests at once never
  take the same number; SQLite, with one writer at a time, takes the next after the highest.
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_document_register"
down_revision = "0027_login_security"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
KINDS = ("statement", "remittance", "annual_summary", "evidence_pack", "payment_run_report", "print_pack",
         "budget_report", "budget_plan", "coproduction_report", "benefit_effect")
MESSAGE = "the document register is append-only: issue a new document instead"

PG_REFUSE = f"""
CREATE FUNCTION ledger_refuse_register_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation';
END $$;
"""


def upgrade() -> None:
    op.create_table(
        "document_register",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("serial", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("code", sa.String(11), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("produced_at", UTC_DATETIME, nullable=False),
        sa.Column("produced_by_user_id", sa.Integer(), nullable=True),
        sa.Column("produced_by", sa.String(120), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.CheckConstraint("kind IN (" + ",".join(f"'{k}'" for k in KINDS) + ")",
                           name=op.f("ck_document_register_kind")),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"],
                                name=op.f("fk_document_register_participant_id_participants")),
        sa.ForeignKeyConstraint(["produced_by_user_id"], ["users.id"],
                                name=op.f("fk_document_register_produced_by_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_register")),
        sa.UniqueConstraint("serial", name=op.f("uq_document_register_serial")),
        sa.UniqueConstraint("number", name=op.f("uq_document_register_number")),
        sa.UniqueConstraint("code", name=op.f("uq_document_register_code")),
    )
    op.create_index("ix_document_register_participant_id", "document_register", ["participant_id", "id"])
    op.create_index("ix_document_register_sha256", "document_register", ["sha256"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE document_serial")
        op.execute(PG_REFUSE)
        op.execute("CREATE TRIGGER document_register_append_only BEFORE UPDATE OR DELETE ON document_register "
                   "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_register_change()")
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER document_register_no_{action.lower()} BEFORE {action} ON document_register "
                       f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS document_register_append_only ON document_register")
        op.execute("DROP FUNCTION IF EXISTS ledger_refuse_register_change()")
        op.execute("DROP SEQUENCE IF EXISTS document_serial")
    else:
        op.execute("DROP TRIGGER IF EXISTS document_register_no_update")
        op.execute("DROP TRIGGER IF EXISTS document_register_no_delete")
    op.drop_index("ix_document_register_sha256", table_name="document_register")
    op.drop_index("ix_document_register_participant_id", table_name="document_register")
    op.drop_table("document_register")
