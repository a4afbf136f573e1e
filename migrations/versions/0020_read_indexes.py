"""Indexes for reads that join entries back to the claims and payments behind them.

Revision ID: 0020_read_indexes
Revises: 0019_participant_details
Create Date: 2026-12-01

A participant's statement, their receipts and the benefit check find the claim or payment that posted an
entry (``claims.accrual_entry_id``, ``claims.reversal_entry_id``, ``payments.entry_id``); without an index
each such lookup scanned the whole table (issue 12). Indexes only: created and dropped in place on SQLite
and PostgreSQL alike.
"""

from alembic import op

revision = "0020_read_indexes"
down_revision = "0019_participant_details"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_claims_accrual_entry_id", "claims", "accrual_entry_id"),
    ("ix_claims_reversal_entry_id", "claims", "reversal_entry_id"),
    ("ix_payments_entry_id", "payments", "entry_id"),
)


def upgrade() -> None:
    for name, table, column in INDEXES:
        op.create_index(name, table, [column])


def downgrade() -> None:
    for name, table, _column in INDEXES:
        op.drop_index(name, table_name=table)
