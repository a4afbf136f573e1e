"""The evidence pack and the tax-year summary read what was received from the books, and tell a work coach
the truth.

Siân gets Carer's Allowance (2025-26 weekly limit £196, weeks from Monday). A £150 fee reaches her on
Monday 9 June 2025, by a payment run or by finance by hand; a £60 fee is approved on Thursday 5 June for the
earliest payment date, also 9 June: together £210 in the week of 9 June, over the limit. The letter shows
both, and the check's own figures, whichever way the first was paid.
"""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.claims import services
from ledger.documents import render
from ledger.people import services as people
from ledger.people.services import set_bank_details
from ledger.projects.services import record_attendance
from ledger.reports.annual_summary import annual_summary
from ledger.reports.evidence_pack import benefits_evidence_pack
from ledger.reports.records import EntryKind, EvidenceKind
from ledger.reports.statements import participant_statement
from tests.documents.pdf import assert_in_order, text
from tests.factories import (
    CIPHER,
    FEE_WEEK_PAID,
    FILM_FEE_PAID,
    ORGANISATION,
    PROJECT,
    RULEBOOK,
    RULES,
    TODAY,
    approve,
    claims_world,
    make_activity,
    make_participant,
    pay_film_fee_by_hand,
    submitted_fee,
)

WEEK_OF_9_JUNE = (dt.date(2025, 6, 9), dt.date(2025, 6, 15))
OVERRIDE = "Siân was told and chose to be paid in full."


@pytest.fixture
def world(session):
    built = claims_world(session)
    set_bank_details(session, CIPHER, built.carer, sort_code="20-00-00", account_number="12345678",
                     account_name="S Evans")
    return built


def _reading_panel_approved(session, world) -> int:
    """A £60 reading panel the same week, which Siân attended, approved on 5 June (over the limit: overridden)."""
    panel = make_activity(session, title="Reading panel", flat_fee_pence=6_000).id
    record_attendance(session, panel, world.carer, today=TODAY)
    claim = submitted_fee(session, world, world.carer, panel)
    approve(session, world, claim, override_reason=OVERRIDE)
    return claim


def _pack(session, participant_id, start, end, **kwargs):
    return benefits_evidence_pack(session, participant_id, start, end, organisation=ORGANISATION, rulebook=RULEBOOK,
                                  policy=RULES.policy, signatory_name="Rhian Jones", signatory_role="Involvement lead",
                                  issued=TODAY, **kwargs)


@pytest.mark.parametrize("how", FILM_FEE_PAID)
def test_the_pack_shows_both_fees_in_the_week_and_the_breach_the_check_found(session, world, how):
    FILM_FEE_PAID[how](session, world)
    _reading_panel_approved(session, world)

    pack = _pack(session, world.carer, dt.date(2025, 6, 4), dt.date(2025, 6, 11))

    (carers,) = pack.benefits
    assert [(p.start, p.end) for p in carers.periods] == [(dt.date(2025, 6, 2), dt.date(2025, 6, 8)), WEEK_OF_9_JUNE]
    before, week = carers.periods
    assert [(i.date_received, i.kind, i.amount) for i in week.items] == [
        (FEE_WEEK_PAID, EvidenceKind.EARNINGS, 15_000), (FEE_WEEK_PAID, EvidenceKind.DUE, 6_000)]
    assert (week.earnings, week.due) == (15_000, 6_000)
    assert (week.check.counted, week.check.limit, week.check.effect) == (21_000, 19_600, "lost")
    assert not before.has_payments and before.check.counted == 0
    words = text(render.render_evidence_pack(pack))
    assert_in_order(words, [
        "Each benefit period is shown whole", "from 2 June 2025 to 15 June 2025",
        "2 June 2025 to 8 June 2025", "No payments in this period",
        "9 June 2025 to 15 June 2025", "The benefit check counts £210.00 of earnings in this week: over the limit "
        "of £196.00.", "£150.00", "£60.00"])
    assert ("Fee for the film shoot, paid by cheque" in words) == (how == "by a manual journal entry")


def test_a_period_with_nothing_in_it_says_so(session, world):
    pack = _pack(session, world.carer, dt.date(2025, 7, 1), dt.date(2025, 7, 14))

    (carers,) = pack.benefits
    assert len(carers.periods) == 3 and not any(p.items for p in carers.periods)  # 30 June to 20 July, whole
    words = text(render.render_evidence_pack(pack))
    assert words.count("No payments in this period") == 3
    assert_in_order(words, ["Each benefit period is shown whole", "from 30 June 2025 to 20 July 2025"])
    large = text(render.render_evidence_pack(pack, large_print=True))
    assert large.count("No payments in this period") == 3


