"""Tax: tax years, totals per year, the £1,000 trading allowance and the payroll review."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies.payments import PaymentKind
from policies.settings import PolicySettings
from policies.tax import TaxYear, check_tax, payroll_review, tax_year_of, totals_by_tax_year, trading_allowance_flags
from tests.factories import payment


@pytest.mark.parametrize(
    ("day", "label"),
    [
        ("2025-04-05", "2024-25"),
        ("2025-04-06", "2025-26"),
        ("2026-04-05", "2025-26"),
        ("2026-04-06", "2026-27"),
        ("2000-01-01", "1999-00"),
    ],
)
def test_the_tax_year_runs_6_april_to_5_april(day, label):
    assert tax_year_of(date.fromisoformat(day)).label == label


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_every_date_is_in_its_tax_year(day):
    year = tax_year_of(day)
    assert year.start <= day <= year.end and year.contains(day)
    assert tax_year_of(year.end + timedelta(days=1)) == TaxYear(year.start_year + 1)


def test_totals_per_tax_year_by_kind():
    payments = [
        payment("2025-04-05", "100.00"),
        payment("2025-04-06", "200.00"),
        payment("2025-05-01", "30.00", kind="expense"),
        payment("2025-05-02", "50.00", kind="voucher"),
        payment("2025-05-03", "70.00", kind="redirected_to_group"),
    ]
    totals = totals_by_tax_year(payments)
    assert list(totals) == [TaxYear(2024), TaxYear(2025)]
    assert totals[TaxYear(2024)].taxable_pence == 10000
    this_year = totals[TaxYear(2025)]
    assert this_year.taxable_pence == 25000
    assert this_year.pence(PaymentKind.EXPENSE) == 3000
    assert this_year.pence(PaymentKind.REDIRECTED_TO_GROUP) == 7000


def test_the_trading_allowance_is_passed_a_penny_over_1000(rulebook):
    at = [payment("2025-05-01", "600.00"), payment("2026-04-05", "400.00"), payment("2026-04-06", "0.01")]
    assert trading_allowance_flags(rulebook, at) == []
    over = [payment("2025-05-01", "600.00"), payment("2026-04-05", "400.01"),
            payment("2025-06-01", "900.00", kind="expense")]
    flags = trading_allowance_flags(rulebook, over)
    assert len(flags) == 1
    flag = flags[0]
    assert flag.year == TaxYear(2025) and flag.taxable_pence == 100001 and flag.passed_on == date(2026, 4, 5)
    assert "£1,000.01" in flag.explanation and "5 October 2026" in flag.explanation


def test_flat_rate_allowances_and_vouchers_count_towards_the_trading_allowance(rulebook):
    payments = [payment("2025-05-01", "500.00", kind="flat_rate_allowance"),
                payment("2025-05-02", "500.01", kind="voucher")]
    assert len(trading_allowance_flags(rulebook, payments)) == 1


def test_a_regular_pattern_of_paid_work_triggers_a_payroll_review():
    settings = PolicySettings(payroll_review_engagements=12, payroll_review_amount_pence=1_000_000)
    monthly = [payment((date(2025, 1, 15) + timedelta(days=30 * n)).isoformat(), "50.00") for n in range(12)]
    review = payroll_review(monthly, settings)
    assert review is not None and review.engagements == 12 and "12 days of paid work" in review.reason
    assert payroll_review(monthly[:11], settings) is None
    spread = [payment((date(2020, 1, 1) + timedelta(days=40 * n)).isoformat(), "50.00") for n in range(12)]
    assert payroll_review(spread, settings) is None  # never 12 within 365 days


def test_payroll_review_by_amount_in_the_window():
    settings = PolicySettings(payroll_review_engagements=100, payroll_review_amount_pence=300_000)
    payments = [payment("2025-01-01", "1500.00"), payment("2025-12-31", "1500.00")]
    review = payroll_review(payments, settings)
    assert review is not None and review.amount_pence == 300_000
    assert payroll_review([payment("2025-01-01", "1500.00"), payment("2026-01-01", "1500.00")], settings) is None
    assert payroll_review([payment("2025-01-01", "1500.00"), payment("2025-06-01", "1499.99")], settings) is None


def test_check_tax_reports_everything(rulebook):
    report = check_tax(rulebook, [payment("2025-05-01", "1200.00")])
    assert report.trading_allowance and report.payroll is None and TaxYear(2025) in report.totals
