"""The trial balance and statement answers, built as plain dicts for speed, are what their schemas would dump."""

from __future__ import annotations

import datetime as dt
import json

from ledger.api.books import (
    StatementSchema,
    TrialBalanceSchema,
    statement_out,
    trial_balance_body,
    trial_balance_out,
)
from ledger.books import posting, queries
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



def test_the_trial_balance_answer_is_byte_for_byte_what_jsonify_would_send(books):
    """Written straight from the rows for speed: the very bytes ``jsonify`` sends of the schema's dict (sorted keys,
    compact, ASCII), names with quotes and accents included, to a date and to now."""
    posting.open_account(books, code="owed:group:café", name='Café "Voices" – Zoë\'s group', type="liability",
                         unit="GBP")
    fee_entry(books, "fee-a", dt.date(2025, 6, 3), 4500)
    fee_entry(books, "fee-b", dt.date(2025, 7, 3), 1250)
    books.commit()
    for as_of in (dt.date(2025, 6, 30), None):
        sent = trial_balance_body(queries.trial_balance_tuples(books, as_of), as_of)
        schema = json.dumps(trial_balance_out(queries.trial_balance(books, as_of)), sort_keys=True,
                            separators=(",", ":")) + "\n"
        assert sent == schema
        assert '"name":"Caf\\u00e9 \\"Voices\\" \\u2013 Zo\\u00eb\'s group"' in sent
    assert json.loads(sent)["rows"][0]["account"]["code"] < json.loads(sent)["rows"][-1]["account"]["code"]
    assert {r["account"]["code"]: r["balance"] for r in json.loads(sent)["rows"]}["owed:participant:1"] == -5750
