"""Payments as the policy engine sees them: when the money is received, how much, and what kind.

What counts as earnings for benefits is decided here, once:
- not earnings: a reimbursed actual expense, a declined fee, a fee paid to a group at the participant's
  request, time credits;
- earnings: a fee and a flat-rate allowance; a voucher unless the organisation records otherwise
  (`PolicySettings.vouchers_count_as_earnings`, reference Q6).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from policies.errors import InvalidInput
from policies.settings import DEFAULT_SETTINGS, PolicySettings


class PaymentKind(StrEnum):
    """What a payment is."""

    FEE = "fee"
    EXPENSE = "expense"  # a reimbursed actual cost
    FLAT_RATE_ALLOWANCE = "flat_rate_allowance"
    VOUCHER = "voucher"
    TIME_CREDITS = "time_credits"
    REDIRECTED_TO_GROUP = "redirected_to_group"  # paid by the organisation to a group at the participant's request
    DECLINED = "declined"


NEVER_EARNINGS = frozenset(
    {PaymentKind.EXPENSE, PaymentKind.TIME_CREDITS, PaymentKind.REDIRECTED_TO_GROUP, PaymentKind.DECLINED}
)
# Kinds that are payment for the participant's time received by them (for tax and employment status).
PAID_WORK = frozenset({PaymentKind.FEE, PaymentKind.FLAT_RATE_ALLOWANCE, PaymentKind.VOUCHER})


@dataclass(frozen=True)
class Payment:
    """A payment to a participant (made, or proposed): the date they receive it, pence, kind, hours.

    `worked_on` is the day the work it pays for was done, when that matters and differs from the day the
    money is received: earnings count when received (UC, Carer's Allowance, ESA's money limits), but ESA's
    16-hour test counts hours in the week they were worked. None means the same day as `received_on`
    (`worked_date` gives the day to use), so callers that do not know it need not say.
    """

    received_on: date
    amount_pence: int
    kind: PaymentKind
    hours: Decimal | None = None
    worked_on: date | None = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "kind", PaymentKind(self.kind))
        except ValueError:
            kinds = ", ".join(k.value for k in PaymentKind)
            raise InvalidInput(f"kind must be one of {kinds}, not {self.kind!r}") from None
        if isinstance(self.amount_pence, bool) or not isinstance(self.amount_pence, int):
            raise InvalidInput("amount_pence must be a whole number of pence")
        if self.amount_pence < 0:
            raise InvalidInput(f"a payment cannot be negative ({self.amount_pence}p)")
        if self.hours is not None and self.hours < 0:
            raise InvalidInput(f"hours cannot be negative ({self.hours})")
        if self.worked_on is not None and not isinstance(self.worked_on, date):
            raise InvalidInput(f"worked_on must be a date, not {self.worked_on!r}")

    @property
    def worked_date(self) -> date:
        """The day the work was done: `worked_on`, or the day the money is received when it is not given."""
        return self.received_on if self.worked_on is None else self.worked_on


def counts_as_earnings(kind: PaymentKind, settings: PolicySettings = DEFAULT_SETTINGS) -> bool:
    """Whether a kind of payment counts as earnings for the benefit rules."""
    if kind in NEVER_EARNINGS:
        return False
    if kind == PaymentKind.VOUCHER:
        return settings.vouchers_count_as_earnings
    return True


def earnings_pence(payment: Payment, settings: PolicySettings = DEFAULT_SETTINGS) -> int:
    """Return how much of a payment counts as earnings for the benefit rules, in pence."""
    return payment.amount_pence if counts_as_earnings(payment.kind, settings) else 0


def work_hours(payment: Payment) -> Decimal:
    """Return the hours of paid work a payment stands for (for the ESA 16-hour test).

    Only paid work counts: a fee, a flat-rate allowance or a voucher. The hours behind a declined fee, a
    fee paid to a group at the participant's request or time credits are voluntary work, which is not
    treated as paid (SCIE AG50; notional earnings do not apply to service users).
    """
    if payment.kind not in PAID_WORK or payment.hours is None:
        return Decimal(0)
    return payment.hours
