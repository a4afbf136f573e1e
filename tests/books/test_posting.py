"""Posting entries: what is accepted, what is refused (leaving nothing written), idempotency, locks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ledger.books import posting, queries
from ledger.errors import (
    ClosedAccount,
    Conflict,
    IdempotencyConflict,
    InvalidPosting,
    PeriodLocked,
    UnbalancedEntry,
    ValidationError,
)
from tests.factories import JUNE_1, books_state, fee_entry, line, post


def test_approved_fee_is_owed_to_the_participant(books):
    entry = fee_entry(books, "fee-1", JUNE_1, 4500)
    books.commit()

    assert [(p.account, p.amount, p.unit) for p in entry.postings] == [
        ("fees:project:guide", 4500, "GBP"), ("owed:participant:1", -4500, "GBP")]
    assert all(p.id > 0 for p in entry.postings)
    assert queries.balance(books, "owed:participant:1") == -4500
    assert queries.balance(books, "fees:project:guide") == 4500
    assert queries.trial_balance(books).totals == {"GBP": 0, "TIME": 0}


def test_an_entry_may_move_pounds_and_time_credits_together(books):
    entry = post(books, "session-1", JUNE_1,
                 ("fees:project:guide", 3000), ("owed:participant:1", -3000),
                 ("time:issued", 120), ("time:participant:1", -120),
                 description="Advisory group: fee and two time credits")
    books.commit()

    assert len(entry.postings) == 4
    assert queries.balance(books, "time:participant:1") == -120
    assert queries.trial_balance(books).totals == {"GBP": 0, "TIME": 0}


def _lines(*lines):
    return [line(code, amount, unit) for code, amount, unit in lines]


FEE = _lines(("fees:project:guide", 4500, "GBP"), ("owed:participant:1", -4500, "GBP"))

REFUSALS = {
    "no postings": ([], UnbalancedEntry, "at least two"),
    "a single posting": (FEE[:1], UnbalancedEntry, "at least two"),
    "a zero amount": (_lines(("fees:project:guide", 0, "GBP"), ("owed:participant:1", 0, "GBP")),
                      InvalidPosting, "zero"),
    "pounds that do not balance": (_lines(("fees:project:guide", 4500, "GBP"), ("owed:participant:1", -4000, "GBP")),
                                   UnbalancedEntry, "GBP is off by 500"),
    "pounds balanced but time credits not": (
        _lines(("fees:project:guide", 4500, "GBP"), ("owed:participant:1", -4500, "GBP"),
               ("time:issued", 120, "TIME"), ("time:participant:1", -60, "TIME")),
        UnbalancedEntry, "TIME is off by 60"),
    "a posting in the account's wrong unit": (
        _lines(("fees:project:guide", 120, "TIME"), ("time:participant:1", -120, "TIME")),
        InvalidPosting, "kept in GBP, not TIME"),
    "an unknown account": (_lines(("fees:project:nope", 4500, "GBP"), ("owed:participant:1", -4500, "GBP")),
                           InvalidPosting, "no account with code 'fees:project:nope'"),
    "an unknown unit": (_lines(("fees:project:guide", 4500, "EUR"), ("owed:participant:1", -4500, "EUR")),
                        InvalidPosting, "unknown unit"),
    "pounds written as a Decimal": (_lines(("fees:project:guide", Decimal("45.00"), "GBP"),
                                           ("owed:participant:1", Decimal("-45.00"), "GBP")),
                                    InvalidPosting, "whole number"),
    "pence written as a float": (_lines(("fees:project:guide", 4500.0, "GBP"), ("owed:participant:1", -4500.0, "GBP")),
                                 InvalidPosting, "whole number"),
    "pence written as text": (_lines(("fees:project:guide", "4500", "GBP"), ("owed:participant:1", "-4500", "GBP")),
                              InvalidPosting, "whole number"),
    "a boolean amount": (_lines(("fees:project:guide", True, "GBP"), ("owed:participant:1", -1, "GBP")),
                         InvalidPosting, "whole number"),
    "an implausibly large amount": (
        _lines(("fees:project:guide", 10**12, "GBP"), ("owed:participant:1", -(10**12), "GBP")),
        InvalidPosting, "implausibly large"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_entry_with_bad_postings_is_refused_and_nothing_is_written(books, case):
    lines, error, message = REFUSALS[case]
    fee_entry(books, "earlier", JUNE_1, 1000)
    before = books_state(books)

    with pytest.raises(error, match=message):
        posting.post_entry(books, effective_date=JUNE_1, description="Fee", postings=lines, idempotency_key="bad")

    assert books_state(books) == before


@pytest.mark.parametrize(("change", "message"), [
    ({"description": "x" * 501}, "longer than 500"),
    ({"description": "   "}, "description is required"),
    ({"idempotency_key": ""}, "idempotency key"),
    ({"idempotency_key": "k" * 201}, "idempotency key"),
    ({"effective_date": dt.datetime(2025, 6, 1, 12, 0)}, "must be a date"),
    ({"effective_date": "2025-06-01"}, "must be a date"),
])
def test_entry_with_bad_details_is_refused_and_nothing_is_written(books, change, message):
    before = books_state(books)
    details = {"effective_date": JUNE_1, "description": "Fee", "postings": FEE, "idempotency_key": "k"} | change

    with pytest.raises(ValidationError, match=message):
        posting.post_entry(books, **details)

    assert books_state(books) == before


def test_posting_to_a_closed_account_is_refused_and_nothing_is_written(books):
    posting.close_account(books, "owed:participant:2")
    before = books_state(books)

    with pytest.raises(ClosedAccount, match="owed:participant:2 is closed"):
        fee_entry(books, "fee-closed", JUNE_1, 4500, payee="owed:participant:2")

    assert books_state(books) == before


def test_an_account_still_holding_money_cannot_be_closed(books):
    fee_entry(books, "fee-1", JUNE_1, 4500)

    with pytest.raises(Conflict, match="still has a balance of -4500"):
        posting.close_account(books, "owed:participant:1")
    assert queries.account_info(books, "owed:participant:1").is_open


def test_posting_into_a_locked_month_is_refused_and_nothing_is_written(books):
    posting.lock_period(books, dt.date(2025, 5, 17))
    before = books_state(books)

    with pytest.raises(PeriodLocked, match="May 2025 is locked"):
        fee_entry(books, "fee-may", dt.date(2025, 5, 31), 4500)

    assert books_state(books) == before
    assert fee_entry(books, "fee-june", JUNE_1, 4500).id > 0


def test_locking_a_month_twice_is_harmless(books):
    assert posting.lock_period(books, dt.date(2025, 5, 17)) == dt.date(2025, 5, 1)
    assert posting.lock_period(books, dt.date(2025, 5, 2)) == dt.date(2025, 5, 1)
    posting.lock_period(books, dt.date(2025, 3, 9))

    assert posting.locked_months(books) == [dt.date(2025, 3, 1), dt.date(2025, 5, 1)]


def test_replaying_an_entry_returns_the_original_without_posting_again(books):
    first = fee_entry(books, "fee-1", JUNE_1, 4500)
    books.commit()

    again = fee_entry(books, "fee-1", JUNE_1, 4500)
    books.commit()

    assert again == first
    assert posting.count_entries(books) == 1
    assert queries.balance(books, "owed:participant:1") == -4500


@pytest.mark.parametrize("change", [
    {"amount": 4600},
    {"day": dt.date(2025, 6, 2)},
    {"payee": "owed:participant:2"},
])
def test_an_idempotency_key_reused_for_a_different_entry_is_refused(books, change):
    fee_entry(books, "fee-1", JUNE_1, 4500)
    books.commit()
    before = books_state(books)
    details = {"amount": 4500, "day": JUNE_1, "payee": "owed:participant:1"} | change

    with pytest.raises(IdempotencyConflict, match="'fee-1' was already used"):
        fee_entry(books, "fee-1", details["day"], details["amount"], payee=details["payee"])

    assert books_state(books) == before


def test_an_idempotency_key_reused_with_another_description_is_refused(books):
    fee_entry(books, "fee-1", JUNE_1, 4500)

    with pytest.raises(IdempotencyConflict):
        post(books, "fee-1", JUNE_1, ("fees:project:guide", 4500), ("owed:participant:1", -4500),
             description="A different fee")


def test_replay_after_the_month_was_locked_still_returns_the_original(books):
    first = fee_entry(books, "fee-may", dt.date(2025, 5, 20), 4500)
    posting.lock_period(books, dt.date(2025, 5, 1))
    books.commit()

    assert fee_entry(books, "fee-may", dt.date(2025, 5, 20), 4500) == first
    with pytest.raises(IdempotencyConflict):
        fee_entry(books, "fee-may", dt.date(2025, 5, 20), 9999)
    with pytest.raises(PeriodLocked):
        fee_entry(books, "fee-may-2", dt.date(2025, 5, 20), 4500)
    assert posting.count_entries(books) == 1


def test_replay_after_the_account_was_closed_still_returns_the_original(books):
    first = fee_entry(books, "fee-1", JUNE_1, 4500, payee="owed:participant:2")
    post(books, "paid", JUNE_1, ("owed:participant:2", 4500), ("bank", -4500), description="Payment run",
         kind="payment")
    posting.close_account(books, "owed:participant:2")

    assert fee_entry(books, "fee-1", JUNE_1, 4500, payee="owed:participant:2") == first


def test_opening_an_account_again_with_the_same_shape_returns_it(books):
    again = posting.open_account(books, code="bank", name="Renamed?", type="asset", unit="GBP")

    assert again == queries.account_info(books, "bank")
    with pytest.raises(Conflict, match="already exists as asset in GBP"):
        posting.open_account(books, code="bank", name="Bank", type="asset", unit="TIME")


@pytest.mark.parametrize(("details", "field"), [
    ({"code": "has space"}, "code"),
    ({"code": "x" * 65}, "code"),
    ({"name": ""}, "name"),
    ({"type": "cash"}, "type"),
    ({"unit": "EUR"}, "unit"),
])
def test_an_account_with_bad_details_is_refused(session, details, field):
    with pytest.raises(ValidationError) as refused:
        posting.open_account(session, **({"code": "bank", "name": "Bank", "type": "asset", "unit": "GBP"} | details))
    assert field in refused.value.fields
