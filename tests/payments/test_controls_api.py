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
from ledger.payments import bacs, calendar
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


def test_a_late_run_is_moved_to_its_new_date_before_the_bacs_file_over_the_api_the_page_and_the_cli(client, setup):
    run, new_date = setup["run"], calendar.earliest_payment_date(LATE)
    early = client.get(f"/api/v1/payment-runs/{run}/bacs", headers=setup["auth"])
    assert early.status_code == 400 and list(early.get_json()["error"]["fields"]) == ["new_payment_date"]

    moved = client.post(f"/api/v1/payment-runs/{run}/reschedule", headers=setup["auth"],
                        json={"new_payment_date": new_date.isoformat()})
    assert moved.status_code == 200, moved.get_json()
    assert (moved.get_json()["status"], moved.get_json()["payment_date"]) == ("draft", new_date.isoformat())
    file = client.get(f"/api/v1/payment-runs/{run}/bacs", headers=setup["auth"])
    assert file.status_code == 200 and bacs.parse_standard18(file.get_data(as_text=True)).payment_date == new_date

    assert sign_in(client, "fiona@example.org").status_code == 302
    assert "Choose the new payment date" not in text_of(client.get(f"/finance/payment-runs/{run}"))
    cli = setup["app"].test_cli_runner()
    again = cli.invoke(args=["payments", "reschedule", str(run), "--new-payment-date", new_date.isoformat(),
                             "--as-user", "fiona@example.org"])
    assert again.exit_code == 1 and "leave the new payment date empty" in again.output


def test_the_run_page_moves_a_late_run_to_its_new_date(client, setup):
    assert sign_in(client, "fiona@example.org").status_code == 302
    assert "Choose the new payment date" in text_of(client.get(f"/finance/payment-runs/{setup['run']}"))
    new_date = calendar.earliest_payment_date(LATE)
    done = client.post(f"/finance/payment-runs/{setup['run']}/reschedule", follow_redirects=True,
                       data={"reschedule-new_payment_date": new_date.isoformat()})
    assert done.status_code == 200 and f"now pays on {new_date:%d %B %Y}" in text_of(done)


def test_the_threshold_on_a_payees_total_holds_on_the_run_page_and_the_cli(client, setup):
    app = setup["app"]
    app.config["SECOND_APPROVAL_ABOVE_PENCE"] = 5000  # each £30 part is under it; Ann's £60 in the run is over
    reload_settings(app)
    with database(app) as session:
        for claim in session.execute(select(Claim.id)).scalars():
            session.add(ClaimApproval(claim_id=claim, user_id=setup["fiona"], approved_at=dt.datetime.now(dt.UTC)))
    new_date = calendar.earliest_payment_date(LATE).isoformat()
    assert sign_in(client, "fiona@example.org").status_code == 302

    page = client.post(f"/finance/payment-runs/{setup['run']}/confirm",
                       data={"bank_reference": "BACS-9", "new_payment_date": new_date})
    cli = app.test_cli_runner().invoke(args=["payments", "confirm", str(setup["run"]), "--bank-reference", "BACS-9",
                                             "--new-payment-date", new_date, "--as-user", "fiona@example.org"])

    assert page.status_code == 409
    assert "would be paid more than £50.00 in this run" in text_of(page)
    assert "A second finance user, who neither drafted the run nor approved those claims, must confirm it" \
        in text_of(page)
    assert cli.exit_code == 1 and "would be paid more than £50.00 in this run" in " ".join(cli.output.split())
    assert status_of(client, setup) == "draft"

    add_user(app, "sam@example.org", ["finance"])
    done = app.test_cli_runner().invoke(args=["payments", "confirm", str(setup["run"]), "--bank-reference", "BACS-9",
                                              "--new-payment-date", new_date, "--as-user", "sam@example.org"])
    assert done.exit_code == 0, done.output
    assert status_of(client, setup) == "confirmed"
