"""Payment runs over HTTP: one round trip per feature, with a finance user's API token."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.books.posting import lock_period
from ledger.payments import bacs, calendar
from tests.factories import PaymentsWorld, add_user, api_token_for, bearer, database

URL = "/api/v1/payment-runs"


@pytest.fixture
def app_with_payments(app):
    """The app with the payments API (a no-op once ledger.api registers it)."""
    from ledger.api import payments

    if "payments_api" not in app.blueprints:
        app.extensions["csrf"].exempt(payments.blp)
        app.extensions["api"].register_blueprint(payments.blp)
    return app


@pytest.fixture
def today() -> dt.date:
    return dt.date.today()


@pytest.fixture
def setup(app_with_payments, today):
    """A finance user's token, two payees with approved claims (one with no bank details) and the dates."""
    app = app_with_payments
    with database(app) as session:
        world = PaymentsWorld(session, today=today)
        ann, ned = world.participant("Ann Smith"), world.participant("Ned Nobank", bank=False)
        world.claim(ann, 4000)
        world.claim(ann, 1250, kind="expense")
        world.claim(ned, 3000)
        ids = {"ann": ann, "ned": ned}
    finance = add_user(app, "fiona@example.org", ["finance"])
    return {"app": app, "auth": bearer(api_token_for(app, finance)), "ids": ids, "cutoff": today,
            "pay_on": calendar.earliest_payment_date(today)}


def draft(client, setup, **body):
    body = {"cutoff_date": setup["cutoff"].isoformat(), "payment_date": setup["pay_on"].isoformat(), **body}
    return client.post(URL, json=body, headers=setup["auth"])


def test_finance_drafts_a_run_and_reads_it_back(client, setup):
    response = draft(client, setup)
    assert response.status_code == 201, response.get_json()
    run = response.get_json()
    assert (run["status"], run["total"], run["total_pence"], run["payee_count"]) == ("draft", "52.50", 5250, 1)
    [ann] = run["payees"]
    assert (ann["amount"], ann["fee_pence"], ann["expense_pence"]) == ("52.50", 4000, 1250)
    assert ann["sort_code"] == "**-**-00" and ann["account_number"].startswith("****")
    assert ann["benefit_check"]["outcome"] == "no_benefits_declared"
    [ned] = run["left_out"]
    assert (ned["reason"], ned["amount"], run["left_out_total"]) == ("no_bank_details", "30.00", "30.00")

    again = client.get(f"{URL}/{run['id']}", headers=setup["auth"])
    assert again.status_code == 200 and again.get_json()["reference"] == run["reference"]
    listed = client.get(URL, query_string={"status": "draft"}, headers=setup["auth"]).get_json()
    assert [r["id"] for r in listed] == [run["id"]]


def test_the_bacs_file_downloads_as_text_and_parses(client, setup):
    run = draft(client, setup).get_json()
    response = client.get(f"{URL}/{run['id']}/bacs", headers=setup["auth"])
    assert response.status_code == 200
    assert response.mimetype == "text/plain" and response.headers["Cache-Control"] == "no-store"
    assert f'filename="{run["reference"]}.bacs.txt"' in response.headers["Content-Disposition"]
    parsed = bacs.parse_standard18(response.get_data(as_text=True))
    assert parsed.total_pence == 5250 and parsed.payment_date == setup["pay_on"]


def test_the_bank_csv_downloads(client, setup):
    run = draft(client, setup).get_json()
    response = client.get(f"{URL}/{run['id']}/bank.csv", headers=setup["auth"])
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = response.get_data(as_text=True).splitlines()
    assert len(rows) == 2 and rows[1].startswith("ANN SMITH,200000,") and ",52.50," in rows[1]


def test_confirming_twice_answers_409_saying_who_confirmed(client, setup):
    run = draft(client, setup).get_json()
    first = client.post(f"{URL}/{run['id']}/confirm", json={"bank_reference": "ACCEPTED-1"}, headers=setup["auth"])
    assert first.status_code == 200, first.get_json()
    paid = first.get_json()
    assert paid["status"] == "confirmed" and paid["payees"][0]["entry_id"]

    second = client.post(f"{URL}/{run['id']}/confirm", json={"bank_reference": "ACCEPTED-2"}, headers=setup["auth"])
    assert second.status_code == 409
    assert "already confirmed by Fiona" in second.get_json()["error"]["message"]


def test_cancelling_a_run_and_cancelling_it_again(client, setup):
    run = draft(client, setup).get_json()
    cancelled = client.post(f"{URL}/{run['id']}/cancel", json={"reason": "Wrong date"}, headers=setup["auth"])
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    again = client.post(f"{URL}/{run['id']}/cancel", json={"reason": "Again"}, headers=setup["auth"])
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"


