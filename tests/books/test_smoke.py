import datetime as dt

import pytest

from ledger.books import posting, queries
from ledger.books.records import PostingLine
from ledger.errors import UnbalancedEntry


def test_fee_entry_posts_and_balances(session):
    posting.open_account(session, code="bank", name="Bank", type="asset", unit="GBP")
    posting.open_account(session, code="owed:p1", name="Owed to Ann", type="liability", unit="GBP")
    posting.open_account(session, code="fees:prj1", name="Fees", type="expense", unit="GBP")
    entry = posting.post_entry(session, effective_date=dt.date(2025, 6, 4), description="Fee", idempotency_key="k1",
                               postings=[PostingLine("fees:prj1", 4500, "GBP"), PostingLine("owed:p1", -4500, "GBP")])
    session.commit()
    assert queries.balance(session, "owed:p1") == -4500
    assert queries.balance(session, "owed:p1", dt.date(2025, 6, 3)) == 0
    again = posting.post_entry(session, effective_date=dt.date(2025, 6, 4), description="Fee", idempotency_key="k1",
                               postings=[PostingLine("fees:prj1", 4500, "GBP"), PostingLine("owed:p1", -4500, "GBP")])
    assert again.id == entry.id
    assert queries.trial_balance(session).totals == {"GBP": 0}
    with pytest.raises(UnbalancedEntry):
        posting.post_entry(session, effective_date=dt.date(2025, 6, 4), description="x", idempotency_key="k2",
                           postings=[PostingLine("fees:prj1", 4500, "GBP"), PostingLine("owed:p1", -4000, "GBP")])
