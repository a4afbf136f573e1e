"""Every alternative the benefit check suggests can be chosen over HTTP: part of a fee taken, the rest declined,
as time credits, given to a user-led group or paid later; each part in the claim answer, in the books as what
it is, and in the claim's history; bad input refused naming the field, with nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ledger.books.posting import load_entry
from ledger.claims.models import Claim
from ledger.context import reload_settings
from ledger.events.models import Event
from tests.factories import TODAY, app_footprint, database

V1 = "/api/v1"
LATER = "2025-06-23"  # after the Carer's Allowance week of 9 June, in which a fee approved on TODAY is paid


@pytest.fixture(autouse=True)
def _today_is_the_week_of_the_meeting(app):
    app.config["LEDGER_TODAY"] = TODAY.isoformat()
    reload_settings(app)


def post(client, api, who, path, body=None):
    return client.post(V1 + path, json=body, headers=api.headers(who))


def drafted_fee(client, api) -> int:
    """Siân's fee for the advisory group: £50.40 for 4 hours."""
    response = post(client, api, "manager", "/claims/fee",
                    {"activity_id": api.world.activity_id, "participant_id": api.world.carer})
    assert response.status_code == 201, response.json
    return response.json["id"]


def approved(client, api, claim_id) -> dict:
    assert post(client, api, "manager", f"/claims/{claim_id}/submit").status_code == 200
    response = post(client, api, "finance", f"/claims/{claim_id}/approve", {})
    assert response.status_code == 200, response.json
    return response.json["claim"]


def postings_of(app, entry_id) -> set[tuple[str, int, str, str | None]]:
    with database(app) as session:
        return {(p.account, p.amount, p.unit, p.kind) for p in load_entry(session, entry_id).postings}


def entries_of(app, claim_id) -> dict[str, tuple[str, set]]:
    """The claim's entries by idempotency key: their kind and postings."""
    with database(app) as session:
        from ledger.books.models import JournalEntry
        found = session.execute(select(JournalEntry.id, JournalEntry.idempotency_key, JournalEntry.kind)
                                .where(JournalEntry.idempotency_key.like(f"claim:{claim_id}:%"))).all()
    return {key: (kind, postings_of(app, entry_id)) for entry_id, key, kind in found}


def choice_event(app, claim_id) -> Event:
    with database(app) as session:
        event = session.execute(select(Event).where(Event.claim_id == claim_id, Event.action == "choose")
                                .order_by(Event.id.desc())).scalars().first()
        session.expunge(event)
        return event


def test_taking_part_with_the_rest_as_time_credits(client, api, app):
    claim_id = drafted_fee(client, api)

    chosen = post(client, api, "carer", f"/claims/{claim_id}/choice",
                  {"choice": "take_less", "amount": "25.20", "rest": "time_credits"})

    assert chosen.status_code == 200, chosen.json
    assert chosen.json["parts"] == [{"part": "take", "amount": "25.20"},
                                    {"part": "time_credits", "amount": "25.20", "hours": "2.00"}]
    assert (chosen.json["amount"], chosen.json["time_credit_minutes"], chosen.json["rest"]) == ("25.20", 120,
                                                                                               "time_credits")
    claim = approved(client, api, claim_id)
    p = api.world.carer
    assert entries_of(app, claim_id) == {
        f"claim:{claim_id}:accrual": ("fee_approved", {("fees:project:GUIDE", 2520, "GBP", None),
                                                       (f"owed:participant:{p}", -2520, "GBP", "fee")}),
        f"claim:{claim_id}:accrual:time-credits": ("time_credits_awarded", {
            ("time:issued", 120, "TIME", None), (f"time:participant:{p}", -120, "TIME", "time_credits")}),
    }
    assert claim["parts"] == chosen.json["parts"]
    event = choice_event(app, claim_id)
    assert event.actor_user_id == api.world.carer_user and event.at is not None
    assert event.details["parts"] == [{"part": "take", "amount_pence": 2520},
                                      {"part": "time_credits", "amount_pence": 2520, "minutes": 120}]
    assert event.details["chosen_by_user_id"] == api.world.carer_user
    assert "£25.20 taken; £25.20 as time credits (2.00 hours)" in event.note


