"""Keep stored balances and daily totals in the database, as each posting is written.

Revision ID: 0005_balance_triggers
Revises: 0004_budget_lines
Create Date: 2026-11-22

An AFTER INSERT trigger on postings adds the amount to the account's stored balance (row-locked, so it
orders concurrent writers to one account) and to the account's total for the day. The balance can then
never drift from the postings, whatever writes them, and posting costs two statements fewer.
"""

from alembic import op

revision = "0005_balance_triggers"
down_revision = "0004_budget_lines"
branch_labels = None
depends_on = None

PG_FUNCTION = """
CREATE FUNCTION ledger_keep_balances() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE account_balances SET balance = balance + NEW.amount, postings_count = postings_count + 1
        WHERE account_id = NEW.account_id;
    INSERT INTO account_daily_totals (account_id, day, amount) VALUES (NEW.account_id, NEW.effective_date, NEW.amount)
        ON CONFLICT (account_id, day) DO UPDATE SET amount = account_daily_totals.amount + EXCLUDED.amount;
    RETURN NULL;
END $$;
"""

SQLITE_TRIGGER = """
CREATE TRIGGER postings_keep_balances AFTER INSERT ON postings BEGIN
    UPDATE account_balances SET balance = balance + NEW.amount, postings_count = postings_count + 1
        WHERE account_id = NEW.account_id;
    INSERT INTO account_daily_totals (account_id, day, amount) VALUES (NEW.account_id, NEW.effective_date, NEW.amount)
        ON CONFLICT (account_id, day) DO UPDATE SET amount = amount + excluded.amount;
END
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER postings_keep_balances AFTER INSERT ON postings "
            "FOR EACH ROW EXECUTE FUNCTION ledger_keep_balances()"
        )
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS postings_keep_balances ON postings")
        op.execute("DROP FUNCTION IF EXISTS ledger_keep_balances()")
    else:
        op.execute("DROP TRIGGER IF EXISTS postings_keep_balances")
