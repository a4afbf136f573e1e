"""The finance reports (a payment run's, a project budget's) match the run and the budget position."""

from __future__ import annotations

import datetime as dt

from ledger.documents import render
from ledger.formatting import money
from ledger.payments import runs
from ledger.projects import services as projects
from ledger.projects.budget import BudgetPlanLine
from ledger.reports.budget_report import project_budget_report
from ledger.reports.payees import participant_reference
from ledger.reports.run_report import payment_run_report
from tests.documents.pdf import assert_in_order, text
from tests.factories import ORGANISATION, PROJECT


def test_payment_run_report_matches_the_run_and_its_benefit_flags(session, books):
    report = payment_run_report(session, books.run_id, organisation=ORGANISATION)
    summary = runs.payment_run_summary(session, books.run_id)
    assert report.total == summary.total_pence == 5040 + 2000 + 840 + 420 + 5040 + 5040
    assert report.run_reference == summary.reference and report.status == "confirmed"
    assert report.prepared_by == "Fran Finance"
    ann = next(p for p in report.payees if p.payee.reference == participant_reference(books.ann))
    assert (ann.fees, ann.expenses, ann.items, ann.account_last_four) == (7040, 840, 3, "2222")
    assert [f.outcome.value for f in ann.flags] == ["breach"] and ann.flags[0].benefit == "Carer's Allowance"
    assert ann.flags[0].override_reason == "Each payee has been told and agrees."
    group = next(p for p in report.payees if p.payee.is_group)
    assert (group.fees, group.flags) == (5040, ())
    words = text(render.render_payment_run_report(report))
    assert_in_order(words, ["Total to pay", money(report.total), "Benefit checks to look at", "Siân O'Brien",
                            "Carer's Allowance", "Over a limit"])


def test_budget_report_by_cost_line(session, books):
    projects.set_budget_plan(session, PROJECT, [
        BudgetPlanLine("fees", "Fees", 30_000), BudgetPlanLine("travel_expenses", "Travel", 5_000),
        BudgetPlanLine("contingency", "Contingency", 1_000)], books.manager)
    report = project_budget_report(session, PROJECT, organisation=ORGANISATION, as_at=dt.date(2025, 6, 30))
    lines = {line.name: line for line in report.lines}
    assert (lines["Fees"].spent, lines["Fees"].committed) == (5040 + 2000 + 5040 + 5040, 5040)  # Cai's waits
    assert (lines["Travel"].spent, lines["Travel"].committed) == (840 + 420 + 2500, 0)
    assert lines["Contingency"].budget == 1_000 and report.budget == 36_000
    assert (report.people_involved, report.activities_held) == (3, 3)
    words = text(render.render_budget_report(report))
    assert_in_order(words, ["By cost line", "Fees", money(30_000), money(5040), money(17_120)])
    # On 10 June: the advance paid on 9 June is spent; what was accrued for the first meeting is committed.
    before = project_budget_report(session, PROJECT, organisation=ORGANISATION, as_at=dt.date(2025, 6, 10))
    assert (before.spent, before.committed) == (3000, 5040 + 840 + 420 + 5040)
