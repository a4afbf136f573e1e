"""Pay rules over HTTP (and the payments CLI): one round trip per rule."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.config import DEV_BANK_DETAILS_KEY
from ledger.context import reload_settings
from ledger.db import unit_of_work
from ledger.errors import ConfigurationError
from ledger.organisation import open_organisation_accounts
from ledger.people.bank import BankCipher
from ledger.people.services import set_bank_details
from ledger.projects.services import record_attendance, schedule_activity
from tests.claims.test_claims_api import get, post
from tests.factories import MEETING_DAY, app_footprint

REASON = "Agreed honorarium for a short film; the participant asked for the flat sum."


def _activity(app, api, *, on=MEETING_DAY, flat_fee_pence=None) -> int:
    with unit_of_work(app.extensions["session_factory"]) as session:
        made = schedule_activity(session, api.world.project_code, kind="advisory_meeting", occurs_on=on,
                                 duration_minutes=180, preparation_minutes=60, region="uk", title="Short film",
                                 flat_fee_pence=flat_fee_pence)
        record_attendance(session, made.id, api.world.ann, today=on)
        return made.id


def _mileage(client, api, key, count, on=MEETING_DAY) -> dict:
    body = {"participant_id": api.world.ann, "project_code": "GUIDE", "idempotency_key": key,
            "lines": [{"category": "mileage", "description": "Drove to the venue", "miles": str(count),
                       "incurred_on": on.isoformat()}]}
    response = post(client, api, "manager", "/claims/expense", body)
    assert response.status_code == 201, response.json
    return response.json


def test_a_flat_fee_below_the_minimum_is_a_409_naming_the_fee_and_nothing_is_written(client, api, app):
    low = _activity(app, api, flat_fee_pence=2000)
    before = app_footprint(app)

    response = post(client, api, "manager", "/claims/fee", {"activity_id": low, "participant_id": api.world.ann})

    assert response.status_code == 409
    error = response.json["error"]
    assert "flat_fee" in error["fields"] and "£48.84" in error["message"] and "aged 21 or over" in error["message"]
    assert app_footprint(app) == before


def test_with_override_a_fee_below_the_minimum_is_drafted_flagged_and_approved_with_a_reason(client, api, app):
    app.config["FLAT_FEE_BELOW_MINIMUM"] = "override"
    reload_settings(app)
    low = _activity(app, api, flat_fee_pence=2000)

    claim = post(client, api, "manager", "/claims/fee", {"activity_id": low, "participant_id": api.world.ann}).json
    post(client, api, "manager", f"/claims/{claim['id']}/submit")
    preview = get(client, api, "finance", f"/claims/{claim['id']}/approval-preview").json
    refused = post(client, api, "finance", f"/claims/{claim['id']}/approve", {})
    approved = post(client, api, "finance", f"/claims/{claim['id']}/approve", {"below_minimum_reason": REASON})

    assert (claim["legal_minimum"], claim["legal_minimum_pence"], claim["below_minimum_pence"]) == (
        "48.84", 4884, 2884)
    assert "aged 21 or over" in claim["minimum_note"]
    assert preview["below_minimum_reason_required"] and "£48.84" in preview["pay_warnings"][0]
    assert refused.status_code == 400 and "below_minimum_reason" in refused.json["error"]["fields"]
    assert approved.status_code == 200, approved.json
    assert approved.json["claim"]["status"] == "approved" and approved.json["pay_warnings"]
    assert REASON in approved.json["claim"]["events"][-1]["note"]


def test_an_unknown_flat_fee_setting_stops_the_app_at_start(app):
    app.config["FLAT_FEE_BELOW_MINIMUM"] = "warn"

    with pytest.raises(ConfigurationError, match="FLAT_FEE_BELOW_MINIMUM must be one of refuse, override"):
        reload_settings(app)


def test_a_stale_rate_shows_on_the_claim_the_preview_and_the_run_and_in_payments_show(client, api, app):
    stale = _activity(app, api, on=dt.date(2026, 11, 5))
    claim = post(client, api, "manager", "/claims/fee", {"activity_id": stale, "participant_id": api.world.ann}).json
    post(client, api, "manager", f"/claims/{claim['id']}/submit")
    preview = get(client, api, "finance", f"/claims/{claim['id']}/approval-preview").json
    approved = post(client, api, "finance", f"/claims/{claim['id']}/approve", {})
    with unit_of_work(app.extensions["session_factory"]) as session:
        open_organisation_accounts(session)
        set_bank_details(session, BankCipher(DEV_BANK_DETAILS_KEY), api.world.ann, sort_code="20-00-00",
                         account_number="12345678", account_name="A JONES")
    today = dt.date.today()
    run = post(client, api, "finance", "/payment-runs", {"cutoff_date": today.isoformat(),
                                                          "payment_date": (today + dt.timedelta(days=7)).isoformat()})
    shown = app.test_cli_runner().invoke(args=["payments", "show", str(run.json["id"]), "--as-user",
                                               "fin@example.org"])

    assert claim["rate_stale_since"] == "2026-10-31" and "31 October 2026" in claim["rate_warning"]
    assert preview["rate_stale_since"] == "2026-10-31" and preview["pay_warnings"]
    assert approved.status_code == 200 and approved.json["claim"]["status"] == "approved"
    assert run.status_code == 201, run.json
    assert run.json["payees"][0]["stale_rate_claim_ids"] == [claim["id"]] and run.json["stale_rate_claim_count"] == 1
    assert shown.exit_code == 0 and f"STALE RATE: claim(s) {claim['id']}" in shown.output


def test_cancelling_a_claim_over_http_reprices_later_mileage_and_a_top_up_pays_an_approved_one(client, api):
    spring = _mileage(client, api, "spring", 1990, dt.date(2025, 4, 7))
    for n in range(1, 5):
        _mileage(client, api, f"spring-{n}", 1990, dt.date(2025, 4, 7 + n))
    crossing = _mileage(client, api, "crossing", 100)
    open_later = _mileage(client, api, "open", 10)
    approved_later = _mileage(client, api, "approved", 10)
    post(client, api, "manager", f"/claims/{approved_later['id']}/submit")
    assert post(client, api, "finance", f"/claims/{approved_later['id']}/approve", {}).status_code == 200

    cancelled = post(client, api, "finance", f"/claims/{crossing['id']}/cancel", {"reason": "Wrong person"})
    repriced = get(client, api, "finance", f"/claims/{open_later['id']}").json
    flagged = get(client, api, "finance", f"/claims/{approved_later['id']}").json
    top_up = post(client, api, "finance", f"/claims/{approved_later['id']}/mileage-top-up")
    again = post(client, api, "finance", f"/claims/{approved_later['id']}/mileage-top-up")

    assert spring["amount_pence"] == 1990 * 45 and cancelled.status_code == 200
    assert repriced["lines"][0]["amount_pence"] == 450 and repriced["amount"] == "4.50"  # from 10 x 25p
    assert repriced["events"][-1]["action"] == "reprice"
    assert (flagged["amount_pence"], flagged["repricing_owed"], flagged["repricing_outstanding_pence"]) == (
        250, "2.00", 200)
    assert top_up.status_code == 201 and again.status_code == 200 and again.json["id"] == top_up.json["id"]
    assert top_up.json["tops_up_claim_id"] == approved_later["id"] and top_up.json["amount_pence"] == 200
