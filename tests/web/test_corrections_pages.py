"""Finance's claim page: reversing a paid claim and recording a repayment, with refusals beside their field."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest

from ledger.books import queries
from tests.factories import PAY_ON, database, footprint, paid_and_signed_in, sign_in, text_of

LATER = PAY_ON + dt.timedelta(days=4)


@pytest.fixture
def paid(app, client):
    paid = paid_and_signed_in(app, client, today=LATER)
    return {"app": paid.app, "ann": paid.ann, "url": f"/finance/claims/{paid.claim}"}


def test_finance_reverses_a_paid_claim_and_records_the_repayment(client, paid):
    assert "Correct after payment" in text_of(client.get(paid["url"]))
    done = client.post(f"{paid['url']}/reversal", data={"reverse-reason": "Paid twice for one meeting"},
                       follow_redirects=True)
    page = text_of(done)
    assert done.status_code == 200 and "the participant owes it back" in page
    assert "Still owed back £40.00" in page and "Record a repayment" in page

    repaid = client.post(f"{paid['url']}/recovery/repayment", follow_redirects=True, data={
        "repay-amount": "40.00", "repay-received_on": LATER.isoformat(), "repay-reference": "BGC A SMITH"})
    page = text_of(repaid)
    assert "The repayment is recorded" in page and "Still owed back £0.00" in page and "BGC A SMITH" in page
    assert ("Benefit check re-run after each recovery After Period around Outcome Finance "
            f"Repayment {PAY_ON:%-d %B %Y} No benefits declared Nothing to do") in page
    with database(paid["app"]) as session:
        assert queries.balance(session, f"owed:participant:{paid['ann']}") == 0
        assert queries.trial_balance(session).totals["GBP"] == 0


def test_a_repayment_over_what_is_owed_is_refused_beside_the_amount(client, paid):
    client.post(f"{paid['url']}/reversal", data={"reverse-reason": "Paid twice for one meeting"})
    with database(paid["app"]) as session:
        before = footprint(session)
    refused = client.post(f"{paid['url']}/recovery/repayment", data={
        "repay-amount": "45.00", "repay-received_on": LATER.isoformat(), "repay-reference": "BGC"})
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert 'id="repay-amount-error"' in html and "At most £40.00." in unescape(html)
    with database(paid["app"]) as session:
        assert footprint(session) == before


def test_finance_amends_a_submitted_fee_and_sees_the_versions(app, client):
    from tests.factories import claims_world, submitted_fee

    with database(app) as session:
        world = claims_world(session)
        claim = submitted_fee(session, world, world.ann)
    assert sign_in(client, "fin@example.org").status_code == 302
    refused = client.post(f"/finance/claims/{claim}/amend", data={"amend-hours": "0.001", "amend-reason": "Left"})
    assert refused.status_code == 400 and 'id="amend-hours-error"' in refused.get_data(as_text=True)
    done = client.post(f"/finance/claims/{claim}/amend", follow_redirects=True,
                       data={"amend-hours": "3", "amend-reason": "She left an hour early"})
    page = text_of(done)
    assert done.status_code == 200 and "is amended" in page
    assert "Versions" in page and "worked minutes: 240 → 180" in page and "She left an hour early" in page
