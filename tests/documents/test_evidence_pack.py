"""The benefits evidence letter gives each benefit period's earnings, disregarded expenses and offers."""

from __future__ import annotations

import pytest

from ledger.documents import examples, render
from ledger.formatting import date_range, duration, long_date, money
from tests.documents.pdf import assert_in_order, text


@pytest.mark.parametrize("large_print", [False, True])
def test_each_period_shows_earnings_expenses_declined_and_redirected(large_print):
    pack = examples.evidence_pack()
    words = text(render.render_evidence_pack(pack, large_print=large_print))
    for benefit in pack.benefits:
        expected = [f"{benefit.benefit}: payments in each {benefit.period_name}"]
        for period in benefit.periods:
            expected += [date_range(period.start, period.end), money(period.earnings)]
            expected += [money(period.disregarded_expenses), money(period.declined), money(period.redirected)]
            if period.minutes_worked is not None:
                expected.append(duration(period.minutes_worked))
        expected.append(f"{benefit.benefit}: every payment and offer")
        for period in benefit.periods:
            for item in period.items:
                expected += [long_date(item.date_received), item.description, money(item.amount)]
        assert_in_order(words, expected)


def test_the_period_figures_are_the_sums_of_their_items():
    carers = examples.evidence_pack().benefits[0]
    week = carers.periods[0]
    assert (week.earnings, week.disregarded_expenses, week.declined, week.redirected) == (3780, 840, 0, 0)
    assert (carers.periods[1].declined, carers.periods[2].redirected) == (5000, 6000)


def test_the_letter_says_who_what_and_the_rules_relied_on():
    pack = examples.evidence_pack()
    words = text(render.render_evidence_pack(pack))
    assert_in_order(
        words,
        [pack.organisation.name, *pack.organisation.address, "Registered charity number 1234567",
         long_date(pack.issued),
         "To the Department for Work and Pensions", f"Payments to {pack.participant.name} for involvement work",
         "National Insurance number QQ 12 34 56 C", "Period covered 10 May 2025 to 30 June 2025",
         "What the involvement was", pack.involvement[0], pack.involvement[1]],
    )  # fmt: skip
    assert_in_order(
        words,
        ["Carer's Allowance: the rules we have relied on", "Service users' expenses are not earnings",
         "Source: SI 2009/2678. How sure we are of this source: medium-high.",
         "Universal Credit: the rules we have relied on", "Payments count when they are received",
         "Universal Credit Regulations 2013, regulation 54"],
    )  # fmt: skip
    assert_in_order(words, ["Confirmation", "Rhian Jones", "Involvement lead", "finance@example.org"])
