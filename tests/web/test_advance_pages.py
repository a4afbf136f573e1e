"""Finance's advances page: ask for an advance, approve it (not your own), mark it paid, see it overdue."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest

from ledger.claims.models import Advance
from ledger.organisation import open_organisation_accounts
from tests.factories import (
    TODAY,
    ClaimsWorld,
    app_footprint,
    claims_world,
    count_rows,
    database,
    entry_count,
    requested_advance,
    set_today,
    sign_in,
)


def text_of(response) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


@pytest.fixture
def world(app) -> ClaimsWorld:
    set_today(app, TODAY)
    with database(app) as session:
        built = claims_world(session)
        open_organisation_accounts(session)
        return built


@pytest.fixture
def finance(client, world):
    assert sign_in(client, "fin@example.org").status_code == 302
    return client


def advance_rows(app) -> int:
    with database(app) as session:
        return count_rows(session, Advance)


def test_finance_asks_for_an_advance_which_another_finance_officer_approves_and_marks_paid(app, client, world):
    assert sign_in(client, "fin@example.org").status_code == 302
    home = text_of(client.get("/finance/advances"))
    assert "Advances" in text_of(client.get("/", follow_redirects=True))
    assert "No advance is waiting for approval." in home

    asked = client.post("/finance/advances/request", data={
        "participant_id": world.ann, "project_code": "GUIDE", "amount": "40.00",
        "purpose": "Train to the regional meeting", "settle_by": (TODAY + dt.timedelta(days=14)).isoformat()},
        follow_redirects=True)
    assert asked.status_code == 200 and "Status Requested" in text_of(asked)
    advance_id = int(re.search(r"Advance (\d+)", text_of(asked)).group(1))

    own = client.post(f"/finance/advances/{advance_id}/approve", data={})
    assert own.status_code == 403 and "someone else must approve it" in text_of(own)

    client.post("/logout")
    assert sign_in(client, "fin2@example.org").status_code == 302
    approved = client.post(f"/finance/advances/{advance_id}/approve", data={}, follow_redirects=True)
    assert "Status Approved" in text_of(approved)
    entries = entry_count(app)
    paid = client.post(f"/finance/advances/{advance_id}/mark-paid", data={
        "paid_by": "cheque", "reference": "CHQ 004512", "paid_on": TODAY.isoformat()}, follow_redirects=True)
    text = text_of(paid)
    assert "is marked paid" in text and "Status Paid" in text and "by cheque, reference CHQ 004512" in text
    assert entry_count(app) == entries + 1


def test_a_bad_request_on_the_page_names_the_field_and_writes_nothing(app, finance, world):
    before = app_footprint(app), advance_rows(app)

    refused = finance.post("/finance/advances/request", data={
        "participant_id": world.ann, "project_code": "GUIDE", "amount": "40.00", "purpose": "Train",
        "settle_by": TODAY.isoformat()})

    assert refused.status_code == 400
    assert "There is a problem" in text_of(refused) and "Error: Must be after today." in text_of(refused)
    assert (app_footprint(app), advance_rows(app)) == before


def test_a_rejection_and_a_payment_without_a_reference_are_shown_on_the_page(app, finance, world):
    with database(app) as session:
        first = requested_advance(session, world).id
        second = requested_advance(session, world).id
    rejected = finance.post(f"/finance/advances/{first}/reject", data={"reason": "The meeting is online"},
                            follow_redirects=True)
    finance.post(f"/finance/advances/{second}/approve", data={})
    before = app_footprint(app)

    no_reference = finance.post(f"/finance/advances/{second}/mark-paid", data={"paid_by": "cash", "reference": ""})

    assert "Status Rejected" in text_of(rejected) and "The meeting is online" in text_of(rejected)
    assert no_reference.status_code == 400 and "Error:" in text_of(no_reference)
    assert app_footprint(app) == before


def test_an_overdue_advance_is_listed_as_overdue(app, finance, world):
    with database(app) as session:
        advance_id = requested_advance(session, world, settle_by=TODAY + dt.timedelta(days=1)).id
    finance.post(f"/finance/advances/{advance_id}/approve", data={})
    finance.post(f"/finance/advances/{advance_id}/mark-paid",
                 data={"paid_by": "card", "reference": "4417", "paid_on": TODAY.isoformat()})
    set_today(app, TODAY + dt.timedelta(days=5))

    page = finance.get("/finance/advances")

    overdue = page.get_data(as_text=True).split('id="overdue"')[1].split("</table>")[0]
    assert page.status_code == 200 and f"Advance {advance_id}" in overdue and "£40.00" in overdue


def test_a_participant_asks_for_their_own_advance_and_sees_it(app, client, world):
    assert sign_in(client, "sian@example.org").status_code == 302
    before = app_footprint(app), advance_rows(app)
    refused = client.post("/my/advances", data={"project_code": "GUIDE", "amount": "-3", "purpose": "Bus",
                                                "settle_by": (TODAY + dt.timedelta(days=7)).isoformat()})
    assert refused.status_code == 400 and "Error:" in text_of(refused)
    assert (app_footprint(app), advance_rows(app)) == before

    asked = client.post("/my/advances", data={"project_code": "GUIDE", "amount": "25.00", "purpose": "Bus to the "
                        "film shoot", "settle_by": (TODAY + dt.timedelta(days=7)).isoformat()}, follow_redirects=True)

    text = text_of(asked)
    assert asked.status_code == 200 and "You have asked for an advance of £25.00" in text
    assert "Bus to the film shoot GUIDE £25.00" in text and "Requested" in text
    with database(app) as session:
        (advance,) = session.query(Advance).all()
        assert (advance.participant_id, advance.status) == (world.carer, "requested")
    assert client.get("/finance/advances").status_code == 403


def test_the_request_form_sent_twice_asks_for_one_advance(app, finance, world):
    key = re.search(r'name="request_key"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="request_key"',
                    finance.get("/finance/advances").get_data(as_text=True))
    assert key is not None
    body = {"participant_id": world.ann, "project_code": "GUIDE", "amount": "40.00", "purpose": "Train fare",
            "settle_by": (TODAY + dt.timedelta(days=14)).isoformat(), "request_key": key.group(1) or key.group(2)}

    first = finance.post("/finance/advances/request", data=body)
    again = finance.post("/finance/advances/request", data=body)

    assert first.status_code == again.status_code == 302 and first.location == again.location
    assert advance_rows(app) == 1
