"""The read records refuse figures that do not add up, so a wrong total can never be printed or shown."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from ledger.documents import examples
from ledger.reports.records import (
    BudgetLine,
    DocumentDataError,
    EntryKind,
    PaymentRunPayee,
    RemittanceLine,
    RemittanceLineKind,
    StatementLine,
    StatementSection,
    Unit,
    tax_year_bounds,
)

D = dt.date(2025, 6, 2)


def test_statement_with_a_wrong_running_balance_is_refused():
    lines = (
        StatementLine(D, EntryKind.FEE, "Meeting", 4000, 4000),
        StatementLine(D, EntryKind.PAYMENT, "Paid", -4000, 1),
    )
    with pytest.raises(DocumentDataError, match="line 2"):
        StatementSection(Unit.GBP, 0, lines, 1)


def test_statement_with_a_wrong_closing_balance_is_refused():
    lines = (StatementLine(D, EntryKind.FEE, "Meeting", 4000, 5000),)
    with pytest.raises(DocumentDataError, match="closing"):
        StatementSection(Unit.GBP, 1000, lines, 4000)


def test_declined_offer_changes_no_balance_and_needs_the_amount_offered():
    with pytest.raises(DocumentDataError):
        StatementLine(D, EntryKind.DECLINED, "Panel", 4000, 4000)
    with pytest.raises(DocumentDataError):
        StatementLine(D, EntryKind.DONATION, "Panel", 0, 0)
    with pytest.raises(DocumentDataError):
        StatementLine(D, EntryKind.FEE, "Panel", 4000, 4000, memo_amount=4000)
    assert StatementLine(D, EntryKind.DECLINED, "Panel", 0, 0, memo_amount=4000).memo_amount == 4000


def test_time_credits_and_money_do_not_mix():
    credit = StatementLine(D, EntryKind.TIME_CREDIT_EARNED, "Reading group", 60, 60)
    with pytest.raises(DocumentDataError, match="cannot appear"):
        StatementSection(Unit.GBP, 0, (credit,), 60)
    fee = StatementLine(D, EntryKind.FEE, "Meeting", 60, 60)
    with pytest.raises(DocumentDataError, match="cannot appear"):
        StatementSection(Unit.TIME_CREDIT, 0, (fee,), 60)


def test_statement_lines_must_fall_in_the_period():
    statement = examples.statement(6)
    with pytest.raises(DocumentDataError, match="outside"):
        dataclasses.replace(statement, period_end=dt.date(2025, 5, 1))


def test_remittance_total_must_match_its_lines():
    advice = examples.remittance(0)
    with pytest.raises(DocumentDataError, match="does not match"):
        dataclasses.replace(advice, total_paid=advice.total_paid + 1)


def test_redirected_fees_are_not_part_of_the_payment():
    advice = examples.remittance(0, lines=3)
    assert advice.redirected == 5000
    assert advice.total_paid == advice.fees + advice.expenses


def test_remittance_lines_are_checked():
    with pytest.raises(DocumentDataError):
        RemittanceLine("Meeting", D, RemittanceLineKind.FEE, -1)
    with pytest.raises(DocumentDataError):
        RemittanceLine("Meeting", D, RemittanceLineKind.REDIRECTED, 100)  # no group named
    with pytest.raises(DocumentDataError):
        RemittanceLine("Meeting", D, RemittanceLineKind.ADJUSTMENT, -100)  # no reason given
    assert RemittanceLine("Meeting", D, RemittanceLineKind.ADJUSTMENT, -100, "Unused advance").amount == -100


@pytest.mark.parametrize("last_four", ["123", "12345", "12a4", "１２３４"])
def test_account_last_four_must_be_four_digits(last_four):
    with pytest.raises(DocumentDataError):
        dataclasses.replace(examples.remittance(0), account_last_four=last_four)


def test_payment_run_total_must_match_the_payees():
    run = examples.payment_run(5)
    with pytest.raises(DocumentDataError, match="run total"):
        dataclasses.replace(run, total=run.total - 1)
    with pytest.raises(DocumentDataError, match="twice"):
        dataclasses.replace(run, payees=run.payees + run.payees[:1], total=run.total + run.payees[0].total)
    with pytest.raises(DocumentDataError, match="not fees"):
        PaymentRunPayee(examples.payee(1), items=1, fees=100, expenses=100, total=201)


def test_annual_summary_payments_must_fall_in_the_tax_year():
    summary = examples.annual_summary()
    assert (summary.start, summary.end) == (dt.date(2025, 4, 6), dt.date(2026, 4, 5))
    assert tax_year_bounds(2026) == (dt.date(2026, 4, 6), dt.date(2027, 4, 5))
    late = dataclasses.replace(summary.lines[0], date_paid=dt.date(2026, 4, 6))
    with pytest.raises(DocumentDataError, match="outside the tax year"):
        dataclasses.replace(summary, lines=(late,))


def test_budget_remaining_is_budget_less_committed_and_spent():
    report = examples.budget_report()
    travel = report.lines[1]
    assert travel.remaining == 90000 - 5000 - 95500
    assert report.remaining == report.budget - report.committed - report.spent


def test_documents_are_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        examples.remittance(0).total_paid = 0  # type: ignore[misc]


def test_a_statement_lists_its_payments_and_says_when_the_participant_owes_us():
    statement = examples.statement()
    assert statement.payments == tuple(line for line in statement.money.lines if line.kind is EntryKind.PAYMENT)
    assert statement.payments and statement.participant_owes is (statement.amount_owed < 0)
    in_debt = dataclasses.replace(statement, money=StatementSection(Unit.GBP, -500, (), -500))
    assert in_debt.participant_owes and in_debt.payments == ()


def test_a_budget_line_or_a_budget_past_its_total_is_over_budget():
    report = examples.budget_report()
    on_budget = BudgetLine("Fees", 1000, 400, 600)
    over = BudgetLine("Travel", 1000, 0, 1001)
    assert (on_budget.over_budget, over.over_budget) == (False, True)
    assert dataclasses.replace(report, lines=(on_budget,)).over_budget is False
    assert dataclasses.replace(report, lines=(on_budget, over)).over_budget is True
