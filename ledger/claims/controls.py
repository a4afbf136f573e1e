"""Controls on claims before approval, as an internal auditor would ask for them.

- **A receipt above a set amount**: an expense line above ``ClaimRules.receipt_required_above_pence`` (the
  ``RECEIPT_REQUIRED_ABOVE_PENCE`` setting, £25 unless set) needs a receipt before the claim is approved.
  Mileage is exempt: it is priced from the miles at HMRC's rate, and there is no receipt for it.
- **A likely duplicate** (the same person, day, kind and amount as a claim already submitted, approved or
  paid) is submitted only with ``confirm_duplicate`` and a ``duplicate_reason``, recorded in the submit
  event. Another draft is not compared (it is compared when it is submitted itself), nor are a fee's own
  parts or top-ups.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from ledger.claims import workflow
from ledger.claims.models import Claim, ExpenseLine, Receipt
from ledger.errors import Conflict, ValidationError
from ledger.formatting import long_date, money
from ledger.projects.models import Activity

__all__ = ["CLAIMED", "NO_RECEIPT_NEEDED", "check_duplicates", "likely_duplicates", "lines_missing_receipts",
           "refuse_missing_receipts"]

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
        listed = "; ".join(f"line {line.id} ({line.description}, {money(line.amount_pence)} on "
                           f"{long_date(line.incurred_on)})" for line in missing[:10])
        raise Conflict(
            f"Expense lines over {money(above_pence)} need a receipt before the claim is "
            f"approved: {listed}. Add the receipt, or return the claim asking for it.",
            fields={"receipts": [f"line {line.id}" for line in missing]})


# ---------------------------------------------------------------- likely duplicates

#: Claims a new one is compared with: already claimed (a draft is compared when it is itself submitted).
CLAIMED = tuple(s for s in workflow.LIVE if s != "draft")
MAX_DUPLICATE_REASON = 500


def _claim_day(session: Session, claim: Claim) -> dt.date:
    """The day a claim is for: its activity's, else its latest expense line's, else the day it was made."""
    if claim.activity_id is not None:
        activity = session.get(Activity, claim.activity_id)
        if activity is not None:
            return activity.occurs_on
    latest = session.execute(select(func.max(ExpenseLine.incurred_on))
                             .where(ExpenseLine.claim_id == claim.id)).scalar_one()
    return latest or claim.created_at.date()


def likely_duplicates(session: Session, claim: Claim) -> list[int]:
    """Other claimed claims of the same person, kind and amount, for the same day (parts and top-ups apart)."""
    related = {c for c in (claim.part_of_claim_id, claim.tops_up_claim_id) if c is not None}
    candidates = session.execute(select(Claim).where(
        Claim.participant_id == claim.participant_id, Claim.kind == claim.kind,
        Claim.amount_pence == claim.amount_pence, Claim.id != claim.id, Claim.status.in_(CLAIMED),
    ).order_by(Claim.id)).scalars().all()
    day = _claim_day(session, claim)
    return [c.id for c in candidates
            if c.id not in related and claim.id not in (c.part_of_claim_id, c.tops_up_claim_id)
            and _claim_day(session, c) == day]


def check_duplicates(session: Session, claim: Claim, confirm_duplicate: bool, duplicate_reason: Any) -> dict | None:
    """Refuse a likely duplicate unless confirmed with a reason; return what to record in the event, if any."""
    found = likely_duplicates(session, claim)
    if not found:
        return None
    listed = ", ".join(f"claim {c}" for c in found)
    if not confirm_duplicate:
        raise Conflict(
            f"This looks like a duplicate of {listed}: the same person, day, kind and amount. If it is a separate "
            "claim, confirm it is not a duplicate and say why.",
            fields={"confirm_duplicate": [f"Likely duplicate of {listed}."]})
    reason = duplicate_reason.strip() if isinstance(duplicate_reason, str) else ""
    if not reason or len(reason) > MAX_DUPLICATE_REASON:
        raise ValidationError(f"Say why this is not a duplicate of {listed} (1 to {MAX_DUPLICATE_REASON} characters).",
                              fields={"duplicate_reason": ["Required to confirm a likely duplicate."]})
    return {"duplicate_of": found, "duplicate_reason": reason}
