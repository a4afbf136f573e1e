"""The benefit effect of one payment, as a document: what a claim's payment does to each benefit declared.

Plain data (no database, no Flask): the PDF (standard, large print, easy read) and the accessible web page are
drawn from the same record, so they say the same.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ledger.benefit_checks import BenefitCheck
from ledger.reports.organisation import Organisation
from ledger.reports.records import Payee

__all__ = ["BenefitEffectNotice"]


@dataclass(frozen=True, slots=True)
class BenefitEffectNotice:
    """One claim's payment and its benefit check: the one recorded at approval, or the one it would get now."""

    organisation: Organisation
    participant: Payee
    claim_id: int
    description: str
    amount_pence: int  # what the payment pays the participant (the fee as chosen, or the claim's total)
    payment_date: dt.date | None  # paid on, or the day it would be paid; None when not known
    check: BenefitCheck | None
    checked_at_approval: bool  # the check recorded when it was approved (else the check as it would be now)
    issued: dt.date
    #: checked (``check`` says what), no_benefits (they declared none), not_checked (no check is recorded, or
    #: the rules cannot check it yet).
    status: str = "checked"