def test_time_credits_for_part_of_a_fee_round_to_the_nearest_minute(client, api):
    claim_id = drafted_fee(client, api)

    chosen = post(client, api, "carer", f"/claims/{claim_id}/choice",
                  {"choice": "take_less", "amount": "20.00", "rest": "time_credits"})

    # £30.40 of £50.40 for 240 minutes is 144.76 minutes: 145.
    assert chosen.json["parts"][1] == {"part": "time_credits", "amount": "30.40", "hours": "2.42"}
    assert chosen.json["time_credit_minutes"] == 145


def test_taking_part_and_giving_the_rest_to_a_group(client, api, app):
    claim_id = drafted_fee(client, api)
    group = api.world.group_id

    chosen = post(client, api, "carer", f"/claims/{claim_id}/choice",
                  {"choice": "take_less", "amount": "20.00", "rest": "redirect", "group_id": group})

    assert chosen.status_code == 200, chosen.json
    assert chosen.json["parts"] == [{"part": "take", "amount": "20.00"},
                                    {"part": "redirect", "amount": "30.40", "group_id": group,
                                     "group": "Voices Together"}]
    claim = approved(client, api, claim_id)
    assert entries_of(app, claim_id) == {f"claim:{claim_id}:accrual": ("fee_redirected", {
        ("fees:project:GUIDE", 5040, "GBP", None), (f"owed:participant:{api.world.carer}", -2000, "GBP", "fee"),
        (f"owed:group:{group}", -3040, "GBP", "redirected")})}
    (part_id,) = claim["part_claim_ids"]
    part = client.get(f"{V1}/claims/{part_id}", headers=api.headers("finance")).json
    assert (part["status"], part["choice"], part["group_id"], part["amount"]) == ("approved", "redirect", group,
                                                                                  "30.40")
    assert part["accrual_entry_id"] == claim["accrual_entry_id"] and part["part_of_claim_id"] == claim_id
    event = choice_event(app, claim_id)
    assert (event.details["group_id"], event.details["group"]) == (group, "Voices Together")


def test_taking_part_and_declining_the_rest_is_the_default(client, api, app):
    claim_id = drafted_fee(client, api)

    chosen = post(client, api, "carer", f"/claims/{claim_id}/choice", {"choice": "take_less", "amount": "40.00"})

    assert chosen.json["parts"] == [{"part": "take", "amount": "40.00"}, {"part": "decline", "amount": "10.40"}]
    assert chosen.json["rest"] == "decline"
    approved(client, api, claim_id)
    assert entries_of(app, claim_id) == {f"claim:{claim_id}:accrual": ("fee_approved", {
        ("fees:project:GUIDE", 4000, "GBP", None), (f"owed:participant:{api.world.carer}", -4000, "GBP", "fee")})}


def test_taking_part_now_and_the_rest_later(client, api, app):
    claim_id = drafted_fee(client, api)

    chosen = post(client, api, "carer", f"/claims/{claim_id}/choice",
                  {"choice": "take_less", "amount": "20.00", "rest": "later", "later_on": LATER})

    assert chosen.status_code == 200, chosen.json
    assert chosen.json["parts"] == [{"part": "take", "amount": "20.00"},
                                    {"part": "later", "amount": "30.40", "later_on": LATER}]
    claim = approved(client, api, claim_id)
    assert entries_of(app, claim_id) == {f"claim:{claim_id}:accrual": ("fee_approved", {
        ("fees:project:GUIDE", 2000, "GBP", None), (f"owed:participant:{api.world.carer}", -2000, "GBP", "fee")})}
    (later_id,) = claim["part_claim_ids"]
    later = client.get(f"{V1}/claims/{later_id}", headers=api.headers("finance")).json
    assert (later["status"], later["amount"], later["payable_from"], later["part_of_claim_id"]) == (
        "submitted", "30.40", LATER, claim_id)
    approved_later = post(client, api, "finance2", f"/claims/{later_id}/approve", {})
    assert approved_later.status_code == 200, approved_later.json
    assert approved_later.json["claim"]["status"] == "approved"
    assert postings_of(app, approved_later.json["claim"]["accrual_entry_id"]) == {
        ("fees:project:GUIDE", 3040, "GBP", None), (f"owed:participant:{api.world.carer}", -3040, "GBP", "fee")}
    # Its benefit check counts it in the week it is paid, after the later day.
    period = approved_later.json["policy"]["benefits"][0]["period"]
    assert period == {"start": "2025-06-23", "end": "2025-06-29"}


