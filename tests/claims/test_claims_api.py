"""Claims over HTTP: one round trip per feature, who may do what, and bad input refused with nothing written."""

from __future__ import annotations

import io

import pytest

from ledger.context import reload_settings
from tests.factories import RECEIPT_PDF, app_footprint

V1 = "/api/v1"


def fee_body(world, participant=None):
    return {"activity_id": world.activity_id, "participant_id": participant or world.ann}


def expense_body(world, participant=None, **line):
    return {"participant_id": participant or world.ann, "activity_id": world.activity_id, "idempotency_key": "trip-1",
            "lines": [{"category": "public_transport", "description": "Train", "amount": "12.50", **line}]}


def post(client, api, who, path, body=None, **kwargs):
    return client.post(V1 + path, json=body, headers=api.headers(who), **kwargs)


def get(client, api, who, path):
    return client.get(V1 + path, headers=api.headers(who))


def drafted(client, api, participant=None) -> dict:
    response = post(client, api, "manager", "/claims/fee", fee_body(api.world, participant))
    assert response.status_code == 201, response.json
    return response.json


# ---------------------------------------------------------------- round trips


def test_a_fee_drafted_over_http_is_shown_in_pounds_and_pence_and_made_once(client, api):
    first = post(client, api, "manager", "/claims/fee", fee_body(api.world))
    again = post(client, api, "manager", "/claims/fee", fee_body(api.world))

    assert first.status_code == 201 and again.status_code == 200 and again.json["id"] == first.json["id"]
    claim = first.json
    assert (claim["offered"], claim["offered_pence"], claim["amount"], claim["amount_pence"]) == (
        "50.40", 5040, "50.40", 5040)
    assert (claim["rate"], claim["rate_pence"], claim["worked_hours"], claim["worked_minutes"]) == (
        "12.60", 1260, "4.00", 240)
    assert claim["status"] == "draft" and claim["choice"] == "take" and claim["project_code"] == "GUIDE"


def test_a_fee_goes_from_draft_to_approved_over_http(client, api):
    claim = drafted(client, api, api.world.carer)

    chosen = post(client, api, "carer", f"/claims/{claim['id']}/choice", {"choice": "take_less", "amount": "40.00"})
    submitted = post(client, api, "manager", f"/claims/{claim['id']}/submit")
    preview = get(client, api, "finance", f"/claims/{claim['id']}/approval-preview")
    approved = post(client, api, "finance", f"/claims/{claim['id']}/approve", {})

    assert chosen.status_code == 200 and chosen.json["amount"] == "40.00"
    assert chosen.json["choice_recorded_by_user_id"] == api.world.carer_user
    assert submitted.status_code == 200 and submitted.json["assisted"] is True
    assert preview.status_code == 200 and preview.json["policy"]["benefits"][0]["name"] == "carers_allowance"
    assert preview.json["required_action"] == "none" and preview.json["approvals_needed"] == 1
    assert approved.status_code == 200, approved.json
    assert approved.json["claim"]["status"] == "approved" and approved.json["claim"]["accrual_entry_id"]
    own = get(client, api, "carer", f"/claims/{claim['id']}")
    assert own.status_code == 200 and own.json["policy_decision"]["outcome"] == "ok"
    assert get(client, api, "manager", f"/claims/{claim['id']}").json["policy_decision"] is None  # special category


def test_reject_return_and_cancel_over_http(client, api):
    returned, rejected, cancelled = (drafted(client, api, p)["id"] for p in (api.world.ann, api.world.carer,
                                                                              api.world.teen))
    for claim_id in (returned, rejected):
        post(client, api, "manager", f"/claims/{claim_id}/submit")

    r1 = post(client, api, "finance", f"/claims/{returned}/return", {"reason": "Which meeting was this?"})
    r2 = post(client, api, "finance", f"/claims/{rejected}/reject", {"reason": "Not one of our meetings"})
    r3 = post(client, api, "manager", f"/claims/{cancelled}/cancel", {"reason": "Entered twice"})

    assert (r1.status_code, r1.json["status"], r1.json["reason"]) == (200, "returned", "Which meeting was this?")
    assert (r2.status_code, r2.json["status"]) == (200, "rejected")
    assert (r3.status_code, r3.json["status"]) == (200, "cancelled")


