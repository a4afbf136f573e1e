"""Payment runs: approved claims paid by bank transfer, in one batch, on one payment date.

A run is drafted (claims taken, the batch benefit check stored, the Bacs file and bank CSV written from it),
then confirmed once the bank has accepted the file, which posts one payment entry per payee; or cancelled
before confirmation, which releases its claims for a later run. Every function works in the caller's
transaction and never commits.

Invariants:

- A claim is in at most one live run. Drafting takes claims with a guarded ``UPDATE claims SET
  payment_run_id = :run WHERE ... AND payment_run_id IS NULL`` (on PostgreSQL after ``SELECT ... FOR UPDATE
  SKIP LOCKED``, so a second draft drafted at the same moment passes over the claims the first holds instead
  of waiting for them or sharing them; SQLite's ``BEGIN IMMEDIATE`` serialises writers already).
- A run's status changes only through ``ledger.payments.workflow`` and each change is an event. A run is
  paid at most once. Confirming begins with ``UPDATE payment_runs SET status = 'confirmed' ... WHERE id = :id
  AND status = 'draft'``: only the transaction whose update changed the row goes on; the
  other (a second click, a colleague confirming the same run at the same moment) gets ``Conflict`` saying
  who confirmed it and when. A repeated confirmation is refused rather than answered as if it had just
  worked, so nobody believes they paid a run that someone else paid.
- Confirming posts, per payee, one balanced entry (Dr ``owed:participant:<id>`` or ``owed:group:<id>``,
  Cr ``bank:main``), all of them through ``post_entries`` in a few statements, effective on the payment date,
  with the idempotency key ``payment-run:<run>:<payee_kind>:<payee_id>``; it never pays a payee more than the
  books say is owed.
- Bank details are decrypted here only in ``bacs_file`` and ``bank_csv``; summaries show them masked.
- What the run found is kept in rows, never rewritten: the benefit check of each participant's fees
  (``payment_run_benefit_checks``), each payee left out and why (``payment_run_exclusions``), and the
  override reason on the run itself.

Choices a finance officer would make:

- **The payment date** is the day the money arrives (Bacs's entry day; see ``ledger.payments.calendar``).
  A weekend or bank holiday in England and Wales moves to the next banking day; a date in a locked month
  is refused with ``PeriodLocked``. The Bacs file must be submitted by ``bacs_submit_by`` (two banking days
  earlier); the bank CSV (for a bank's own bulk upload) has no such lead time.
- **Payees without bank details** are left out of the run, not the run refused: one missing detail should
  not hold up everyone else's pay. Their claims stay approved and unpaid for a later run, and the run's
  summary lists them under ``left_out`` with the amount waiting.
- **The batch benefit check** asks, per participant, "does this run, received on this payment date, take
  them over a limit?" (the fees in the run as one proposed ``fee`` payment; expenses are not earnings;
  fees redirected to a group are the group's; approved claims waiting for a later run are left out of the
  count, while those in another draft run are counted as received on this date, the cautious reading).
  The organisation's setting (``POLICY_ON_WARN`` / ``POLICY_ON_BREACH``) then applies to the run as it
  does to a single claim: ``warn`` flags the payee; ``override`` lets the run be confirmed only with an
  override reason, which is recorded; ``block`` leaves that payee's fees out of the run (listed in
  ``left_out``), while their expenses are still paid.
- **A payee can be taken out of a draft** (``remove_payee_from_run``), for instance after a benefit flag or
  a bank-details change; their claims go back to waiting.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import CursorResult, func, insert, or_, select, update
from sqlalchemy.orm import Session

from ledger.auth.models import User
from ledger.benefit_checks import BenefitCheck
from ledger.books.kinds import PostingKind
from ledger.books.models import Account, AccountBalance, LockedPeriod
from ledger.books.posting import first_open_month, post_entries
from ledger.books.records import NewEntry, PostingLine
from ledger.claims import workflow as claim_workflow
from ledger.claims.corrections import netting_agreed_for, record_netting
from ledger.claims.models import Claim, ExpenseLine
from ledger.claims.services import ClaimRules, mark_claims_paid
from ledger.db import is_postgresql, utcnow
from ledger.errors import Conflict, NotFound, NothingToPay, PeriodLocked, ValidationError
from ledger.events.records import NewEvent
from ledger.events.views import record_views
from ledger.events.writer import record_event
from ledger.organisation import BANK, open_organisation_accounts
from ledger.outbox.queue import queue_remittances
from ledger.payments import bacs, bank_changes, calendar, controls, holds, run_advances
from ledger.payments import bank_csv as csv_file
from ledger.payments.benefit_check import RunFees, check_run_fees
from ledger.payments.models import (
    PAYEE_KINDS,
    Payment,
    PaymentRun,
    PaymentRunBenefitCheck,
    PaymentRunExclusion,
    PaymentRunItem,
)
from ledger.payments.records import LeftOut, PayeeTotal, PaymentRunListItem, PaymentRunSummary, RunOverride
from ledger.payments.workflow import PAID, RUN
from ledger.people.accounts import group_accounts, participant_accounts
from ledger.people.bank import BankCipher, mask_account_number, mask_sort_code
from ledger.people.models import Participant, UserLedGroup
from ledger.people.services import bank_details_for_bank_file
from ledger.projects.models import Activity
from policies.rulebook import Rulebook
from policies.settings import PolicySettings

__all__ = [
    "MAX_BANK_REFERENCE",
    "MAX_DAYS_AHEAD",
    "MAX_REASON",
    "LeftOut",
    "PayeeTotal",
    "PaymentRunListItem",
    "PaymentRunSummary",
    "RunOverride",
    "bacs_file",
    "bank_csv",
    "cancel_payment_run",
    "confirm_payment_run",
    "draft_payment_run",
    "gbp",
    "list_payment_runs",
    "lock_run",
    "paid_lines",
    "payee_totals",
    "payment_run_summary",
    "remove_payee_from_run",
    "reschedule_payment_run",
    "take_held_claims_out",
]

#: A run is drafted at most this many days before its payment date (Bacs itself takes files 31 days ahead).
MAX_DAYS_AHEAD = 60
MAX_REASON = 500
MAX_BANK_REFERENCE = 100
_CHUNK = 500

_claims = Claim.__table__
_items = PaymentRunItem.__table__
_runs = PaymentRun.__table__
_payments = Payment.__table__
_checks = PaymentRunBenefitCheck.__table__
_exclusions = PaymentRunExclusion.__table__
_activities = Activity.__table__
_lines = ExpenseLine.__table__

PayeeKey = tuple[str, int]


# ---------------------------------------------------------------- helpers



def _chunks(values: Sequence[int], size: int = _CHUNK) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _key(kind: str, payee_id: int) -> str:
    return f"{kind}:{payee_id}"


def _owed_account(kind: str, payee_id: int) -> str:
    return participant_accounts(payee_id).owed if kind == "participant" else group_accounts(payee_id).owed


def _credit_reference(run_reference: str, kind: str, payee_id: int) -> str:
    """What the payee sees on their bank statement: the run and who they are to us, e.g. 'PR000012 P345'."""
    return f"{run_reference} {'P' if kind == 'participant' else 'G'}{payee_id}"


def _amount(t: Mapping[str, Any]) -> int:
    """What a payee's line of the run pays: their fees, expenses and approved advances."""
    return t["fee"] + t["expense"] + t.get("advance", 0)


def _gbp(pence: int) -> str:
    return f"£{pence // 100:,}.{pence % 100:02d}"


def _is_date(value: Any) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _load_run(session: Session, run_id: int, *, fresh: bool = False) -> PaymentRun:
    query = select(PaymentRun).where(PaymentRun.id == run_id)
    if fresh:
        query = query.execution_options(populate_existing=True)
    run = session.execute(query).scalar_one_or_none()
    if run is None:
        raise NotFound(f"There is no payment run {run_id}.")
    return run


def lock_run(session: Session, run_id: int) -> None:
    """Lock a run's row (PostgreSQL), before any claim in it: the order confirming takes its locks in."""
    if is_postgresql(session):
        session.execute(select(_runs.c.id).where(_runs.c.id == run_id).with_for_update())


def _user_name(session: Session, user_id: int | None) -> str:
    if user_id is None:
        return "someone"
    user = session.get(User, user_id)
    return user.display_name if user is not None else f"user {user_id}"


