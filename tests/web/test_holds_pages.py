"""Finance's hold pages: a claim held and released from its page, a payee held from the holds page; bad input
is shown beside the field and nothing is written."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from sqlalchemy import func, select

from ledger.payments import runs
from ledger.payments.models import Hold
from tests.factories import PaymentsWorld, add_user, database, sign_in


def text_of(response) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


@pytest.fixture
def ids(app):
    with database(app) as session:
        world = PaymentsWorld(session, today=dt.date.today())
        ann = world.participant("Ann Smith")
        return {"ann": ann, "claim": world.claim(ann, 4000)}


@pytest.fixture
def finance(client, app):
    add_user(app, "fiona@example.org", ["finance"])
    assert sign_in(client, "fiona@example.org").status_code == 302
    return client


def holds_written(app) -> int:
    with database(app) as session:
        return session.execute(select(func.count()).select_from(Hold)).scalar_one()


def test_finance_holds_and_releases_a_claim_from_its_page(app, finance, ids):
    claim = ids["claim"]
    page = text_of(finance.get(f"/finance/claims/{claim}"))
    assert "Not on hold" in page and "Why is it held?" in page

    refused = finance.post(f"/finance/claims/{claim}/hold", data={"hold-reason": ""})
    assert refused.status_code == 400 and "Error: This field is required." in text_of(refused)
    assert holds_written(app) == 0

    held = finance.post(f"/finance/claims/{claim}/hold", data={"hold-reason": "Hours disputed by the project"},
                        follow_redirects=True)
    text = text_of(held)
    assert held.status_code == 200 and f"Claim {claim} is on hold" in text
    assert "On hold: held by Fiona" in text and "Hours disputed by the project" in text

    listed = text_of(finance.get("/finance/holds"))
    assert f"Claim {claim} (Ann Smith)" in listed and "Hours disputed by the project" in listed

    released = finance.post(f"/finance/claims/{claim}/release", data={"release-note": "Hours agreed"},
                            follow_redirects=True)
    assert "is released" in text_of(released) and "released by Fiona" in text_of(released)
    assert "Nothing is on hold." in text_of(finance.get("/finance/holds"))


def test_finance_holds_a_payee_from_the_holds_page(app, finance, ids):
    page = finance.get("/", follow_redirects=True)
    assert 'href="/finance/holds"' in page.get_data(as_text=True)

    missing = finance.post("/finance/holds/payee", data={"payee_kind": "participant", "payee_id": "999999",
                                                         "reason": "Check"})
    assert missing.status_code == 404 and "Error: No participant has this id." in text_of(missing)
    assert holds_written(app) == 0

    held = finance.post("/finance/holds/payee", data={"payee_kind": "participant",
                                                      "payee_id": str(ids["ann"]),
                                                      "reason": "Safeguarding review"}, follow_redirects=True)
    text = text_of(held)
    assert "Every claim of Ann Smith is on hold" in text and "Safeguarding review" in text
    claim_page = text_of(finance.get(f"/finance/claims/{ids['claim']}"))
    assert "Warning: every claim of Ann Smith is on hold" in claim_page

    with database(app) as session:
        hold_id = session.execute(select(Hold.id)).scalar_one()
    no_note = finance.post(f"/finance/holds/{hold_id}/release", data={f"h{hold_id}-note": ""})
    assert no_note.status_code == 400 and "Error: This field is required." in text_of(no_note)
    done = finance.post(f"/finance/holds/{hold_id}/release", data={f"h{hold_id}-note": "Review closed"},
                        follow_redirects=True)
    assert "The hold on Ann Smith is released" in text_of(done)


@pytest.fixture
def draft(app):
    """Ann and Bob in a draft run."""
    with database(app) as session:
        world = PaymentsWorld(session)
        ann, bob = world.participant("Ann Smith"), world.participant("Bob Jones")
        world.claim(ann, 4000)
        world.claim(bob, 2500)
        return {"ann": ann, "bob": bob, "run": world.draft().id}


def _payees_in(app, run_id: int) -> list[str]:
    with database(app) as session:
        return [p.name for p in runs.payment_run_summary(session, run_id).payees]


def test_finance_takes_a_payee_out_of_a_draft_on_its_page_and_they_are_held(app, finance, draft):
    page = finance.get(f"/finance/payment-runs/{draft['run']}").get_data(as_text=True)
    assert "Take a payee out of this run" in page and "Ann Smith (£40.00)" in page
    assert re.search(r'<input[^>]*checked[^>]*name="remove-hold"|<input[^>]*name="remove-hold"[^>]*checked', page)

    refused = finance.post(f"/finance/payment-runs/{draft['run']}/remove-payee",
                           data={"remove-payee": f"participant:{draft['ann']}", "remove-reason": "",
                                 "remove-hold": "y"})
    assert refused.status_code == 400 and 'id="remove-reason-error"' in refused.get_data(as_text=True)
    assert _payees_in(app, draft["run"]) == ["Ann Smith", "Bob Jones"] and holds_written(app) == 0

    done = finance.post(f"/finance/payment-runs/{draft['run']}/remove-payee", follow_redirects=True,
                        data={"remove-payee": f"participant:{draft['ann']}", "remove-reason": "Benefit question",
                              "remove-hold": "y"})
    assert done.status_code == 200
    assert "Ann Smith was taken out of the run by" in text_of(done)
    assert "(£40.00 is on hold until released)" in text_of(done)
    assert _payees_in(app, draft["run"]) == ["Bob Jones"] and holds_written(app) == 1
    holds_page = text_of(finance.get("/finance/holds"))
    assert "Ann Smith" in holds_page and "Benefit question" in holds_page


def test_a_payee_taken_out_without_the_hold_waits_for_the_next_run(app, finance, draft):
    done = finance.post(f"/finance/payment-runs/{draft['run']}/remove-payee", follow_redirects=True,
                        data={"remove-payee": f"participant:{draft['bob']}", "remove-reason": "Check the hours"})
    assert "(£25.00 waits for a later run)" in text_of(done)
    assert _payees_in(app, draft["run"]) == ["Ann Smith"] and holds_written(app) == 0
