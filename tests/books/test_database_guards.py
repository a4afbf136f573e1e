"""The database itself refuses what the posting code would never do: edits, deletions, unbalanced entries."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from tests.factories import JUNE_1, fee_entry

CHANGES = {
    "edit a posting's amount": "UPDATE postings SET amount = amount + 1",
    "delete a posting": "DELETE FROM postings",
    "edit an entry's description": "UPDATE journal_entries SET description = 'changed'",
    "delete an entry": "DELETE FROM journal_entries",
}


@pytest.mark.parametrize("change", CHANGES)
def test_posted_entries_and_postings_cannot_be_changed(books, change):
    fee_entry(books, "fee-1", JUNE_1, 4500)
    books.commit()

    with pytest.raises(DBAPIError, match="immutable: post a reversal instead"):
        books.execute(text(CHANGES[change]))
    books.rollback()

    assert books.execute(text("SELECT count(*) FROM postings WHERE amount IN (4500, -4500)")).scalar_one() == 2
    assert books.execute(text("SELECT description FROM journal_entries")).scalar_one() == "Fee for the advisory group"


def test_a_zero_posting_is_refused_by_the_database(books):
    entry = fee_entry(books, "fee-1", JUNE_1, 4500)

    with pytest.raises(IntegrityError):
        _insert_posting(books, entry.id, "bank", 0)


def test_a_posting_in_the_wrong_unit_is_refused_by_the_database(books):
    entry = fee_entry(books, "fee-1", JUNE_1, 4500)

    with pytest.raises(IntegrityError):
        _insert_posting(books, entry.id, "bank", 60, unit="TIME")


def _insert_entry(session, key: str) -> int:
    return session.execute(text(
        "INSERT INTO journal_entries (effective_date, recorded_at, description, kind, idempotency_key, content_hash) "
        "VALUES (:day, :now, 'Raw SQL', 'manual', :key, 'x') RETURNING id"
    ), {"day": JUNE_1, "now": dt.datetime.now(dt.UTC), "key": key}).scalar_one()


def _insert_posting(session, entry_id: int, code: str, amount: int, unit: str = "GBP") -> None:
    session.execute(text(
        "INSERT INTO postings (entry_id, account_id, unit, amount, effective_date) "
        "SELECT :entry_id, id, :unit, :amount, :day FROM accounts WHERE code = :code"
    ), {"entry_id": entry_id, "unit": unit, "amount": amount, "day": JUNE_1, "code": code})


@pytest.mark.postgres_only
def test_an_unbalanced_entry_written_with_raw_sql_is_refused_at_commit(books):
    entry_id = _insert_entry(books, "raw-1")
    _insert_posting(books, entry_id, "fees:project:guide", 4500)
    _insert_posting(books, entry_id, "owed:participant:1", -4000)  # accepted until the transaction ends

    with pytest.raises(IntegrityError, match=f"journal entry {entry_id} does not balance in GBP: off by 500"):
        books.commit()
    books.rollback()
    assert books.execute(text("SELECT count(*) FROM journal_entries")).scalar_one() == 0


@pytest.mark.postgres_only
def test_an_entry_with_one_posting_written_with_raw_sql_is_refused_at_commit(books):
    entry_id = _insert_entry(books, "raw-1")
    _insert_posting(books, entry_id, "fees:project:guide", 4500)

    with pytest.raises(IntegrityError, match=f"journal entry {entry_id} has 1 posting"):
        books.commit()


@pytest.mark.postgres_only
def test_an_entry_without_postings_written_with_raw_sql_is_refused_at_commit(books):
    entry_id = _insert_entry(books, "raw-1")

    with pytest.raises(IntegrityError, match=f"journal entry {entry_id} has 0 posting"):
        books.commit()


@pytest.mark.postgres_only
def test_a_balanced_entry_written_with_raw_sql_passes_the_commit_check(books):
    entry_id = _insert_entry(books, "raw-1")
    _insert_posting(books, entry_id, "fees:project:guide", 4500)
    _insert_posting(books, entry_id, "owed:participant:1", -4500)
    _insert_posting(books, entry_id, "time:issued", 60, unit="TIME")
    _insert_posting(books, entry_id, "time:participant:1", -60, unit="TIME")

    books.commit()

    assert books.execute(text("SELECT count(*) FROM postings")).scalar_one() == 4
