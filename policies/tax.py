"""Tax: tax years, totals per tax year, the £1,000 trading allowance and a payroll (employment) review.

Tax years run 6 April to 5 April. Taxable here means fees, flat-rate allowances and vouchers
("monetary awards and vouchers are classed as income"); reimbursed actual expenses, declined fees, fees
paid to a group at the participant's request and time credits are left out.

The payroll review is the organisation's own early warning, not a legal test of employment status: a
participant with at least `payroll_review_engagements` days of paid work, or at least
`payroll_review_amount_pence` of taxable payments, within any rolling `payroll_review_window_days`
(defaults: 12 days or £3,000 in 365 days, i.e. roughly monthly, ongoing involvement) is flagged so that
someone checks employment status (HMRC's CEST tool; the NIHR/HRA guide for organisations) and whether
the payments must go through payroll, as NHS England does for its PPV Partners.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from policies.money import gbp
from policies.payments import PAID_WORK, Payment, PaymentKind
from policies.rulebook import Rulebook
from policies.settings import DEFAULT_SETTINGS, PolicySettings


@dataclass(frozen=True, order=True)
class TaxYear:
    """A UK tax year, 6 April to 5 April, named by the year it starts in."""

    start_year: int

    @property
    def start(self) -> date:
        return date(self.start_year, 4, 6)

    @property
    def end(self) -> date:
        return date(self.start_year + 1, 4, 5)

    @property
    def label(self) -> str:
        """The usual name: '2025-26'."""
        return f"{self.start_year}-{(self.start_year + 1) % 100:02d}"

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def tax_year_of(day: date) -> TaxYear:
    """Return the tax year a date falls in."""
    return TaxYear(day.year if (day.month, day.day) >= (4, 6) else day.year - 1)


@dataclass(frozen=True)
class TaxYearTotal:
    """What a participant received in one tax year, by kind, in pence."""

    year: TaxYear
    by_kind: dict[PaymentKind, int]

    @property
    def taxable_pence(self) -> int:
        """Fees, flat-rate allowances and vouchers: the gross receipts the trading allowance is set against."""
        return sum(self.by_kind.get(kind, 0) for kind in PAID_WORK)

    def pence(self, kind: PaymentKind) -> int:
        return self.by_kind.get(kind, 0)


def totals_by_tax_year(payments: Iterable[Payment]) -> dict[TaxYear, TaxYearTotal]:
    """Total a participant's payments per tax year and kind."""
    sums: dict[TaxYear, dict[PaymentKind, int]] = {}
    for payment in payments:
        by_kind = sums.setdefault(tax_year_of(payment.received_on), {})
        by_kind[payment.kind] = by_kind.get(payment.kind, 0) + payment.amount_pence
    return {year: TaxYearTotal(year, by_kind) for year, by_kind in sorted(sums.items())}


@dataclass(frozen=True)
class TradingAllowanceFlag:
    """Taxable receipts in a tax year went past the trading allowance."""

    year: TaxYear
    taxable_pence: int
    allowance_pence: int
    passed_on: date
    explanation: str
    explanation_for_staff: str
    rule: str = "tax.trading_allowance"


def trading_allowance_flags(rulebook: Rulebook, payments: Iterable[Payment]) -> list[TradingAllowanceFlag]:
    """Flag each tax year in which taxable payments pass the trading allowance (more than £1,000)."""
    flags = []
    ordered = sorted(payments, key=lambda p: p.received_on)
    for year in sorted({tax_year_of(p.received_on) for p in ordered}):
        param = rulebook.get("tax.trading_allowance", year.start)
        allowance = int(param.decimal * 100)
        running = 0
        for payment in (p for p in ordered if year.contains(p.received_on) and p.kind in PAID_WORK):
            running += payment.amount_pence
            if running > allowance:
                flags.append(_trading_flag(rulebook, year, payments=ordered, allowance=allowance, on=payment))
                break
    return flags


