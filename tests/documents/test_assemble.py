"""Documents filled from the ledger agree with the ledger, figure by figure, on SQLite and PostgreSQL.

``tests.factories.month_of_books`` makes a month of co-production through the services (claims drafted,
submitted and approved; an advance; time credits; a payment run drafted and confirmed), the way people would,
so that every test here reads documents back against what the books say.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.books import queries
from ledger.claims.models import Claim
from ledger.config import DEV_BANK_DETAILS_KEY
from ledger.documents import assemble, render
from ledger.documents.data import EntryKind, EvidenceKind, Organisation, RemittanceLineKind, Unit
from ledger.documents.formatting import day, duration, money, signed_duration, signed_money
from ledger.errors import Conflict, NotFound
from ledger.payments import runs
from ledger.payments.models import Payment, PaymentRun
from ledger.people.accounts import participant_accounts
from ledger.projects import services as projects
from ledger.projects.budget import BudgetPlanLine
from policies.settings import PolicySettings
from tests.documents.pdf import assert_in_order, font_sizes, text
from tests.factories import (
    JUNE,
    JUNE_APPROVALS,
    JUNE_MEETINGS,
    JUNE_PAY_DAY,
    PROJECT,
    RULEBOOK,
    MonthOfBooks,
    month_of_books,
)

ORGANISATION = Organisation(name="Cyngor Sir Ynys Môn: Adult Social Care", address=("Llangefni", "LL77 7TW"),
                            contact=("Finance team", "finance@example.org"))


@pytest.fixture
def books(session) -> MonthOfBooks:
    built = month_of_books(session)
    session.commit()
    return built


def statement(session: Session, participant_id: int, start: dt.date = JUNE[0], end: dt.date = JUNE[1]):
    return assemble.participant_statement(session, participant_id, start, end, organisation=ORGANISATION,
                                          issued=dt.date(2025, 7, 1))


# ---------------------------------------------------------------- statements


@pytest.mark.parametrize("period", [JUNE, (dt.date(2025, 6, 12), dt.date(2025, 6, 30)),
                                    (dt.date(2025, 6, 5), dt.date(2025, 6, 24)), (dt.date(2025, 7, 1),
                                                                                 dt.date(2025, 7, 31))])
def test_statement_balances_are_the_books_with_the_sign_flipped(session, books, period):
    start, end = period
    for who in (books.ann, books.bea, books.cai):
        doc = statement(session, who, start, end)
        codes = participant_accounts(who)
        for section, code, sign in ((doc.money, codes.owed, -1), (doc.time_credits, codes.time_credits, -1),
                                    (doc.advances, codes.advance, 1)):
            book = queries.statement(session, code, start, end)
            if section is None:
                assert code == codes.advance and not book.lines and book.opening_balance == 0
                continue
            assert section.opening == sign * book.opening_balance
            assert section.closing == sign * book.closing_balance
            assert type(section.opening) is int and type(section.closing) is int  # never a Decimal from a SUM
            posted = [line for line in section.lines if line.kind not in (EntryKind.DECLINED, EntryKind.DONATION)]
            assert [(x.date, x.amount, x.balance) for x in posted] == [
                (b.effective_date, sign * b.amount, sign * b.running_balance) for b in book.lines]


def test_statement_shows_what_is_still_owed(session, books):
    doc = statement(session, books.cai)
    assert doc.amount_owed == 5040 == -queries.balance(session, participant_accounts(books.cai).owed)
    assert statement(session, books.ann).amount_owed == 0  # everything approved was paid on 25 June


def test_each_entry_has_its_kind_from_the_books(session, books):
    doc = statement(session, books.ann)
    kinds = [line.kind for line in doc.money.lines]
    assert kinds.count(EntryKind.FEE) == 3 and kinds.count(EntryKind.REVERSAL) == 1
    assert kinds.count(EntryKind.EXPENSE) == 1  # the taxi was met by the advance: no money owed for it
    assert kinds.count(EntryKind.PAYMENT) == 1
    assert [line.kind for line in doc.advances.lines] == [EntryKind.ADVANCE, EntryKind.ADVANCE_SETTLED,
                                                         EntryKind.ADVANCE_SETTLED]
    assert [(line.amount, line.balance) for line in doc.advances.lines] == [(3000, 3000), (-2500, 500), (-500, 0)]
    assert [(line.kind, line.amount) for line in doc.time_credits.lines] == [
        (EntryKind.TIME_CREDIT_EARNED, 150), (EntryKind.TIME_CREDIT_SPENT, -60)]
    fee = next(line for line in doc.money.lines if line.kind is EntryKind.FEE)
    assert fee.description.endswith("4 hours at £12.60 an hour")
    payment = next(line for line in doc.money.lines if line.kind is EntryKind.PAYMENT)
    reference = session.get(PaymentRun, books.run_id).reference
    assert payment.description == f"Bank transfer, payment run {reference}, to the account ending 2222"
    assert payment.amount == -(5040 + 2000 + 840) and payment.date == JUNE_PAY_DAY
    assert doc.time_credits.lines[1].description == "Spent at Plas Arthur Leisure Centre: Swimming"


def test_declined_and_redirected_offers_are_memo_lines_that_change_no_balance(session, books):
    doc = statement(session, books.bea)
    memos = [line for line in doc.money.lines if line.kind in (EntryKind.DECLINED, EntryKind.DONATION)]
    assert [(m.kind, m.date, m.amount, m.memo_amount) for m in memos] == [
        (EntryKind.DECLINED, JUNE_MEETINGS[0], 0, 5040), (EntryKind.DONATION, JUNE_MEETINGS[1], 0, 5040)]
    assert memos[1].description.endswith("paid to Voices Together at your request")
    for index, line in enumerate(doc.money.lines):
        if line.kind in (EntryKind.DECLINED, EntryKind.DONATION):
            before = doc.money.lines[index - 1].balance if index else doc.money.opening
            assert line.balance == before
    # Taking less than the fee offered shows the rest as declined, beside the smaller fee.
    ann = statement(session, books.ann).money.lines
    declined = [line for line in ann if line.kind is EntryKind.DECLINED]
    assert [(d.date, d.memo_amount) for d in declined] == [(JUNE_MEETINGS[1], 5040 - 2000)]
    assert "you chose to take £20.00 of the £50.40 offered" in declined[0].description


def test_a_reversed_fee_shows_as_a_correction_and_no_memo(session, books):
    lines = statement(session, books.ann).money.lines
    corrections = [line for line in lines if line.kind is EntryKind.REVERSAL]
    assert [(c.amount, c.date) for c in corrections] == [(-5040, JUNE_APPROVALS)]
    assert corrections[0].description.startswith("Cancelled: Fee for Advisory group 3")


@pytest.mark.parametrize("large_print", [False, True])
def test_statement_pdf_prints_every_figure_of_the_ledger(session, books, large_print):
    doc = statement(session, books.ann)
    pdf = render.render_statement(doc, large_print=large_print)
    words = text(pdf)
    for section in (doc.money, doc.advances, doc.time_credits):
        plain, signed = (duration, signed_duration) if section.unit is Unit.TIME_CREDIT else (money, signed_money)
        expected = [f"Balance on {day(JUNE[0])}: {plain(section.opening)}"]
        for line in section.lines:
            expected += [day(line.date)]
            expected += [plain(line.memo_amount), "not paid"] if line.memo_amount else [signed(line.amount)]
            expected += [plain(line.balance)]
        expected.append(f"Balance on {day(JUNE[1])}: {plain(section.closing)}")
        assert_in_order(words, expected)
    assert "Siân O'Brien" in words
    assert (min(font_sizes(pdf)) >= 16) is large_print


# ---------------------------------------------------------------- remittance advice


def test_each_remittance_total_is_the_payment_entry(session, books):
    advices = assemble.remittances_for_run(session, books.run_id, organisation=ORGANISATION)
    payments = session.execute(select(Payment).where(Payment.run_id == books.run_id)).scalars().all()
    assert len(advices) == len(payments) == 3  # Siân, Bea, Voices Together; Cai has no bank details
    by_reference = {a.payee.reference: a for a in advices}
    for payment in payments:
        reference = (assemble.participant_reference if payment.payee_kind == "participant"
                     else assemble.group_reference)(payment.payee_id)
        advice = by_reference[reference]
        owed = f"owed:{payment.payee_kind}:{payment.payee_id}"
        entry = [line for line in queries.statement(session, owed, JUNE_PAY_DAY, JUNE_PAY_DAY).lines
                 if line.entry_id == payment.entry_id]
        assert advice.total_paid == payment.amount_pence == entry[0].amount
        assert advice.account_last_four == payment.account_last4
        words = text(render.render_remittance(advice))
        assert f"{money(advice.total_paid)} on {day(JUNE_PAY_DAY)}" in words


def test_remittance_lines_show_fees_expenses_and_redirected_fees_apart(session, books):
    ann = assemble.remittance_advice(session, books.run_id, "participant", books.ann, organisation=ORGANISATION)
    assert [(line.kind, line.amount) for line in ann.lines] == [
        (RemittanceLineKind.FEE, 5040), (RemittanceLineKind.EXPENSE, 840), (RemittanceLineKind.FEE, 2000)]
    assert ann.lines[0].detail == "4 hours at £12.60 an hour" and ann.lines[0].activity == "Advisory group 1"
    assert ann.lines[1].detail == "Return bus fare"
    assert ann.account_last_four == "2222" and ann.payment_date == JUNE_PAY_DAY
    bea = assemble.remittance_advice(session, books.run_id, "participant", books.bea, organisation=ORGANISATION)
    assert {(line.kind, line.amount, line.redirected_to) for line in bea.lines} == {
        (RemittanceLineKind.EXPENSE, 420, ""), (RemittanceLineKind.FEE, 5040, ""),
        (RemittanceLineKind.REDIRECTED, 5040, "Voices Together")}
    assert bea.total_paid == 420 + 5040 and bea.redirected == 5040
    group = assemble.remittance_advice(session, books.run_id, "group", books.group, organisation=ORGANISATION)
    assert [(line.kind, line.amount) for line in group.lines] == [(RemittanceLineKind.DONATION_RECEIVED, 5040)]
    assert group.payee.is_group and "Bea" not in group.lines[0].detail  # the group is not told who gave
    words = text(render.render_remittance(bea, large_print=True))
    assert_in_order(words, ["Paid to a group at your request", "Voices Together", "£50.40"])


def test_remittance_is_refused_for_a_draft_run_and_for_someone_not_paid(session):
    built = month_of_books(session, confirm=False)
    with pytest.raises(Conflict):
        assemble.remittance_advice(session, built.run_id, "participant", built.ann, organisation=ORGANISATION)
    runs.confirm_payment_run(session, built.run_id, actor_user_id=built.finance, bank_reference="B-2",
                             override_reason="Each payee has been told and agrees.")
    with pytest.raises(NotFound):
        assemble.remittance_advice(session, built.run_id, "participant", built.cai, organisation=ORGANISATION)
    with pytest.raises(NotFound):
        assemble.remittance_advice(session, built.run_id, "nobody", built.ann, organisation=ORGANISATION)


# ---------------------------------------------------------------- annual summary


def test_annual_summary_fees_are_the_paid_fee_claims_of_the_tax_year(session, books):
    summary = assemble.annual_summary(session, books.ann, 2025, organisation=ORGANISATION, rulebook=RULEBOOK,
                                      issued=dt.date(2026, 4, 20))
    paid_fees = session.execute(select(Claim.amount_pence).where(
        Claim.participant_id == books.ann, Claim.kind == "fee", Claim.status == "paid",
        Claim.choice.in_(("take", "take_less")), Claim.paid_on.between(dt.date(2025, 4, 6), dt.date(2026, 4, 5))
    )).scalars().all()
    assert summary.fees == sum(paid_fees) == 7040
    assert summary.expenses == 840 + (3000 - 500)  # bus fare, and the advance less what was paid back
    assert summary.trading_allowance == 100_000 and "HMRC" in summary.trading_allowance_source
    assert [line.date_paid for line in summary.lines] == [dt.date(2025, 6, 9), JUNE_PAY_DAY]
    bea = assemble.annual_summary(session, books.bea, 2025, organisation=ORGANISATION, rulebook=RULEBOOK,
                                  issued=dt.date(2026, 4, 20))
    assert (bea.fees, bea.expenses, bea.redirected) == (5040, 420, 5040)
    words = text(render.render_annual_summary(summary))
    assert_in_order(words, ["Fees (taxable income)", money(7040), "Expenses paid back (not taxable)", money(3340),
                            "The £1,000 trading allowance"])
    earlier = assemble.annual_summary(session, books.ann, 2024, organisation=ORGANISATION, rulebook=RULEBOOK,
                                      issued=dt.date(2026, 4, 20))
    assert earlier.lines == () and earlier.fees == 0


# ---------------------------------------------------------------- benefits evidence pack


def test_evidence_pack_places_payments_in_each_benefit_period(session, books):
    pack = assemble.benefits_evidence_pack(session, books.ann, *JUNE, organisation=ORGANISATION,
                                           rulebook=RULEBOOK, signatory_name="Rhian Jones",
                                           signatory_role="Involvement lead", issued=dt.date(2025, 7, 1))
    (carers,) = pack.benefits
    assert carers.benefit == "Carer's Allowance" and carers.period_name == "week"
    assert carers.periods[0].start == dt.date(2025, 5, 26) and carers.periods[-1].end == dt.date(2025, 7, 6)
    by_week = {p.start: p for p in carers.periods}
    paid_week = by_week[dt.date(2025, 6, 23)]
    assert (paid_week.earnings, paid_week.disregarded_expenses) == (5040 + 2000, 840)
    assert (paid_week.declined, by_week[dt.date(2025, 6, 9)].declined) == (0, 3040)
    assert by_week[dt.date(2025, 6, 9)].disregarded_expenses == 3000  # the advance, paid on 9 June
    assert sum(p.earnings for p in carers.periods) == 7040
    rule_titles = [rule.title for rule in carers.rules]
    assert "Carer's Allowance earnings limit" in rule_titles
    assert all(rule.source and rule.confidence for rule in carers.rules)
    words = text(render.render_evidence_pack(pack))
    assert_in_order(words, ["Payments to Siân O'Brien for involvement work", "Carer's Allowance: payments in each week",
                            "23 June 2025 to 29 June 2025", money(7040), money(840)])


def test_evidence_pack_shows_declined_and_redirected_offers_and_esa_hours(session, books):
    pack = assemble.benefits_evidence_pack(session, books.bea, *JUNE, organisation=ORGANISATION,
                                           rulebook=RULEBOOK, signatory_name="Rhian Jones",
                                           signatory_role="Involvement lead", issued=dt.date(2025, 7, 1))
    uc, esa = pack.benefits
    assert uc.benefit == "Universal Credit" and uc.period_name == "assessment period"
    assert [(p.start, p.end) for p in uc.periods] == [(dt.date(2025, 5, 10), dt.date(2025, 6, 9)),
                                                      (dt.date(2025, 6, 10), dt.date(2025, 7, 9))]
    first, second = uc.periods
    assert (first.declined, first.redirected, first.earnings) == (5040, 0, 0)
    assert (second.redirected, second.earnings, second.disregarded_expenses) == (5040, 5040, 420)
    assert {item.kind for p in uc.periods for item in p.items} == set(EvidenceKind)
    assert "Fees declined or paid to a group are not earnings" in [rule.title for rule in uc.rules]
    assert esa.benefit.startswith("Employment and Support Allowance")
    hours = {p.start: p.minutes_worked for p in esa.periods}
    assert hours[dt.date(2025, 6, 23)] == 240 and hours[dt.date(2025, 6, 2)] == 0  # paid work only
    words = text(render.render_evidence_pack(pack, large_print=True))
    assert_in_order(words, ["Universal Credit: payments in each assessment period", "Offers declined (not paid)",
                            money(5040)])


# ---------------------------------------------------------------- finance documents


def test_payment_run_report_matches_the_run_and_its_benefit_flags(session, books):
    report = assemble.payment_run_report(session, books.run_id, organisation=ORGANISATION)
    summary = runs.payment_run_summary(session, books.run_id)
    assert report.total == summary.total_pence == 5040 + 2000 + 840 + 420 + 5040 + 5040
    assert report.run_reference == summary.reference and report.status == "confirmed"
    assert report.prepared_by == "Fran Finance"
    ann = next(p for p in report.payees if p.payee.reference == assemble.participant_reference(books.ann))
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
    report = assemble.project_budget_report(session, PROJECT, organisation=ORGANISATION, as_at=dt.date(2025, 6, 30))
    lines = {line.name: line for line in report.lines}
    assert (lines["Fees"].spent, lines["Fees"].committed) == (5040 + 2000 + 5040 + 5040, 5040)  # Cai's waits
    assert (lines["Travel"].spent, lines["Travel"].committed) == (840 + 420 + 2500, 0)
    assert lines["Contingency"].budget == 1_000 and report.budget == 36_000
    assert (report.people_involved, report.activities_held) == (3, 3)
    words = text(render.render_budget_report(report))
    assert_in_order(words, ["By cost line", "Fees", money(30_000), money(5040), money(17_120)])
    # On 10 June: the advance paid on 9 June is spent; what was accrued for the first meeting is committed.
    before = assemble.project_budget_report(session, PROJECT, organisation=ORGANISATION, as_at=dt.date(2025, 6, 10))
    assert (before.spent, before.committed) == (3000, 5040 + 840 + 420 + 5040)


def test_organisation_comes_from_settings():
    organisation = assemble.organisation_from_config({
        "ORGANISATION_NAME": "Demo Council", "ORGANISATION_ADDRESS": "Town Hall; Upper Street\nLondon N1 2UD",
        "ORGANISATION_CONTACT": ["Finance team", "020 7123 4567"], "ORGANISATION_CHARITY_NUMBER": ""})
    assert organisation == Organisation("Demo Council", ("Town Hall", "Upper Street", "London N1 2UD"),
                                        ("Finance team", "020 7123 4567"), None)


# ---------------------------------------------------------------- a year of demo data


@pytest.mark.slow
def test_every_document_of_a_demo_year_agrees_with_the_books(session):
    """An auditor's check over a realistic year: every participant, every confirmed run, every project."""
    from ledger import demo
    from ledger.people.models import Participant
    from ledger.projects.models import Project

    today = dt.date(2026, 10, 31)
    demo.load_demo(session, today=today, rulebook=RULEBOOK, policy=PolicySettings(), bank_key=DEV_BANK_DETAILS_KEY)
    session.commit()
    start, end = dt.date(2025, 10, 1), today
    for pid in session.execute(select(Participant.id)).scalars():
        doc = statement(session, pid, start, end)
        book = queries.statement(session, participant_accounts(pid).owed, start, end)
        assert (doc.money.opening, doc.money.closing) == (-book.opening_balance, -book.closing_balance)
        posted = [line for line in doc.money.lines if line.kind not in (EntryKind.DECLINED, EntryKind.DONATION)]
        assert [line.balance for line in posted] == [-b.running_balance for b in book.lines]
        render.render_statement(doc)
        for year in (2025, 2026):
            summary = assemble.annual_summary(session, pid, year, organisation=ORGANISATION, rulebook=RULEBOOK,
                                              issued=today)
            year_start, year_end = summary.start, summary.end
            paid_fees = session.execute(select(Claim.amount_pence).where(
                Claim.participant_id == pid, Claim.kind == "fee", Claim.status == "paid",
                Claim.choice.in_(("take", "take_less")), Claim.paid_on.between(year_start, year_end))).scalars()
            assert summary.fees == sum(paid_fees)
        assemble.benefits_evidence_pack(session, pid, start, end, organisation=ORGANISATION, rulebook=RULEBOOK,
                                        signatory_name="Femi Finance", signatory_role="Finance officer",
                                        issued=today)
    confirmed = session.execute(select(PaymentRun.id).where(PaymentRun.status == "confirmed")).scalars().all()
    assert confirmed
    for run_id in confirmed:
        advices = assemble.remittances_for_run(session, run_id, organisation=ORGANISATION)
        paid = session.execute(select(Payment.amount_pence).where(Payment.run_id == run_id)).scalars().all()
        assert sorted(a.total_paid for a in advices) == sorted(paid)
        report = assemble.payment_run_report(session, run_id, organisation=ORGANISATION)
        assert report.total == sum(paid)
    for code in session.execute(select(Project.code)).scalars():
        assemble.project_budget_report(session, code, organisation=ORGANISATION, as_at=today)
