"""``post_entries``: many entries in a fixed number of statements, checked exactly as ``post_entry`` checks one.

A payment run confirms one entry per payee; these tests post enough entries (``ARRAYS_FROM`` and more) that on
PostgreSQL they go as arrays, and show that what lands is what ``post_entry`` would have written: the same
balances, daily totals, fingerprints and chain links, and the same refusals, leaving nothing written.
"""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import event, select

from ledger.books import posting, queries
from ledger.books.models import JournalEntry, Posting
from ledger.books.records import NewEntry
from ledger.books.verify import verify_books
from ledger.chain.audit import check_chain
from ledger.db import ARRAYS_FROM
from ledger.errors import (
    IdempotencyConflict,
    InsufficientTimeCredits,
    InvalidPosting,
    PeriodLocked,
    UnbalancedEntry,
    ValidationError,
)
from tests.factories import JUNE_1, books_state, line

MANY = ARRAYS_FROM + 10


def _fee(n: int, pence: int = 100, *, key: str | None = None, memo: str | None = None) -> NewEntry:
    return NewEntry(effective_date=JUNE_1, description=f"Fee {n} for the advisory group",
                    postings=(line("fees:project:guide", pence, "GBP", memo),
                              line("owed:participant:1", -pence, "GBP")),
                    idempotency_key=key or f"fee-{n}", kind="fee")


def _spend(n: int, minutes: int) -> NewEntry:
    return NewEntry(effective_date=JUNE_1, description=f"Swim {n}",
                    postings=(line("time:participant:1", minutes, "TIME"), line("time:partner:1", -minutes, "TIME")),
                    idempotency_key=f"swim-{n}", kind="time_spend")


def _count_statements(session):
    counted = []
    engine = session.get_bind()

    def count(*_):
        counted.append(1)
    event.listen(engine, "before_cursor_execute", count)
    return counted, lambda: event.remove(engine, "before_cursor_execute", count)


def test_many_entries_land_as_post_entry_would_write_them_one_by_one(books, backend):
    entries = [_fee(n, 100 + n, memo=f"session {n}") for n in range(MANY)]
    counted, stop = _count_statements(books)
    posted = posting.post_entries(books, entries, actor_user_id=None)
    stop()
    books.commit()

    assert [e.idempotency_key for e in posted] == [e.idempotency_key for e in entries]
    assert len({e.id for e in posted}) == MANY
    if backend == "postgresql":  # SQLite runs in the process: a statement there is no round trip
        assert len(counted) <= 8, "a fixed number of statements, however many entries"
    total = sum(100 + n for n in range(MANY))
    assert queries.balance(books, "owed:participant:1") == -total
    assert queries.balance(books, "fees:project:guide") == total
    for entry, asked in zip(posted, entries, strict=True):
        stored = posting.load_entry(books, entry.id)
        assert stored == entry  # the ids of postings given back are the stored ones, in the order asked
        assert [(p.account, p.amount, p.memo, p.kind) for p in stored.postings] == [
            (p.account, p.amount, p.memo, p.kind) for p in asked.postings]
    report = verify_books(books)  # balances, daily totals and every fingerprint agree with the postings
    assert report.ok, report.describe()
    assert check_chain(books) == []  # each entry linked into the chain as it committed


def test_a_key_posted_before_gives_back_the_original_and_the_rest_are_posted(books):
    first = posting.post_entries(books, [_fee(0)])[0]
    books.commit()

    posted = posting.post_entries(books, [_fee(n) for n in range(MANY)])
    books.commit()

    assert posted[0].id == first.id
    keys = books.execute(select(JournalEntry.idempotency_key).where(JournalEntry.idempotency_key.like("fee-%")))
    assert len(keys.all()) == MANY
    assert queries.balance(books, "owed:participant:1") == -100 * MANY


def test_a_key_reused_for_a_different_entry_is_refused_and_nothing_is_written(books):
    posting.post_entries(books, [_fee(0)])
    books.commit()
    before = books_state(books)

    with pytest.raises(IdempotencyConflict):
        posting.post_entries(books, [*(_fee(n) for n in range(1, MANY)), _fee(0, 999)])
    books.rollback()
    assert books_state(books) == before


@pytest.mark.parametrize("spoiler, error, field", [
    (lambda n: dataclasses.replace(_fee(n), postings=(line("fees:project:guide", 100, "GBP"),
                                                       line("owed:participant:9", -100, "GBP"))),
     InvalidPosting, "postings.1.account"),
    (lambda n: dataclasses.replace(_fee(n), postings=(line("fees:project:guide", 100, "GBP"),
                                                       line("owed:participant:1", -90, "GBP"))),
     UnbalancedEntry, "postings"),
    (lambda n: dataclasses.replace(_fee(n), idempotency_key="fee-0"), ValidationError, "idempotency_key"),
], ids=["unknown account", "unbalanced", "two entries with one key"])
def test_one_bad_entry_refuses_them_all_naming_the_field(books, spoiler, error, field):
    before = books_state(books)
    entries = [_fee(n) for n in range(MANY)]
    entries[-3] = spoiler(MANY - 3)

    with pytest.raises(error) as refused:
        posting.post_entries(books, entries)
    books.rollback()

    assert field in getattr(refused.value, "fields", {})
    assert books_state(books) == before


def test_an_entry_into_a_locked_month_refuses_them_all(books):
    posting.lock_period(books, JUNE_1)
    books.commit()
    before = books_state(books)

    with pytest.raises(PeriodLocked, match="June 2025 is locked"):
        posting.post_entries(books, [_fee(n) for n in range(MANY)])
    books.rollback()
    assert books_state(books) == before


def test_time_credits_are_counted_entry_after_entry(books):
    """Two entries spending the same person's credits add up: together they may not take more than is held."""
    award = NewEntry(effective_date=JUNE_1, description="Two hours of time credits",
                     postings=(line("time:issued", 120, "TIME"), line("time:participant:1", -120, "TIME")),
                     idempotency_key="award", kind="time_award")
    posting.post_entries(books, [award])
    books.commit()
    before = books_state(books)

    with pytest.raises(InsufficientTimeCredits) as refused:
        posting.post_entries(books, [*(_fee(n) for n in range(MANY)), _spend(1, 60), _spend(2, 60), _spend(3, 60)])
    books.rollback()
    assert "holds 0 minutes" in str(refused.value)  # the third, after the first two took all 120
    assert books_state(books) == before

    posting.post_entries(books, [*(_fee(n) for n in range(MANY)), _spend(1, 60), _spend(2, 60)])
    books.commit()
    assert queries.balance(books, "time:participant:1") == 0


def test_no_entries_write_nothing(books):
    before = books_state(books)
    assert posting.post_entries(books, []) == []
    assert books_state(books) == before
    assert books.execute(select(Posting.id)).first() is None
