"""Advances through approval: asked for, approved (never by the asker; two approvers above the threshold) or
rejected, marked paid by another method (posting ``advance_paid``), and the overdue ones listed; over HTTP."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.books.posting import load_entry
from ledger.claims.models import Advance
from ledger.events.writer import events_of
from tests.factories import TODAY, api_token_for, app_footprint, bearer, count_rows, database, set_today

V1 = "/api/v1"
DUE = TODAY + dt.timedelta(days=14)


@pytest.fixture(autouse=True)
def fixed_today(app):
    set_today(app, TODAY)


def post(client, api, who, path, body=None):
    return client.post(V1 + path, json=body if body is not None else {}, headers=api.headers(who))


def request_body(world, **overrides):
    return {"participant_id": world.ann, "project_code": "GUIDE", "amount": "40.00",
            "purpose": "Train to the regional meeting", "settle_by": DUE.isoformat(), **overrides}


def requested(client, api, who="manager", **overrides) -> dict:
    response = post(client, api, who, "/advances/requests", request_body(api.world, **overrides))
    assert response.status_code == 201, response.json
    return response.json


def advance_rows(app) -> int:
    with database(app) as session:
        return count_rows(session, Advance)


def test_an_advance_is_requested_approved_and_marked_paid_with_a_balanced_advance_paid_entry(client, api, app):
    advance = requested(client, api)

    approved = post(client, api, "finance", f"/advances/{advance['id']}/approve")
    paid = post(client, api, "finance", f"/advances/{advance['id']}/mark-paid",
                {"paid_by": "cheque", "reference": "CHQ 004512", "paid_on": TODAY.isoformat()})

    assert (advance["status"], advance["paid_entry_id"], advance["paid_on"]) == ("requested", None, None)
    assert (advance["purpose"], advance["settle_by"], advance["amount"]) == (
        "Train to the regional meeting", DUE.isoformat(), "40.00")
    assert approved.status_code == 200, approved.json
    assert (approved.json["advance"]["status"], approved.json["approvals"], approved.json["approvals_needed"]) == (
        "approved", 1, 1)
    assert paid.status_code == 200, paid.json
    assert (paid.json["status"], paid.json["paid_by"], paid.json["paid_reference"], paid.json["paid_on"]) == (
        "paid", "cheque", "CHQ 004512", TODAY.isoformat())
    with database(app) as session:
        entry = load_entry(session, paid.json["paid_entry_id"])
        assert entry.kind == "advance_paid" and sum(p.amount for p in entry.postings) == 0
        assert sorted((p.account, p.amount) for p in entry.postings) == [
            (f"advance:participant:{api.world.ann}", 4000), ("bank:main", -4000)]
        history = [(e.action, e.before, e.after) for e in events_of(session, "advance", advance["id"])]
    assert history == [("request", None, "requested"), ("approve", "requested", "approved"),
                       ("pay", "approved", "paid")]


def test_marking_paid_twice_is_a_conflict_and_posts_once(client, api, app):
    advance = requested(client, api)
    post(client, api, "finance", f"/advances/{advance['id']}/approve")
    body = {"paid_by": "cash", "reference": "Petty cash slip 17", "paid_on": TODAY.isoformat()}
    assert post(client, api, "finance", f"/advances/{advance['id']}/mark-paid", body).status_code == 200
    before = app_footprint(app)

    again = post(client, api, "finance", f"/advances/{advance['id']}/mark-paid", body)

    assert again.status_code == 409 and again.json["error"]["fields"] == {"status": ["paid"]}
    assert app_footprint(app) == before


def test_a_participant_asks_for_their_own_advance_but_not_for_someone_else(client, api, app):
    own = post(client, api, "carer", "/advances/requests", request_body(api.world, participant_id=api.world.carer))
    before = advance_rows(app)

    other = post(client, api, "carer", "/advances/requests", request_body(api.world))

    assert own.status_code == 201 and own.json["requested_by_user_id"] == api.world.carer_user
    assert other.status_code == 404 and "participant_id" in other.json["error"]["fields"]
    assert advance_rows(app) == before


def test_nobody_approves_an_advance_they_asked_for_or_that_pays_them(client, api, app):
    asked_by_finance = requested(client, api, "finance")
    for_ann = requested(client, api)
    ann_finance = bearer(api_token_for(app, api.world.finance_ann, "ann's token"))
    before = app_footprint(app)

    own = post(client, api, "finance", f"/advances/{asked_by_finance['id']}/approve")
    pays_them = client.post(f"{V1}/advances/{for_ann['id']}/approve", json={}, headers=ann_finance)

    assert own.status_code == 403 and "someone else" in own.json["error"]["message"]
    assert pays_them.status_code == 403 and "pays you" in pays_them.json["error"]["message"]
    assert app_footprint(app) == before
    assert post(client, api, "finance2", f"/advances/{asked_by_finance['id']}/approve").json["advance"][
        "status"] == "approved"


def test_an_advance_above_the_threshold_needs_a_second_different_approver(client, api, app):
    advance = requested(client, api, amount="600.00")

    first = post(client, api, "finance", f"/advances/{advance['id']}/approve")
    twice = post(client, api, "finance", f"/advances/{advance['id']}/approve")
    too_soon = post(client, api, "finance", f"/advances/{advance['id']}/mark-paid",
                    {"paid_by": "card", "reference": "4417", "paid_on": TODAY.isoformat()})
    second = post(client, api, "finance2", f"/advances/{advance['id']}/approve")

    assert (first.json["advance"]["status"], first.json["approvals"], first.json["approvals_needed"]) == (
        "requested", 1, 2)
    assert twice.status_code == 409 and "different second approver" in twice.json["error"]["message"]
    assert too_soon.status_code == 409 and too_soon.json["error"]["fields"] == {"status": ["requested"]}
    assert (second.json["advance"]["status"], second.json["approvals"]) == ("approved", 2)


def test_an_advance_is_rejected_with_a_reason_and_then_cannot_be_approved(client, api, app):
    advance = requested(client, api)

    rejected = post(client, api, "finance", f"/advances/{advance['id']}/reject",
                    {"reason": "The meeting is online this month"})
    approve = post(client, api, "finance", f"/advances/{advance['id']}/approve")

    assert rejected.status_code == 200
    assert (rejected.json["status"], rejected.json["rejection_reason"]) == (
        "rejected", "The meeting is online this month")
    assert approve.status_code == 409 and "rejected" in approve.json["error"]["message"]


def test_only_finance_approves_lists_and_marks_paid(client, api):
    advance = requested(client, api)

    assert post(client, api, "manager", f"/advances/{advance['id']}/approve").status_code == 403
    assert post(client, api, "carer", f"/advances/{advance['id']}/reject", {"reason": "no"}).status_code == 403
    assert client.get(f"{V1}/advances", headers=api.headers("manager")).status_code == 403


BAD_REQUESTS = {
    "no settlement date": ({"settle_by": None}, "settle_by"),
    "settlement date today": ({"settle_by": TODAY.isoformat()}, "settle_by"),
    "settlement date in the past": ({"settle_by": "2025-06-01"}, "settle_by"),
    "no purpose": ({"purpose": "   "}, "purpose"),
    "negative amount": ({"amount": "-40"}, "amount"),
    "amount as a number": ({"amount": 40}, "amount"),
    "over the limit": ({"amount": "5000.01"}, "amount"),
    "unknown participant": ({"participant_id": 9999}, "participant_id"),
    "unknown project": ({"project_code": "NOPE"}, "project_code"),
}


@pytest.mark.parametrize("case", list(BAD_REQUESTS))
def test_a_bad_request_is_refused_naming_the_field_and_nothing_is_written(client, api, app, case):
    overrides, field = BAD_REQUESTS[case]
    before = app_footprint(app), advance_rows(app)

    response = post(client, api, "manager", "/advances/requests", request_body(api.world, **overrides))

    assert 400 <= response.status_code < 500, response.json
    assert field in response.json["error"]["fields"], response.json
    assert response.json["error"]["message"]
    assert (app_footprint(app), advance_rows(app)) == before


BAD_PAYMENTS = {
    "unknown method": ({"paid_by": "bitcoin"}, "paid_by"),
    "no reference": ({"reference": "  "}, "reference"),
    "paid in the future": ({"paid_on": (TODAY + dt.timedelta(days=1)).isoformat()}, "paid_on"),
    "no date": ({"paid_on": None}, "paid_on"),
}


@pytest.mark.parametrize("case", list(BAD_PAYMENTS))
def test_a_bad_payment_is_refused_naming_the_field_and_nothing_is_posted(client, api, app, case):
    advance = requested(client, api)
    post(client, api, "finance", f"/advances/{advance['id']}/approve")
    overrides, field = BAD_PAYMENTS[case]
    before = app_footprint(app)

    response = post(client, api, "finance", f"/advances/{advance['id']}/mark-paid",
                    {"paid_by": "cheque", "reference": "CHQ 1", "paid_on": TODAY.isoformat(), **overrides})

    assert response.status_code == 400, response.json
    assert field in response.json["error"]["fields"]
    assert app_footprint(app) == before


def test_a_rejection_without_a_reason_is_refused(client, api, app):
    advance = requested(client, api)
    before = app_footprint(app)

    response = post(client, api, "finance", f"/advances/{advance['id']}/reject", {"reason": " "})

    assert response.status_code == 400 and "reason" in response.json["error"]["fields"]
    assert app_footprint(app) == before


def test_overdue_advances_are_those_paid_past_their_settlement_date_with_receipts_outstanding(client, api, app):
    paid = requested(client, api, settle_by=(TODAY + dt.timedelta(days=1)).isoformat())
    not_yet_due = requested(client, api, settle_by=(TODAY + dt.timedelta(days=30)).isoformat())
    unpaid = requested(client, api, settle_by=(TODAY + dt.timedelta(days=1)).isoformat())
    for advance in (paid, not_yet_due):
        post(client, api, "finance", f"/advances/{advance['id']}/approve")
        post(client, api, "finance", f"/advances/{advance['id']}/mark-paid",
             {"paid_by": "cheque", "reference": f"CHQ {advance['id']}", "paid_on": TODAY.isoformat()})
    set_today(app, TODAY + dt.timedelta(days=7))

    overdue = client.get(f"{V1}/advances?overdue=true", headers=api.headers("finance"))
    everything = client.get(f"{V1}/advances", headers=api.headers("finance"))

    assert overdue.status_code == 200
    assert [(a["id"], a["overdue"]) for a in overdue.json] == [(paid["id"], True)]
    assert [a["id"] for a in everything.json] == [unpaid["id"], not_yet_due["id"], paid["id"]]
    assert client.get(f"{V1}/advances?status=nonsense", headers=api.headers("finance")).status_code in (400, 422)


def test_the_existing_pay_advance_still_pays_at_once(client, api):
    response = post(client, api, "finance", "/advances", {"participant_id": api.world.ann, "project_code": "GUIDE",
                                                          "amount": "40.00", "paid_on": "2025-06-01",
                                                          "idempotency_key": "a-1"})

    assert response.status_code == 201 and response.json["status"] == "paid" and response.json["paid_entry_id"]


def test_the_cli_lists_overdue_advances_for_finance(client, api, app):
    cli = app.test_cli_runner()
    assert cli.invoke(args=["ledger", "overdue-advances"]).output.strip() == "No advance is overdue on 2025-06-05."
    advance = requested(client, api, settle_by=(TODAY + dt.timedelta(days=1)).isoformat())
    post(client, api, "finance", f"/advances/{advance['id']}/approve")
    post(client, api, "finance", f"/advances/{advance['id']}/mark-paid",
         {"paid_by": "cheque", "reference": "CHQ 9", "paid_on": TODAY.isoformat()})
    set_today(app, TODAY + dt.timedelta(days=4))

    listed = cli.invoke(args=["ledger", "overdue-advances"])
    as_csv = cli.invoke(args=["ledger", "overdue-advances", "--format", "csv"])

    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines() == [
        "1 overdue advance on 2025-06-09:",
        f"  advance {advance['id']}: Ann Jones, project GUIDE, £40.00 paid 2025-06-05, receipts due 2025-06-06 "
        "(3 days overdue): Train to the regional meeting"]
    assert as_csv.output.splitlines()[1] == (f"{advance['id']},{api.world.ann},Ann Jones,GUIDE,40.00,2025-06-05,"
                                             "2025-06-06,3,Train to the regional meeting")


def test_an_unpaid_advance_has_no_surplus_to_return(client, api, app):
    advance = requested(client, api)
    before = app_footprint(app)

    response = post(client, api, "finance", f"/advances/{advance['id']}/surplus", {"how": "returned",
                                                                                  "on": TODAY.isoformat()})

    assert response.status_code == 409 and response.json["error"]["fields"] == {"status": ["requested"]}
    assert app_footprint(app) == before


def test_the_cli_marks_an_approved_advance_paid_and_refuses_a_second_time(client, api, app):
    advance = requested(client, api)
    post(client, api, "finance", f"/advances/{advance['id']}/approve")
    cli = app.test_cli_runner()
    args = ["ledger", "mark-advance-paid", str(advance["id"]), "--by", "cheque", "--reference", "CHQ 77",
            "--on", TODAY.isoformat(), "--as-user", "fin@example.org"]

    paid = cli.invoke(args=args)
    before = app_footprint(app)
    again = cli.invoke(args=args)

    assert paid.exit_code == 0, paid.output
    assert paid.output.startswith(f"Advance {advance['id']}: £40.00 paid by cheque on 2025-06-05, reference CHQ 77")
    assert again.exit_code == 1 and "paid and waiting for receipts, so it cannot pay" in again.output
    assert app_footprint(app) == before
    shown = client.get(f"{V1}/advances/{advance['id']}", headers=api.headers("finance")).json
    assert (shown["status"], shown["paid_reference"]) == ("paid", "CHQ 77")


def test_the_cli_refuses_a_payment_dated_in_a_locked_month_saying_which_month_is_open(client, api, app):
    advance = requested(client, api)
    post(client, api, "finance", f"/advances/{advance['id']}/approve")
    assert post(client, api, "finance", "/periods/locks", {"month": "2025-05", "reason": "Reconciled"}).status_code \
        == 201
    before = app_footprint(app)

    refused = app.test_cli_runner().invoke(args=[
        "ledger", "mark-advance-paid", str(advance["id"]), "--by", "cheque", "--reference", "CHQ 78",
        "--on", "2025-05-30", "--as-user", "fin@example.org"])

    assert refused.exit_code == 1
    assert ("May 2025 is locked: post into an open month instead; the books are open from June 2025"
            in " ".join(refused.output.split())), refused.output
    assert app_footprint(app) == before