def test_an_advance_kept_and_time_credits_show_and_a_choice_not_paid_is_an_offer(session, world):
    advance = services.pay_advance(session, participant_id=world.carer, project_code=PROJECT, amount="30.00",
                                   paid_on=dt.date(2025, 6, 2), idempotency_key="taxi-fares",
                                   actor_user_id=world.finance)
    services.settle_advance_surplus(session, advance.id, how="kept", on=FEE_WEEK_PAID, actor_user_id=world.finance,
                                    reason="The event was cancelled on the day; fares were not refundable.")
    declined = submitted_fee(session, world, world.carer, world.activity_id)
    services.record_choice(session, declined, choice="time_credits", amount=None, group_id=None,
                           actor_user_id=world.finance)
    approve(session, world, declined)

    pack = _pack(session, world.carer, dt.date(2025, 6, 2), dt.date(2025, 6, 15))

    first, second = pack.benefits[0].periods
    assert (first.advances, first.earnings) == (3000, 0)  # an advance is not earnings
    assert (second.earnings, second.check.counted) == (3000, 3000)  # the part kept is, when written off
    offered = [i for p in (first, second) for i in p.items if i.kind is EvidenceKind.DECLINED]
    assert [i.description for i in offered] == [
        "Fee for Advisory group on 04 June 2025: fee offered; they chose time credits instead"]
    credits = [i for p in (first, second) for i in p.items if i.kind is EvidenceKind.TIME_CREDITS]
    assert sum(p.time_credit_minutes for p in (first, second)) == sum(i.amount for i in credits) > 0
    words = text(render.render_evidence_pack(pack))
    assert_in_order(words, ["2 June 2025 to 8 June 2025", "Time credits: 4 hours (time credits are not money)."])
    assert_in_order(words, ["every payment and offer", "Expenses paid in advance, project GUIDE",
                            "Expenses paid in advance £30.00", "Time credits 4 hours (not money)",
                            "What was left of an advance, kept by them", "Earnings £30.00"])


def test_the_annual_summary_counts_a_payment_by_hand_and_a_kept_surplus(session, world):
    pay_film_fee_by_hand(session, world)
    advance = services.pay_advance(session, participant_id=world.carer, project_code=PROJECT, amount="30.00",
                                   paid_on=dt.date(2025, 6, 2), idempotency_key="taxi-fares",
                                   actor_user_id=world.finance)
    services.pay_advance(session, participant_id=world.carer, project_code=PROJECT, amount="12.00",
                         paid_on=dt.date(2025, 6, 3), idempotency_key="bus-fares", actor_user_id=world.finance)
    services.settle_advance_surplus(session, advance.id, how="kept", on=dt.date(2025, 6, 10),
                                    actor_user_id=world.finance, reason="The event was cancelled on the day.")

    summary = annual_summary(session, world.carer, 2025, organisation=ORGANISATION, rulebook=RULEBOOK, issued=TODAY)

    assert [(line.date_paid, line.fees, line.expenses, line.taxable_allowances) for line in summary.lines] == [
        (dt.date(2025, 6, 3), 0, 1200, 0),  # the unspent advance: expenses paid in advance, not income
        (FEE_WEEK_PAID, 15_000, 0, 0),  # the fee paid by cheque
        (dt.date(2025, 6, 10), 0, 0, 3000),  # what was left of the £30 advance, kept: taxable, when written off
    ]
    assert (summary.fees, summary.expenses, summary.taxable_total) == (15_000, 1200, 18_000)
    words = text(render.render_annual_summary(summary))
    assert_in_order(words, ["Fees (taxable income)", "£150.00", "Total taxable income from us", "£180.00",
                            "Fee for the film shoot, paid by cheque"])


def test_a_participant_with_no_benefit_periods_gets_every_payment_by_date(session, world):
    someone = make_participant(session, "Dee Example").id
    nothing = _pack(session, someone, dt.date(2025, 6, 1), dt.date(2025, 6, 30))
    assert (nothing.benefits, nothing.payments) == ((), ())
    assert (nothing.covered_start, nothing.covered_end) == (dt.date(2025, 6, 1), dt.date(2025, 6, 30))
    words = text(render.render_evidence_pack(nothing))
    assert "shown whole" not in words
    assert_in_order(words, ["Every payment from 1 June 2025 to 30 June 2025", "No payments in this period.",
                            "Signed:"])

    people.declare_benefits(session, world.carer, benefits=[{"name": "pip"}], declared_on=dt.date(2025, 5, 1),
                            today=TODAY)  # PIP has no earnings rule: no periods
    pay_film_fee_by_hand(session, world)
    pack = _pack(session, world.carer, dt.date(2025, 6, 1), dt.date(2025, 6, 30))

    assert pack.benefits == ()
    assert [(p.date_received, p.kind, p.amount) for p in pack.payments] == [
        (FEE_WEEK_PAID, EvidenceKind.EARNINGS, 15_000)]
    assert_in_order(text(render.render_evidence_pack(pack)), [
        "Every payment from 1 June 2025 to 30 June 2025", "9 June 2025", "Fee for the film shoot, paid by cheque",
        "Earnings", "£150.00"])


def test_the_statement_shows_an_advance_kept_in_words(session, world):
    advance = services.pay_advance(session, participant_id=world.carer, project_code=PROJECT, amount="30.00",
                                   paid_on=dt.date(2025, 6, 2), idempotency_key="taxi-fares",
                                   actor_user_id=world.finance)
    services.settle_advance_surplus(session, advance.id, how="kept", on=FEE_WEEK_PAID, actor_user_id=world.finance,
                                    reason="The event was cancelled on the day; fares were not refundable.")

    statement = participant_statement(session, world.carer, dt.date(2025, 6, 1), dt.date(2025, 6, 30),
                                      organisation=ORGANISATION, issued=TODAY)

    assert [(line.date, line.kind, line.amount) for line in statement.advances.lines] == [
        (dt.date(2025, 6, 2), EntryKind.ADVANCE, 3000), (FEE_WEEK_PAID, EntryKind.ADVANCE_KEPT, -3000)]
    words = text(render.render_statement(statement))
    assert_in_order(words, ["Advance kept by you:", "The part of the advance you did not use, yours to keep",
                            "What the words mean", "Advance kept by you:", "counts as earnings for benefits"])
