"""A fee split into parts: some taken, the rest as time credits, given to a group, declined or paid later.

Revision ID: 0010_fee_choice_parts
Revises: 0009_manual_entries
Create Date: 2026-12-01

- ``rest`` and ``rest_pence``: when the participant takes less than the fee, what happens to the rest
  (``decline``, ``time_credits``, ``redirect`` to the claim's ``group_id``, or ``later``) and how much it is.
- ``later_on``: the day from which the rest is to be paid, when the participant asked for it later.
- ``payable_from``: a payment run never pays the claim before this day (the claim drafted for a later part).
- ``part_of_claim_id``: a claim made for part of another fee (the part paid later, or the part given to a
  group, which the payment run pays to the group).

On SQLite the columns are added in place (the claims table cannot be rebuilt while payments, events and
advances refer to it), with their check and foreign key written into the column, as in 0008.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_fee_choice_parts"
down_revision = "0009_manual_entries"
branch_labels = None
depends_on = None

_REST_CHECK = "rest IS NULL OR rest IN ('decline','time_credits','redirect','later')"
_PLAIN = (("rest_pence", sa.BigInteger()), ("later_on", sa.Date()), ("payable_from", sa.Date()))


def upgrade() -> None:
    for name, type_ in _PLAIN:
        op.add_column("claims", sa.Column(name, type_, nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        # A downgrade on SQLite leaves these two in place (see below): upgrading again keeps them.
        there = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("claims")}
        if "rest" not in there:
            op.execute(f"ALTER TABLE claims ADD COLUMN rest VARCHAR(16) "
                       f"CONSTRAINT ck_claims_rest CHECK ({_REST_CHECK})")
        if "part_of_claim_id" not in there:
            op.execute("ALTER TABLE claims ADD COLUMN part_of_claim_id INTEGER "
                       "CONSTRAINT fk_claims_part_of_claim_id_claims REFERENCES claims (id)")
    else:
        op.add_column("claims", sa.Column("rest", sa.String(16), nullable=True))
        op.create_check_constraint(op.f("ck_claims_rest"), "claims", _REST_CHECK)
        op.add_column("claims", sa.Column("part_of_claim_id", sa.Integer(), nullable=True))
        op.create_foreign_key(op.f("fk_claims_part_of_claim_id_claims"), "claims", "claims",
                              ["part_of_claim_id"], ["id"])
    op.create_index(op.f("ix_claims_part_of_claim_id"), "claims", ["part_of_claim_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_claims_part_of_claim_id"), table_name="claims")
    names = [name for name, _ in _PLAIN]
    if op.get_bind().dialect.name != "sqlite":
        # On SQLite a column with a check or a foreign key can only go by rebuilding claims, which other
        # tables refer to; they stay, unused, as 0008 leaves tops_up_claim_id.
        op.drop_constraint(op.f("fk_claims_part_of_claim_id_claims"), "claims", type_="foreignkey")
        op.drop_constraint(op.f("ck_claims_rest"), "claims", type_="check")
        names += ["rest", "part_of_claim_id"]
    for name in names:
        op.execute(f"ALTER TABLE claims DROP COLUMN {name}")
