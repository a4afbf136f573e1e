"""Correcting mistakes: a reversal posts the mirror of an entry, linked to it, and only once."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.books import posting, queries
from ledger.errors import AlreadyReversed, Conflict, NotFound, PeriodLocked
from tests.factories import JUNE_1, books_state, fee_entry, post

JULY = dt.date(2025, 7, 3)


def test_reversal_posts_the_mirror_linked_to_the_original_and_restores_balances(books):
    original = post(books, "session-1", JUNE_1,
                    ("fees:project:guide", 3000, "advisory group"), ("owed:participant:1", -3000),
                    ("time:issued", 120), ("time:participant:1", -120))
    books.commit()

    reversal = posting.reverse_entry(books, original.id, effective_date=JULY)
    books.commit()

    assert reversal.reverses_entry_id == original.id
    assert [(p.account, p.amount, p.unit, p.memo) for p in reversal.postings] == [
        (p.account, -p.amount, p.unit, p.memo) for p in original.postings]
    assert reversal.description == f"Reversal of entry {original.id}: Fee for the advisory group"
    assert reversal.kind == "reversal:fee"
    assert reversal.effective_date == JULY
    for code in ("fees:project:guide", "owed:participant:1", "time:issued", "time:participant:1"):
        assert queries.balance(books, code) == 0
        assert queries.balance(books, code, JULY) == 0
    # Between the two dates the original still stands.
    assert queries.balance(books, "owed:participant:1", dt.date(2025, 6, 30)) == -3000
    assert queries.trial_balance(books).totals == {"GBP": 0, "TIME": 0}


def test_an_entry_cannot_be_reversed_twice(books):
    original = fee_entry(books, "fee-1", JUNE_1, 4500)
    first = posting.reverse_entry(books, original.id, effective_date=JULY, idempotency_key="fix-1")
    before = books_state(books)

    with pytest.raises(AlreadyReversed, match=f"already been reversed by entry {first.id}"):
        posting.reverse_entry(books, original.id, effective_date=JULY, idempotency_key="fix-2")

    assert books_state(books) == before


def test_asking_again_for_the_same_reversal_returns_it(books):
    original = fee_entry(books, "fee-1", JUNE_1, 4500)
    first = posting.reverse_entry(books, original.id, effective_date=JULY)
    books.commit()

    again = posting.reverse_entry(books, original.id, effective_date=JULY)

    assert again == first
    assert posting.count_entries(books) == 2


def test_a_reversal_cannot_itself_be_reversed(books):
    original = fee_entry(books, "fee-1", JUNE_1, 4500)
    reversal = posting.reverse_entry(books, original.id, effective_date=JULY)
    before = books_state(books)

    with pytest.raises(Conflict, match="is itself a reversal"):
        posting.reverse_entry(books, reversal.id, effective_date=JULY)

    assert books_state(books) == before


def test_a_reversal_into_a_locked_month_is_refused_but_may_be_dated_in_an_open_one(books):
    original = fee_entry(books, "fee-may", dt.date(2025, 5, 20), 4500)
    posting.lock_period(books, dt.date(2025, 5, 1))
    before = books_state(books)

    with pytest.raises(PeriodLocked, match="May 2025 is locked"):
        posting.reverse_entry(books, original.id, effective_date=dt.date(2025, 5, 31))
    assert books_state(books) == before

    reversal = posting.reverse_entry(books, original.id, effective_date=JUNE_1)
    assert reversal.reverses_entry_id == original.id
    assert queries.balance(books, "owed:participant:1", dt.date(2025, 5, 31)) == -4500
    assert queries.balance(books, "owed:participant:1") == 0


def test_reversing_an_entry_that_does_not_exist_is_refused(books):
    with pytest.raises(NotFound, match="no journal entry 999"):
        posting.reverse_entry(books, 999, effective_date=JULY)
