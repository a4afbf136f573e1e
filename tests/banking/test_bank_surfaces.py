"""Bank statements through the web pages, the JSON API and the CLI: import, queue, match, reconcile, refusals."""

from __future__ import annotations

import datetime as dt
import io
from html import unescape

import pytest

from ledger.banking import services
from ledger.context import reload_settings
from tests.factories import (
    PAY_ON,
    PaymentsWorld,
    add_user,
    api_token_for,
    bearer,
    database,
    footprint,
    sign_in,
    text_of,
)

LATER = PAY_ON + dt.timedelta(days=4)


@pytest.fixture
def paid(app):
    app.config["LEDGER_TODAY"] = LATER.isoformat()
    reload_settings(app)
    with database(app) as session:
        world = PaymentsWorld(session)
        ann, bob = world.participant("Ann Smith"), world.participant("Bob Jones")
        world.claim(ann, 4000)
        world.claim(bob, 3000)
        run = world.draft()
        world.confirm(run.id)
    finance = add_user(app, "fiona@example.org", ["finance"])
    return {"app": app, "run": run, "auth": bearer(api_token_for(app, finance))}


def starling(run_reference: str) -> str:
    day = PAY_ON.strftime("%d/%m/%Y")
    return ("Date,Counter Party,Reference,Type,Amount (GBP),Balance (GBP)\n"
            f"{day},BACS,{run_reference},BACS,-70.00,930.00\n{day},Bank,Monthly fee,CHARGE,-5.00,925.00\n")


def test_the_api_and_the_cli_import_page_through_lines_match_refuse_and_reconcile(client, runner, paid, tmp_path):
    _refusals_write_nothing(client, paid)
    auth = paid["auth"]
    sent = {"filename": "sept.csv", "content": starling(paid["run"].reference), "preset": "starling"}
    first = client.post("/api/v1/bank-statements", json=sent, headers=auth)
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["added"] == 2 and first.get_json()["suggested"] == 1
    again = client.post("/api/v1/bank-statements", json=sent, headers=auth)
    assert again.status_code == 200 and again.get_json()["added"] == 0

    page = client.get("/api/v1/bank-statements/lines?limit=1", headers=auth).get_json()
    assert len(page["lines"]) == 1 and page["next_cursor"] and page["next"]
    following = client.get(page["next"], headers=auth).get_json()
    assert len(following["lines"]) == 1 and following["next_cursor"] is None
    lines = page["lines"] + following["lines"]
    run_line = next(line for line in lines if line["suggested_kind"] == "payment_run")
    fee_line = next(line for line in lines if line["suggested_kind"] is None)

    offered = client.get(f"/api/v1/bank-statements/lines/{run_line['id']}/candidates", headers=auth).get_json()
    assert offered[0]["kind"] == "payment_run" and offered[0]["id"] == paid["run"].id and offered[0]["score"] == 100
    assert client.post(f"/api/v1/bank-statements/lines/{run_line['id']}/confirm", headers=auth).status_code == 200
    refused = client.post(f"/api/v1/bank-statements/lines/{fee_line['id']}/match", headers=auth,
                          json={"kind": "payment_run", "target_id": paid["run"].id, "reason": "Bank fee"})
    assert refused.status_code == 409 and "already matched" in refused.get_json()["error"]["message"]

    assert client.post("/api/v1/bank-statements/suggest", headers=auth).get_json() == {"suggested": 0}
    report = client.get(f"/api/v1/bank-statements/reconciliation?date={PAY_ON}", headers=auth).get_json()
    # The file's opening balance is 1,000.00 (its first balance less the line); the books had nothing before.
    assert report["bank_balance_pence"] == 92500 and report["books_balance_pence"] == -7000
    assert sorted(d["kind"] for d in report["differences"]) == ["in_bank_only", "opening"]
    assert report["unexplained_pence"] == 0
    _the_cli(runner, paid, tmp_path)


REFUSED = [
    ({"content": "Date,Amount\n01/09/2026,1.00\n", "mapping": {"date": "Date", "description": "Memo",
                                                                 "amount": "Amount"}}, "description"),
    ({"content": "Date,Memo,Amount\n31/02/2026,x,1.00\n", "preset": "barclays"}, "account"),
    ({"content": "Number,Date,Account,Amount,Subcategory,Memo\n,31/02/2026,1,1.00,x,y\n", "preset": "barclays"},
     "file"),
    ({"content": "x", "preset": "nobank"}, "preset"),
    ({"preset": "barclays"}, "content"),
    ({"content": "Number,Date,Account,Amount,Subcategory,Memo\n,01/09/2026,1,1.00,x,y\n", "preset": "barclays",
      "opening_balance": "1.001"}, "opening_balance"),
]


def _refusals_write_nothing(client, paid):
    with database(paid["app"]) as session:
        before = footprint(session)
    for body, field in REFUSED:
        response = client.post("/api/v1/bank-statements", json=body, headers=paid["auth"])
        assert 400 <= response.status_code < 500, body
        assert field in response.get_json()["error"]["fields"], response.get_json()
    missing = client.post("/api/v1/bank-statements/lines/999/match", headers=paid["auth"],
                          json={"kind": "entry", "target_id": 1, "reason": "x"})
    assert missing.status_code == 404 and "line_id" in missing.get_json()["error"]["fields"]
    with database(paid["app"]) as session:
        assert footprint(session) == before


