"""The tax-year summary separates taxable fees from expenses and explains the trading allowance."""

from __future__ import annotations

import dataclasses

from ledger.documents import examples, render
from ledger.formatting import long_date, money
from tests.documents.pdf import assert_in_order, figures, text


def test_every_figure_matches_the_payments():
    summary = examples.annual_summary()
    words = text(render.render_annual_summary(summary))
    assert summary.fees == sum(4000 + n for n in range(12))
    assert_in_order(
        words,
        [f"Fees (taxable income) {money(summary.fees)}",
         f"Flat-rate allowances and vouchers (taxable income) {money(summary.taxable_allowances)}",
         f"Total taxable income from us {money(summary.taxable_total)}",
         f"Expenses paid back (not taxable) {money(summary.expenses)}",
         f"Fees paid to a group at your request (not paid to you) {money(summary.redirected)}"],
    )  # fmt: skip
    rows = []
    for line in summary.lines:
        rows += [long_date(line.date_paid), line.description, money(line.fees), money(line.taxable_allowances),
                 money(line.expenses)]  # fmt: skip
    assert_in_order(words, [*rows, "Total", money(summary.fees), money(summary.taxable_allowances),
                            money(summary.expenses)])  # fmt: skip


def test_under_the_allowance_says_there_is_usually_nothing_to_report():
    summary = examples.annual_summary()
    words = text(render.render_annual_summary(summary))
    assert summary.taxable_total < summary.trading_allowance
    assert "The £1,000 trading allowance" in words
    assert f"Your taxable income from us in this tax year was {money(summary.taxable_total)}. This is not more" in words
    assert "you usually do not need to tell HMRC" in words
    assert "6 April 2025 to 5 April 2026" in words


def test_over_the_allowance_gives_the_excess_and_the_registration_date():
    summary = examples.annual_summary(fees_each=9000)
    over = summary.taxable_total - summary.trading_allowance
    words = text(render.render_annual_summary(summary, large_print=True))
    assert over > 0
    assert f"This is {money(over)} more than the £1,000 trading allowance." in words
    assert "register by 5 October 2026" in words
    assert "usually do not need" not in words


def test_an_allowance_from_the_rules_data_is_used_as_given():
    summary = dataclasses.replace(examples.annual_summary(), trading_allowance=150050)
    words = text(render.render_annual_summary(summary))
    assert "The £1,500.50 trading allowance" in words


def test_no_payments_is_said_plainly():
    summary = dataclasses.replace(examples.annual_summary(), lines=(), redirected=0)
    words = text(render.render_annual_summary(summary))
    assert "We made no payments to you in this tax year." in words
    assert set(figures(render.render_annual_summary(summary))) == {"£0.00"}