def test_removing_a_payee_from_a_draft(client, setup):
    run = draft(client, setup).get_json()
    response = client.post(f"{URL}/{run['id']}/remove-payee", headers=setup["auth"],
                           json={"payee_kind": "participant", "payee_id": setup["ids"]["ann"], "reason": "Checking"})
    assert response.status_code == 200 and response.get_json()["total_pence"] == 0


def test_a_draft_with_nothing_to_pay_is_a_409(client, setup):
    draft(client, setup)
    response = draft(client, setup)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "nothing_to_pay"


def test_a_payment_date_in_a_locked_month_is_a_409(client, setup):
    with database(setup["app"]) as session:
        lock_period(session, setup["pay_on"])
    response = draft(client, setup)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "period_locked"


@pytest.mark.parametrize("body", [{"payment_date": "next friday"}, {"payment_date": "1999-01-01"},
                                  {"cutoff_date": None}, {"payment_date": 20250101}])
def test_bad_dates_are_a_400_naming_the_field(client, setup, body):
    response = draft(client, setup, **body)
    assert response.status_code == 400
    assert set(response.get_json()["error"]["fields"]) <= {"payment_date", "cutoff_date"}


def test_unknown_runs_are_404_and_bad_confirmations_400(client, setup):
    assert client.get(f"{URL}/999", headers=setup["auth"]).status_code == 404
    run = draft(client, setup).get_json()
    response = client.post(f"{URL}/{run['id']}/confirm", json={"bank_reference": ""}, headers=setup["auth"])
    assert response.status_code == 400


def test_only_finance_manages_payment_runs(client, setup):
    manager = add_user(setup["app"], "pat@example.org", ["project_manager"])
    assert draft(client, {**setup, "auth": bearer(api_token_for(setup["app"], manager))}).status_code == 403
    assert client.post(URL, json={}).status_code == 401


# ---------------------------------------------------------------- and from the command line


@pytest.fixture
def cli(setup):
    return setup["app"].test_cli_runner()


def test_finance_drafts_exports_and_confirms_a_run_from_the_command_line(cli, setup, tmp_path):
    as_fiona = ["--as-user", "Fiona@example.org"]
    drafted = cli.invoke(args=["payments", "draft", "--cutoff", setup["cutoff"].isoformat(), "--payment-date",
                               setup["pay_on"].isoformat(), *as_fiona])
    assert drafted.exit_code == 0, drafted.output
    assert "1 payees, 2 claims, total £52.50" in drafted.output and "Ned Nobank has no bank details" in drafted.output
    run_id = drafted.output.split("(id ")[1].split(")")[0]

    out = tmp_path / "run.bacs"
    written = cli.invoke(args=["payments", "bacs", run_id, "--out", str(out), *as_fiona])
    assert written.exit_code == 0, written.output
    assert bacs.parse_standard18(out.read_text()).total_pence == 5250 and out.stat().st_mode & 0o077 == 0
    assert cli.invoke(args=["payments", "csv", run_id, "--out", str(tmp_path / "run.csv"), *as_fiona]).exit_code == 0
    assert "£52.50" in cli.invoke(args=["payments", "show", run_id, *as_fiona]).output

    confirmed = cli.invoke(args=["payments", "confirm", run_id, "--bank-reference", "REF-1", *as_fiona])
    assert confirmed.exit_code == 0 and ": confirmed" in confirmed.output
    again = cli.invoke(args=["payments", "cancel", run_id, "--reason", "late", *as_fiona])
    assert again.exit_code == 1 and "already confirmed by Fiona" in again.output
    balance = cli.invoke(args=["timebank", "balance", str(setup["ids"]["ann"]), *as_fiona])
    assert balance.exit_code == 0 and "holds 0 hours" in balance.output


def test_the_command_line_needs_a_finance_user(cli, setup):
    add_user(setup["app"], "pat@example.org", ["project_manager"])
    refused = cli.invoke(args=["payments", "show", "1", "--as-user", "pat@example.org"])
    assert refused.exit_code == 2 and "not a finance user" in refused.output


def test_taking_the_bank_files_is_in_the_audit_log(client, setup):
    run = draft(client, setup).get_json()
    client.get(f"{URL}/{run['id']}/bacs", headers=setup["auth"])
    client.get(f"{URL}/{run['id']}/bank.csv", headers=setup["auth"])

    log = client.get("/api/v1/events", query_string={"run_id": run["id"]}, headers=setup["auth"]).get_json()
    exports = [(e["action"], e["actor"]["name"], e["details"])
               for e in log["events"] if e["action"].startswith("export")]
    assert exports == [("export_bank_csv", "Fiona", {"payees": 1, "total_pence": 5250}),
                       ("export_bacs", "Fiona", {"payees": 1, "total_pence": 5250})]
