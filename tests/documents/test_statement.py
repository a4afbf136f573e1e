"""A statement shows every entry with its running balance, money and time credits apart."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.documents import examples, render
from ledger.formatting import duration, duration_signed, long_date, money, money_signed
from ledger.reports.records import EntryKind, StatementLine, StatementSection, Unit
from tests.documents.pdf import assert_in_order, figures, reader, text


def _row_figures(line: StatementLine, unit: Unit) -> list[str]:
    plain, signed = (duration, duration_signed) if unit is Unit.TIME_CREDIT else (money, money_signed)
    amount = [plain(line.memo_amount), "not paid"] if line.memo_amount else [signed(line.amount)]
    return [long_date(line.date), *amount, plain(line.balance)]


@pytest.mark.parametrize("large_print", [False, True])
def test_every_entry_and_running_balance_is_printed_in_order(large_print):
    statement = examples.statement(60)
    words = text(render.render_statement(statement, large_print=large_print))
    for section in (statement.money, statement.advances, statement.time_credits):
        plain = duration if section.unit is Unit.TIME_CREDIT else money
        expected = [f"Balance on 1 April 2025: {plain(section.opening)}"]
        for line in section.lines:
            expected += _row_figures(line, section.unit)
        expected.append(f"Balance on 31 March 2026: {plain(section.closing)}")
        assert_in_order(words, expected)


def test_no_figure_is_printed_that_the_ledger_does_not_have():
    statement = examples.statement(60)
    allowed = set()
    for section in (statement.money, statement.advances):
        allowed |= {money(section.opening), money(section.closing), money(section.total_in), money(section.total_out)}
        for line in section.lines:
            allowed |= {money_signed(line.amount), money(line.balance), money(line.memo_amount)}
    printed = figures(render.render_statement(statement))
    assert set(printed) <= allowed
    assert len(printed) >= 2 * 60 + 8  # an amount and a balance per line, and the summaries


def test_summary_gives_opening_added_taken_off_closing_and_what_is_owed():
    statement = examples.statement(12)
    words = text(render.render_statement(statement))
    m = statement.money
    assert m.opening + m.total_in - m.total_out == m.closing
    assert f"On 31 March 2026 we still owed you {money(statement.amount_owed)}." in words
    assert_in_order(
        words,
        ["Money we owe you", f"Balance on 1 April 2025 {money(m.opening)}", f"Added {money(m.total_in)}",
         f"Taken off {money(m.total_out)}", f"Balance on 31 March 2026 {money(m.closing)}",
         "Advances you hold", "Time credits", "Balance on 1 April 2025 2 hours", "Added 2 hours 30 minutes",
         "Taken off 1 hour", "Balance on 31 March 2026 3 hours 30 minutes"],
    )  # fmt: skip


def test_nothing_owed_and_owing_are_said_plainly():
    statement = examples.statement(3)  # fee, expense, payment
    paid_up = dataclasses.replace(statement, money=StatementSection(Unit.GBP, 0, (), 0))
    assert "we owed you nothing" in text(render.render_statement(paid_up))
    overpaid = StatementLine(dt.date(2025, 5, 1), EntryKind.PAYMENT, "Paid twice", -500, -500)
    owing = dataclasses.replace(statement, money=StatementSection(Unit.GBP, 0, (overpaid,), -500))
    assert "you owed us £5.00" in text(render.render_statement(owing))


def test_fees_expenses_donations_and_declined_offers_are_shown_distinctly():
    words = text(render.render_statement(examples.statement(6)))
    for label in ("Fee:", "Expenses:", "Paid to you:", "Offer declined:", "Given to a group at your request:",
                  "Correction:"):  # fmt: skip
        assert label in words
    assert_in_order(words, ["What the words mean", "Offer declined: a fee we offered and you chose not to take"])


def test_time_credits_are_never_shown_as_money():
    words = text(render.render_statement(examples.statement(3)))
    assert_in_order(
        words,
        ["Time credits", "Time credits earned: Reading group", "+2 hours 30 minutes", "4 hours 30 minutes",
         "Time credits spent: Swimming at Plas Arthur", "-1 hour"],
    )  # fmt: skip


def test_a_thousand_line_statement_repeats_the_table_header_on_every_page():
    pdf = reader(render.render_statement(examples.statement(1000)))
    total = len(pdf.pages)
    assert total > 20
    for number, page in enumerate(pdf.pages[1:-1], start=2):
        words = " ".join(page.extract_text().split())
        assert "Date What happened Amount Balance" in words, number
        assert f"Page {number} of {total}" in words


@settings(max_examples=15, deadline=None)
@given(amounts=st.lists(st.integers(min_value=-10**7, max_value=10**7).filter(bool), min_size=1, max_size=40),
       opening=st.integers(min_value=-10**6, max_value=10**6))  # fmt: skip
def test_any_sequence_of_amounts_prints_its_running_balances(amounts, opening):
    balance, lines = opening, []
    for n, amount in enumerate(amounts):
        balance += amount
        kind = EntryKind.FEE if amount > 0 else EntryKind.REVERSAL
        lines.append(StatementLine(dt.date(2025, 4, 1) + dt.timedelta(days=n), kind, f"Entry {n}", amount, balance))
    statement = dataclasses.replace(
        examples.statement(1), money=StatementSection(Unit.GBP, opening, tuple(lines), balance),
        time_credits=None, advances=None,
    )  # fmt: skip
    words = text(render.render_statement(statement))
    expected = [money(opening)]
    for line in lines:
        expected += [long_date(line.date), f"Entry {lines.index(line)}", money_signed(line.amount), money(line.balance)]
    assert_in_order(words, [*expected, f"Balance on 31 March 2026: {money(balance)}"])
