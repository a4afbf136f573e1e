"""The co-production report's pages, API, downloads and command: who sees which report, a wrong date refused
naming its field (400, never a 500), and the same figures in every format."""

from __future__ import annotations

from ledger.claims import services as claims
from tests.factories import (
    PROJECT,
    add_user,
    api_token_for,
    approve,
    bearer,
    claims_world,
    database,
    sign_in,
    submitted_fee,
)

PERIOD = "from=2025-04-01&to=2026-03-31"


def _world(app) -> int:
    with database(app) as session:
        world = claims_world(session)
        claim_id = submitted_fee(session, world)
        approve(session, world, claim_id)
        return claims.get_claim(session, claim_id).amount_pence


def test_the_report_pages_api_csv_pdf_and_a_wrong_date(app, client):
    fee = _world(app)
    finance = add_user(app, "director@example.org", ["finance"])
    sign_in(client, "pm@example.org")  # Pam manages the project: its report, not the organisation's
    page = client.get(f"/projects/{PROJECT}/report?{PERIOD}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'role="img"' in html and "<title id=\"chart-0-title\">Fees and expenses by project</title>" in html
    assert f"£{fee / 100:,.2f}" in html
    assert client.get(f"/reports/organisation?{PERIOD}").status_code in (403, 404)
    wrong = client.get(f"/projects/{PROJECT}/report?from-day=31&from-month=2&from-year=2026")
    assert wrong.status_code == 400 and 'id="from-error"' in wrong.get_data(as_text=True)
    csv = client.get(f"/projects/{PROJECT}/report.csv?{PERIOD}")
    assert csv.mimetype == "text/csv" and f"{fee / 100:.2f}" in csv.get_data(as_text=True)
    pdf = client.get(f"/projects/{PROJECT}/report.pdf?{PERIOD}")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")

    headers = bearer(api_token_for(app, finance))
    body = client.get(f"/api/v1/reports/organisation?{PERIOD}", headers=headers).get_json()
    assert body["totals"]["fees_pence"] == fee and body["network_targets_percent"] == ["40", "50"]
    assert body["network_means"] == "active participants on the register"
    project = client.get(f"/api/v1/reports/projects/{PROJECT}?{PERIOD}", headers=headers).get_json()
    assert project["totals"]["fees"] == f"{fee / 100:.2f}" and project["start"] == "2025-04-01"
    bad = client.get(f"/api/v1/reports/projects/{PROJECT}?from=2025-02-30", headers=headers)
    assert bad.status_code == 400 and list(bad.get_json()["error"]["fields"]) == ["from"]
    assert client.get("/api/v1/reports/projects/NOPE", headers=headers).status_code == 404


def test_the_report_command_writes_csv_and_pdf(app, tmp_path):
    fee = _world(app)
    runner = app.test_cli_runner()
    out = tmp_path / "report.csv"
    done = runner.invoke(args=["ledger", "report", "--project", PROJECT, "--from", "2025-04-01", "--to",
                               "2026-03-31", "--format", "csv", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert f"{fee / 100:.2f}" in out.read_text()
    pdf = tmp_path / "report.pdf"
    done = runner.invoke(args=["ledger", "report", "--format", "pdf", "--out", str(pdf)])
    assert done.exit_code == 0 and pdf.read_bytes().startswith(b"%PDF"), done.output
    refused = runner.invoke(args=["ledger", "report", "--from", "2025-13-01", "--out", str(out)])
    assert refused.exit_code != 0 and "--from" in refused.output
