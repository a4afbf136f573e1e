"""A participant claiming their own expenses: the activities they can claim for, and the claim with its receipts.

The claim, its lines and every receipt are written in the caller's one transaction: if one receipt is not a
PDF, JPEG or PNG, or one line is wrong, nothing is kept, and the refusal names the line's field
(``lines.1.receipt``), so the page can put the message beside it. A line above the organisation's receipt
threshold (mileage excepted) needs its receipt here, at the start, rather than stopping approval later.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.claims.records import ClaimRecord
from ledger.claims.services import ClaimRules, add_receipt, create_expense_claim, get_claim
from ledger.errors import LedgerError, ValidationError
from ledger.formatting import money
from ledger.projects.models import Activity, Attendance, Project

__all__ = ["ActivityToClaimFor", "ReceiptUpload", "activities_to_claim_for", "claim_own_expenses"]

CLAIMABLE_DAYS = 365  # expenses for activities in the last year


@dataclass(frozen=True, slots=True)
class ActivityToClaimFor:
    id: int
    title: str
    project_name: str
    occurs_on: dt.date


@dataclass(frozen=True, slots=True)
class ReceiptUpload:
    filename: str
    data: bytes


def activities_to_claim_for(session: Session, participant_id: int, today: dt.date) -> list[ActivityToClaimFor]:
    """The activities the participant took part in over the last year, the latest first."""
    rows = session.execute(
        select(Activity.id, Activity.title, Project.name, Activity.occurs_on)
        .join(Attendance, Attendance.activity_id == Activity.id).join(Project, Project.id == Activity.project_id)
        .where(Attendance.participant_id == participant_id,
               Activity.occurs_on >= today - dt.timedelta(days=CLAIMABLE_DAYS), Activity.occurs_on <= today)
        .order_by(Activity.occurs_on.desc(), Activity.id.desc()))
    return [ActivityToClaimFor(id=r[0], title=r[1] or r[2], project_name=r[2], occurs_on=r[3]) for r in rows]


def _check_receipts(lines: Sequence[dict], receipts: Sequence[ReceiptUpload | None], rules: ClaimRules) -> None:
    threshold = rules.receipt_required_above_pence
    if threshold is None:
        return  # the organisation asks for no receipts before approval
    missing = {}
    for index, (line, receipt) in enumerate(zip(lines, receipts, strict=True)):
        if receipt is None and line.get("category") != "mileage":
            try:
                pence = Decimal(str(line.get("amount") or "0")) * 100
            except InvalidOperation:
                continue  # the claim's own check names the amount
            if pence > threshold:
                missing[f"lines.{index}.receipt"] = [
                    f"Add a photo or PDF of the receipt: amounts over {money(threshold)} "
                    "need one."]
    if missing:
        raise ValidationError("Some expenses need a receipt: " + ", ".join(sorted(missing)) + ".", fields=missing)


def claim_own_expenses(
    session: Session, *, participant_id: int, activity_id: int, lines: Sequence[dict],
    receipts: Sequence[ReceiptUpload | None], idempotency_key: str, actor_user_id: int, rules: ClaimRules,
    today: dt.date,
) -> ClaimRecord:
    """Draft the participant's expense claim for an activity they attended, with a receipt per line."""
    allowed = {a.id for a in activities_to_claim_for(session, participant_id, today)}
    if activity_id not in allowed:
        raise ValidationError("Choose an activity you took part in.", fields={"activity_id": ["Choose one."]})
    if len(receipts) != len(lines):
        raise ValidationError("Each expense has its own receipt.", fields={"lines": ["One receipt per line."]})
    _check_receipts(lines, receipts, rules)
    claim, _created = create_expense_claim(session, participant_id=participant_id, activity_id=activity_id,
                                           lines=lines, idempotency_key=idempotency_key,
                                           actor_user_id=actor_user_id, rules=rules)
    for index, (line, receipt) in enumerate(zip(claim.lines, receipts, strict=True)):
        if receipt is None or line.receipts:
            continue  # a repeated request finds its receipts already kept
        try:
            add_receipt(session, claim.id, line.id, filename=receipt.filename, data=receipt.data,
                        actor_user_id=actor_user_id, max_bytes=rules.receipt_max_bytes)
        except LedgerError as error:
            raise type(error)(error.message, fields={f"lines.{index}.receipt": error.fields.get("file", [
                error.message])}) from None
    return get_claim(session, claim.id)
