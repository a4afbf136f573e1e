"""Every posting to a person's money or time says what it is (fee, expense, advance, time credits...).

Revision ID: 0007_posting_kinds
Revises: 0006_events_and_run_rows
Create Date: 2026-12-01

``postings.kind`` is filled in for what was posted before, from the kind of each entry: the books are then
the one record of what each person received. A payment that paid one payee both fees and expenses in one
posting is marked ``mixed`` (its claims say how it splits); payments posted from now on post each kind
apart. Postings are immutable, so the immutability triggers are lifted for this one backfill and restored.
"""

from alembic import op

revision = "0007_posting_kinds"
down_revision = "0006_events_and_run_rows"
branch_labels = None
depends_on = None

KINDS = ("'fee','expense','flat_rate_allowance','voucher','redirected','advance','advance_settlement',"
         "'advance_repaid','advance_surplus_kept','time_credits','mixed'")

# The kind of an entry, as the entry kind it had (a reversal is the kind it reverses).
_BASE_KIND = "CASE WHEN e.kind LIKE 'reversal:%' THEN substr(e.kind, 10) ELSE e.kind END"
_RUN_PAYMENT = (
    "(SELECT CASE WHEN min(c.kind) = max(c.kind) THEN (CASE min(c.kind) WHEN 'fee' THEN 'fee' ELSE 'expense' END) "
    "ELSE 'mixed' END FROM payments pm JOIN payment_run_items i ON i.run_id = pm.run_id "
    "AND i.payee_kind = pm.payee_kind AND i.payee_id = pm.payee_id JOIN claims c ON c.id = i.claim_id "
    "WHERE pm.entry_id = COALESCE(e.reverses_entry_id, e.id))"
)
BACKFILL = f"""
UPDATE postings SET kind = (
    SELECT CASE
        WHEN a.code LIKE 'time:participant:%' THEN 'time_credits'
        WHEN a.code LIKE 'owed:group:%' THEN 'redirected'
        WHEN a.code LIKE 'advance:participant:%' THEN (CASE {_BASE_KIND}
            WHEN 'expense_approved' THEN 'advance_settlement'
            WHEN 'advance_surplus_returned' THEN 'advance_repaid'
            WHEN 'advance_surplus_netted' THEN 'advance_repaid'
            ELSE 'advance' END)
        WHEN a.code LIKE 'owed:participant:%' THEN (CASE {_BASE_KIND}
            WHEN 'expense_approved' THEN 'expense'
            WHEN 'advance_surplus_netted' THEN 'expense'
            WHEN 'payment' THEN COALESCE({_RUN_PAYMENT}, 'mixed')
            ELSE 'fee' END)
    END
    FROM accounts a JOIN journal_entries e ON e.id = postings.entry_id
    WHERE a.id = postings.account_id
)
WHERE account_id IN (SELECT id FROM accounts WHERE code LIKE 'time:participant:%' OR code LIKE 'owed:group:%'
                     OR code LIKE 'advance:participant:%' OR code LIKE 'owed:participant:%')
"""


def _lift_immutability(postgresql: bool) -> None:
    if postgresql:
        op.execute("ALTER TABLE postings DISABLE TRIGGER postings_immutable")
        op.execute("ALTER TABLE journal_entries DISABLE TRIGGER journal_entries_immutable")
    else:
        op.execute("DROP TRIGGER postings_no_update")
        op.execute("DROP TRIGGER journal_entries_no_update")


def _restore_immutability(postgresql: bool) -> None:
    if postgresql:
        op.execute("ALTER TABLE postings ENABLE TRIGGER postings_immutable")
        op.execute("ALTER TABLE journal_entries ENABLE TRIGGER journal_entries_immutable")
    else:
        for table in ("postings", "journal_entries"):
            op.execute(f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, 'posted {table} are immutable: post a reversal instead'); END")


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.execute(f"ALTER TABLE postings ADD COLUMN kind VARCHAR(24) CONSTRAINT ck_postings_kind "
               f"CHECK (kind IS NULL OR kind IN ({KINDS}))")
    # Fingerprints taken from now on include each posting's kind (version 2); those already taken did not.
    op.execute("ALTER TABLE journal_entries ADD COLUMN fingerprint_version SMALLINT DEFAULT '2' NOT NULL")
    _lift_immutability(postgresql)
    op.execute(BACKFILL)
    op.execute("UPDATE journal_entries SET fingerprint_version = 1")
    _restore_immutability(postgresql)


def downgrade() -> None:
    # SQLite drops a column in place unless a constraint names it: postings.kind's CHECK does, so it stays.
    op.execute("ALTER TABLE journal_entries DROP COLUMN fingerprint_version")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE postings DROP COLUMN kind")
