"""Finance's payment-run page: recording a payment the bank sent back, and a refusal shown beside its field."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest

from ledger.books import queries
from tests.factories import PAY_ON, database, footprint, paid_and_signed_in, text_of

LATER = PAY_ON + dt.timedelta(days=4)


@pytest.fixture
def paid(app, client):
    paid = paid_and_signed_in(app, client, today=LATER)
    return {"app": paid.app, "run": paid.run, "ann": paid.ann, "url": f"/finance/payment-runs/{paid.run}"}


def form(paid, **changes):
    return {"payee_id": f"participant:{paid['ann']}", "amount": "40.00", "returned_on": PAY_ON.isoformat(),
            "reason": "account_closed", "bank_reference": "RTN-5", "note": "", **changes}


def test_finance_records_a_returned_payment_on_the_run_page(client, paid):
    page = text_of(client.get(paid["url"]))
    assert "Record a returned payment" in page and "No payment in this run has come back." in page

    done = client.post(f"{paid['url']}/returns", data=form(paid), follow_redirects=True)
    assert done.status_code == 200
    page = text_of(done)
    assert "is recorded as returned" in page
    assert "The account is closed" in page and "RTN-5" in page and "Returned by the bank" in page
    assert "Record a returned payment" not in page  # nobody left whose payment has not come back
    with database(paid["app"]) as session:
        assert -queries.balance(session, f"owed:participant:{paid['ann']}") == 4000
        assert queries.trial_balance(session).totals["GBP"] == 0


@pytest.mark.parametrize(("changes", "field", "says"), [
    ({"amount": "39.99"}, "amount", "Must be £40.00."),
    ({"returned_on": (LATER + dt.timedelta(days=2)).isoformat()}, "returned_on", "Cannot be in the future"),
    ({"reason": "other"}, "note", "Required."),
])
def test_a_refusal_is_shown_beside_its_field_and_nothing_is_written(client, paid, changes, field, says):
    with database(paid["app"]) as session:
        before = footprint(session)
    response = client.post(f"{paid['url']}/returns", data=form(paid, **changes))
    assert response.status_code in (400, 409, 422)
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html and says in unescape(html)
    assert 'aria-invalid="true"' in html
    with database(paid["app"]) as session:
        assert footprint(session) == before
