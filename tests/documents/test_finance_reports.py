"""The payment run and project budget reports give every total an auditor will check."""

from __future__ import annotations

from ledger.documents import examples, render
from ledger.formatting import money, money_signed
from tests.documents.pdf import assert_in_order, reader, text


def test_payment_run_shows_each_payee_and_the_totals():
    run = examples.payment_run(120)
    words = text(render.render_payment_run_report(run))
    assert_in_order(
        words,
        [f"Payees {len(run.payees)}", f"Items {run.item_count}",
         f"Payees with a benefit check to look at {len(run.flagged)}", f"Fees {money(run.fees)}",
         f"Expenses {money(run.expenses)}", f"Adjustments {money_signed(run.adjustments)}",
         f"Total to pay {money(run.total)}"],
    )  # fmt: skip
    rows = []
    for p in run.payees:
        rows += [p.payee.reference, f"…{p.account_last_four}", money(p.fees), money(p.expenses), money(p.total)]
    assert_in_order(
        words, [*rows, "Total", str(run.item_count), money(run.fees), money(run.expenses), money(run.total)]
    )
    assert len(reader(render.render_payment_run_report(run)).pages) > 2


def test_payment_run_lists_benefit_flags_with_any_override():
    run = examples.payment_run(20)
    words = text(render.render_payment_run_report(run))
    flagged = run.flagged
    assert len(flagged) == 3
    expected = ["Benefit checks to look at", "3 payees would be affected"]
    for p in flagged:
        for flag in p.flags:
            expected += [p.payee.name, flag.benefit, flag.message, flag.override_reason or "None recorded"]
    assert_in_order(words, expected)
    assert "Over a limit override" in words and "Warning" in words


def test_a_clean_run_says_so():
    run = examples.payment_run(3)
    assert not run.flagged
    assert "No payment in this run takes anyone over a benefit limit." in text(render.render_payment_run_report(run))


def test_budget_report_gives_budget_committed_spent_and_remaining_by_line():
    report = examples.budget_report()
    words = text(render.render_budget_report(report))
    expected = []
    for line in report.lines:
        expected += [line.name, money(line.budget), money(line.committed), money(line.spent), money(line.remaining)]
    assert_in_order(words, [*expected, "Total", money(report.budget), money(report.committed), money(report.spent),
                            money(report.remaining)])  # fmt: skip
    assert_in_order(words, ["Travel and subsistence", "-£105.00 over budget", "112%"])
    assert "Fees £4,800.00 £450.00 £2,500.00 £1,850.00 61%" in words
    assert "People involved 14" in words and "Activities held 9" in words


def test_an_overspent_project_is_flagged_in_words():
    import dataclasses

    from ledger.reports.records import BudgetLine

    report = dataclasses.replace(examples.budget_report(), lines=(BudgetLine("Fees", 1000, 500, 800),))
    assert "The project is over budget by £3.00." in text(render.render_budget_report(report))
