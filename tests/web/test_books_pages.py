"""Finance's pages for the books: trial balance, statements a page at a time, locking a month."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest

from ledger.books import posting
from ledger.books.records import PostingLine
from ledger.errors import PeriodLocked
from tests.factories import add_user, database, entry_count, sign_in


@pytest.fixture
def finance(app, client):
    add_user(app, "fin@example.org", ["finance"])
    sign_in(client, "fin@example.org")
    return client


@pytest.fixture
def books(app):
    """Ann's fee and bus fares in May 2025, her payment in June, two hours of time credits."""
    with database(app) as session:
        for code, name, kind, unit in [
            ("bank", "Current account", "asset", "GBP"),
            ("owed:ann", "Owed to Ann", "liability", "GBP"),
            ("fees:guide", "Fees: dementia guide", "expense", "GBP"),
            ("credits:issued", "Time credits issued", "equity", "TIME"),
            ("credits:ann", "Ann's time credits", "liability", "TIME"),
        ]:
            posting.open_account(session, code=code, name=name, type=kind, unit=unit)
        for key, day, description, lines in [
            ("fee", dt.date(2025, 5, 6), "Ann: advisory group", [("fees:guide", 4500), ("owed:ann", -4500)]),
            ("bus", dt.date(2025, 5, 6), "Ann: bus fares", [("fees:guide", 1250), ("owed:ann", -1250)]),
            ("pay", dt.date(2025, 6, 2), "Payment run 7", [("owed:ann", 5750), ("bank", -5750)]),
        ]:
            posting.post_entry(session, effective_date=day, description=description, idempotency_key=key,
                               postings=[PostingLine(code, amount, "GBP") for code, amount in lines])
        posting.post_entry(session, effective_date=dt.date(2025, 5, 7), description="Ann: 2 hours",
                           idempotency_key="credits", postings=[PostingLine("credits:issued", 120, "TIME"),
                                                                PostingLine("credits:ann", -120, "TIME")])


def text_of(response) -> str:
    """The page's visible text, tags removed and spaces collapsed."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def test_trial_balance_shows_each_account_and_zero_per_unit(finance, books):
    page = finance.get("/books/trial-balance")
    assert page.status_code == 200
    text = text_of(page)
    assert "GBP £0.00" in text
    assert "TIME 0 hours" in text
    assert "bank Current account asset -£57.50" in text
    assert "fees:guide Fees: dementia guide expense £57.50" in text
    assert "credits:ann Ann's time credits liability -2 hours" in text
    assert "owed:ann" not in text  # settled accounts are left out
    assert 'href="/books/accounts/bank"' in page.get_data(as_text=True)


def test_trial_balance_as_of_a_date(finance, books):
    text = text_of(finance.get("/books/trial-balance?as_of=2025-05-31"))
    assert "Trial balance as of 31 May 2025" in text
    assert "owed:ann Owed to Ann liability -£57.50" in text
    assert "bank" not in text.split("Accounts", 1)[1]


def test_trial_balance_with_a_bad_date_says_how_to_write_one(finance, books):
    page = finance.get("/books/trial-balance?as_of=31/05/2025")
    assert page.status_code == 400
    assert "as_of must be a date like 2025-06-30." in text_of(page)


def test_account_statement_shows_running_balances(finance, books):
    page = finance.get("/books/accounts/owed:ann?start=2025-05-01&end=2025-06-30")
    assert page.status_code == 200
    text = text_of(page)
    assert "Owed to Ann (owed:ann)" in text
    assert "Opening balance: £0.00" in text
    assert "6 May 2025 1 Ann: advisory group -£45.00 -£45.00" in text
    assert "6 May 2025 2 Ann: bus fares -£12.50 -£57.50" in text
    assert "2 June 2025 3 Payment run 7 £57.50 £0.00" in text
    assert "Closing balance: £0.00" in text
    assert "Next page" not in text


def test_account_statement_of_an_unknown_account_is_a_friendly_404(finance, books):
    page = finance.get("/books/accounts/owed:nobody")
    assert page.status_code == 404
    assert "text/html" in page.content_type
    assert "There is no account with code 'owed:nobody'." in text_of(page)


def test_long_statement_links_to_its_next_page(app, finance, books):
    with database(app) as session:
        for n in range(101):
            posting.post_entry(session, effective_date=dt.date(2025, 7, 1) + dt.timedelta(days=n % 28),
                               description=f"Small fee {n}", idempotency_key=f"small-{n}",
                               postings=[PostingLine("fees:guide", 100, "GBP"), PostingLine("owed:ann", -100, "GBP")])
    first = finance.get("/books/accounts/owed:ann?start=2025-07-01&end=2025-07-31")
    html = first.get_data(as_text=True)
    assert html.count("Small fee") == 100
    assert "Balance at the end of this page: -£100.00" in text_of(first)
    link = unescape(re.search(r'<a [^>]*href="([^"]+)"[^>]*>Next page</a>', html).group(1))
    assert link.startswith("/books/accounts/owed:ann?") and "after=" in link
    assert "start=2025-07-01" in link and "end=2025-07-31" in link
    second = finance.get(link)
    text = text_of(second)
    assert second.get_data(as_text=True).count("Small fee") == 1
    assert "Opening balance: -£100.00" in text
    assert "Closing balance: -£101.00" in text
    assert "Next page" not in text


MAY = {"month": "2025-05", "reason": "May reconciled"}


def test_periods_page_offers_the_lock_form(finance, books):
    page = finance.get("/books/periods")
    assert page.status_code == 200
    text = text_of(page)
    assert "No month is locked yet." in text
    html = page.get_data(as_text=True)
    assert 'action="/books/periods/lock"' in html
    assert 'type="month"' in html


def test_locking_a_month_through_the_form(app, finance, books):
    done = finance.post("/books/periods/lock", data=MAY, follow_redirects=True)
    assert done.status_code == 200
    assert done.request.path == "/books/periods"
    text = text_of(done)
    assert "May 2025 is locked. Nothing more can be posted into it." in text
    assert "May 2025" in text.split("Lock this month")[0]
    with database(app) as session:
        assert posting.locked_months(session) == [dt.date(2025, 5, 1)]


def test_locked_month_takes_no_more_entries(app, finance, books):
    finance.post("/books/periods/lock", data=MAY)
    entries = entry_count(app)
    with database(app) as session, pytest.raises(PeriodLocked):
        posting.post_entry(session, effective_date=dt.date(2025, 5, 31), description="Late fee", idempotency_key="late",
                           postings=[PostingLine("fees:guide", 100, "GBP"), PostingLine("owed:ann", -100, "GBP")])
    assert entry_count(app) == entries


@pytest.mark.parametrize("month", ["", "May", "2025-13", "2025/05"])
def test_locking_without_a_proper_month_asks_for_one(app, finance, books, month):
    done = finance.post("/books/periods/lock", data={"month": month}, follow_redirects=True)
    assert "Choose a month to lock." in text_of(done)
    with database(app) as session:
        assert posting.locked_months(session) == []


def test_locking_twice_is_harmless(app, finance, books):
    finance.post("/books/periods/lock", data=MAY)
    again = finance.post("/books/periods/lock", data=MAY, follow_redirects=True)
    assert "May 2025 is locked." in text_of(again)
    with database(app) as session:
        assert posting.locked_months(session) == [dt.date(2025, 5, 1)]
