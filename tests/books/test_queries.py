"""Reading the books: balances as of a date, statements page by page, the trial balance."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

import pytest

from ledger.books import posting, queries
from ledger.errors import NotFound, ValidationError
from tests.factories import JUNE_1, fee_entry, post

D = dt.date


def test_balance_as_of_any_date_counts_what_was_effective_by_then(books):
    fee_entry(books, "fee-1", D(2025, 6, 10), 4500)
    fee_entry(books, "fee-2", D(2025, 6, 10), 1500)
    fee_entry(books, "fee-3", D(2025, 6, 20), 3000)
    post(books, "paid", D(2025, 6, 25), ("owed:participant:1", 6000), ("bank", -6000), kind="payment")

    assert queries.balance(books, "owed:participant:1", D(2025, 6, 9)) == 0
    assert queries.balance(books, "owed:participant:1", D(2025, 6, 10)) == -6000
    assert queries.balance(books, "owed:participant:1", D(2025, 6, 19)) == -6000
    assert queries.balance(books, "owed:participant:1", D(2025, 6, 20)) == -9000
    assert queries.balance(books, "owed:participant:1", D(2025, 6, 25)) == -3000
    assert queries.balance(books, "owed:participant:1", D(2030, 1, 1)) == -3000
    assert queries.balance(books, "owed:participant:1") == -3000


def test_a_backdated_entry_changes_the_past_balance_but_not_earlier_ones(books):
    fee_entry(books, "fee-1", D(2025, 6, 20), 4500)
    books.commit()
    assert queries.balance(books, "owed:participant:1", D(2025, 6, 15)) == 0

    fee_entry(books, "fee-late", D(2025, 6, 12), 2000)  # recorded now, effective earlier
    books.commit()

    assert queries.balance(books, "owed:participant:1", D(2025, 6, 11)) == 0
    assert queries.balance(books, "owed:participant:1", D(2025, 6, 15)) == -2000
    assert queries.balance(books, "owed:participant:1", D(2025, 6, 20)) == -6500


def test_balance_of_an_unknown_account_is_refused(books):
    with pytest.raises(NotFound, match="no account with code 'nobody'"):
        queries.balance(books, "nobody")


def _statement_books(books):
    """Fourteen movements on Ann's account over three months, several on the same day."""
    fee_entry(books, "before", D(2025, 5, 28), 999)
    for i, (day, pence) in enumerate([(3, 4500), (3, 1200), (3, 800), (9, 3000), (15, 2500), (15, 700),
                                      (22, 4000), (30, 1000)]):
        fee_entry(books, f"fee-{i}", D(2025, 6, day), pence)
    post(books, "paid-1", D(2025, 6, 30), ("owed:participant:1", 10000), ("bank", -10000), kind="payment",
         description="Payment run 1")
    for i, day in enumerate([1, 1, 5]):
        fee_entry(books, f"jul-{i}", D(2025, 7, day), 500 + i)
    fee_entry(books, "after", D(2025, 8, 2), 777)
    books.commit()


def test_statement_shows_opening_running_and_closing_balances(books):
    _statement_books(books)

    page = queries.statement(books, "owed:participant:1", D(2025, 6, 1), D(2025, 7, 31))

    assert page.opening_balance == -999
    assert [line.amount for line in page.lines] == [
        -4500, -1200, -800, -3000, -2500, -700, -4000, -1000, 10000, -500, -501, -502]
    running = page.opening_balance
    for line in page.lines:
        running += line.amount
        assert line.running_balance == running
    assert page.closing_balance == running == queries.balance(books, "owed:participant:1", D(2025, 7, 31))
    assert [line.effective_date for line in page.lines] == sorted(line.effective_date for line in page.lines)
    assert page.lines[8].description == "Payment run 1"
    assert page.next_cursor is None


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 11, 12, 13])
def test_statement_pages_join_up_into_the_whole_statement(books, limit):
    _statement_books(books)
    whole = queries.statement(books, "owed:participant:1", D(2025, 6, 1), D(2025, 7, 31))

    pages = [queries.statement(books, "owed:participant:1", D(2025, 6, 1), D(2025, 7, 31), limit=limit)]
    while pages[-1].next_cursor:
        pages.append(queries.statement(books, "owed:participant:1", D(2025, 6, 1), D(2025, 7, 31), limit=limit,
                                       after=pages[-1].next_cursor))

    assert pages[0].opening_balance == whole.opening_balance
    for previous, page in pairwise(pages):
        assert page.opening_balance == previous.closing_balance
    assert pages[-1].closing_balance == whole.closing_balance
    assert [line for page in pages for line in page.lines] == list(whole.lines)
    assert all(len(page.lines) == limit for page in pages[:-1])


@pytest.mark.parametrize(("arguments", "message"), [
    ({"start": D(2025, 7, 1), "end": D(2025, 6, 1)}, "ends before it starts"),
    ({"limit": 0}, "1 to 1000 lines"),
    ({"limit": 1001}, "1 to 1000 lines"),
    ({"after": "not-a-cursor"}, "cursor is not valid"),
])
def test_a_statement_asked_for_wrongly_is_refused(books, arguments, message):
    with pytest.raises(ValidationError, match=message):
        queries.statement(books, "owed:participant:1", **({"start": JUNE_1, "end": D(2025, 6, 30)} | arguments))


def test_trial_balance_lists_every_account_and_is_zero_in_each_unit(books):
    fee_entry(books, "fee-1", D(2025, 6, 10), 4500)
    post(books, "grant", D(2025, 6, 1), ("bank", 100000), ("grant:council", -100000), kind="grant")
    post(books, "credits", D(2025, 6, 12), ("time:issued", 180), ("time:participant:1", -180), kind="time_credits")
    post(books, "spent", D(2025, 7, 2), ("time:participant:1", 60), ("time:partner:1", -60), kind="time_credits")
    books.commit()

    current = queries.trial_balance(books)
    balances = {row.account.code: row.balance for row in current.rows}
    assert current.totals == {"GBP": 0, "TIME": 0}
    assert balances["bank"] == 100000
    assert balances["owed:participant:1"] == -4500
    assert balances["time:participant:1"] == -120
    assert balances["owed:participant:2"] == 0
    assert [row.account.code for row in current.rows] == sorted(balances)

    june_11 = queries.trial_balance(books, as_of=D(2025, 6, 11))
    balances = {row.account.code: row.balance for row in june_11.rows}
    assert june_11.totals == {"GBP": 0, "TIME": 0}
    assert balances["time:participant:1"] == 0
    assert balances["owed:participant:1"] == -4500
    assert queries.trial_balance(books, as_of=D(2025, 5, 31)).totals == {"GBP": 0, "TIME": 0}
    assert all(row.balance == 0 for row in queries.trial_balance(books, as_of=D(2025, 5, 31)).rows)


def test_list_accounts_by_prefix(books):
    codes = [a.code for a in queries.list_accounts(books, prefix="owed:")]

    assert codes == ["owed:group:1", "owed:participant:1", "owed:participant:2"]
    assert posting.count_entries(books) == 0
