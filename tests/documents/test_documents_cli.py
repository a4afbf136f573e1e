"""``flask documents ...``: one file per participant or payee, each with the ledger's figures, and a summary line."""

from __future__ import annotations

import stat

import pytest
from sqlalchemy import func, select

from ledger.books import queries
from ledger.db import unit_of_work
from ledger.documents import cli
from ledger.documents.cli import documents_cli
from ledger.documents.models import IssuedDocument
from ledger.formatting import money
from ledger.payments.models import PaymentRun
from ledger.people.accounts import participant_accounts
from ledger.projects import services as projects
from ledger.projects.budget import BudgetPlanLine
from ledger.reports.payees import group_reference, participant_reference
from tests.documents.pdf import assert_in_order, font_sizes, text
from tests.factories import JUNE, PROJECT, MonthOfBooks, month_of_books


@pytest.fixture
def books(app) -> MonthOfBooks:
    with unit_of_work(app.extensions["session_factory"]) as session:
        built = month_of_books(session)
        projects.set_budget_plan(session, PROJECT, [BudgetPlanLine("fees", "Fees", 30_000),
                                                    BudgetPlanLine("travel_expenses", "Travel", 2_000)], built.manager)
    return built


def _run(runner, *args):
    return runner.invoke(documents_cli, list(args))


def test_statements_for_a_month_one_file_per_participant_with_a_summary(app, runner, books, tmp_path):
    result = _run(runner, "statements", "--month", "2025-06", "--out", str(tmp_path / "june"))
    assert result.exit_code == 0, result.output
    assert ("Wrote 3 statements for 1 June 2025 to 30 June 2025 to " in result.output
            and "(1 in large print); 0 could not be made." in result.output)
    files = sorted(p.name for p in (tmp_path / "june").iterdir())
    references = [participant_reference(pid) for pid in (books.ann, books.bea, books.cai)]
    assert files == sorted(f"statement-2025-06-{ref}.pdf" for ref in references)
    with unit_of_work(app.extensions["session_factory"]) as session:
        for pid, ref in zip((books.ann, books.bea, books.cai), references, strict=True):
            pdf = (tmp_path / "june" / f"statement-2025-06-{ref}.pdf").read_bytes()
            closing = -int(queries.statement(session, participant_accounts(pid).owed, *JUNE).closing_balance)
            assert f"Balance on 30 June 2025: {money(closing)}" in text(pdf)
            assert (min(font_sizes(pdf)) >= 16) is (pid == books.bea)
    assert stat.S_IMODE((tmp_path / "june" / files[0]).stat().st_mode) == 0o600  # personal data


def test_statements_in_large_print_for_everyone_and_a_bad_month(runner, books, tmp_path):
    out = tmp_path / "large"
    result = _run(runner, "statements", "--month", "2025-06", "--out", str(out), "--large-print", "yes")
    assert result.exit_code == 0 and "(3 in large print)" in result.output
    assert all(min(font_sizes(p.read_bytes())) >= 16 for p in out.iterdir())
    bad = _run(runner, "statements", "--month", "June", "--out", str(tmp_path))
    assert bad.exit_code == 2 and "YYYY-MM" in bad.output


@pytest.mark.parametrize("workers", [1, 2])
def test_remittances_for_a_run_one_file_per_payee(app, runner, books, tmp_path, workers):
    with unit_of_work(app.extensions["session_factory"]) as session:
        reference = session.get(PaymentRun, books.run_id).reference
    out = tmp_path / "remittances"
    result = _run(runner, "remittances", "--run", reference.lower(), "--out", str(out), "--workers", str(workers))
    assert result.exit_code == 0, result.output
    assert f"Wrote 3 remittance advices for payment run {reference}" in result.output
    assert "(1 in large print), for £183.80 paid." in result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(f"remittance-{reference}-{ref}.pdf" for ref in (
        participant_reference(books.ann), participant_reference(books.bea),
        group_reference(books.group)))
    ann = text((out / f"remittance-{reference}-{participant_reference(books.ann)}.pdf").read_bytes())
    assert_in_order(ann, ["We paid you £78.80 on 25 June 2025", "account ending 2222"])
    missing = _run(runner, "remittances", "--run", "999", "--out", str(out))
    assert missing.exit_code == 2 and "There is no payment run 999" in missing.output


def test_a_remittance_that_cannot_be_written_stops_the_run_before_its_register_rows(app, runner, books, tmp_path,
                                                                                    monkeypatch):
    """Files are written on threads while the next advice is drawn; one that fails (a full disk) still fails the
    command, no register row is committed, and no partial file is left."""
    write = cli._write

    def full_disk_for_bea(path, data):
        if participant_reference(books.bea) in path.name:
            raise OSError(28, "No space left on device")
        write(path, data)

    monkeypatch.setattr(cli, "_write", full_disk_for_bea)
    with unit_of_work(app.extensions["session_factory"]) as session:
        reference = session.get(PaymentRun, books.run_id).reference
    out = tmp_path / "remittances"
    result = _run(runner, "remittances", "--run", reference, "--out", str(out))
    assert result.exit_code != 0 and isinstance(result.exception, OSError), result.output
    with unit_of_work(app.extensions["session_factory"]) as session:
        assert session.execute(select(func.count()).select_from(IssuedDocument)).scalar_one() == 0
    names = {p.name for p in out.iterdir()}
    assert f"remittance-{reference}-{participant_reference(books.bea)}.pdf" not in names
    assert not [name for name in names if name.startswith(".partial-")], names


def test_tax_year_summaries_evidence_pack_and_reports(runner, books, tmp_path):
    result = _run(runner, "annual-summaries", "--tax-year", "2025", "--out", str(tmp_path / "tax"))
    assert result.exit_code == 0, result.output
    assert "Wrote 2 tax-year summaries for 6 April 2025 to 5 April 2026" in result.output
    assert "1 participant had no payments in the tax year" in result.output  # Cai waits for a later run
    ann = text((tmp_path / "tax" / f"tax-year-2025-{participant_reference(books.ann)}.pdf").read_bytes())
    assert_in_order(ann, ["Fees (taxable income)", "£70.40", "Expenses paid back (not taxable)", "£33.40"])

    pack = tmp_path / "pack.pdf"
    result = _run(runner, "evidence-pack", "--participant", str(books.bea), "--start", "2025-06-01",
                  "--end", "2025-06-30", "--out", str(pack), "--signatory-name", "Rhian Jones")
    assert result.exit_code == 0, result.output
    assert "2 benefits" in result.output
    assert_in_order(text(pack.read_bytes()), ["Universal Credit: payments in each assessment period",
                                              "Rhian Jones"])
    assert min(font_sizes(pack.read_bytes())) >= 16  # Bea's preferred format

    budget = tmp_path / "budget.pdf"
    result = _run(runner, "budget-report", "--project", PROJECT.lower(), "--out", str(budget), "--as-at",
                  "2025-06-30")
    assert result.exit_code == 0, result.output
    assert_in_order(text(budget.read_bytes()), ["By cost line", "Fees", "£300.00", "Travel", "£20.00"])
    report = tmp_path / "run.pdf"
    assert _run(runner, "payment-run-report", "--run", str(books.run_id), "--out", str(report)).exit_code == 0
    assert "Total to pay £183.80" in text(report.read_bytes())
    unknown = _run(runner, "budget-report", "--project", "NOPE", "--out", str(budget))
    assert unknown.exit_code == 1 and "There is no project NOPE" in unknown.output
