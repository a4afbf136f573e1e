"""Finance's manual journal entries page: post an entry by hand, see a refusal next to its field, and approve
or reject an entry waiting for a second finance user."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from sqlalchemy import select

from ledger.books import periods, posting
from ledger.books.models import JournalEntry, ManualEntry, Posting
from ledger.events.models import Event
from tests.factories import add_user, count_rows, database, sign_in

OWED = "owed:participant:1"


@pytest.fixture
def chart(app):
    with database(app) as session:
        for code, name, kind, unit in [
            ("bank:main", "Current account", "asset", "GBP"),
            ("fees:guide", "Fees: dementia guide", "expense", "GBP"),
            (OWED, "Owed to participant 1", "liability", "GBP"),
        ]:
            posting.open_account(session, code=code, name=name, type=kind, unit=unit)


@pytest.fixture
def finance(app, client, chart):
    add_user(app, "fin@example.org", ["finance"])
    add_user(app, "second@example.org", ["finance"])
    sign_in(client, "fin@example.org")
    return client


def text_of(response) -> str:
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def form(pounds="150.00", **changes) -> dict:
    """A fee paid by cheque: the fee owed and paid in one entry, on the form's four lines."""
    data = {
        "effective_date": "2025-06-05", "description": "Fee for the film shoot, paid by cheque",
        "reason": "Paid by cheque at the event", "idempotency_key": "manual:web:test-1",
    }
    for i, (account, side, kind) in enumerate([("fees:guide", "debit", ""), (OWED, "credit", "fee"),
                                               (OWED, "debit", "fee"), ("bank:main", "credit", "")]):
        data.update({f"lines-{i}-account": account, f"lines-{i}-side": side, f"lines-{i}-amount": pounds,
                     f"lines-{i}-unit": "GBP", f"lines-{i}-kind": kind})
    data.update(changes)
    return data


def written(app) -> tuple[int, int, int, int]:
    with database(app) as session:
        return (count_rows(session, JournalEntry), count_rows(session, Posting), count_rows(session, Event),
                count_rows(session, ManualEntry))


def test_the_page_is_linked_from_the_finance_menu(finance):
    home = finance.get("/", follow_redirects=True)
    assert 'href="/books/manual-entries"' in home.get_data(as_text=True)
    page = finance.get("/books/manual-entries")
    assert page.status_code == 200
    text = text_of(page)
    assert "Manual journal entries" in text
    assert "An entry with more than £500.00 of debits waits for a second finance user" in text
    assert text.count("Line ") >= 4


def test_posting_an_entry_by_hand(app, finance):
    done = finance.post("/books/manual-entries", data=form(), follow_redirects=True)

    assert done.status_code == 200
    text = text_of(done)
    with database(app) as session:
        [kept] = session.execute(select(ManualEntry)).scalars().all()
        assert session.execute(select(JournalEntry.description).where(JournalEntry.id == kept.entry_id)
                               ).scalar_one() == "Fee for the film shoot, paid by cheque"
        assert (kept.status, kept.reason) == ("posted", "Paid by cheque at the event")
    assert f"Entry {kept.entry_id} is posted." in text
    assert f"£300.00 of debits · posted as entry {kept.entry_id}" in text  # the fee and its payment
    assert "Reason: Paid by cheque at the event" in text


def test_a_refusal_is_shown_next_to_its_field_and_nothing_is_written(app, finance):
    before = written(app)
    # The fee debited and owed credited, but not paid: it would leave the person owed money no run will pay.
    data = form(**{"lines-2-account": "", "lines-2-amount": "", "lines-3-account": "", "lines-3-amount": ""})

    refused = finance.post("/books/manual-entries", data=data)

    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert written(app) == before
    assert 'id="error-summary-title"' in html
    assert '<a href="#lines-1-account">' in html  # the summary links to the field
    error = re.search(r'<p id="lines-1-account-error" class="govuk-error-message">(.*?)</p>', html, flags=re.S)
    assert error and "no payment run would pay" in unescape(error.group(1))
    assert 'aria-invalid="true"' in html
    assert 'value="Fee for the film shoot, paid by cheque"' in html  # what was typed is kept


def test_a_missing_reason_and_a_bad_amount_are_named(app, finance):
    before = written(app)

    refused = finance.post("/books/manual-entries", data=form(reason="", **{"lines-0-amount": "a lot"}))

    assert refused.status_code == 400
    text = text_of(refused)
    assert "Error: Say why this entry is posted by hand." in text
    assert "Line 1, amount: Enter an amount more than zero" in text
    assert written(app) == before


def test_above_the_amount_a_second_finance_user_approves_on_the_page(app, client, finance):
    waiting = finance.post("/books/manual-entries", data=form("600.00"), follow_redirects=True)
    assert "is waiting for a second finance user" in text_of(waiting)
    with database(app) as session:
        proposal = session.execute(select(ManualEntry)).scalar_one()
    assert proposal.entry_id is None
    assert "so a different finance user must approve it" in text_of(waiting)
    own = finance.post(f"/books/manual-entries/{proposal.id}/approve")
    assert own.status_code == 403
    assert "you cannot approve it" in text_of(own)

    client.post("/logout")
    sign_in(client, "second@example.org")
    approved = client.post(f"/books/manual-entries/{proposal.id}/approve", follow_redirects=True)

    assert approved.status_code == 200
    with database(app) as session:
        proposal = session.get(ManualEntry, proposal.id)
        assert proposal.status == "posted" and proposal.entry_id is not None
    assert f"Manual entry {proposal.id} is approved: entry {proposal.entry_id} is posted." in text_of(approved)


def test_rejecting_needs_a_reason_next_to_the_box(app, client, finance):
    finance.post("/books/manual-entries", data=form("600.00"))
    with database(app) as session:
        proposal = session.execute(select(ManualEntry)).scalar_one()
    before = written(app)

    refused = finance.post(f"/books/manual-entries/{proposal.id}/reject", data={f"reject-{proposal.id}-reason": ""})

    assert refused.status_code == 400
    assert f'id="reject-{proposal.id}-reason-error"' in refused.get_data(as_text=True)
    assert written(app) == before
    rejected = finance.post(f"/books/manual-entries/{proposal.id}/reject",
                            data={f"reject-{proposal.id}-reason": "Entered twice"}, follow_redirects=True)
    assert f"Manual entry {proposal.id} is rejected; nothing was posted." in text_of(rejected)
    assert "Rejected because: Entered twice" in text_of(rejected)


def test_an_entry_dated_in_a_locked_month_is_refused_saying_which_month_is_open(app, finance):
    with database(app) as session:
        for month in (4, 5):
            periods.close_month(session, dt.date(2025, month, 1), reason="Reconciled", actor_user_id=None,
                                today=dt.date(2025, 6, 5))
    before = written(app)

    refused = finance.post("/books/manual-entries", data=form(effective_date="2025-04-30"))

    assert refused.status_code == 409
    assert ("April 2025 is locked: post into an open month instead; the books are open from June 2025"
            in text_of(refused))
    assert written(app) == before