def test_expenses_with_mileage_and_a_receipt_over_http(client, api, app):
    body = expense_body(api.world, api.world.teen)
    body["lines"].append({"category": "mileage", "description": "Drove back", "miles": "40"})

    created = post(client, api, "manager", "/claims/expense", body)
    line_id = created.json["lines"][0]["id"]
    uploaded = client.post(f"{V1}/claims/{created.json['id']}/lines/{line_id}/receipts",
                           data={"file": (io.BytesIO(RECEIPT_PDF), "train ticket.pdf")},
                           headers=api.headers("manager"), content_type="multipart/form-data")
    fetched = get(client, api, "teen", f"/claims/{created.json['id']}/receipts/{uploaded.json['id']}")

    assert created.status_code == 201, created.json
    assert [(x["amount"], x["amount_pence"]) for x in created.json["lines"]] == [("12.50", 1250), ("18.00", 1800)]
    assert created.json["amount"] == "30.50"
    assert uploaded.status_code == 201 and uploaded.json["content_type"] == "application/pdf"
    assert fetched.status_code == 200 and fetched.data == RECEIPT_PDF
    assert fetched.mimetype == "application/pdf"
    assert fetched.headers["Content-Disposition"].startswith("attachment") and "train" in fetched.headers[
        "Content-Disposition"]
    assert get(client, api, "carer", f"/claims/{created.json['id']}/receipts/{uploaded.json['id']}").status_code == 404


def test_a_wrong_or_oversized_receipt_is_refused_over_http(client, api, app):
    app.config["RECEIPT_MAX_BYTES"] = 1024
    reload_settings(app)
    claim = post(client, api, "manager", "/claims/expense", expense_body(api.world)).json
    path = f"{V1}/claims/{claim['id']}/lines/{claim['lines'][0]['id']}/receipts"
    before = app_footprint(app)

    def upload(data, name="receipt.pdf"):
        files = {} if data is None else {"file": (io.BytesIO(data), name)}
        return client.post(path, data=files, headers=api.headers("manager"), content_type="multipart/form-data")

    for response in (upload(b"just some text"), upload(RECEIPT_PDF + b"0" * 1024), upload(None)):
        assert response.status_code == 400 and "file" in response.json["error"]["fields"]
    assert app_footprint(app) == before


def test_time_credits_are_claimed_in_hours_over_http(client, api):
    body = {"participant_id": api.world.ann, "project_code": "GUIDE", "hours": "2.5", "idempotency_key": "tc-1"}

    created = post(client, api, "manager", "/claims/time-credits", body)

    assert created.status_code == 201, created.json
    assert created.json["time_credit_minutes"] == 150 and created.json["time_credit_hours"] == "2.50"
    assert created.json["kind"] == "time_credit" and created.json["amount_pence"] == 0


def test_an_advance_settled_by_receipts_over_http(client, api):
    advance = post(client, api, "finance", "/advances", {"participant_id": api.world.ann, "project_code": "GUIDE",
                                                         "amount": "40.00", "paid_on": "2025-06-01",
                                                         "idempotency_key": "adv-1"})
    claim = post(client, api, "manager", "/claims/expense",
                 {**expense_body(api.world, amount="30.00"), "advance_id": advance.json["id"]}).json
    client.post(f"{V1}/claims/{claim['id']}/lines/{claim['lines'][0]['id']}/receipts",  # over £25: one is needed
                data={"file": (io.BytesIO(RECEIPT_PDF), "taxi.pdf")}, headers=api.headers("manager"),
                content_type="multipart/form-data")
    post(client, api, "manager", f"/claims/{claim['id']}/submit")
    post(client, api, "finance", f"/claims/{claim['id']}/approve", {})

    surplus = post(client, api, "finance", f"/advances/{advance.json['id']}/surplus",
                   {"how": "returned", "on": "2025-06-10"})

    assert advance.status_code == 201 and (advance.json["amount"], advance.json["amount_pence"]) == ("40.00", 4000)
    assert surplus.status_code == 200, surplus.json
    assert (surplus.json["used"], surplus.json["surplus"], surplus.json["status"]) == ("30.00", "10.00", "settled")
    assert surplus.json["surplus_entry_id"] is not None


# ---------------------------------------------------------------- who may do what


def test_a_participant_sees_only_their_own_claims(client, api):
    anns, own = drafted(client, api, api.world.ann)["id"], drafted(client, api, api.world.carer)["id"]

    listed = get(client, api, "carer", "/claims")

    assert listed.status_code == 200 and [c["id"] for c in listed.json] == [own]
    assert get(client, api, "carer", f"/claims?participant_id={api.world.ann}").status_code == 404
    assert get(client, api, "carer", f"/claims/{anns}").status_code == 404
    assert post(client, api, "carer", f"/claims/{anns}/choice", {"choice": "decline"}).status_code == 404
    assert get(client, api, "carer", f"/claims/{own}").status_code == 200
    assert [c["id"] for c in get(client, api, "manager", f"/claims?participant_id={api.world.ann}").json] == [anns]


