"""The easy-read tax-year summary and the easy-read benefit effect of a payment: nothing below 16 pt, the money
large, the document's own figures idea by idea, and the same ideas as their web pages."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from ledger.benefit_checks import BenefitCheck, BenefitEffect
from ledger.documents import examples, render
from ledger.documents.easy_read import FIGURE_SIZE
from ledger.easy_read import annual_summary_ideas, benefit_notice_ideas
from ledger.formatting import money
from ledger.reports.benefit_effect_records import BenefitEffectNotice
from tests.documents.pdf import assert_in_order, figures, font_sizes, reader, text


def _notice(effect: str, *, status: str = "checked") -> BenefitEffectNotice:
    result = BenefitEffect(
        benefit="carers_allowance", effect=effect, period_start=dt.date(2026, 6, 1), period_end=dt.date(2026, 6, 7),
        counted_pence=21000, limit_pence=19600, headroom_pence=0, reduction_pence=1400 if effect == "reduced" else None,
        safe_amount_pence=19600, hours=None, explanation="This would take you over the limit.",
        explanation_for_staff="", rule="", source="", confidence="high")
    check = BenefitCheck(outcome="warn", required_action="warn", effects=(result,)) if status == "checked" else None
    return BenefitEffectNotice(examples.ORGANISATION, examples.payee(0), 7, "Advisory group meeting", 21000,
                               dt.date(2026, 6, 5), check, False, dt.date(2026, 6, 1), status=status)


def test_the_easy_read_tax_year_summary_under_the_allowance():
    doc = examples.annual_summary()

    pdf = render.render_annual_summary(doc, easy_read=True)

    sizes = font_sizes(pdf)
    assert min(sizes) >= 16 and max(sizes) == FIGURE_SIZE
    assert figures(pdf)[:4] == [money(doc.fees), money(doc.taxable_allowances), money(doc.expenses),
                                money(doc.redirected)]
    assert_in_order(text(pdf), ["Your money in the tax year 2025 to 2026",
                                "This is the money we paid you in the tax year from 6 April 2025 to 5 April 2026.",
                                "We paid you fees for your time:", money(doc.fees),
                                f"Tax counts {money(doc.taxable_total)}. This is not more than £1,000.",
                                "you usually do not need to tell HMRC", "This is not tax advice."])
    assert reader(pdf).metadata.title.endswith("(easy read)")


def test_the_easy_read_tax_year_summary_over_the_allowance_says_to_tell_hmrc():
    doc = examples.annual_summary(fees_each=12_000)

    words = text(render.render_annual_summary(doc, easy_read=True))

    assert f"Tax counts {money(doc.taxable_total)}. This is more than £1,000." in words
    assert "You may need to tell HMRC about this money." in words and "5 October 2026" in words
    assert "usually do not need" not in words


def test_a_tax_year_with_no_payments():
    doc = dataclasses.replace(examples.annual_summary(), lines=(), redirected=0)

    assert [idea.words for idea in annual_summary_ideas(doc)][1] == "We did not pay you in this tax year."


@pytest.mark.parametrize(("effect", "says"), [
    ("reduced", ["Your Carer's Allowance may go down.", "It may go down by about:", "£14.00",
                 "To be safe, take this much or less:", "£196.00", "Please talk to someone before you choose."]),
    ("lost", ["You could lose your Carer's Allowance for that week.", "£196.00"]),
    ("none", ["This money is OK for your Carer's Allowance."]),
])
def test_the_easy_read_benefit_effect_says_what_the_money_does(effect, says):
    doc = _notice(effect)

    pdf = render.render_benefit_effect(doc, easy_read=True, web_address="https://example.org/my/documents/x")

    assert min(font_sizes(pdf)) >= 16
    assert_in_order(text(pdf), ["This money and your benefits", "You can read this on a web page:",
                                "This is about: Advisory group meeting", "We pay you this money:", "£210.00",
                                "We pay it on 5 June 2026.", *says])


def test_the_benefit_effect_when_nothing_is_checked_or_no_benefits_are_declared():
    assert benefit_notice_ideas(_notice("none", status="no_benefits"))[-1].words == \
        "You told us you get no benefits that this money could change."
    assert benefit_notice_ideas(_notice("none", status="not_checked"))[-1].words == \
        "We have not checked your benefits for this yet."
    standard = text(render.render_benefit_effect(_notice("reduced"), large_print=True))
    assert_in_order(standard, ["What this payment means for your benefits", "If paid on", "5 June 2026",
                               "Carer's Allowance", "This would take you over the limit.", "Earnings counted",
                               "£210.00", "Your benefit may go down by", "£14.00"])
    assert min(font_sizes(render.render_benefit_effect(_notice("reduced"), large_print=True))) >= 16
