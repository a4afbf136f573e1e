"""Controls at confirmation over HTTP and on the run page, on SQLite and PostgreSQL: a run past its Bacs
submission day, and the second-approval threshold on what one payee is paid in a run."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from sqlalchemy import select

from ledger.claims.models import Claim, ClaimApproval
from ledger.context import reload_settings
from ledger.payments import calendar
from tests.factories import PAY_ON, TODAY, PaymentsWorld, add_user, api_token_for, bearer, database, sign_in

LATE = calendar.bacs_input_day(PAY_ON) + dt.timedelta(days=1)  # the day after the Bacs file was due


def text_of(response) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


@pytest.fixture
def setup(app):
    with database(app) as session:
        world = PaymentsWorld(session)
        ann = world.participant("Ann Smith")
        world.claim(ann, 3000)
        world.claim(ann, 3000)
        run_id = world.draft().id
    finance = add_user(app, "fiona@example.org", ["finance"])
    app.config.update(LEDGER_TODAY=LATE.isoformat(), SECOND_APPROVAL_ABOVE_PENCE=100_000)
    reload_settings(app)
    return {"app": app, "auth": bearer(api_token_for(app, finance)), "run": run_id, "ann": ann, "fiona": finance}


def confirm(client, setup, **body):
    return client.post(f"/api/v1/payment-runs/{setup['run']}/confirm", headers=setup["auth"],
                       json={"bank_reference": "BACS-9", **body})


def status_of(client, setup) -> str:
    return client.get(f"/api/v1/payment-runs/{setup['run']}", headers=setup["auth"]).get_json()["status"]


def test_a_late_run_needs_a_new_payment_date_over_the_api(client, setup):
    missing = confirm(client, setup)
    assert missing.status_code == 400 and "new_payment_date" in missing.get_json()["error"]["fields"]
    weekend = next(LATE + dt.timedelta(days=n) for n in range(7, 14) if (LATE + dt.timedelta(days=n)).weekday() == 6)
    bad = confirm(client, setup, new_payment_date=weekend.isoformat())
    assert bad.status_code == 400 and "not a banking day" in bad.get_json()["error"]["fields"]["new_payment_date"][0]
    garbled = confirm(client, setup, new_payment_date="soon")
    assert garbled.status_code == 400 and "new_payment_date" in garbled.get_json()["error"]["fields"]
    assert status_of(client, setup) == "draft"

    new_date = calendar.earliest_payment_date(LATE)
    paid = confirm(client, setup, new_payment_date=new_date.isoformat())
    assert paid.status_code == 200, paid.get_json()
    assert (paid.get_json()["status"], paid.get_json()["payment_date"]) == ("confirmed", new_date.isoformat())


def test_the_threshold_applies_to_a_payees_total_in_the_run_over_the_api(client, setup):
    app = setup["app"]
    app.config["SECOND_APPROVAL_ABOVE_PENCE"] = 5000  # each £30 part is under it; Ann's £60 in the run is over
    reload_settings(app)
    with database(app) as session:
        for claim in session.execute(select(Claim.id)).scalars():
            session.add(ClaimApproval(claim_id=claim, user_id=setup["fiona"], approved_at=dt.datetime.now(dt.UTC)))
    new_date = calendar.earliest_payment_date(LATE).isoformat()

    same_eyes = confirm(client, setup, new_payment_date=new_date)
    assert same_eyes.status_code == 409
    assert same_eyes.get_json()["error"]["fields"] == {"second_approval": [f"participant:{setup['ann']}"]}
    assert status_of(client, setup) == "draft"

    second = bearer(api_token_for(app, add_user(app, "sam@example.org", ["finance"])))
    paid = client.post(f"/api/v1/payment-runs/{setup['run']}/confirm", headers=second,
                       json={"bank_reference": "BACS-9", "new_payment_date": new_date})
    assert paid.status_code == 200 and paid.get_json()["status"] == "confirmed"


def test_the_run_page_offers_a_new_payment_date_when_the_submission_day_has_passed(client, setup):
    assert sign_in(client, "fiona@example.org").status_code == 302
    page = text_of(client.get(f"/finance/payment-runs/{setup['run']}"))
    assert "Warning: the Bacs file for payment on" in page and "New payment date" in page

    refused = client.post(f"/finance/payment-runs/{setup['run']}/confirm", data={"bank_reference": "BACS-9"})
    assert refused.status_code == 400 and "Error: Required: the submission date has passed." in text_of(refused)

    new_date = calendar.earliest_payment_date(LATE)
    done = client.post(f"/finance/payment-runs/{setup['run']}/confirm", follow_redirects=True,
                       data={"bank_reference": "BACS-9", "new_payment_date": new_date.isoformat()})
    assert done.status_code == 200 and "is confirmed" in text_of(done)
    assert TODAY < LATE


def test_flask_payments_confirm_takes_a_new_payment_date_when_the_file_is_late(setup):
    cli, run = setup["app"].test_cli_runner(), str(setup["run"])
    as_fiona = ["--as-user", "fiona@example.org"]

    late = cli.invoke(args=["payments", "confirm", run, "--bank-reference", "BACS-9", *as_fiona])
    assert late.exit_code == 1 and "has passed" in late.output

    new_date = calendar.earliest_payment_date(LATE)
    done = cli.invoke(args=["payments", "confirm", run, "--bank-reference", "BACS-9", "--new-payment-date",
                            new_date.isoformat(), *as_fiona])
    assert done.exit_code == 0, done.output
    assert "confirmed" in done.output and f"payment date {new_date.isoformat()}" in done.output
