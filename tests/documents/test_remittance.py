"""A remittance advice shows what was paid, for which activities, fees and expenses apart."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from ledger.documents import examples, render
from ledger.formatting import long_date, money, money_signed
from ledger.reports.records import Payee, RemittanceLine, RemittanceLineKind
from tests.documents.pdf import assert_in_order, figures, text


def _advice():
    d = dt.date(2025, 6, 2)
    lines = (
        RemittanceLine("Advisory group meeting", d, RemittanceLineKind.FEE, 3780, "3 hours at £12.60 an hour"),
        RemittanceLine("Interview panel", d, RemittanceLineKind.FEE, 5040, "4 hours"),
        RemittanceLine("Advisory group meeting", d, RemittanceLineKind.EXPENSE, 840, "Return bus fare"),
        RemittanceLine("Training day", dt.date(2025, 6, 9), RemittanceLineKind.REDIRECTED, 6000, "",
                       redirected_to="Brixton Carers' Group"),
        RemittanceLine("Conference", dt.date(2025, 6, 12), RemittanceLineKind.ADJUSTMENT, -1500,
                       "Unused travel advance"),
    )  # fmt: skip
    return dataclasses.replace(examples.remittance(), lines=lines, total_paid=3780 + 5040 + 840 - 1500)


@pytest.mark.parametrize("large_print", [False, True])
def test_every_figure_matches_the_payment(large_print):
    advice = _advice()
    words = text(render.render_remittance(advice, large_print=large_print))
    expected = {
        money(3780), money(5040), money(840), money(6000), money_signed(-1500), "£12.60",
        money(advice.fees), money(advice.expenses), money(advice.total_paid), money(advice.redirected),
    }  # fmt: skip
    assert set(figures(render.render_remittance(advice, large_print=large_print))) == expected
    assert advice.total_paid == 8160
    assert f"We paid you {money(8160)} on 27 June 2025." in words
    assert_in_order(
        words,
        ["What we paid for", "Advisory group meeting. 3 hours at £12.60 an hour", "£37.80", "Interview panel. 4 hours",
         "£50.40", "Advisory group meeting. Return bus fare", "£8.40", "Conference. Unused travel advance", "-£15.00",
         "Total", "£88.20", "£8.40", "-£15.00", "Total paid: £81.60"],
    )  # fmt: skip


def test_fees_and_expenses_are_in_separate_columns():
    words = text(render.render_remittance(_advice()))
    assert "Date What for Fee Expenses Other changes" in words
    only_fees = dataclasses.replace(_advice(), lines=_advice().lines[:2], total_paid=3780 + 5040)
    words = text(render.render_remittance(only_fees))
    assert "Date What for Fee 2 June 2025" in words
    assert "Expenses" not in words


def test_it_shows_the_payment_date_run_and_only_the_last_four_digits():
    advice = _advice()
    words = text(render.render_remittance(advice))
    assert f"Payment date {long_date(advice.payment_date)}" in words
    assert f"Payment run {advice.run_reference}" in words
    assert f"the account ending {advice.account_last_four}" in words


def test_a_fee_redirected_to_a_group_is_shown_apart_and_not_as_paid():
    words = text(render.render_remittance(_advice()))
    assert_in_order(
        words,
        ["Paid to a group at your request", "not part of the £81.60", "Training day", "Paid to Brixton Carers' Group",
         "£60.00", "Total paid to groups", "£60.00"],
    )  # fmt: skip


def test_a_group_is_told_what_was_given_to_it():
    d = dt.date(2025, 6, 2)
    line = RemittanceLine(
        "Advisory group meeting", d, RemittanceLineKind.DONATION_RECEIVED, 4000, "A participant's fee"
    )
    advice = dataclasses.replace(
        examples.remittance(), payee=Payee("Brixton Carers' Group", "G0001", is_group=True), lines=(line,),
        total_paid=4000, account_last_four=None,
    )  # fmt: skip
    words = text(render.render_remittance(advice))
    assert "We paid your group £40.00 on 27 June 2025." in words
    assert "Date What for Given to your group" in words
    assert "the account ending" not in words


def test_batch_names_each_file_by_run_and_payee_in_order():
    advices = [examples.remittance(n) for n in range(4)]
    results = list(render.render_remittances(advices, large_print=lambda a: a.payee.reference == "P00001"))
    assert [name for name, _ in results] == [f"remittance-PR-2025-06-P{n:05d}.pdf" for n in range(4)]
    assert results[0][1] == render.render_remittance(advices[0])
    assert results[1][1] == render.render_remittance(advices[1], large_print=True)


def test_batch_in_two_processes_gives_the_same_files():
    advices = [examples.remittance(n) for n in range(6)]
    assert list(render.render_remittances(advices, workers=2)) == list(render.render_remittances(advices))


def test_batch_refuses_a_payee_twice():
    advice = examples.remittance(0)
    results = render.render_remittances([advice, advice])
    next(results)
    with pytest.raises(ValueError, match="both be called"):
        next(results)


def test_file_names_are_safe():
    advice = dataclasses.replace(examples.remittance(), run_reference="../../etc/passwd", payee=Payee("x", "a/b c"))
    assert render.remittance_filename(advice) == "remittance-etc-passwd-a-b-c.pdf"
