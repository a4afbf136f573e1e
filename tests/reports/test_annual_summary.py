"""A tax-year summary's fees are the fee claims paid in the tax year; expenses and gifts to groups apart."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from ledger.claims.models import Claim
from ledger.documents import render
from ledger.formatting import money
from ledger.reports.annual_summary import annual_summary
from tests.documents.pdf import assert_in_order, text
from tests.factories import JUNE_PAY_DAY, ORGANISATION, RULEBOOK


def test_annual_summary_fees_are_the_paid_fee_claims_of_the_tax_year(session, books):
    summary = annual_summary(session, books.ann, 2025, organisation=ORGANISATION, rulebook=RULEBOOK,
                             issued=dt.date(2026, 4, 20))
    paid_fees = session.execute(select(Claim.amount_pence).where(
        Claim.participant_id == books.ann, Claim.kind == "fee", Claim.status == "paid",
        Claim.choice.in_(("take", "take_less")), Claim.paid_on.between(dt.date(2025, 4, 6), dt.date(2026, 4, 5))
    )).scalars().all()
    assert summary.fees == sum(paid_fees) == 7040
    assert summary.expenses == 840 + (3000 - 500)  # bus fare, and the advance less what was paid back
    assert summary.trading_allowance == 100_000 and "HMRC" in summary.trading_allowance_source
    assert [line.date_paid for line in summary.lines] == [dt.date(2025, 6, 9), JUNE_PAY_DAY]
    bea = annual_summary(session, books.bea, 2025, organisation=ORGANISATION, rulebook=RULEBOOK,
                         issued=dt.date(2026, 4, 20))
    assert (bea.fees, bea.expenses, bea.redirected) == (5040, 420, 5040)
    words = text(render.render_annual_summary(summary))
    assert_in_order(words, ["Fees (taxable income)", money(7040), "Expenses paid back (not taxable)", money(3340),
                            "The £1,000 trading allowance"])
    earlier = annual_summary(session, books.ann, 2024, organisation=ORGANISATION, rulebook=RULEBOOK,
                             issued=dt.date(2026, 4, 20))
    assert earlier.lines == () and earlier.fees == 0