def test_finance_imports_through_the_mapping_step_confirms_and_reads_the_reconciliation(client, paid):
    assert sign_in(client, "fiona@example.org").status_code == 302
    home = client.get("/finance/bank-statements")
    assert home.status_code == 200 and "Import a statement" in text_of(home)
    csv = (f"When,What,Money\n{PAY_ON.strftime('%d/%m/%Y')},BACS {paid['run'].reference},-70.00\n").encode()
    token = _csrf(home.get_data(as_text=True))
    step = client.post("/finance/bank-statements/upload", data={
        "csrf_token": token, "preset": "", "file": (io.BytesIO(csv), "mine.csv")},
        content_type="multipart/form-data")
    assert step.status_code == 200 and "Which column holds what?" in text_of(step)
    html = step.get_data(as_text=True)
    form = {"csrf_token": _csrf(html), "content": _hidden(html, "content"), "filename": "mine.csv",
            "account": "", "opening_balance": "0", "date": "When", "date_format": "dd/mm/yyyy",
            "description": "", "amount": "Money", "paid_in": "", "paid_out": "", "balance": "", "reference": ""}
    refused = client.post("/finance/bank-statements/map", data=form)
    assert refused.status_code == 400 and 'id="description-error"' in refused.get_data(as_text=True)
    done = client.post("/finance/bank-statements/map", data={**form, "description": "What"}, follow_redirects=True)
    assert "Imported 1 new line(s)." in text_of(done) and "100 out of 100" in text_of(done)

    with database(paid["app"]) as session:
        line = services.list_lines(session).lines[0]
    confirmed = client.post(f"/finance/bank-statements/lines/{line.id}/confirm",
                            data={"csrf_token": _csrf(done.get_data(as_text=True))}, follow_redirects=True)
    assert "is matched" in text_of(confirmed)
    report = client.get(f"/finance/bank-statements/reconciliation?date={PAY_ON}")
    assert "None: the bank and the books agree." in text_of(report)
    sheet = client.get(f"/finance/bank-statements/reconciliation.csv?date={PAY_ON}")
    assert sheet.mimetype == "text/csv" and ",difference,0.00," in sheet.get_data(as_text=True)
    bad = client.get("/finance/bank-statements/reconciliation?date-day=31&date-month=2&date-year=2026")
    assert bad.status_code == 400 and "Enter a real date" in unescape(bad.get_data(as_text=True))


def _the_cli(runner, paid, tmp_path):
    """After the API's import and confirmation: the same file again adds nothing; a new line joins the queue."""
    path = tmp_path / "sept.csv"
    path.write_text(starling(paid["run"].reference), encoding="utf-8")
    again = runner.invoke(args=["bank", "import", str(path), "--preset", "starling", "--as-user",
                                "fiona@example.org"])
    assert again.exit_code == 0 and "nothing was added" in again.output
    later = tmp_path / "later.csv"
    later.write_text("Date,Counter Party,Reference,Type,Amount (GBP),Balance (GBP)\n"
                     f"{LATER:%d/%m/%Y},Bank,Interest,CREDIT,0.10,925.10\n", encoding="utf-8")
    done = runner.invoke(args=["bank", "import", str(later), "--preset", "starling", "--as-user",
                               "fiona@example.org"])
    assert done.exit_code == 0 and "Imported 1 new line(s)." in done.output, done.output
    with database(paid["app"]) as session:
        first = services.list_lines(session, limit=1).lines[0].id
    shown = runner.invoke(args=["bank", "line", str(first)])
    assert shown.exit_code == 0 and f"Line {first}:" in shown.output, shown.output
    assert "0 unmatched line(s) have a suggested match." in runner.invoke(args=["bank", "suggest"]).output
    queue = runner.invoke(args=["bank", "unmatched"])
    assert "2 line(s) unmatched, 0 with a suggestion." in queue.output
    report = runner.invoke(args=["bank", "reconcile", "--date", LATER.isoformat()])
    assert report.exit_code == 0 and "Balance per the bank statements: £925.10" in report.output
    assert "unexplained: £0.00" in report.output
    sheet = runner.invoke(args=["bank", "reconcile", "--date", LATER.isoformat(), "--format", "csv"]).output
    assert sheet.splitlines()[0] == "date,kind,amount,description,line_id,entry_id"
    assert f"{LATER.isoformat()},bank_balance,925.10," in sheet and sheet.splitlines()[-1].split(",")[2] == "0.00"
    bad = runner.invoke(args=["bank", "import", str(path), "--map", "nonsense", "--as-user", "fiona@example.org"])
    assert bad.exit_code != 0 and "--map" in bad.output


def _csrf(html: str) -> str:
    return _hidden(html, "csrf_token")


def _hidden(html: str, name: str) -> str:
    marker = f'name="{name}"'
    at = html.index(marker)
    tag = html[html.rindex("<", 0, at):html.index(">", at)]
    return tag.split('value="', 1)[1].split('"', 1)[0]
