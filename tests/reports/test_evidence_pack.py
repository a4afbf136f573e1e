"""A benefits evidence pack places each payment in the benefit period its rule uses."""

from __future__ import annotations

import datetime as dt

from ledger.documents import render
from ledger.formatting import money
from ledger.reports.evidence_pack import benefits_evidence_pack
from ledger.reports.records import EvidenceKind
from tests.documents.pdf import assert_in_order, text
from tests.factories import JUNE, ORGANISATION, RULEBOOK


def test_evidence_pack_places_payments_in_each_benefit_period(session, books):
    pack = benefits_evidence_pack(session, books.ann, *JUNE, organisation=ORGANISATION,
                                  rulebook=RULEBOOK, signatory_name="Rhian Jones",
                                  signatory_role="Involvement lead", issued=dt.date(2025, 7, 1))
    (carers,) = pack.benefits
    assert carers.benefit == "Carer's Allowance" and carers.period_name == "week"
    assert carers.periods[0].start == dt.date(2025, 5, 26) and carers.periods[-1].end == dt.date(2025, 7, 6)
    by_week = {p.start: p for p in carers.periods}
    paid_week = by_week[dt.date(2025, 6, 23)]
    assert (paid_week.earnings, paid_week.disregarded_expenses) == (5040 + 2000, 840)
    assert (paid_week.declined, by_week[dt.date(2025, 6, 9)].declined) == (0, 3040)
    # The £30 advance, paid on 9 June, is expenses paid in advance (less the £5 paid back on 16 June): neither
    # earnings nor expenses paid back.
    week_of_the_advance = by_week[dt.date(2025, 6, 9)]
    assert (week_of_the_advance.advances, week_of_the_advance.disregarded_expenses) == (2500, 0)
    (advance,) = [item for item in week_of_the_advance.items if item.kind is EvidenceKind.ADVANCE]
    assert advance.description.endswith("(£30.00 less £5.00 paid back on 16 June 2025)")
    assert sum(p.earnings for p in carers.periods) == 7040
    rule_titles = [rule.title for rule in carers.rules]
    assert "Carer's Allowance earnings limit" in rule_titles
    assert all(rule.source and rule.confidence for rule in carers.rules)
    words = text(render.render_evidence_pack(pack))
    assert_in_order(words, ["Payments to Siân O'Brien for involvement work", "Carer's Allowance: payments in each week",
                            "23 June 2025 to 29 June 2025", money(7040), money(840)])


def test_evidence_pack_shows_declined_and_redirected_offers_and_esa_hours(session, books):
    pack = benefits_evidence_pack(session, books.bea, *JUNE, organisation=ORGANISATION,
                                  rulebook=RULEBOOK, signatory_name="Rhian Jones",
                                  signatory_role="Involvement lead", issued=dt.date(2025, 7, 1))
    uc, esa = pack.benefits
    assert uc.benefit == "Universal Credit" and uc.period_name == "assessment period"
    assert [(p.start, p.end) for p in uc.periods] == [(dt.date(2025, 5, 10), dt.date(2025, 6, 9)),
                                                      (dt.date(2025, 6, 10), dt.date(2025, 7, 9))]
    first, second = uc.periods
    assert (first.declined, first.redirected, first.earnings) == (5040, 0, 0)
    assert (second.redirected, second.earnings, second.disregarded_expenses) == (5040, 5040, 420)
    assert {item.kind for p in uc.periods for item in p.items} == {
        EvidenceKind.EARNINGS, EvidenceKind.EXPENSE, EvidenceKind.DECLINED, EvidenceKind.REDIRECTED}
    assert "Fees declined or paid to a group are not earnings" in [rule.title for rule in uc.rules]
    assert esa.benefit.startswith("Employment and Support Allowance")
    hours = {p.start: p.minutes_worked for p in esa.periods}
    assert hours[dt.date(2025, 6, 23)] == 240 and hours[dt.date(2025, 6, 2)] == 0  # paid work only
    words = text(render.render_evidence_pack(pack, large_print=True))
    assert_in_order(words, ["Universal Credit: payments in each assessment period", "Offers declined (not paid)",
                            money(5040)])
