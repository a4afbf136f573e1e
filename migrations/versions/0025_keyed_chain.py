"""The keyed chain over journal entries and events: ``chain_links`` and the one-row ``chain_head``.

Revision ID: 0025_keyed_chain
Revises: 0023_bank_statements
Create Date: 2026-12-01

- ``chain_links``: one link per journal entry or event, numbered 1, 2, 3... in commit order; each link is an
  HMAC of the one before, its number and the record's digest, keyed with LEDGER_CHAIN_KEY. Append-only: the
  database refuses UPDATE and DELETE on it, as on the books and events.
- ``chain_head``: the one row every writer locks to append (the last link's number and value), and the last
  entry and event written before the chain existed.

The links need the key, which a migration must never see (it lives in configuration, not here). So the rows
already in the database are not linked here: their highest ids are recorded in ``chain_head``, and
``flask --app wsgi ledger seal`` links them (in id order) once, with the key; until then ``ledger verify``
reports them as waiting to be sealed. Rows above those ids that have no link were written outside the app.

New tables: created and dropped in place on SQLite and PostgreSQL alike.
"""

import sqlalchemy as sa
from alembic import op

revision = "0025_keyed_chain"
down_revision = "0023_bank_statements"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

PG_REFUSE = """
CREATE FUNCTION ledger_refuse_chain_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the chain is append-only' USING ERRCODE = 'restrict_violation';
END $$;
"""


def upgrade() -> None:
    op.create_table(
        "chain_links",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("record_type", sa.String(8), nullable=False),
        sa.Column("record_id", BIG_ID, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("link", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_chain_links")),
        sa.UniqueConstraint("record_type", "record_id", name=op.f("uq_chain_links_record_type_record_id")),
    )
    head = op.create_table(
        "chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("link", sa.String(64), nullable=False),
        sa.Column("before_chain_entry_id", sa.BigInteger(), nullable=False),
        sa.Column("before_chain_event_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_head")),
    )
    bind = op.get_bind()
    last_entry = bind.execute(sa.text("SELECT coalesce(max(id), 0) FROM journal_entries")).scalar_one()
    last_event = bind.execute(sa.text("SELECT coalesce(max(id), 0) FROM events")).scalar_one()
    op.bulk_insert(head, [{"id": 1, "seq": 0, "link": "", "before_chain_entry_id": last_entry,
                           "before_chain_event_id": last_event}])
    if bind.dialect.name == "postgresql":
        op.execute(PG_REFUSE)
        op.execute("CREATE TRIGGER chain_links_append_only BEFORE UPDATE OR DELETE ON chain_links "
                   "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_chain_change()")
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER chain_links_no_{action.lower()} BEFORE {action} ON chain_links "
                       "BEGIN SELECT RAISE(ABORT, 'the chain is append-only'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS chain_links_append_only ON chain_links")
        op.execute("DROP FUNCTION IF EXISTS ledger_refuse_chain_change()")
    op.drop_table("chain_head")
    op.drop_table("chain_links")