# ---------------------------------------------------------------- refused, naming the field, nothing written


@pytest.mark.parametrize(("body", "field"), [
    ({"choice": "take_less"}, "amount"),
    ({"choice": "take_less", "amount": "0.00"}, "amount"),
    ({"choice": "take_less", "amount": "-5.00"}, "amount"),
    ({"choice": "take_less", "amount": "50.40"}, "amount"),
    ({"choice": "take_less", "amount": "60.00"}, "amount"),
    ({"choice": "take_less", "amount": "20.00", "rest": "spend_it"}, "rest"),
    ({"choice": "take_less", "amount": "20.00", "rest": "redirect"}, "group_id"),
    ({"choice": "take_less", "amount": "20.00", "rest": "redirect", "group_id": 9999}, "group_id"),
    ({"choice": "take_less", "amount": "20.00", "rest": "later"}, "later_on"),
    ({"choice": "take_less", "amount": "20.00", "rest": "later", "later_on": "2025-06-01"}, "later_on"),
    ({"choice": "take_less", "amount": "20.00", "rest": "later", "later_on": "2025-06-12"}, "later_on"),
    ({"choice": "take_less", "amount": "20.00", "rest": "later", "later_on": "next week"}, "later_on"),
    ({"choice": "take", "rest": "decline"}, "rest"),
    ({"choice": "decline", "rest": "time_credits"}, "rest"),
])
def test_a_bad_choice_is_refused_naming_the_field_and_nothing_is_written(client, api, app, body, field):
    claim_id = drafted_fee(client, api)
    before = app_footprint(app)

    for path in ("choice", "choice-preview"):
        response = post(client, api, "carer", f"/claims/{claim_id}/{path}", body)
        assert 400 <= response.status_code < 500, response.json
        problems = response.json["error"].get("fields") or response.json["errors"].get("json", {})
        assert field in problems, response.json

    assert app_footprint(app) == before
    with database(app) as session:
        claim = session.get(Claim, claim_id)
        assert (claim.choice, claim.amount_pence, claim.rest) == ("take", 5040, None)


def test_an_inactive_group_is_refused(client, api, app):
    claim_id = drafted_fee(client, api)
    with database(app) as session:
        from ledger.people.models import UserLedGroup
        session.get(UserLedGroup, api.world.group_id).is_active = False
    before = app_footprint(app)

    response = post(client, api, "carer", f"/claims/{claim_id}/choice",
                    {"choice": "take_less", "amount": "20.00", "rest": "redirect", "group_id": api.world.group_id})

    assert response.status_code == 404 and "group_id" in response.json["error"]["fields"]
    assert app_footprint(app) == before


# ---------------------------------------------------------------- the preview


def test_the_preview_answers_the_benefit_check_without_recording_the_choice(client, api, app):
    claim_id = drafted_fee(client, api)
    before = app_footprint(app)

    response = post(client, api, "carer", f"/claims/{claim_id}/choice-preview",
                    {"choice": "take_less", "amount": "20.00", "rest": "later", "later_on": LATER})

    assert response.status_code == 200, response.json
    answer = response.json
    assert answer["parts"] == [{"part": "take", "amount": "20.00"},
                               {"part": "later", "amount": "30.40", "later_on": LATER}]
    assert answer["expected_payment_date"] == "2025-06-09" and answer["required_action"] == "none"
    assert answer["policy"]["benefits"][0]["name"] == "carers_allowance"
    assert answer["policy"]["benefits"][0]["counted"] == "20.00"
    assert answer["later_policy"]["benefits"][0]["period"]["start"] == "2025-06-23"
    assert answer["effect_found"] is False
    assert app_footprint(app) == before
    with database(app) as session:
        assert session.get(Claim, claim_id).choice == "take"


def test_the_preview_is_not_for_a_project_manager(client, api):
    claim_id = drafted_fee(client, api)

    response = post(client, api, "manager", f"/claims/{claim_id}/choice-preview", {"choice": "take"})

    assert response.status_code == 403
