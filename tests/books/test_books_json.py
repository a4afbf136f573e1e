"""The trial balance and statement answers, built as plain dicts for speed, are what their schemas would dump."""

from __future__ import annotations

import datetime as dt

from ledger.api.books import StatementSchema, TrialBalanceSchema, statement_out, trial_balance_out
from ledger.books import queries
from tests.factories import fee_entry, post


def test_the_trial_balance_and_a_statement_page_keep_their_json_exactly(books):
    for i, day in enumerate((3, 3, 9)):
        fee_entry(books, f"fee-{i}", dt.date(2025, 6, day), 4500 + i)
    post(books, "paid-1", dt.date(2025, 6, 30), ("owed:participant:1", 9000), ("bank", -9000), kind="payment",
         description="Payment run 1")
    books.commit()
    balance = queries.trial_balance(books, dt.date(2025, 6, 30))
    page = queries.statement(books, "owed:participant:1", dt.date(2025, 6, 1), dt.date(2025, 6, 30), limit=2)

    assert trial_balance_out(balance) == TrialBalanceSchema().dump(balance)
    assert trial_balance_out(queries.trial_balance(books, None)) == TrialBalanceSchema().dump(
        queries.trial_balance(books, None))
    assert statement_out(page) == StatementSchema().dump(page)
    assert page.next_cursor is not None and len(page.lines) == 2 and page.lines[0].amount == -4500
