"""Tax-year figures for finance: each participant's totals agree with their annual summary, and a payment run
that takes someone past the trading allowance says so on its page, in the participant list, the API and the CLI.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from ledger.errors import ValidationError
from ledger.payments import runs
from ledger.people import services as people
from ledger.projects.models import Project
from ledger.reports.annual_summary import annual_summary
from ledger.reports.tax_year import allowance_crossings, read_tax_year, tax_year_page, trading_allowance
from policies.tax import TaxYear
from tests.factories import (
    CIPHER,
    JUNE_PAY_DAY,
    ORGANISATION,
    RULEBOOK,
    RULES,
    api_token_for,
    approved_claim,
    bearer,
    sign_in,
)

YEAR = TaxYear(2025)
JULY_PAY_DAY = dt.date(2025, 7, 30)


def test_tax_year_totals_are_the_annual_summary_s_figures_and_the_month_exports_through_the_api(
        app, client, session, books, tmp_path):
    first = tax_year_page(session, YEAR, RULEBOOK, limit=2)
    second = tax_year_page(session, YEAR, RULEBOOK, cursor=first.next_cursor, limit=2)

    rows = {row.participant_id: row for row in (*first.rows, *second.rows)}
    assert len(first.rows) == 2 and first.next_cursor == str(first.rows[-1].participant_id)
    assert second.next_cursor is None and set(rows) == {books.ann, books.bea, books.cai}
    for pid in (books.ann, books.bea):
        summary = annual_summary(session, pid, 2025, organisation=ORGANISATION, rulebook=RULEBOOK,
                                 issued=dt.date(2026, 4, 20))
        assert (rows[pid].fees, rows[pid].expenses, rows[pid].taxable_allowances) == (
            summary.fees, summary.expenses, sum(line.taxable_allowances for line in summary.lines))
    assert rows[books.ann].fees == 7040 and rows[books.ann].trading_allowance == 100_000
    assert not rows[books.ann].past_allowance
    assert tax_year_page(session, TaxYear(2024), RULEBOOK).rows[0].fees == 0
    session.rollback()

    # The month's payments, and its journal with people's names, through the API.
    headers = bearer(api_token_for(app, books.finance))
    june = {"from": "2025-06-01", "to": "2025-06-30"}

    payments = client.get("/api/v1/exports/payments", query_string=june, headers=headers)
    paid = list(csv.DictReader(io.StringIO(payments.get_data(as_text=True))))
    assert payments.status_code == 200 and {r["Payee"] for r in paid} >= {"Siân O'Brien", "Bea Ng"}
    assert all(r["Payment date"] == JUNE_PAY_DAY.isoformat() for r in paid)
    july = client.get("/api/v1/exports/payments", query_string={"from": "2025-07-01", "to": "2025-07-31"},
                      headers=headers)
    assert july.get_data(as_text=True).count("\n") == 1  # the header only

    journal = client.get("/api/v1/exports/beancount", query_string=june, headers=headers)
    path = tmp_path / "june.beancount"
    path.write_text(journal.get_data(as_text=True))
    text = path.read_text()
    assert "Liabilities:Owed:Participant:Sian-O-Brien" in text and 'code: "owed:participant:' in text
    checked = subprocess.run([str(Path(sys.executable).parent / "bean-check"), str(path)], capture_output=True,
                             text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    coded = client.get("/api/v1/exports/hledger", query_string={**june, "readable": "false"}, headers=headers)
    assert f"Liabilities:Owed:Participant:{books.ann}" in coded.get_data(as_text=True)
    wrong = client.get("/api/v1/exports/ledger-cli", headers=headers)
    assert wrong.status_code == 400 and list(wrong.get_json()["error"]["fields"]) == ["format"]


@pytest.mark.parametrize("typed", ["2025-27", "25", "twenty", "1999"])
def test_a_wrong_tax_year_is_refused_naming_tax_year(typed):
    with pytest.raises(ValidationError) as refused:
        read_tax_year(typed, today=dt.date(2026, 12, 1))
    assert list(refused.value.fields) == ["tax_year"]


def test_the_allowance_comes_from_the_policy_data():
    assert read_tax_year("2025-26", today=dt.date(2020, 1, 1)) == YEAR
    assert trading_allowance(RULEBOOK, YEAR) == RULEBOOK.get("tax.trading_allowance", YEAR.start).decimal * 100


def _july_run(session, books, pence: int) -> int:
    """Cai (no benefits) given bank details and a July fee of ``pence``, in a draft run."""
    people.set_bank_details(session, CIPHER, books.cai, sort_code="20-00-00", account_number="55556666",
                            account_name="C Jones")
    project = session.execute(select(Project)).scalars().first()
    approved_claim(session, books.cai, pence, activity_id=books.meetings[0], project_id=project.id,
                   project_code=project.code)
    run = runs.draft_payment_run(session, cutoff_date=JULY_PAY_DAY, payment_date=JULY_PAY_DAY,
                                 actor_user_id=books.finance, rulebook=RULEBOOK, settings=RULES.policy,
                                 today=dt.date(2025, 7, 1))
    session.commit()
    return run.id


def test_a_run_that_takes_someone_past_the_allowance_is_flagged_everywhere(app, client, runner, session, books):
    assert allowance_crossings(session, books.run_id, RULEBOOK) == []  # June's run stays within it
    before = next(r for r in tax_year_page(session, YEAR, RULEBOOK).rows if r.participant_id == books.cai).taxable
    run_id = _july_run(session, books, 100_000 - before)  # with June's fees, which wait for bank details: past

    crossings = allowance_crossings(session, run_id, RULEBOOK)
    assert [(c.participant_id, c.before) for c in crossings] == [(books.cai, before)]
    after = crossings[0].after
    assert after == before + crossings[0].in_run > 100_000
    session.rollback()  # the app's requests write (the export events): let go of the test's transaction

    sign_in(client, "fin@example.org")
    page = client.get(f"/finance/payment-runs/{run_id}").get_data(as_text=True)
    assert 'id="trading-allowance"' in page and "takes Cai Jones past the £1,000.00 trading allowance" in page
    listing = client.get("/finance/evidence-packs").get_data(as_text=True)
    assert listing.count("takes them past it") == 1
    year_page = client.get("/finance/tax-year?tax_year=2025")
    assert year_page.status_code == 200 and "takes them past it" in year_page.get_data(as_text=True)
    wrong = client.get("/finance/tax-year?tax_year=2025-27")
    assert wrong.status_code == 400 and 'id="tax_year-error"' in wrong.get_data(as_text=True)

    headers = bearer(api_token_for(app, books.finance))
    flagged = client.get(f"/api/v1/payment-runs/{run_id}/trading-allowance", headers=headers).get_json()
    assert [p["after_pence"] for p in flagged["participants"]] == [after]
    totals = client.get("/api/v1/tax-year-totals?tax_year=2025&limit=2", headers=headers).get_json()
    assert len(totals["participants"]) == 2 and totals["next_cursor"]
    rest = client.get(f"/api/v1/tax-year-totals?tax_year=2025&cursor={totals['next_cursor']}", headers=headers)
    assert [p["participant_id"] for p in rest.get_json()["participants"]] == [books.cai]
    bad = client.get("/api/v1/tax-year-totals?tax_year=soon", headers=headers)
    assert bad.status_code == 400 and list(bad.get_json()["error"]["fields"]) == ["tax_year"]
    bad_cursor = client.get("/api/v1/tax-year-totals?cursor=x", headers=headers)
    assert bad_cursor.status_code == 400 and list(bad_cursor.get_json()["error"]["fields"]) == ["cursor"]
    sheet = client.get("/api/v1/tax-year-totals.csv?tax_year=2025-26", headers=headers).get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(sheet)))
    assert {r["Name"]: r["Fees"] for r in rows}["Siân O'Brien"] == "70.40"

    cli = runner.invoke(args=["ledger", "trading-allowance", str(run_id)])
    assert cli.exit_code == 0 and "P" in cli.output and "Cai Jones past the £1,000.00" in cli.output
    totals_cli = runner.invoke(args=["ledger", "tax-year-totals", "--tax-year", "2025"])
    assert totals_cli.exit_code == 0 and "Siân O'Brien" in totals_cli.output
    refused = runner.invoke(args=["ledger", "tax-year-totals", "--tax-year", "next"])
    assert refused.exit_code == 2 and "tax_year:" in refused.output