def _as_text_time(moment: dt.datetime | None) -> str:
    if moment is None:
        return "an unknown time"
    return moment.strftime("%Y-%m-%d %H:%M UTC")  # stored moments read back in UTC (UTCDateTime)


def _not_draft(session: Session, run_id: int, doing: str) -> Conflict:
    """The Conflict for acting on a run that is no longer a draft, saying who moved it on and when."""
    run = _load_run(session, run_id, fresh=True)
    if run.status in PAID:
        return Conflict(
            f"Payment run {run.reference} was already confirmed by {_user_name(session, run.confirmed_by_user_id)} "
            f"at {_as_text_time(run.confirmed_at)} (bank reference {run.bank_reference}); it cannot be {doing}.",
            fields={"status": [run.status]},
        )
    return Conflict(
        f"Payment run {run.reference} was cancelled by {_user_name(session, run.cancelled_by_user_id)} at "
        f"{_as_text_time(run.cancelled_at)}; it cannot be {doing}. Draft a new run instead.",
        fields={"status": [run.status]},
    )


def _move_on(session: Session, run_id: int, action: str, **values: Any) -> str | None:
    """Take ``action`` on the run if its status still allows it, in one guarded UPDATE.

    Returns the status it moved from, or None when another transaction moved the run on first (the row
    lock makes the loser wait for the winner's commit, then find the status changed).
    """
    (before,) = RUN.statuses_allowing(action)
    # An UPDATE's result is a CursorResult; Session.execute is typed with the general Result.
    won = cast(CursorResult[Any], session.execute(
        update(_runs).where(_runs.c.id == run_id, _runs.c.status == before)
        .values(status=RUN.next_status(before, action), **values)
    )).rowcount
    return before if won == 1 else None


def _run_event(session: Session, run: PaymentRun, action: str, before: str | None, actor: int | None, *,
               reason: str | None = None, note: str | None = None, details: dict | None = None,
               participant_id: int | None = None) -> None:
    """Record what happened to the run (every change of a run is one event)."""
    record_event(session, NewEvent(
        subject="payment_run", subject_id=run.id, action=action, actor_user_id=actor, before=before,
        after=run.status, reason=reason, note=note, details=details, payment_run_id=run.id,
        participant_id=participant_id))


def _claim_day():
    """The date a claim is for: its activity's date, else its latest expense line's, else the day it was made."""
    latest_line = select(func.max(_lines.c.incurred_on)).where(_lines.c.claim_id == _claims.c.id).scalar_subquery()
    return func.coalesce(_activities.c.occurs_on, latest_line, func.date(_claims.c.created_at))


def _refuse_locked_month(session: Session, day: dt.date) -> None:
    month = day.replace(day=1)
    if session.execute(select(LockedPeriod.month).where(LockedPeriod.month == month)).first() is not None:
        raise PeriodLocked(
            f"{day:%B %Y} is locked: nothing can be posted into it, so a run cannot be paid on "
            f"{day.isoformat()}. The books are open from {first_open_month(session, day):%B %Y}: choose a payment "
            "date in an open month.",
            fields={"payment_date": ["locked period"]},
        )


