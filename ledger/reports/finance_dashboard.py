"""Finance's home page: what is waiting for finance today, counted in a few set-based queries.

Claims waiting for approval (how many and the oldest), payment runs still in draft (and those whose Bacs file
is due within ``BACS_DUE_WITHIN_DAYS``), advances past their settlement date, payments the bank sent back whose
claims are not yet paid again, fees waiting for the participant's choice, and the month that can be closed next.
Each figure is one query (a count per status, or one aggregate), never a loop over rows, so the page stays as
fast with 5,000 claims as with 5.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from ledger.books.models import PeriodReopenRequest
from ledger.books.periods import month_to_lock
from ledger.books.posting import locked_months
from ledger.claims import workflow as claim_workflow
from ledger.claims.advance_workflow import OUTSTANDING
from ledger.claims.models import Advance, Claim
from ledger.payments import calendar
from ledger.payments.models import PaymentReturn, PaymentRun, PaymentRunItem
from ledger.payments.workflow import CHANGEABLE

#: A draft run is "due" when its Bacs file must reach the bank within this many days (or the day has passed).
BACS_DUE_WITHIN_DAYS = 3


@dataclass(frozen=True, slots=True)
class DraftRunDue:
    """A draft run and the last day its Bacs file can reach the bank for the money to arrive on time."""

    id: int
    reference: str
    payment_date: dt.date
    bacs_submit_by: dt.date
    total_pence: int
    due: bool  # the Bacs file must reach the bank within BACS_DUE_WITHIN_DAYS
    submission_passed: bool  # too late for its payment date: confirming it needs a new one


@dataclass(frozen=True, slots=True)
class FinanceDashboard:
    """Figures for finance's home page; every count is of things waiting for a finance user."""

    claims_by_status: dict[str, int]
    oldest_waiting_submitted_at: dt.datetime | None
    draft_runs: tuple[DraftRunDue, ...]
    runs_due: tuple[DraftRunDue, ...]
    advances_overdue: int
    advances_overdue_pence: int
    returns_not_repaid: int
    returns_not_repaid_pence: int
    fees_waiting_for_choice: int
    last_locked_month: dt.date | None
    month_to_close: dt.date | None
    reopen_requests_waiting: int

    @property
    def claims_waiting(self) -> int:
        """Submitted claims that a finance user must approve, return or reject."""
        return sum(self.claims_by_status.get(s, 0) for s in claim_workflow.WAITING_FOR_APPROVAL)

    @property
    def claims_to_pay(self) -> int:
        """Approved claims that the next payment run can pay."""
        return sum(self.claims_by_status.get(s, 0) for s in claim_workflow.OWED)


def _claims_by_status(session: Session) -> dict[str, int]:
    return {status: count for status, count in session.execute(
        select(Claim.status, func.count()).group_by(Claim.status)).all()}


def _oldest_waiting(session: Session) -> dt.datetime | None:
    return session.execute(select(func.min(Claim.submitted_at)).where(
        Claim.status.in_(claim_workflow.WAITING_FOR_APPROVAL))).scalar_one()


def _draft_runs(session: Session, today: dt.date) -> tuple[DraftRunDue, ...]:
    rows = session.execute(select(PaymentRun.id, PaymentRun.reference, PaymentRun.payment_date,
                                  PaymentRun.total_pence).where(PaymentRun.status.in_(CHANGEABLE))
                           .order_by(PaymentRun.payment_date, PaymentRun.id)).all()
    due_by = today + dt.timedelta(days=BACS_DUE_WITHIN_DAYS)
    found = []
    for r in rows:
        submit_by = calendar.bacs_input_day(r.payment_date)
        found.append(DraftRunDue(id=r.id, reference=r.reference, payment_date=r.payment_date,
                                 bacs_submit_by=submit_by, total_pence=r.total_pence, due=submit_by <= due_by,
                                 submission_passed=submit_by < today))
    return tuple(found)


def _advances_overdue(session: Session, today: dt.date) -> tuple[int, int]:
    count, pence = session.execute(select(func.count(), func.coalesce(func.sum(Advance.amount_pence), 0)).where(
        Advance.status.in_(OUTSTANDING), Advance.settle_by < today, Advance.settlement_claim_id.is_(None))).one()
    return int(count), int(pence)


def _returns_not_repaid(session: Session) -> tuple[int, int]:
    """Returned payments with a claim of theirs not yet paid again by a later run."""
    unpaid_claim = exists().where(
        PaymentRunItem.run_id == PaymentReturn.run_id, PaymentRunItem.payee_kind == PaymentReturn.payee_kind,
        PaymentRunItem.payee_id == PaymentReturn.payee_id, Claim.id == PaymentRunItem.claim_id,
        Claim.status != "paid")
    count, pence = session.execute(select(func.count(), func.coalesce(func.sum(PaymentReturn.amount_pence), 0))
                                   .where(unpaid_claim)).one()
    return int(count), int(pence)


def _fees_waiting_for_choice(session: Session) -> int:
    """Drafted fees not yet submitted: the participant can still choose what happens to them (take it, take
    less, decline, give it to a group, time credits) before the fee goes to finance."""
    return session.execute(select(func.count()).select_from(Claim).where(
        Claim.kind == "fee", Claim.status == "draft", Claim.part_of_claim_id.is_(None))).scalar_one()


def finance_dashboard(session: Session, *, today: dt.date) -> FinanceDashboard:
    """What is waiting for finance on ``today``."""
    drafts = _draft_runs(session, today)
    overdue, overdue_pence = _advances_overdue(session, today)
    returned, returned_pence = _returns_not_repaid(session)
    locked = locked_months(session)
    waiting_reopen = session.execute(select(func.count()).select_from(PeriodReopenRequest).where(
        PeriodReopenRequest.status == "requested")).scalar_one()
    return FinanceDashboard(
        claims_by_status=_claims_by_status(session), oldest_waiting_submitted_at=_oldest_waiting(session),
        draft_runs=drafts,
        runs_due=tuple(r for r in drafts if r.due),
        advances_overdue=overdue, advances_overdue_pence=overdue_pence, returns_not_repaid=returned,
        returns_not_repaid_pence=returned_pence, fees_waiting_for_choice=_fees_waiting_for_choice(session),
        last_locked_month=locked[-1] if locked else None, month_to_close=month_to_lock(session),
        reopen_requests_waiting=int(waiting_reopen))
