"""Bank statements: imported files, their lines (each stored once, by fingerprint), and the entries they match.

Revision ID: 0023_bank_statements
Revises: 0022_outbox
Create Date: 2026-12-01

- ``bank_statements``: one imported CSV or OFX file, its account, who imported it, the balances it gives.
- ``bank_statement_lines``: one line the bank reported, unique by ``fingerprint`` (re-importing adds nothing),
  its status (unmatched -> matched), the matcher's suggestion and what finance matched it to, and why.
- ``bank_line_entries``: the book entries a matched line stands for; an entry is matched to one line at most.

New tables: created and dropped in place on SQLite and PostgreSQL alike.
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_bank_statements"
down_revision = "0022_outbox"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
KINDS = "('payment_run','payment','payment_return','entry')"


def upgrade() -> None:
    op.create_table(
        "bank_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(60), nullable=False),
        sa.Column("format", sa.String(4), nullable=False),
        sa.Column("preset", sa.String(20), nullable=True),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("added_count", sa.Integer(), nullable=False),
        sa.Column("first_date", sa.Date(), nullable=True),
        sa.Column("last_date", sa.Date(), nullable=True),
        sa.Column("opening_balance_pence", sa.BigInteger(), nullable=True),
        sa.Column("closing_balance_pence", sa.BigInteger(), nullable=True),
        sa.Column("imported_by_user_id", sa.Integer(), nullable=True),
        sa.Column("imported_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint("format IN ('csv','ofx')", name=op.f("ck_bank_statements_format")),
        sa.ForeignKeyConstraint(["imported_by_user_id"], ["users.id"],
                                name=op.f("fk_bank_statements_imported_by_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_statements")),
    )
    op.create_index(op.f("ix_bank_statements_file_sha256"), "bank_statements", ["file_sha256"], unique=False)
    op.create_table(
        "bank_statement_lines",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(60), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.String(300), nullable=False),
        sa.Column("reference", sa.String(100), nullable=True),
        sa.Column("fitid", sa.String(100), nullable=True),
        sa.Column("balance_pence", sa.BigInteger(), nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("suggested_kind", sa.String(16), nullable=True),
        sa.Column("suggested_id", sa.BigInteger(), nullable=True),
        sa.Column("suggested_score", sa.Integer(), nullable=True),
        sa.Column("suggested_reason", sa.Text(), nullable=True),
        sa.Column("match_kind", sa.String(16), nullable=True),
        sa.Column("match_id", sa.BigInteger(), nullable=True),
        sa.Column("match_score", sa.Integer(), nullable=True),
        sa.Column("match_reason", sa.Text(), nullable=True),
        sa.Column("matched_by_user_id", sa.Integer(), nullable=True),
        sa.Column("matched_at", UTC_DATETIME, nullable=True),
        sa.CheckConstraint("status IN ('matched','unmatched')", name=op.f("ck_bank_statement_lines_status")),
        sa.CheckConstraint(f"match_kind IS NULL OR match_kind IN {KINDS}",
                           name=op.f("ck_bank_statement_lines_match_kind")),
        sa.CheckConstraint(f"suggested_kind IS NULL OR suggested_kind IN {KINDS}",
                           name=op.f("ck_bank_statement_lines_suggested_kind")),
        sa.ForeignKeyConstraint(["statement_id"], ["bank_statements.id"],
                                name=op.f("fk_bank_statement_lines_statement_id_bank_statements")),
        sa.ForeignKeyConstraint(["matched_by_user_id"], ["users.id"],
                                name=op.f("fk_bank_statement_lines_matched_by_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_statement_lines")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_bank_statement_lines_fingerprint")),
    )
    op.create_index(op.f("ix_bank_statement_lines_statement_id"), "bank_statement_lines", ["statement_id"],
                    unique=False)
    op.create_index("ix_bank_statement_lines_status_posted_on", "bank_statement_lines",
                    ["status", "posted_on", "id"], unique=False)
    op.create_index("ix_bank_statement_lines_posted_on", "bank_statement_lines", ["posted_on", "id"], unique=False)
    op.create_table(
        "bank_line_entries",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("line_id", BIG_ID, nullable=False),
        sa.Column("entry_id", BIG_ID, nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["line_id"], ["bank_statement_lines.id"],
                                name=op.f("fk_bank_line_entries_line_id_bank_statement_lines")),
        sa.ForeignKeyConstraint(["entry_id"], ["journal_entries.id"],
                                name=op.f("fk_bank_line_entries_entry_id_journal_entries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_line_entries")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_bank_line_entries_entry_id")),
    )
    op.create_index(op.f("ix_bank_line_entries_line_id"), "bank_line_entries", ["line_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_bank_line_entries_line_id"), table_name="bank_line_entries")
    op.drop_table("bank_line_entries")
    op.drop_index("ix_bank_statement_lines_posted_on", table_name="bank_statement_lines")
    op.drop_index("ix_bank_statement_lines_status_posted_on", table_name="bank_statement_lines")
    op.drop_index(op.f("ix_bank_statement_lines_statement_id"), table_name="bank_statement_lines")
    op.drop_table("bank_statement_lines")
    op.drop_index(op.f("ix_bank_statements_file_sha256"), table_name="bank_statements")
    op.drop_table("bank_statements")