@pytest.mark.parametrize(("who", "method", "path", "status"), [
    ("carer", "post", "/claims/fee", 403),
    ("carer", "post", "/claims/1/submit", 403),
    ("manager", "post", "/claims/1/approve", 403),
    ("manager", "get", "/claims/1/approval-preview", 403),
    ("manager", "post", "/advances", 403),
    (None, "get", "/claims", 401),
])
def test_roles_are_checked_before_anything_else(client, api, who, method, path, status):
    headers = api.headers(who) if who else {}

    response = getattr(client, method)(V1 + path, json={}, headers=headers)

    assert response.status_code == status


def test_a_project_manager_cannot_cancel_an_approved_claim(client, api):
    claim_id = drafted(client, api)["id"]
    post(client, api, "manager", f"/claims/{claim_id}/submit")
    post(client, api, "finance", f"/claims/{claim_id}/approve", {})

    assert post(client, api, "manager", f"/claims/{claim_id}/cancel", {}).status_code == 403
    assert post(client, api, "finance", f"/claims/{claim_id}/cancel", {}).json["reversal_entry_id"]


# ---------------------------------------------------------------- bad input


BAD_INPUT = {
    "negative amount": ("/claims/expense", lambda w: expense_body(w, amount="-5.00"), 400, "lines.0.amount"),
    "absurd amount": ("/claims/expense", lambda w: expense_body(w, amount="99999999.99"), 400, "lines.0.amount"),
    "over the line limit": ("/claims/expense", lambda w: expense_body(w, amount="5000.01"), 400, "lines.0.amount"),
    "amount as a float": ("/claims/expense", lambda w: expense_body(w, amount=12.5), 400, "lines.0.amount"),
    "too many decimals": ("/claims/expense", lambda w: expense_body(w, amount="1.005"), 400, "lines.0.amount"),
    "unknown category": ("/claims/expense", lambda w: expense_body(w, category="champagne"), 400,
                         "lines.0.category"),
    "mileage with an amount": ("/claims/expense", lambda w: expense_body(w, category="mileage", miles="3"), 400,
                               "lines.0.amount"),
    "no lines": ("/claims/expense", lambda w: {**expense_body(w), "lines": []}, 400, "lines"),
    "no project": ("/claims/expense", lambda w: {**expense_body(w), "activity_id": None}, 400, "project_code"),
    "unknown field": ("/claims/expense", lambda w: {**expense_body(w), "surprise": 1}, 400, "surprise"),
    "unknown participant": ("/claims/expense", lambda w: expense_body(w, participant=9999), 404, "participant_id"),
    "unknown project": ("/claims/expense", lambda w: {**expense_body(w), "activity_id": None, "project_code": "NOPE"},
                        404, "project_code"),
    "unknown advance": ("/claims/expense", lambda w: {**expense_body(w), "advance_id": 9999}, 404, "advance_id"),
    "unknown activity": ("/claims/fee", lambda w: {**fee_body(w), "activity_id": 9999}, 404, "activity_id"),
    "id as a string": ("/claims/fee", lambda w: {**fee_body(w), "participant_id": str(w.ann)}, 400,
                       "participant_id"),
    "no hours": ("/claims/time-credits", lambda w: {"participant_id": w.ann, "project_code": "GUIDE", "hours": "0",
                                                    "idempotency_key": "t"}, 400, "hours"),
    "absurd hours": ("/claims/time-credits", lambda w: {"participant_id": w.ann, "project_code": "GUIDE",
                                                        "hours": "5000", "idempotency_key": "t"}, 400, "hours"),
    "part minutes": ("/claims/time-credits", lambda w: {"participant_id": w.ann, "project_code": "GUIDE",
                                                        "hours": "1.333", "idempotency_key": "t"}, 400, "hours"),
    "negative advance": ("/advances", lambda w: {"participant_id": w.ann, "project_code": "GUIDE", "amount": "-40",
                                                 "paid_on": "2025-06-01", "idempotency_key": "a"}, 400, "amount"),
    "advance as a number": ("/advances", lambda w: {"participant_id": w.ann, "project_code": "GUIDE", "amount": 40,
                                                    "paid_on": "2025-06-01", "idempotency_key": "a"}, 400, "amount"),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(client, api, app, case):
    path, body, status, field = BAD_INPUT[case]
    who = "finance" if path == "/advances" else "manager"
    before = app_footprint(app)

    response = post(client, api, who, path, body(api.world))

    assert response.status_code == status, response.json
    assert field in response.json["error"]["fields"], response.json
    assert response.json["error"]["message"]
    assert app_footprint(app) == before


def test_a_transition_the_table_does_not_allow_is_a_conflict_over_http(client, api, app):
    claim_id = drafted(client, api)["id"]
    before = app_footprint(app)

    response = post(client, api, "finance", f"/claims/{claim_id}/approve", {})

    assert response.status_code == 409 and response.json["error"]["fields"] == {"status": ["draft"]}
    assert "still a draft" in response.json["error"]["message"]
    assert app_footprint(app) == before


def test_a_double_submission_is_a_conflict_over_http(client, api, app):
    claim_id = drafted(client, api)["id"]
    assert post(client, api, "manager", f"/claims/{claim_id}/submit").status_code == 200
    before = app_footprint(app)

    again = post(client, api, "manager", f"/claims/{claim_id}/submit")

    assert again.status_code == 409 and "status" in again.json["error"]["fields"]
    assert app_footprint(app) == before


def test_a_reason_is_needed_to_reject_and_an_unknown_claim_is_not_found(client, api, app):
    claim_id = drafted(client, api)["id"]
    post(client, api, "manager", f"/claims/{claim_id}/submit")
    before = app_footprint(app)

    no_reason = post(client, api, "finance", f"/claims/{claim_id}/reject", {})
    unknown = post(client, api, "finance", "/claims/9999/approve", {})

    assert no_reason.status_code == 400 and "reason" in no_reason.json["error"]["fields"]
    assert unknown.status_code == 404 and get(client, api, "finance", "/claims/9999").status_code == 404
    assert app_footprint(app) == before


def test_an_expense_line_over_the_receipt_amount_needs_a_receipt_before_approval(client, api, app):
    claim = post(client, api, "manager", "/claims/expense", expense_body(api.world, amount="30.00")).json
    post(client, api, "manager", f"/claims/{claim['id']}/submit")
    line = claim["lines"][0]["id"]
    before = app_footprint(app)

    refused = post(client, api, "finance", f"/claims/{claim['id']}/approve", {})

    assert refused.status_code == 409
    assert refused.json["error"]["fields"] == {"receipts": [f"line {line}"]}
    assert f"line {line}" in refused.json["error"]["message"] and "£25.00" in refused.json["error"]["message"]
    assert app_footprint(app) == before
    client.post(f"{V1}/claims/{claim['id']}/lines/{line}/receipts", data={"file": (io.BytesIO(RECEIPT_PDF), "r.pdf")},
                headers=api.headers("manager"), content_type="multipart/form-data")
    approved = post(client, api, "finance", f"/claims/{claim['id']}/approve", {})
    assert approved.status_code == 200 and approved.json["claim"]["status"] == "approved", approved.json


def test_an_expense_line_at_the_receipt_amount_needs_none(client, api):
    claim = post(client, api, "manager", "/claims/expense", expense_body(api.world, amount="25.00")).json
    post(client, api, "manager", f"/claims/{claim['id']}/submit")
    assert post(client, api, "finance", f"/claims/{claim['id']}/approve", {}).status_code == 200


def test_a_likely_duplicate_needs_a_confirmation_with_a_reason(client, api, app):
    body = expense_body(api.world, amount="12.50")
    first = post(client, api, "manager", "/claims/expense", body).json
    assert post(client, api, "manager", f"/claims/{first['id']}/submit").status_code == 200
    second = post(client, api, "manager", "/claims/expense", {**body, "idempotency_key": "trip-2"}).json
    before = app_footprint(app)

    refused = post(client, api, "manager", f"/claims/{second['id']}/submit")
    assert refused.status_code == 409
    assert refused.json["error"]["fields"] == {"confirm_duplicate": [f"Likely duplicate of claim {first['id']}."]}
    no_reason = post(client, api, "manager", f"/claims/{second['id']}/submit", {"confirm_duplicate": True})
    assert no_reason.status_code == 400 and "duplicate_reason" in no_reason.json["error"]["fields"]
    assert app_footprint(app) == before
    assert get(client, api, "manager", f"/claims/{second['id']}").json["status"] == "draft"

    confirmed = post(client, api, "manager", f"/claims/{second['id']}/submit",
                     {"confirm_duplicate": True, "duplicate_reason": "Two train journeys that day, out and back"})
    assert confirmed.status_code == 200 and confirmed.json["status"] == "submitted", confirmed.json
    [event] = [e for e in confirmed.json["events"] if e["action"] == "submit"]
    assert "Confirmed not a duplicate of claim(s) " + str(first["id"]) in event["note"]


def test_a_claim_of_another_amount_is_not_a_duplicate(client, api):
    body = expense_body(api.world, amount="12.50")
    first = post(client, api, "manager", "/claims/expense", body).json
    post(client, api, "manager", f"/claims/{first['id']}/submit")
    other = post(client, api, "manager", "/claims/expense", {**expense_body(api.world, amount="12.60"),
                                                               "idempotency_key": "trip-2"}).json
    assert post(client, api, "manager", f"/claims/{other['id']}/submit").status_code == 200
