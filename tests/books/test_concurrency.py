"""Many writers at once (PostgreSQL): one entry per idempotency key, no lost postings, one reversal."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from ledger.books import posting, queries
from ledger.books.models import AccountBalance
from ledger.books.verify import verify_books
from ledger.db import make_engine, make_session_factory, unit_of_work
from ledger.errors import AlreadyReversed
from tests.factories import JUNE_1, all_at_once, fee_entry

pytestmark = pytest.mark.postgres_only

THREADS = 20


@pytest.fixture
def wide_factory(database_url, books):
    """Sessions on an engine with a connection for every thread, on books holding the chart of accounts."""
    engine = make_engine(database_url, pool_size=THREADS + 2, max_overflow=0)
    yield make_session_factory(engine)
    engine.dispose()


def _in_one_transaction(factory, action: Callable) -> Callable:
    """Work for ``all_at_once``: take a connection and open a transaction, wait for the others, then act."""
    def work(i: int, ready: Callable[[], None]):
        with unit_of_work(factory) as session:
            session.connection()
            ready()
            return action(session, i)
    return work


def test_twenty_writers_with_one_idempotency_key_post_one_entry(wide_factory, books):
    results = all_at_once(THREADS, _in_one_transaction(
        wide_factory, lambda session, i: fee_entry(session, "claim-17-fee", JUNE_1, 4500).id))

    assert [r for r in results if isinstance(r, Exception)] == []
    assert len(set(results)) == 1
    with unit_of_work(wide_factory) as session:
        assert posting.count_entries(session) == 1
        assert queries.balance(session, "owed:participant:1") == -4500
        assert verify_books(session).ok


def test_twenty_writers_posting_to_the_same_accounts_lose_nothing(wide_factory, books):
    per_thread = 25

    def work(i, ready):
        ready()
        for n in range(per_thread):  # one transaction per entry, as one web request each
            with unit_of_work(wide_factory) as session:
                fee_entry(session, f"fee-{i}-{n}", JUNE_1, 100 * i + n + 1)
        return i

    results = all_at_once(THREADS, work)

    assert [r for r in results if isinstance(r, Exception)] == []
    expected = sum(100 * i + n + 1 for i in range(THREADS) for n in range(per_thread))
    with unit_of_work(wide_factory) as session:
        assert posting.count_entries(session) == THREADS * per_thread
        assert queries.balance(session, "fees:project:guide") == expected
        assert queries.balance(session, "owed:participant:1") == -expected
        assert queries.balance(session, "owed:participant:1", JUNE_1) == -expected
        for code in ("fees:project:guide", "owed:participant:1"):
            count = session.execute(select(AccountBalance.postings_count).where(
                AccountBalance.account_id == queries.account_info(session, code).id)).scalar_one()
            assert count == THREADS * per_thread
        assert verify_books(session).ok


def test_writers_reversing_the_same_entry_at_once_reverse_it_once(wide_factory, books):
    original = fee_entry(books, "fee-wrong", JUNE_1, 9900)
    books.commit()

    results = all_at_once(8, _in_one_transaction(wide_factory, lambda session, i: posting.reverse_entry(
        session, original.id, effective_date=JUNE_1, idempotency_key=f"fix-{i}").id))

    reversals = [r for r in results if not isinstance(r, Exception)]
    refusals = [r for r in results if isinstance(r, Exception)]
    assert len(reversals) == 1
    assert len(refusals) == 7
    assert all(isinstance(r, AlreadyReversed) for r in refusals), refusals
    with unit_of_work(wide_factory) as session:
        assert posting.count_entries(session) == 2
        assert queries.balance(session, "owed:participant:1") == 0
        assert verify_books(session).ok


def test_writers_asking_for_the_same_reversal_at_once_all_get_it(wide_factory, books):
    original = fee_entry(books, "fee-wrong", JUNE_1, 9900)
    books.commit()

    results = all_at_once(8, _in_one_transaction(
        wide_factory, lambda session, i: posting.reverse_entry(session, original.id, effective_date=JUNE_1).id))

    assert [r for r in results if isinstance(r, Exception)] == []
    assert len(set(results)) == 1
    with unit_of_work(wide_factory) as session:
        assert posting.count_entries(session) == 2
        assert queries.balance(session, "owed:participant:1") == 0
