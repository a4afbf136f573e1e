"""Pay rules on claims: a flat fee below the legal minimum, a stale rate, mileage owed after repricing.

Revision ID: 0008_pay_rules
Revises: 0007_posting_kinds
Create Date: 2026-12-01

- ``legal_minimum_pence`` and ``minimum_note``: set when a flat fee is drafted below the National
  Minimum/Living Wage for its hours and the person's age (the organisation allows it only with an
  override reason at approval).
- ``rate_stale_since`` and ``rate_warning``: the fee was priced with a rate past the date the rules file
  marks it as probably replaced (``stale_after``).
- ``repricing_owed_pence``: mileage an approved or paid claim was underpaid, because an earlier claim that
  counted towards HMRC's 10,000-mile band was later rejected or cancelled; ``tops_up_claim_id`` links the
  expense claim that pays it to that claim.

On SQLite the columns are added in place (the claims table cannot be rebuilt while payments, events and
advances refer to it), with their check and foreign key written into the column.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_pay_rules"
down_revision = "0007_posting_kinds"
branch_labels = None
depends_on = None

_PLAIN = (
    ("legal_minimum_pence", sa.BigInteger()),
    ("minimum_note", sa.Text()),
    ("rate_stale_since", sa.Date()),
    ("rate_warning", sa.Text()),
)


def upgrade() -> None:
    for name, type_ in _PLAIN:
        op.add_column("claims", sa.Column(name, type_, nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE claims ADD COLUMN repricing_owed_pence BIGINT DEFAULT '0' NOT NULL "
                   "CONSTRAINT ck_claims_repricing_owed_not_negative CHECK (repricing_owed_pence >= 0)")
        op.execute("ALTER TABLE claims ADD COLUMN tops_up_claim_id INTEGER "
                   "CONSTRAINT fk_claims_tops_up_claim_id_claims REFERENCES claims (id)")
    else:
        op.add_column("claims", sa.Column("repricing_owed_pence", sa.BigInteger(), server_default="0",
                                          nullable=False))
        op.create_check_constraint(op.f("ck_claims_repricing_owed_not_negative"), "claims",
                                   "repricing_owed_pence >= 0")
        op.add_column("claims", sa.Column("tops_up_claim_id", sa.Integer(), nullable=True))
        op.create_foreign_key(op.f("fk_claims_tops_up_claim_id_claims"), "claims", "claims",
                              ["tops_up_claim_id"], ["id"])
    op.create_index(op.f("ix_claims_tops_up_claim_id"), "claims", ["tops_up_claim_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_claims_tops_up_claim_id"), table_name="claims")
    if op.get_bind().dialect.name == "sqlite":
        # A column with a check or a foreign key can only go by rebuilding claims, which other tables refer
        # to; they stay, unused, as 0006 leaves payment_runs.override_by_user_id.
        names = [name for name, _ in _PLAIN]
    else:
        op.drop_constraint(op.f("fk_claims_tops_up_claim_id_claims"), "claims", type_="foreignkey")
        op.drop_constraint(op.f("ck_claims_repricing_owed_not_negative"), "claims", type_="check")
        names = [name for name, _ in _PLAIN] + ["repricing_owed_pence", "tops_up_claim_id"]
    for name in names:
        op.execute(f"ALTER TABLE claims DROP COLUMN {name}")
