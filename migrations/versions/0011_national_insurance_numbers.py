"""A participant's National Insurance number, optional and stored only encrypted.

Revision ID: 0011_national_insurance_numbers
Revises: 0010_fee_choice_parts
Create Date: 2026-12-01

- ``participants.national_insurance_number_encrypted``: a Fernet token (the bank-details key), printed on
  the benefits evidence pack when present.
- ``participants.national_insurance_number_masked``: what screens and the API show (``AB •• •• •• C``), as
  the last digits of bank details sit beside their token.

A plain nullable column: added and dropped in place on SQLite and PostgreSQL alike.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_national_insurance_numbers"
down_revision = "0010_fee_choice_parts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("participants", sa.Column("national_insurance_number_encrypted", sa.Text(), nullable=True))
    op.add_column("participants", sa.Column("national_insurance_number_masked", sa.String(20), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE participants DROP COLUMN national_insurance_number_masked")
    op.execute("ALTER TABLE participants DROP COLUMN national_insurance_number_encrypted")