def _check_reason(value: Any, field: str, what: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise ValidationError(f"Say {what}.", fields={field: ["Required."]})
    if len(text) > MAX_REASON:
        raise ValidationError(f"The {field.replace('_', ' ')} is longer than {MAX_REASON} characters.",
                              fields={field: [f"At most {MAX_REASON} characters."]})
    return text


def _payee_rows(session: Session, kind: str, ids: Iterable[int]) -> dict[int, Any]:
    model = Participant if kind == "participant" else UserLedGroup
    found = {}
    for chunk in _chunks(sorted(set(ids))):
        for row in session.execute(
            select(model.id, model.name, model.bank_details_encrypted.is_not(None).label("has_bank"),
                   model.bank_sort_code_last2, model.bank_account_last4, model.bank_details_set_at,
                   model.bank_details_returned_on)
            .where(model.id.in_(chunk))
        ):
            found[row.id] = row
    return found


def _payee_details(session: Session, keys: Iterable[PayeeKey]) -> dict[str, dict[int, Any]]:
    """Each payee's name and masked bank details, by kind and id."""
    wanted = list(keys)
    return {kind: _payee_rows(session, kind, [pid for k, pid in wanted if k == kind]) for kind in PAYEE_KINDS}


# ---------------------------------------------------------------- drafting


@dataclass
class _Payee:
    kind: str
    payee_id: int
    fee_pence: int = 0
    expense_pence: int = 0
    fee_minutes: int = 0
    fee_claims: list[int] = field(default_factory=list)
    expense_claims: list[int] = field(default_factory=list)

    @property
    def amount_pence(self) -> int:
        return self.fee_pence + self.expense_pence


@dataclass(frozen=True, slots=True)
class _Exclusion:
    payee_kind: str
    payee_id: int
    name: str
    amount_pence: int
    claim_ids: tuple[int, ...]
    reason: str
    message: str


@dataclass
class _Plan:
    """What a draft will take, and what it leaves for a later run."""

    taking: list[int] = field(default_factory=list)
    left_out: list[_Exclusion] = field(default_factory=list)
    held_fee_pence: dict[int, int] = field(default_factory=dict)  # participant id -> fees held back (block)
    advances: list[run_advances.RunAdvance] = field(default_factory=list)


def _check_draft_dates(cutoff_date: Any, payment_date: Any, today: dt.date) -> None:
    problems: dict[str, list[str]] = {}
    if not _is_date(cutoff_date):
        problems["cutoff_date"] = ["Must be a date."]
    if not _is_date(payment_date):
        problems["payment_date"] = ["Must be a date."]
    elif payment_date < today:
        problems["payment_date"] = [f"Cannot be in the past (today is {today.isoformat()})."]
    elif payment_date > today + dt.timedelta(days=MAX_DAYS_AHEAD):
        problems["payment_date"] = [f"Must be within {MAX_DAYS_AHEAD} days of today: is the year right?"]
    if problems:
        raise ValidationError(f"Please correct: {', '.join(sorted(problems))}.", fields=problems)


def _take_candidates(session: Session, cutoff_date: dt.date, paid_on: dt.date) -> list:
    """Approved, accrued, unpaid claims owing money, dated on or before the cut-off and in no live run, and
    payable by ``paid_on`` (the part of a fee the participant asked to be paid later waits for its day).

    On PostgreSQL the rows are locked, skipping any another transaction holds (a draft being made now).
    """
    query = (
        select(_claims.c.id, _claims.c.participant_id, _claims.c.group_id, _claims.c.choice, _claims.c.kind,
               _claims.c.amount_pence, _claims.c.worked_minutes)
        .select_from(_claims.outerjoin(_activities, _activities.c.id == _claims.c.activity_id))
        .where(
            _claims.c.status.in_(claim_workflow.OWED),
            _claims.c.payment_run_id.is_(None),
            _claims.c.paid_on.is_(None),
            _claims.c.amount_pence > 0,
            _claims.c.kind.in_(("fee", "expense")),
            _claims.c.accrual_entry_id.is_not(None),
            _claims.c.reversal_entry_id.is_(None),
            _claim_day() <= cutoff_date,
            or_(_claims.c.payable_from.is_(None), _claims.c.payable_from <= paid_on),
        )
        .order_by(_claims.c.id)
    )
    if is_postgresql(session):
        query = query.with_for_update(skip_locked=True, of=_claims)
    return list(session.execute(query).all())


def _payee_of(row) -> PayeeKey:
    """Who a claim pays: a fee redirected to a user-led group was accrued as owed to the group, and is paid to it."""
    if row.choice == "redirect" and row.group_id is not None:
        return "group", row.group_id
    return "participant", row.participant_id


def _group_by_payee(rows: Iterable) -> dict[PayeeKey, _Payee]:
    payees: dict[PayeeKey, _Payee] = {}
    for row in rows:
        key = _payee_of(row)
        payee = payees.get(key)
        if payee is None:
            payee = payees[key] = _Payee(*key)
        if row.kind == "fee":
            payee.fee_pence += row.amount_pence
            payee.fee_minutes += row.worked_minutes or 0
            payee.fee_claims.append(row.id)
        else:
            payee.expense_pence += row.amount_pence
            payee.expense_claims.append(row.id)
    return payees


def _check_payable(
    session: Session, payees: Mapping[PayeeKey, _Payee], details: Mapping[str, Mapping[int, Any]],
    paid_on: dt.date, rulebook: Rulebook, settings: PolicySettings,
) -> dict[int, BenefitCheck]:
    """The batch benefit check of the participants the run can pay (those with bank details)."""
    fees = {
        payee_id: RunFees(payee_id, p.fee_pence, p.fee_minutes)
        for (kind, payee_id), p in payees.items()
        if kind == "participant" and (row := details[kind].get(payee_id)) is not None and row.has_bank
    }
    return check_run_fees(session, fees, paid_on, rulebook, settings)


def _returned_exclusion(payee: _Payee, name: str, returned_on: dt.date) -> _Exclusion:
    """A payee whose last payment the bank sent back waits until their bank details are changed."""
    return _Exclusion(
        payee.kind, payee.payee_id, name, payee.amount_pence, tuple(sorted(payee.fee_claims + payee.expense_claims)),
        "payment_returned",
        f"{name}'s bank details are flagged: a payment was returned by the bank on {returned_on:%d %B %Y}. "
        f"{_gbp(payee.amount_pence)} waits for a later run once their bank details are changed.")


def _owing_back(session: Session, payees: Mapping[PayeeKey, _Payee],
                details: Mapping[str, Mapping[int, Any]]) -> dict[PayeeKey, str]:
    """Payees who owe money back (a paid claim reversed) that this run cannot simply net off, and why.

    The books say what is owed: less than the claims when a reversal left a debit. With the participant's
    agreement recorded the run pays the claims less what is owed back; without it, or when they owe more than
    the claims, they wait (nothing is taken from anyone's pay without their agreement). A user-led group that
    owes a reversed fee back always waits: groups are not netted.
    """
    keys = list(payees)
    owed = _owed_balances(session, [_owed_account(*key) for key in keys])
    agreed = netting_agreed_for(session, [pid for kind, pid in keys if kind == "participant"])
    waiting: dict[PayeeKey, str] = {}
    for key in keys:
        available, payee = owed.get(_owed_account(*key), 0), payees[key]
        if available >= payee.amount_pence:
            continue
        row = details[key[0]].get(key[1])
        name = row.name if row is not None else f"{key[0]} {key[1]}"
        back = payee.amount_pence - available
        if key[0] == "group":  # a fee given to the group was reversed: never netted (ledger.claims.corrections)
            waiting[key] = (f"{name} owes {_gbp(back)} back on a fee given to it and reversed after payment: "
                            f"{_gbp(payee.amount_pence)} waits until the group repays it or it is written off.")
        elif key[1] not in agreed:
            waiting[key] = (f"{name} owes {_gbp(back)} back on a claim reversed after payment, and has not agreed to "
                            f"it being taken off this pay: {_gbp(payee.amount_pence)} waits until it is repaid, "
                            "written off or their agreement to net it is recorded.")
        elif available <= 0:
            waiting[key] = (f"{name} owes {_gbp(back)} back, more than these claims ({_gbp(payee.amount_pence)}): "
                            "they wait until a later run has more to net it against.")
    return waiting


def _plan_run(
    payees: Mapping[PayeeKey, _Payee], details: Mapping[str, Mapping[int, Any]],
    checked: Mapping[int, BenefitCheck], paid_on: dt.date, owing: Mapping[PayeeKey, str],
) -> _Plan:
    """Which claims the run takes; payees without bank details, owing money back, and fees the benefit setting
    blocks, wait."""
    plan = _Plan()
    for key in sorted(payees):
        payee, (kind, payee_id) = payees[key], key
        row = details[kind].get(payee_id)
        name = row.name if row is not None else f"{kind} {payee_id}"
        if key in owing:
            plan.left_out.append(_Exclusion(kind, payee_id, name, payee.amount_pence,
                                            tuple(sorted(payee.fee_claims + payee.expense_claims)), "owes_back",
                                            owing[key]))
            continue
        if row is None or not row.has_bank:
            plan.left_out.append(_Exclusion(
                kind, payee_id, name, payee.amount_pence, tuple(sorted(payee.fee_claims + payee.expense_claims)),
                "no_bank_details",
                f"{name} has no bank details: {_gbp(payee.amount_pence)} waits for a later run once they are added."))
            continue
        if row.bank_details_returned_on is not None:
            plan.left_out.append(_returned_exclusion(payee, name, row.bank_details_returned_on))
            continue
        check = checked.get(payee_id) if kind == "participant" else None
        if check is not None and check.required_action == "block" and payee.fee_claims:
            plan.left_out.append(_Exclusion(
                kind, payee_id, name, payee.fee_pence, tuple(sorted(payee.fee_claims)), "benefit_block",
                f"{name}'s fees ({_gbp(payee.fee_pence)}) are held back: paid on {paid_on.isoformat()} they would "
                "affect their benefits and the organisation's setting is to block such payments. Expenses are "
                "still paid."))
            plan.held_fee_pence[payee_id] = payee.fee_pence
            plan.taking.extend(payee.expense_claims)
            continue
        plan.taking.extend(payee.fee_claims + payee.expense_claims)
    return plan


def _open_run(session: Session, *, cutoff_date: dt.date, paid_on: dt.date, requested: dt.date, today: dt.date,
              actor_user_id: int | None) -> PaymentRun:
    run = PaymentRun(
        reference=f"DRAFT-{uuid.uuid4().hex[:12]}", status="draft", cutoff_date=cutoff_date, payment_date=paid_on,
        requested_payment_date=requested, benefit_checked_on=today, total_pence=0, item_count=0, payee_count=0,
        created_by_user_id=actor_user_id, created_at=utcnow(),
    )
    session.add(run)
    session.flush()
    run.reference = f"PR{run.id:06d}"
    return run


def _claim_for_run(session: Session, run: PaymentRun, claim_ids: Sequence[int]) -> set[int]:
    """Mark the claims as this run's, refusing if any was taken by another draft or cancelled meanwhile."""
    taken: set[int] = set()
    for chunk in _chunks(sorted(claim_ids)):
        taken.update(session.execute(
            update(_claims)
            .where(_claims.c.id.in_(chunk), _claims.c.payment_run_id.is_(None),
                   _claims.c.status.in_(claim_workflow.OWED))
            .values(payment_run_id=run.id)
            .returning(_claims.c.id)
        ).scalars())
    if len(taken) != len(claim_ids):
        raise Conflict("Some claims changed while the run was being drafted (another draft took them, or they "
                       "were cancelled). Nothing was saved; draft the run again.")
    return taken


def _write_items(session: Session, run: PaymentRun, rows: Sequence, taken: set[int]) -> dict[PayeeKey, dict]:
    """One item per claim taken; the run's totals; and the per-payee totals for the summary."""
    by_claim = {r.id: r for r in rows}
    items = []
    totals: dict[PayeeKey, dict[str, Any]] = {}
    for claim_id in sorted(taken):
        row = by_claim[claim_id]
        kind, payee_id = _payee_of(row)
        items.append({"run_id": run.id, "claim_id": claim_id, "payee_kind": kind, "payee_id": payee_id,
                      "amount_pence": row.amount_pence})
        t = totals.setdefault((kind, payee_id), {"fee": 0, "expense": 0, "claims": []})
        t["fee" if row.kind == "fee" else "expense"] += row.amount_pence
        t["claims"].append(claim_id)
    if items:
        session.execute(insert(_items), items)
    run.total_pence = sum(i["amount_pence"] for i in items)
    run.item_count = len(items)
    run.payee_count = len(totals)
    return totals


def _store_checks(session: Session, run: PaymentRun, payees: Mapping[PayeeKey, _Payee],
                  checked: Mapping[int, BenefitCheck], plan: _Plan) -> None:
    rows = [
        {"run_id": run.id, "payee_kind": "participant", "payee_id": pid,
         "fee_pence": payees["participant", pid].fee_pence, "fee_minutes": payees["participant", pid].fee_minutes,
         "held_fee_pence": plan.held_fee_pence.get(pid, 0), "benefit_check": check.to_json()}
        for pid, check in sorted(checked.items())
    ]
    if rows:
        session.execute(insert(_checks), rows)


def _store_exclusions(session: Session, run: PaymentRun, left_out: Sequence[_Exclusion], actor: int | None) -> None:
    if left_out:
        now = utcnow()
        session.execute(insert(_exclusions), [
            {"run_id": run.id, "payee_kind": x.payee_kind, "payee_id": x.payee_id, "name": x.name[:200],
             "amount_pence": x.amount_pence, "claim_ids": list(x.claim_ids), "reason": x.reason,
             "message": x.message, "excluded_by_user_id": actor, "excluded_at": now}
            for x in left_out
        ])


def _without_held(session: Session, rows: Sequence) -> tuple[list, dict[int, holds.HoldRecord]]:
    """The candidate claims that are not held, and the hold in force on each that is."""
    held = holds.holds_of_rows(session, [(r.id, *_payee_of(r)) for r in rows])
    return [r for r in rows if r.id not in held], held


def _held_exclusions(rows: Sequence, held: Mapping[int, holds.HoldRecord],
                     details: Mapping[str, Mapping[int, Any]]) -> list[_Exclusion]:
    """One exclusion per held payee, naming each hold: held claims wait until the hold is released."""
    by_payee: dict[PayeeKey, list] = {}
    for row in rows:
        if row.id in held:
            by_payee.setdefault(_payee_of(row), []).append(row)
    found = []
    for (kind, payee_id), claims in sorted(by_payee.items()):
        detail = details[kind].get(payee_id)
        name = detail.name if detail is not None else f"{kind} {payee_id}"
        amount = sum(r.amount_pence for r in claims)
        reasons = "; ".join(sorted({held[r.id].describe for r in claims}))
        found.append(_Exclusion(kind, payee_id, name, amount, tuple(sorted(r.id for r in claims)), "held",
                                f"{name}: {_gbp(amount)} is on hold ({reasons}); it waits until the hold is "
                                "released."))
    return found


def _plan_advances(session: Session, plan: _Plan, advances: Sequence[run_advances.RunAdvance],
                   details: Mapping[str, Mapping[int, Any]], owing: Mapping[PayeeKey, str]) -> None:
    """Which approved advances the run pays; one whose participant cannot be paid now waits, listed with why."""
    held = run_advances.held_participants(session, [a.participant_id for a in advances])
    for pid, found in sorted(run_advances.by_participant(advances).items()):
        row = details["participant"].get(pid)
        name = row.name if row is not None else f"participant {pid}"
        amount = sum(a.amount_pence for a in found)
        what = f"approved advance{'s' if len(found) > 1 else ''} {', '.join(str(a.id) for a in found)}"
        if row is None or not row.has_bank:
            reason, why = "no_bank_details", "they have no bank details"
        elif row.bank_details_returned_on is not None:
            reason, why = "payment_returned", "a payment to their bank details was returned"
        elif pid in held:
            reason, why = "held", "they are on hold as a payee"
        elif ("participant", pid) in owing:
            reason, why = "owes_back", "they owe money back on a claim reversed after payment"
        else:
            plan.advances.extend(found)
            continue
        plan.left_out.append(_Exclusion("participant", pid, name, amount, (), reason,
                                        f"{name}: {what} ({_gbp(amount)}) wait for a later run: {why}."))


def _add_advances(session: Session, run: PaymentRun, totals: dict[PayeeKey, dict[str, Any]],
                  wanted: Sequence[run_advances.RunAdvance]) -> None:
    """Take the planned advances for the run (any paid or rejected meanwhile is skipped) and count them in."""
    taken = run_advances.take(session, run.id, wanted)
    run_advances.merge_into(totals, taken)
    run.total_pence += sum(a.amount_pence for a in taken)
    run.payee_count = len(totals)


def draft_payment_run(
    session: Session,
    *,
    cutoff_date: dt.date,
    payment_date: dt.date,
    actor_user_id: int | None,
    rulebook: Rulebook,
    settings: PolicySettings,
    today: dt.date,
) -> PaymentRunSummary:
    """Draft a run paying every approved, unpaid claim dated on or before the cut-off, on the payment date.

    The payment date moves to the next banking day if needed. Payees without bank details, and fees the
    organisation's benefit setting blocks, are left out and listed. Raises ``NothingToPay`` when nothing
    can be paid.
    """
    _check_draft_dates(cutoff_date, payment_date, today)
    paid_on = calendar.next_payment_date(payment_date)
    _refuse_locked_month(session, paid_on)
    rows = _take_candidates(session, cutoff_date, paid_on)
    advances = run_advances.candidates(session)
    if not rows and not advances:
        raise NothingToPay(
            f"There is nothing to pay: no approved, unpaid claims dated on or before {cutoff_date.isoformat()} "
            "and no approved advances are waiting (those already in a draft run are not taken twice).",
            fields={"cutoff_date": ["nothing to pay"]},
        )
    payable, held = _without_held(session, rows)
    payees = _group_by_payee(payable)
    details = _payee_details(session, [*payees, *(_payee_of(r) for r in rows if r.id in held),
                                       *(("participant", a.participant_id) for a in advances)])
    owing = _owing_back(session, payees, details)
    checked = _check_payable(session, {k: p for k, p in payees.items() if k not in owing}, details, paid_on,
                             rulebook, settings)
    plan = _plan_run(payees, details, checked, paid_on, owing)
    plan.left_out.extend(_held_exclusions(rows, held, details))
    _plan_advances(session, plan, advances, details, owing)
    if not plan.taking and not plan.advances:
        listed = "; ".join(x.message for x in plan.left_out[:5])
        more = f" (and {len(plan.left_out) - 5} more)" if len(plan.left_out) > 5 else ""
        raise NothingToPay(f"There is nothing that can be paid: {listed}{more}",
                           fields={"cutoff_date": ["nothing payable"]})

    run = _open_run(session, cutoff_date=cutoff_date, paid_on=paid_on, requested=payment_date, today=today,
                    actor_user_id=actor_user_id)
    totals = _write_items(session, run, rows, _claim_for_run(session, run, plan.taking))
    _add_advances(session, run, totals, plan.advances)
    totals = _net_of_owed_back(session, totals)
    run.total_pence -= sum(t["netted"] for t in totals.values())
    _store_checks(session, run, payees, checked, plan)
    _store_exclusions(session, run, plan.left_out, actor_user_id)
    paying = [a for t in totals.values() for a in t["advances"]]
    _run_event(session, run, "draft", None, actor_user_id,
               note=f"{run.payee_count} payees, {run.item_count} claims, {len(paying)} advances, "
                    f"{_gbp(run.total_pence)}, paid on {paid_on.isoformat()}",
               details={"total_pence": run.total_pence, "left_out": len(plan.left_out),
                        **({"advances": paying} if paying else {})})
    session.flush()
    return _summary(session, run, totals, details)


# ---------------------------------------------------------------- reading


def _payee_totals(session: Session, run_id: int) -> dict[PayeeKey, dict[str, Any]]:
    rows = session.execute(
        select(_items.c.payee_kind, _items.c.payee_id, _items.c.claim_id, _items.c.amount_pence, _claims.c.kind)
        .join(_claims, _claims.c.id == _items.c.claim_id)
        .where(_items.c.run_id == run_id)
        .order_by(_items.c.payee_kind, _items.c.payee_id, _items.c.claim_id)
    )
    totals: dict[PayeeKey, dict[str, Any]] = {}
    for r in rows:
        t = totals.setdefault((r.payee_kind, r.payee_id), {"fee": 0, "expense": 0, "claims": []})
        t["fee" if r.kind == "fee" else "expense"] += r.amount_pence
        t["claims"].append(r.claim_id)
    run_advances.merge_into(totals, run_advances.advances_in_run(session, run_id))
    return totals


def _stored_checks(session: Session, run_id: int) -> dict[PayeeKey, BenefitCheck]:
    return {
        (r.payee_kind, r.payee_id): BenefitCheck.from_json(r.benefit_check)
        for r in session.execute(select(_checks.c.payee_kind, _checks.c.payee_id, _checks.c.benefit_check)
                                 .where(_checks.c.run_id == run_id))
    }


def _check_of(checks: Mapping[PayeeKey, BenefitCheck], key: PayeeKey, fee_pence: int) -> BenefitCheck:
    """The payee's stored check, or why there is none (a group, expenses only, no benefits declared)."""
    if key[0] == "group":
        return BenefitCheck.not_checked("not_applicable")
    found = checks.get(key)
    if found is not None:
        return found
    return BenefitCheck.not_checked("no_earnings" if fee_pence == 0 else "no_benefits_declared")


def _left_out(session: Session, run_id: int) -> tuple[LeftOut, ...]:
    return tuple(
        LeftOut(payee_kind=x.payee_kind, payee_id=x.payee_id, name=x.name, amount_pence=x.amount_pence,
                item_count=len(x.claim_ids), claim_ids=tuple(x.claim_ids), reason=x.reason, message=x.message)
        for x in session.execute(select(_exclusions).where(_exclusions.c.run_id == run_id).order_by(_exclusions.c.id))
    )


def payment_run_summary(session: Session, run_id: int) -> PaymentRunSummary:
    """A run's per-payee totals, item counts, benefit flags and masked account numbers."""
    return _summary(session, _load_run(session, run_id, fresh=True))


def _stale_rate_claims(session: Session, claim_ids: Iterable[int]) -> set[int]:
    """Which of these claims were priced with a rate past its rules-file stale date (flagged on the claim)."""
    found: set[int] = set()
    for chunk in _chunks(sorted(claim_ids)):
        found.update(session.execute(
            select(_claims.c.id).where(_claims.c.id.in_(chunk), _claims.c.rate_stale_since.is_not(None))).scalars())
    return found


def _payee_total(run: PaymentRun, key: PayeeKey, t: Mapping[str, Any], row: Any, check: BenefitCheck,
                 entry_id: int | None, stale: set[int],
                 waiting: bank_changes.WaitingChange | None = None) -> PayeeTotal:
    kind, payee_id = key
    set_at = row.bank_details_set_at if row is not None else None
    created_at = run.created_at
    has_bank = row is not None and row.has_bank
    return PayeeTotal(
        payee_kind=kind, payee_id=payee_id, name=row.name if row is not None else f"{kind} {payee_id}",
        amount_pence=_amount(t), fee_pence=t["fee"], expense_pence=t["expense"],
        item_count=len(t["claims"]), claim_ids=tuple(t["claims"]),
        sort_code=mask_sort_code(row.bank_sort_code_last2) if has_bank else None,
        account_number=mask_account_number(row.bank_account_last4) if has_bank else None,
        bank_details_set_at=set_at,
        bank_details_changed_since_draft=bool(set_at and created_at and set_at > created_at),
        benefit_check=check, reference=_credit_reference(run.reference, kind, payee_id), entry_id=entry_id,
        stale_rate_claim_ids=tuple(c for c in t["claims"] if c in stale), netted_pence=t.get("netted", 0),
        advance_pence=t.get("advance", 0), advance_ids=tuple(t.get("advances", ())),
        bank_change_awaiting_approval=waiting,
    )


def _summary(
    session: Session,
    run: PaymentRun,
    totals: Mapping[PayeeKey, Mapping[str, Any]] | None = None,
    details: Mapping[str, Mapping[int, Any]] | None = None,
) -> PaymentRunSummary:
    """The summary, from the totals and payee rows the caller has already read, if it has."""
    if totals is None:
        totals = _payee_totals(session, run.id)
    if run.status == "draft" and not any("netted" in t for t in totals.values()):
        totals = _net_of_owed_back(session, totals)  # what confirming would pay, netting agreed
    if details is None:
        details = _payee_details(session, totals)
    checks = _stored_checks(session, run.id)
    entries = {
        (r.payee_kind, r.payee_id): r.entry_id
        for r in session.execute(select(_payments.c.payee_kind, _payments.c.payee_id, _payments.c.entry_id)
                                 .where(_payments.c.run_id == run.id))
    }
    stale = _stale_rate_claims(session, [c for t in totals.values() for c in t["claims"]])
    waiting = bank_changes.waiting_changes(session, run, totals) if run.status == "draft" else {}
    payees = [_payee_total(run, key, t, details[key[0]].get(key[1]), _check_of(checks, key, t["fee"]),
                           entries.get(key), stale, waiting.get(key))
              for key, t in sorted(totals.items())]
    override = None
    if run.override_reason is not None:
        override = RunOverride(reason=run.override_reason, user_id=run.override_by_user_id,
                               at=run.override_at.isoformat() if run.override_at else "")
    return PaymentRunSummary(
        id=run.id, reference=run.reference, status=run.status, cutoff_date=run.cutoff_date,
        requested_payment_date=run.requested_payment_date or run.payment_date, payment_date=run.payment_date,
        bacs_submit_by=calendar.bacs_input_day(run.payment_date), total_pence=run.total_pence,
        item_count=run.item_count, payee_count=run.payee_count,
        benefit_flags=sum(1 for p in payees if p.benefit_check.flagged),
        needs_override=tuple(_key(p.payee_kind, p.payee_id) for p in payees if p.benefit_check.action == "override"),
        payees=tuple(payees), left_out=_left_out(session, run.id), override=override,
        created_by_user_id=run.created_by_user_id, created_at=run.created_at,
        confirmed_by_user_id=run.confirmed_by_user_id, confirmed_at=run.confirmed_at,
        bank_reference=run.bank_reference, cancelled_by_user_id=run.cancelled_by_user_id,
        cancelled_at=run.cancelled_at, cancel_reason=run.cancel_reason,
    )


def list_payment_runs(session: Session, *, status: str | None = None, limit: int = 100,
                      before_id: int | None = None) -> list[PaymentRunListItem]:
    """Payment runs, newest first; ``before_id``: only runs older than that one (a keyset page)."""
    query = select(PaymentRun).order_by(PaymentRun.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(PaymentRun.id < before_id)
    if status is not None:
        query = query.where(PaymentRun.status == status)
    return [
        PaymentRunListItem(id=r.id, reference=r.reference, status=r.status, cutoff_date=r.cutoff_date,
                           payment_date=r.payment_date, total_pence=r.total_pence, item_count=r.item_count,
                           payee_count=r.payee_count, created_at=r.created_at)
        for r in session.execute(query).scalars()
    ]


# ---------------------------------------------------------------- bank files


def _bank_details(session: Session, run: PaymentRun, cipher: BankCipher):
    if not RUN.allows(run.status, "confirm"):
        raise Conflict(
            f"Payment run {run.reference} is {run.status}: its bank file is made only while it is a draft, "
            "so that a paid run cannot be sent to the bank twice.",
            fields={"status": [run.status]},
        )
    totals = _net_of_owed_back(session, _payee_totals(session, run.id))
    if not totals:
        raise NothingToPay(f"Payment run {run.reference} pays nobody: cancel it.")
    bank_changes.refuse_unapproved_changes(session, run, totals, "bank file is made")
    found = bank_details_for_bank_file(
        session, cipher,
        participant_ids=[pid for kind, pid in totals if kind == "participant"],
        group_ids=[pid for kind, pid in totals if kind == "group"],
    )
    missing = [key for key in totals if key not in found]
    if missing:
        listed = ", ".join(f"{kind} {pid}" for kind, pid in missing[:10])
        raise Conflict(f"These payees no longer have bank details: {listed}. Remove them from the run first.",
                       fields={"payees": [_key(*k) for k in missing]})
    return [(key, _amount(t), found[key]) for key, t in sorted(totals.items()) if _amount(t) > 0]


def bacs_file(
    session: Session,
    run_id: int,
    originator: bacs.Originator,
    cipher: BankCipher,
    *,
    created_on: dt.date | None = None,
    actor_user_id: int | None = None,
) -> str:
    """The run's Bacs Standard 18 file: one credit per payee, arriving on the payment date.

    Bank details leave the system in clear here, so who took the file, and when, is an event.
    """
    run = _load_run(session, run_id, fresh=True)
    if RUN.allows(run.status, "confirm"):
        _refuse_late_file(run, created_on or dt.date.today())
    payees = _bank_details(session, run, cipher)
    credits = [
        bacs.CreditPayment(sort_code=d.sort_code, account_number=d.account_number, account_name=d.account_name,
                           amount_pence=amount, reference=_credit_reference(run.reference, *key),
                           roll_number=d.roll_number)
        for key, amount, d in payees
    ]
    body = bacs.write_standard18(originator, credits, payment_date=run.payment_date,
                                 created_on=created_on or dt.date.today(), serial_number=run.id % 1_000_000 or 1)
    _export_event(session, run, "export_bacs", actor_user_id, [c.amount_pence for c in credits], payees)
    return body


def _export_event(session: Session, run: PaymentRun, action: str, actor: int | None, amounts: list[int],
                  payees) -> None:
    """The file taken, as an event of the run, and as a look at each participant's bank details."""
    _run_event(session, run, action, run.status, actor, details={"payees": len(amounts), "total_pence": sum(amounts)})
    record_views(session, [key[1] for key, _, _ in payees if key[0] == "participant"], what="bank_details",
                 channel="bank_file", actor_user_id=actor)


def bank_csv(session: Session, run_id: int, cipher: BankCipher, *, actor_user_id: int | None = None) -> str:
    """The run's bank-upload CSV: one row per payee (bank details in clear: taking it is an event)."""
    run = _load_run(session, run_id, fresh=True)
    payees = _bank_details(session, run, cipher)
    rows = [csv_file.BankCsvRow(payee_name=d.account_name, sort_code=d.sort_code, account_number=d.account_number,
                                amount_pence=amount, reference=_credit_reference(run.reference, *key),
                                payment_date=run.payment_date)
            for key, amount, d in payees]
    body = csv_file.write_bank_csv(rows)
    _export_event(session, run, "export_bank_csv", actor_user_id, [r.amount_pence for r in rows], payees)
    return body


# ---------------------------------------------------------------- confirming and cancelling


def _check_bank_reference(value: Any) -> str:
    reference = value.strip() if isinstance(value, str) else ""
    if not reference or len(reference) > MAX_BANK_REFERENCE or not reference.isprintable():
        raise ValidationError(
            f"Give the bank's reference for the accepted submission (1 to {MAX_BANK_REFERENCE} characters).",
            fields={"bank_reference": ["invalid"]})
    return reference


def _require_override(session: Session, run: PaymentRun, totals: Mapping[PayeeKey, Any], override_reason: Any,
                      actor: int | None, now: dt.datetime) -> None:
    """Refuse to confirm a run that affects someone's benefits without a reason, and record the reason given."""
    checks = _stored_checks(session, run.id)
    needing = sorted(_key(*key) for key in totals if key in checks and checks[key].required_action == "override")
    if not needing:
        return
    reason = override_reason.strip() if isinstance(override_reason, str) else ""
    if not reason:
        listed = ", ".join(needing[:10]) + (f" and {len(needing) - 10} more" if len(needing) > 10 else "")
        raise ValidationError(
            f"Paid on {run.payment_date.isoformat()}, this run would affect the benefits of {listed}. "
            "Give an override reason (for example, that each has been told and agrees), or remove them "
            "from the run first.",
            fields={"override_reason": ["Required for this run."]},
        )
    run.override_reason = _check_reason(reason, "override_reason", "why the run goes ahead")
    run.override_by_user_id = actor
    run.override_at = now
    _run_event(session, run, "override", run.status, actor, reason=run.override_reason,
               details={"payees": needing})


def _owed_balances(session: Session, codes: Sequence[str], *, lock: bool = False) -> dict[str, int]:
    owed: dict[str, int] = {}
    for start in range(0, len(codes), _CHUNK):
        query = (select(Account.code, AccountBalance.balance)
                 .join(AccountBalance, AccountBalance.account_id == Account.id)
                 .where(Account.code.in_(codes[start:start + _CHUNK])))
        if lock and is_postgresql(session):
            query = query.with_for_update(of=AccountBalance)
        for code, balance in session.execute(query):
            owed[code] = -balance  # a liability's balance is a credit: negative under debit-positive
    return owed


def _net_of_owed_back(session: Session, totals: Mapping[PayeeKey, Mapping[str, Any]], *,
                      lock: bool = False) -> dict[PayeeKey, dict[str, Any]]:
    """The run's totals less what participants who agreed to netting owe back (fees first, then expenses).

    What is owed back is read from the books (the owed account holds the claims less the reversed one); with
    ``lock`` on PostgreSQL the balances are locked, so that a reversal posted at the same moment waits.
    """
    owed = _owed_balances(session, [_owed_account(*key) for key in totals], lock=lock)
    agreed = netting_agreed_for(session, [pid for kind, pid in totals if kind == "participant"])
    netted: dict[PayeeKey, dict[str, Any]] = {}
    for key, t in totals.items():
        t = {**t, "netted": 0}
        back = t["fee"] + t["expense"] - owed.get(_owed_account(*key), 0)
        if key[0] == "participant" and key[1] in agreed and 0 < back < t["fee"] + t["expense"]:
            from_fee = min(back, t["fee"])
            t["fee"], t["expense"], t["netted"] = t["fee"] - from_fee, t["expense"] - (back - from_fee), back
        netted[key] = t
    return netted


def _refuse_overpayment(session: Session, totals: Mapping[PayeeKey, Mapping[str, Any]]) -> None:
    """Never pay anyone more than the books say they are owed (a claim reversed since the draft, say)."""
    owed = _owed_balances(session, [_owed_account(*key) for key in totals])
    short = [(key, t["fee"] + t["expense"], owed.get(_owed_account(*key), 0)) for key, t in sorted(totals.items())
             if t["fee"] + t["expense"] > max(owed.get(_owed_account(*key), 0), 0)]
    if short:
        listed = "; ".join(f"{kind} {pid} is owed {_gbp(have)} but the run pays {_gbp(pay)}"
                           for (kind, pid), pay, have in short[:5])
        raise Conflict(f"The run pays more than the books say is owed: {listed}. Claims may have been reversed "
                       "since drafting; cancel the run and draft it again.")


def _refuse_returned_details(session: Session, run: PaymentRun, totals: Mapping[PayeeKey, Any]) -> None:
    """Never send money to bank details a payment was returned from since the run was drafted.

    On PostgreSQL the payees' rows are share-locked: a return being recorded at this moment (which flags the
    row) either commits first and is seen here, or waits until this confirmation has committed.
    """
    flagged: list[str] = []
    for kind in PAYEE_KINDS:
        model = Participant if kind == "participant" else UserLedGroup
        ids = sorted(pid for k, pid in totals if k == kind)
        for chunk in _chunks(ids):
            query = select(model.id, model.bank_details_returned_on).where(model.id.in_(chunk))
            if is_postgresql(session):
                query = query.with_for_update(read=True)
            flagged.extend(_key(kind, r.id) for r in session.execute(query) if r.bank_details_returned_on)
    if flagged:
        raise Conflict(
            f"A payment to the bank details of {', '.join(flagged[:10])} was returned by the bank after run "
            f"{run.reference} was drafted. Nothing was paid; remove them from the run (or cancel it and draft it "
            "again) once the bank details are changed.", fields={"payees": flagged})


def _paid_lines(kind: str, payee_id: int, totals: Mapping[str, Any]) -> list[PostingLine]:
    """What the payee is paid, by what it is: fees (a group's are fees redirected to it) and expenses apart."""
    owed = _owed_account(kind, payee_id)
    fee_kind = PostingKind.FEE if kind == "participant" else PostingKind.REDIRECTED
    lines = [PostingLine(owed, pence, "GBP", kind=posting_kind)
             for pence, posting_kind in ((totals["fee"], fee_kind), (totals["expense"], PostingKind.EXPENSE))
             if pence]
    if totals.get("advance"):
        lines.append(PostingLine(participant_accounts(payee_id).advance, totals["advance"], "GBP",
                                 kind=PostingKind.ADVANCE))
    return lines


def _post_payments(session: Session, run: PaymentRun, totals: Mapping[PayeeKey, Mapping[str, Any]],
                   details: Mapping[str, Mapping[int, Any]], actor: int | None) -> dict[int, int]:
    """One balanced entry per payee (Dr what they are owed and their advances, Cr the bank), and the payment
    row that names it. Returns each participant's entry id."""
    open_organisation_accounts(session)  # the bank account, on a fresh install
    # Everything this run owed a payee may have been netted against what they owe back: nothing to pay them.
    paying = [(key, t, _amount(t)) for key, t in sorted(totals.items()) if _amount(t) != 0]
    posted = post_entries(session, [
        NewEntry(effective_date=run.payment_date,
                 description=f"Payment run {run.reference}: paid to {kind} {payee_id} by bank transfer",
                 postings=(*_paid_lines(kind, payee_id, t), PostingLine(BANK, -amount, "GBP")),
                 idempotency_key=f"payment-run:{run.id}:{kind}:{payee_id}", kind="payment")
        for (kind, payee_id), t, amount in paying], actor_user_id=actor)
    payments = [{"run_id": run.id, "payee_kind": kind, "payee_id": payee_id, "amount_pence": amount,
                 "account_last4": getattr(details[kind].get(payee_id), "bank_account_last4", None),
                 "entry_id": entry.id}
                for ((kind, payee_id), _, amount), entry in zip(paying, posted, strict=True)]
    if payments:
        session.execute(insert(_payments), payments)
    return {payee_id: entry.id for ((kind, payee_id), _, _), entry in zip(paying, posted, strict=True)
            if kind == "participant"}


def _pay(session: Session, run: PaymentRun, totals: Mapping[PayeeKey, Mapping[str, Any]],
         details: Mapping[str, Mapping[int, Any]], actor: int | None) -> None:
    """Post each payee's payment and move the run's advances to paid (what was netted off is recorded after
    the claims are marked paid, by ``_record_netting``)."""
    entries = _post_payments(session, run, totals, details, actor)
    run_advances.pay_advances(session, run_id=run.id, run_reference=run.reference, paid_on=run.payment_date,
                              entries=entries, references={pid: _credit_reference(run.reference, "participant", pid)
                                                           for pid in entries}, actor_user_id=actor)


def _refuse_held(session: Session, run: PaymentRun) -> None:
    """A claim held while the run was being drafted is in it: refuse, so that a held claim is never paid."""
    held = holds.held_in_run(session, run.id)
    paying = run_advances.advances_in_run(session, run.id)
    on_hold = run_advances.held_participants(session, [a.participant_id for a in paying])
    if on_hold:
        raise Conflict(f"Payment run {run.reference} pays approved advances to participants now on hold "
                       f"({', '.join(f'participant {pid}' for pid in sorted(on_hold))}). Take them out of the run "
                       "or release the hold, then download the bank file again. Nothing was paid.",
                       fields={"payees": [f"participant:{pid}" for pid in sorted(on_hold)]})
    if held:
        listed = "; ".join(sorted({h.describe for h in held.values()}))
        raise Conflict(f"Payment run {run.reference} has claims on hold ({listed}). Take the payee out of the run "
                       "or release the hold, then download the bank file again. Nothing was paid.",
                       fields={"claims": [str(c) for c in sorted(held)]})


def _reschedule(session: Session, run: PaymentRun, moved_to: dt.date, actor: int | None) -> None:
    """Move a late run to its new payment date (the Bacs file is made again with it), and say so."""
    _refuse_locked_month(session, moved_to)
    was = run.payment_date
    run.payment_date = moved_to
    _run_event(session, run, "reschedule", run.status, actor,
               note=f"The Bacs submission day for {was.isoformat()} had passed: paid on {moved_to.isoformat()} "
                    "instead.", details={"from": was.isoformat(), "to": moved_to.isoformat()})


def reschedule_payment_run(session: Session, run_id: int, *, new_payment_date: Any, today: dt.date,
                           actor_user_id: int | None) -> PaymentRunSummary:
    """Move a draft run whose Bacs submission day has passed to a new payment date, before its file is made.

    The bank file is made from the run's payment date, and ``bacs_file`` refuses to make one for a date whose
    submission day has passed: choosing the new date first means the file finance downloads carries it. The
    change is an event (from, to, who). Refused with ``ValidationError`` naming ``new_payment_date`` when the
    date is missing or unusable, or when the run's own date can still be met.
    """
    if new_payment_date is None:
        raise ValidationError("Give the new payment date: the day the bank will actually pay on.",
                              fields={"new_payment_date": ["Required."]})
    drafted = _load_run(session, run_id)
    moved_to = controls.rescheduled_date(drafted.payment_date, today, new_payment_date)
    before = _move_on(session, run_id, "change")
    if before is None:
        raise _not_draft(session, run_id, "rescheduled")
    run = _load_run(session, run_id, fresh=True)
    if moved_to is not None:
        _reschedule(session, run, moved_to, actor_user_id)
    session.flush()
    return payment_run_summary(session, run_id)


def _refuse_late_file(run: PaymentRun, today: dt.date) -> None:
    """A Bacs file for a payment date whose submission day has passed would carry a day the bank cannot pay on."""
    submit_by = calendar.bacs_input_day(run.payment_date)
    if submit_by < today:
        raise ValidationError(
            f"The Bacs file for payment on {run.payment_date:%d %B %Y} had to be submitted by {submit_by:%d %B %Y}, "
            "which has passed. Choose the new payment date for the run first; the file then carries it.",
            fields={"new_payment_date": ["Required before the Bacs file is made: the submission date has passed."]})


def _second_approval(session: Session, run: PaymentRun, totals: Mapping[PayeeKey, Any], threshold: int | None,
                     actor: int | None) -> list[str]:
    """The payees the confirmer second-approves (their total is over the threshold); refuse the same eyes."""
    if threshold is None:
        return []
    needing = controls.needs_second_approver(session, totals, threshold)
    controls.refuse_same_eyes(needing, actor=actor, drafted_by=run.created_by_user_id, threshold_pence=threshold)
    return sorted(needing)


def _queue_remittances(session: Session, run: PaymentRun, totals: Mapping[PayeeKey, Mapping[str, Any]],
                       actor: int | None) -> None:
    """Email each paid participant who prefers email their remittance advice, once this commits (the outbox)."""
    paid = {pid: t["fee"] + t["expense"] for (kind, pid), t in totals.items() if kind == "participant"}
    queue_remittances(session, run.id, {pid: pence for pid, pence in paid.items() if pence},
                      run_reference=run.reference, payment_date=run.payment_date, actor_user_id=actor)


def confirm_payment_run(
    session: Session,
    run_id: int,
    *,
    actor_user_id: int | None,
    bank_reference: str,
    override_reason: str | None = None,
    today: dt.date | None = None,
    new_payment_date: Any = None,
    second_approval_above_pence: int | None = None,
    rules: ClaimRules | None = None,
) -> PaymentRunSummary:
    """Record that the bank accepted the run: post one payment entry per payee and mark its claims paid.

    Refused with ``Conflict`` when the run is no longer a draft (saying who confirmed or cancelled it, and
    when), and with ``ValidationError`` when a payee's benefit check needs an override reason and none is given.
    The entries are effective on the run's payment date, whenever it is confirmed (a run confirmed late is still
    money received on the payment date), so a payment date in a month locked since drafting is refused.
    With ``today``, a run whose Bacs submission day has passed needs ``new_payment_date``; with
    ``second_approval_above_pence``, a payee paid more than that needs a second pair of eyes
    (``ledger.payments.controls``). With ``rules``, what is netted off a payment re-runs the benefit check for
    the periods it changes (``ledger.claims.rechecks``).
    """
    reference = _check_bank_reference(bank_reference)
    drafted = _load_run(session, run_id)
    moved_to = None if today is None else controls.rescheduled_date(drafted.payment_date, today, new_payment_date)
    now = utcnow()
    before = _move_on(session, run_id, "confirm", confirmed_by_user_id=actor_user_id, confirmed_at=now,
                      bank_reference=reference)
    if before is None:
        raise _not_draft(session, run_id, "confirmed again")
    run = _load_run(session, run_id, fresh=True)
    if run.item_count == 0 and not run_advances.advances_in_run(session, run.id):
        raise NothingToPay(f"Payment run {run.reference} pays nobody: cancel it instead.")
    _refuse_held(session, run)
    if moved_to is not None:
        _reschedule(session, run, moved_to, actor_user_id)
    totals = _payee_totals(session, run.id)
    _refuse_returned_details(session, run, totals)
    bank_changes.refuse_unapproved_changes(session, run, totals, "confirmation")
    second = _second_approval(session, run, totals, second_approval_above_pence, actor_user_id)
    _require_override(session, run, totals, override_reason, actor_user_id, now)
    totals = _net_of_owed_back(session, totals, lock=True)
    _refuse_overpayment(session, totals)
    details = _payee_details(session, totals)
    _pay(session, run, totals, details, actor_user_id)
    paid = mark_claims_paid(
        session, payment_run_id=run.id, paid_on=run.payment_date, actor_user_id=actor_user_id,
        note=f"Paid in payment run {run.reference} on {run.payment_date.isoformat()} (bank reference {reference}).")
    if len(paid) != run.item_count:
        raise Conflict(
            f"{run.item_count - len(paid)} claims in run {run.reference} are no longer approved (cancelled "
            "or reversed since drafting). Nothing was paid; cancel the run and draft it again.")
    _record_netting(session, run, totals, actor_user_id, rules)
    _run_event(session, run, "confirm", before, actor_user_id, note=f"Bank reference {reference}",
               details={"total_pence": run.total_pence, "payees": run.payee_count,
                        **({"second_approval": second} if second else {})})
    _queue_remittances(session, run, totals, actor_user_id)
    session.flush()
    return _summary(session, run, totals, details)


def _record_netting(session: Session, run: PaymentRun, totals: Mapping[PayeeKey, Mapping[str, Any]],
                    actor_user_id: int | None, rules: ClaimRules | None) -> None:
    """What was netted off each payee, set against their reversed claims: after the claims are marked paid, so
    that the benefit re-checks it causes count each claim once (from the books, not as still owed)."""
    for (_, payee_id), t in sorted(totals.items()):
        if t["netted"]:
            record_netting(session, payee_id, t["netted"], on=run.payment_date, reference=run.reference,
                           actor_user_id=actor_user_id, rules=rules)


def cancel_payment_run(session: Session, run_id: int, *, actor_user_id: int | None, reason: str) -> PaymentRunSummary:
    """Cancel a draft run: its claims go back to waiting for a later run."""
    reason = _check_reason(reason, "reason", "why the run is cancelled")
    _load_run(session, run_id)
    before = _move_on(session, run_id, "cancel", cancelled_by_user_id=actor_user_id, cancelled_at=utcnow(),
                      cancel_reason=reason)
    if before is None:
        raise _not_draft(session, run_id, "cancelled")
    session.execute(
        update(_claims).where(_claims.c.payment_run_id == run_id, _claims.c.status.in_(claim_workflow.OWED))
        .values(payment_run_id=None)
    )
    run_advances.release(session, run_id)
    run = _load_run(session, run_id, fresh=True)
    _run_event(session, run, "cancel", before, actor_user_id, reason=reason)
    session.flush()
    return payment_run_summary(session, run_id)


def remove_payee_from_run(
    session: Session,
    run_id: int,
    *,
    payee_kind: str,
    payee_id: int,
    actor_user_id: int | None,
    reason: str,
    hold: bool = True,
) -> PaymentRunSummary:
    """Take one payee out of a draft run; their claims go back to waiting.

    With ``hold`` (the default) the payee is also put on hold with the same reason, so that they do not drop
    straight into the next draft: whoever took them out releases the hold, with a note, once the question is
    settled. Without it their claims wait for the next run, as before.
    """
    reason = _check_reason(reason, "reason", "why the payee is taken out of the run")
    if payee_kind not in PAYEE_KINDS:
        raise ValidationError(f"payee_kind must be one of {', '.join(PAYEE_KINDS)}.",
                              fields={"payee_kind": ["invalid"]})
    _load_run(session, run_id)
    # The guarded update locks the row, so a confirmation waits for (or beats) the removal.
    before = _move_on(session, run_id, "change")
    if before is None:
        raise _not_draft(session, run_id, "changed")
    run = _load_run(session, run_id, fresh=True)
    items = session.execute(
        select(_items.c.claim_id, _items.c.amount_pence).where(
            _items.c.run_id == run_id, _items.c.payee_kind == payee_kind, _items.c.payee_id == payee_id)
    ).all()
    advances = run_advances.release(session, run_id, payee_id) if payee_kind == "participant" else []
    if not items and not advances:
        raise NotFound(f"Payment run {run.reference} pays no {payee_kind} {payee_id}.")
    claim_ids = sorted(i.claim_id for i in items)
    amount = sum(i.amount_pence for i in items) + sum(a.amount_pence for a in advances)
    _release(session, run, claim_ids)
    name_row = _payee_rows(session, payee_kind, [payee_id]).get(payee_id)
    name = name_row.name if name_row is not None else f"{payee_kind} {payee_id}"
    already = holds.active_payee_hold(session, payee_kind, payee_id) is not None
    held = hold and not already
    if held:
        holds.create_hold(session, actor_user_id=actor_user_id, reason=reason, payee_kind=payee_kind,
                          payee_id=payee_id, participant_id=payee_id if payee_kind == "participant" else None,
                          details={"taken_out_of_run": run.reference})
    waits = "is on hold until released" if held or already else "waits for a later run"
    message = (f"{name} was taken out of the run by {_user_name(session, actor_user_id)}: {reason} "
               f"({_gbp(amount)} {waits}).")
    _store_exclusions(session, run, [_Exclusion(payee_kind, payee_id, name, amount, tuple(claim_ids), "removed",
                                                message)], actor_user_id)
    _run_event(session, run, "remove_payee", before, actor_user_id, reason=reason, note=message,
               details={"payee_kind": payee_kind, "payee_id": payee_id, "amount_pence": amount, "held": held},
               participant_id=payee_id if payee_kind == "participant" else None)
    session.flush()
    return payment_run_summary(session, run_id)


def take_held_claims_out(session: Session, run_id: int, claim_ids: Sequence[int], *, actor_user_id: int | None,
                         hold: holds.HoldRecord) -> bool:
    """Take claims just put on hold out of a draft run, listing them as held; False if the run is no longer a draft.

    The guarded update locks the run first, so a confirmation of the same run waits for (or beats) the hold.
    """
    before = _move_on(session, run_id, "change")
    if before is None:
        return False
    run = _load_run(session, run_id, fresh=True)
    items = session.execute(
        select(_items.c.claim_id, _items.c.payee_kind, _items.c.payee_id, _items.c.amount_pence)
        .where(_items.c.run_id == run_id, _items.c.claim_id.in_(list(claim_ids))).order_by(_items.c.claim_id)
    ).all()
    if not items:
        return True
    _release(session, run, [i.claim_id for i in items])
    by_payee: dict[PayeeKey, list] = {}
    for item in items:
        by_payee.setdefault((item.payee_kind, item.payee_id), []).append(item)
    exclusions = [
        _Exclusion(kind, pid, hold.name, sum(i.amount_pence for i in found), tuple(i.claim_id for i in found), "held",
                   f"{hold.name}: {_gbp(sum(i.amount_pence for i in found))} taken out of the run because "
                   f"{hold.describe}; it waits until the hold is released.")
        for (kind, pid), found in sorted(by_payee.items())
    ]
    _store_exclusions(session, run, exclusions, actor_user_id)
    _run_event(session, run, "hold_claims", before, actor_user_id, reason=hold.reason, note=exclusions[0].message,
               details={"hold_id": hold.id, "claim_ids": [i.claim_id for i in items]})
    session.flush()
    return True


def _release(session: Session, run: PaymentRun, claim_ids: Sequence[int]) -> None:
    """Give claims back to waiting for a later run, and recount what the run pays."""
    for chunk in _chunks(claim_ids):
        session.execute(update(_claims).where(_claims.c.id.in_(chunk), _claims.c.payment_run_id == run.id)
                        .values(payment_run_id=None))
        session.execute(_items.delete().where(_items.c.run_id == run.id, _items.c.claim_id.in_(chunk)))
    left = session.execute(
        select(_items.c.payee_kind, _items.c.payee_id, _items.c.amount_pence).where(_items.c.run_id == run.id)
    ).all()
    advances = run_advances.advances_in_run(session, run.id)
    run.item_count = len(left)
    run.total_pence = sum(r.amount_pence for r in left) + sum(a.amount_pence for a in advances)
    run.payee_count = len({(r.payee_kind, r.payee_id) for r in left} | {("participant", a.participant_id)
                                                                          for a in advances})


# ---------------------------------------------------------------- for returned payments (ledger.payments.returns)


def payee_totals(session: Session, run_id: int) -> dict[PayeeKey, dict[str, Any]]:
    """Per payee, the run's fees and expenses in pence and its claim ids."""
    return _payee_totals(session, run_id)


def paid_lines(kind: str, payee_id: int, totals: Mapping[str, Any]) -> list[PostingLine]:
    """The owed-account lines of a payee's payment entry, by what was paid."""
    return _paid_lines(kind, payee_id, totals)


def gbp(pence: int) -> str:
    return _gbp(pence)
