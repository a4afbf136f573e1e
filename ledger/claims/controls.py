"""Controls on claims before approval, as an internal auditor would ask for them.

- **A receipt above a set amount**: an expense line above ``ClaimRules.receipt_required_above_pence`` (the
  ``RECEIPT_REQUIRED_ABOVE_PENCE`` setting, £25 unless set) needs a receipt before the claim is approved.
  Mileage is exempt: it is priced from the miles at HMRC's rate, and there is no receipt for it.
"""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ledger.claims.models import Claim, ExpenseLine, Receipt
from ledger.errors import Conflict

__all__ = ["NO_RECEIPT_NEEDED", "lines_missing_receipts", "refuse_missing_receipts"]

#: Expense categories priced by the ledger itself, which have no receipt to keep.
NO_RECEIPT_NEEDED = ("mileage",)


def lines_missing_receipts(session: Session, claim_id: int, above_pence: int) -> list[ExpenseLine]:
    """The claim's expense lines above the amount, other than mileage, with no receipt kept."""
    has_receipt = exists().where(Receipt.expense_line_id == ExpenseLine.id)
    return list(session.execute(
        select(ExpenseLine).where(ExpenseLine.claim_id == claim_id, ExpenseLine.amount_pence > above_pence,
                                  ExpenseLine.category.not_in(NO_RECEIPT_NEEDED), ~has_receipt)
        .order_by(ExpenseLine.id)).scalars())


def refuse_missing_receipts(session: Session, claim: Claim, above_pence: int) -> None:
    """Refuse to approve while a line above the amount has no receipt, naming each line."""
    missing = lines_missing_receipts(session, claim.id, above_pence)
    if missing:
        listed = "; ".join(f"line {line.id} ({line.description}, £{line.amount_pence // 100:,}."
                           f"{line.amount_pence % 100:02d} on {line.incurred_on:%d %B %Y})" for line in missing[:10])
        raise Conflict(
            f"Expense lines over £{above_pence // 100:,}.{above_pence % 100:02d} need a receipt before the claim is "
            f"approved: {listed}. Add the receipt, or return the claim asking for it.",
            fields={"receipts": [f"line {line.id}" for line in missing]})