def _trading_flag(
    rulebook: Rulebook, year: TaxYear, *, payments: list[Payment], allowance: int, on: Payment
) -> TradingAllowanceFlag:
    total = sum(p.amount_pence for p in payments if year.contains(p.received_on) and p.kind in PAID_WORK)
    deadline = rulebook.get("tax.sa_registration_deadline", year.start).value
    register_by = date(year.start_year + 1, 10, 5)
    return TradingAllowanceFlag(
        year=year,
        taxable_pence=total,
        allowance_pence=allowance,
        passed_on=on.received_on,
        explanation=(
            f"Between 6 April {year.start_year} and 5 April {year.start_year + 1} we paid you "
            f"{gbp(total)} in fees. That is more than {gbp(allowance)}. "
            f"You may need to tell HMRC. If so, register for Self Assessment by "
            f"{register_by.day} October {register_by.year}. Money from other places you do paid work for "
            "counts too. Expenses we paid back do not count."
        ),
        explanation_for_staff=(
            f"Tax year {year.label}: taxable receipts (fees, flat-rate allowances, vouchers) {gbp(total)} "
            f"exceed the trading allowance {gbp(allowance)} (tax.trading_allowance, gross receipts) from the "
            f"payment received {on.received_on.isoformat()}. Participant may need to register for Self "
            f"Assessment ({deadline}) unless paid through payroll."
        ),
    )


@dataclass(frozen=True)
class PayrollReview:
    """A participant's pattern of paid work reached the organisation's payroll-review threshold."""

    window_start: date
    window_end: date
    engagements: int
    amount_pence: int
    reason: str
    explanation_for_staff: str


def payroll_review(payments: Iterable[Payment], settings: PolicySettings = DEFAULT_SETTINGS) -> PayrollReview | None:
    """Return the first rolling window in which paid work reaches a payroll-review threshold, or None.

    Engagements are distinct days on which a fee, flat-rate allowance, voucher or fee redirected to a group
    was received (a redirected fee is still paid work); the amount counts taxable payments only.
    """
    work = sorted(
        (p for p in payments if p.kind in PAID_WORK or p.kind == PaymentKind.REDIRECTED_TO_GROUP),
        key=lambda p: p.received_on,
    )
    window = timedelta(days=settings.payroll_review_window_days - 1)
    first = 0
    for last, payment in enumerate(work):
        while work[first].received_on < payment.received_on - window:
            first += 1
        in_window = work[first : last + 1]
        days = len({p.received_on for p in in_window})
        amount = sum(p.amount_pence for p in in_window if p.kind in PAID_WORK)
        reasons = []
        if days >= settings.payroll_review_engagements:
            reasons.append(f"{days} days of paid work")
        if amount >= settings.payroll_review_amount_pence:
            reasons.append(f"{gbp(amount)} of taxable payments")
        if reasons:
            start = payment.received_on - window
            reason = " and ".join(reasons)
            return PayrollReview(
                window_start=start,
                window_end=payment.received_on,
                engagements=days,
                amount_pence=amount,
                reason=reason,
                explanation_for_staff=(
                    f"{reason} between {start.isoformat()} and {payment.received_on.isoformat()} reach the "
                    f"organisation's payroll-review threshold ({settings.payroll_review_engagements} days or "
                    f"{gbp(settings.payroll_review_amount_pence)} in {settings.payroll_review_window_days} "
                    "days). Check employment status (HMRC CEST; NIHR/HRA guide) and whether these payments "
                    "must go through payroll."
                ),
            )
    return None


@dataclass(frozen=True)
class TaxReport:
    """Totals per tax year, trading-allowance flags and any payroll review for one participant."""

    totals: dict[TaxYear, TaxYearTotal]
    trading_allowance: list[TradingAllowanceFlag]
    payroll: PayrollReview | None


def check_tax(
    rulebook: Rulebook, payments: Iterable[Payment], settings: PolicySettings = DEFAULT_SETTINGS
) -> TaxReport:
    """Report a participant's tax position from their payments."""
    payments = list(payments)
    return TaxReport(
        totals=totals_by_tax_year(payments),
        trading_allowance=trading_allowance_flags(rulebook, payments),
        payroll=payroll_review(payments, settings),
    )
