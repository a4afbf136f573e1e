"""An auditor's check over a realistic year of demo data: every read model agrees with the books."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from ledger import demo
from ledger.books import queries
from ledger.claims.models import Claim
from ledger.config import DEV_BANK_DETAILS_KEY
from ledger.documents import render
from ledger.payments.models import Payment, PaymentRun
from ledger.people.accounts import participant_accounts
from ledger.people.bank import BankCipher
from ledger.people.models import Participant
from ledger.projects.models import Project
from ledger.reports.annual_summary import annual_summary
from ledger.reports.budget_report import project_budget_report
from ledger.reports.coproduction import organisation_report
from ledger.reports.evidence_pack import benefits_evidence_pack
from ledger.reports.records import EntryKind
from ledger.reports.remittances import remittances_for_run
from ledger.reports.run_report import payment_run_report
from ledger.reports.statements import participant_statement
from policies.settings import PolicySettings
from tests.factories import ORGANISATION, RULEBOOK


@pytest.mark.slow
def test_every_document_of_a_demo_year_agrees_with_the_books(session):
    """An auditor's check over a realistic year: every participant, every confirmed run, every project."""
    today = dt.date(2026, 10, 31)
    demo.load_demo(session, today=today, rulebook=RULEBOOK, policy=PolicySettings(),
                   cipher=BankCipher(DEV_BANK_DETAILS_KEY))
    session.commit()
    start, end = dt.date(2025, 10, 1), today
    for pid in session.execute(select(Participant.id)).scalars():
        doc = participant_statement(session, pid, start, end, organisation=ORGANISATION, issued=today)
        book = queries.statement(session, participant_accounts(pid).owed, start, end)
        assert (doc.money.opening, doc.money.closing) == (-book.opening_balance, -book.closing_balance)
        posted = [line for line in doc.money.lines if line.kind not in (EntryKind.DECLINED, EntryKind.DONATION)]
        last_of_each_entry = {b.entry_id: b for b in book.lines}  # a payment of fees and expenses is one line
        assert [line.balance for line in posted] == [-b.running_balance for b in last_of_each_entry.values()]
        if session.bind.dialect.name == "sqlite":
            render.render_statement(doc)  # the PDF is drawn from the document alike on both databases
        for year in (2025, 2026):
            summary = annual_summary(session, pid, year, organisation=ORGANISATION, rulebook=RULEBOOK,
                                     issued=today)
            year_start, year_end = summary.start, summary.end
            paid_fees = session.execute(select(Claim.amount_pence).where(
                Claim.participant_id == pid, Claim.kind == "fee", Claim.status == "paid",
                Claim.choice.in_(("take", "take_less")), Claim.paid_on.between(year_start, year_end))).scalars()
            assert summary.fees == sum(paid_fees)
        benefits_evidence_pack(session, pid, start, end, organisation=ORGANISATION, rulebook=RULEBOOK,
                               signatory_name="Femi Finance", signatory_role="Finance officer",
                               issued=today)
    confirmed = session.execute(select(PaymentRun.id).where(PaymentRun.status == "confirmed")).scalars().all()
    assert confirmed
    for run_id in confirmed:
        advices = remittances_for_run(session, run_id, organisation=ORGANISATION)
        paid = session.execute(select(Payment.amount_pence).where(Payment.run_id == run_id)).scalars().all()
        assert sorted(a.total_paid for a in advices) == sorted(paid)
        report = payment_run_report(session, run_id, organisation=ORGANISATION)
        assert report.total == sum(paid)
    for code in session.execute(select(Project.code)).scalars():
        project_budget_report(session, code, organisation=ORGANISATION, as_at=today)
    # Claim-to-payment is timed from when each claim reached finance in the demo's year, not from the moment
    # the demo was loaded: every claim paid in the period is timed, in days a person would recognise.
    report = organisation_report(session, start=start, end=end)
    paid_in_period = session.execute(select(func.count()).select_from(Claim).where(
        Claim.status == "paid", Claim.paid_on.between(start, end))).scalar_one()
    assert report.overall.not_timed == 0
    assert report.overall.claims == paid_in_period > 200
    assert 3 <= report.overall.median_days <= report.overall.p90_days <= 45
