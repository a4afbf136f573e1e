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
- A run is paid at most once. Confirming begins with ``UPDATE payment_runs SET status = 'confirmed' ...
  WHERE id = :id AND status = 'draft'``: only the transaction whose update changed the row goes on; the
  other (a second click, a colleague confirming the same run at the same moment) gets ``Conflict`` saying
  who confirmed it and when. A repeated confirmation is refused rather than answered as if it had just
  worked, so nobody believes they paid a run that someone else paid.
- Confirming posts, per payee, one balanced entry (Dr ``owed:participant:<id>`` or ``owed:group:<id>``,
  Cr ``bank:main``) through ``post_entry``, effective on the payment date, with the idempotency key
  ``payment-run:<run>:<payee_kind>:<payee_id>``; it never pays a payee more than the books say is owed.
- Bank details are decrypted here only in ``bacs_file`` and ``bank_csv``; summaries show them masked.

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
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from ledger.auth.models import User
from ledger.books.models import Account, AccountBalance, LockedPeriod
from ledger.books.posting import post_entry
from ledger.books.records import PostingLine
from ledger.claims import workflow
from ledger.claims.benefit_check import check_participant_payment
from ledger.claims.models import Claim, ClaimEvent, ExpenseLine
from ledger.db import is_postgresql
from ledger.errors import Conflict, NotFound, NothingToPay, PeriodLocked, ValidationError
from ledger.organisation import BANK, open_organisation_accounts
from ledger.payments import bacs, calendar
from ledger.payments import bank_csv as csv_file
from ledger.payments.models import PAYEE_KINDS, Payment, PaymentRun, PaymentRunItem
from ledger.people.accounts import group_accounts, participant_accounts
from ledger.people.bank import BankCipher, mask_account_number, mask_sort_code
from ledger.people.models import BenefitDeclaration, Participant, UserLedGroup
from ledger.people.services import bank_details_for_bank_file
from ledger.projects.models import Activity
from policies.benefits import DISPLAY_NAMES
from policies.errors import PolicyError
from policies.payments import Payment as ProposedPayment
from policies.payments import PaymentKind
from policies.rulebook import Rulebook, load_rulebook
from policies.settings import DEFAULT_SETTINGS, PolicySettings, required_action

#: A run is drafted at most this many days before its payment date (Bacs itself takes files 31 days ahead).
MAX_DAYS_AHEAD = 60
MAX_REASON = 500
MAX_BANK_REFERENCE = 100
_CHUNK = 500

_claims = Claim.__table__
_items = PaymentRunItem.__table__
_runs = PaymentRun.__table__
_payments = Payment.__table__
_events = ClaimEvent.__table__
_activities = Activity.__table__
_lines = ExpenseLine.__table__


# ---------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class AffectedBenefit:
    """One benefit the run's payment would reduce or cost, or whose figures call for caution."""

    benefit: str
    name: str
    effect: str
    period_start: dt.date | None
    period_end: dt.date | None
    counted_pence: int | None
    limit_pence: int | None
    headroom_pence: int | None
    reduction_pence: int | None
    safe_amount_pence: int | None
    confidence: str
    # Lost or over a limit only under the cautious reading of an unverified figure (a warning, not a breach).
    breach_depends_on_unverified: bool = False


@dataclass(frozen=True, slots=True)
class PayeeBenefitCheck:
    """The batch benefit check for one payee.

    ``outcome`` is the policy engine's (ok, warn, breach), or: ``no_benefits_declared``, ``no_earnings``
    (expenses only), ``not_applicable`` (a group), ``error`` (the declaration could not be checked).
    ``action`` is what the organisation's settings require: none, warn, override or block.
    """

    outcome: str
    action: str
    affected: tuple[AffectedBenefit, ...] = ()
    explanation_for_staff: str = ""
    explanation: str = ""

    @property
    def flagged(self) -> bool:
        return self.action != "none"


@dataclass(frozen=True, slots=True)
class PayeeTotal:
    """What one payee receives in a run, with masked bank details and the benefit check."""

    payee_kind: str
    payee_id: int
    name: str
    amount_pence: int
    fee_pence: int
    expense_pence: int
    item_count: int
    claim_ids: tuple[int, ...]
    sort_code: str | None  # masked: **-**-56
    account_number: str | None  # masked: ****1234
    bank_details_set_at: dt.datetime | None
    bank_details_changed_since_draft: bool
    benefit_check: PayeeBenefitCheck
    reference: str
    entry_id: int | None = None  # the payment entry, once confirmed


@dataclass(frozen=True, slots=True)
class LeftOut:
    """Claims that could have been in the run but are not, and why: they wait for a later run."""

    payee_kind: str
    payee_id: int
    name: str
    amount_pence: int
    item_count: int
    claim_ids: tuple[int, ...]
    reason: str  # no_bank_details | benefit_block | removed
    message: str


@dataclass(frozen=True, slots=True)
class RunOverride:
    reason: str
    user_id: int | None
    at: str


@dataclass(frozen=True, slots=True)
class PaymentRunSummary:
    id: int
    reference: str
    status: str
    cutoff_date: dt.date
    requested_payment_date: dt.date
    payment_date: dt.date
    bacs_submit_by: dt.date
    total_pence: int
    item_count: int
    payee_count: int
    benefit_flags: int
    needs_override: tuple[str, ...]  # "participant:<id>" of payees whose payment needs an override reason
    payees: tuple[PayeeTotal, ...]
    left_out: tuple[LeftOut, ...]
    override: RunOverride | None
    created_by_user_id: int | None
    created_at: dt.datetime | None
    confirmed_by_user_id: int | None
    confirmed_at: dt.datetime | None
    bank_reference: str | None
    cancelled_by_user_id: int | None
    cancelled_at: dt.datetime | None
    cancel_reason: str | None

    @property
    def left_out_pence(self) -> int:
        return sum(x.amount_pence for x in self.left_out)


@dataclass(frozen=True, slots=True)
class PaymentRunListItem:
    id: int
    reference: str
    status: str
    cutoff_date: dt.date
    payment_date: dt.date
    total_pence: int
    item_count: int
    payee_count: int
    created_at: dt.datetime | None


# ---------------------------------------------------------------- settings from the app


def policy_from_extensions(extensions: Mapping[str, Any]) -> tuple[Rulebook, PolicySettings]:
    """The app's rulebook and policy settings, or the built-in ones when the app has not loaded any."""
    rulebook = extensions.get("rulebook") or load_rulebook()
    settings = extensions.get("policy_settings") or DEFAULT_SETTINGS
    return rulebook, settings


def originator_from_config(config: Mapping[str, Any]) -> bacs.Originator:
    """The organisation's Bacs originator from ``BACS_SERVICE_USER_NUMBER`` and friends."""
    return bacs.Originator(
        service_user_number=config["BACS_SERVICE_USER_NUMBER"],
        name=config["BACS_ORIGINATOR_NAME"],
        sort_code=config["BACS_ORIGINATOR_SORT_CODE"],
        account_number=config["BACS_ORIGINATOR_ACCOUNT"],
    )


# ---------------------------------------------------------------- helpers


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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


def _user_name(session: Session, user_id: int | None) -> str:
    if user_id is None:
        return "someone"
    user = session.get(User, user_id)
    return user.display_name if user is not None else f"user {user_id}"


def _as_text_time(moment: dt.datetime | None) -> str:
    if moment is None:
        return "an unknown time"
    if moment.tzinfo is None:  # SQLite hands back naive datetimes; they were written in UTC
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _not_draft(session: Session, run_id: int, doing: str) -> Conflict:
    """The Conflict for acting on a run that is no longer a draft, saying who moved it on and when."""
    run = _load_run(session, run_id, fresh=True)
    if run.status == "confirmed":
        return Conflict(
            f"Payment run {run.reference} was already confirmed by {_user_name(session, run.confirmed_by_user_id)} "
            f"at {_as_text_time(run.confirmed_at)} (bank reference {run.bank_reference}); it cannot be {doing}.",
            fields={"status": ["confirmed"]},
        )
    return Conflict(
        f"Payment run {run.reference} was cancelled by {_user_name(session, run.cancelled_by_user_id)} at "
        f"{_as_text_time(run.cancelled_at)}; it cannot be {doing}. Draft a new run instead.",
        fields={"status": [run.status]},
    )


def _claim_day():
    """The date a claim is for: its activity's date, else its latest expense line's, else the day it was made."""
    latest_line = select(func.max(_lines.c.incurred_on)).where(_lines.c.claim_id == _claims.c.id).scalar_subquery()
    return func.coalesce(_activities.c.occurs_on, latest_line, func.date(_claims.c.created_at))


def _refuse_locked_month(session: Session, day: dt.date) -> None:
    month = day.replace(day=1)
    if session.execute(select(LockedPeriod.month).where(LockedPeriod.month == month)).first() is not None:
        raise PeriodLocked(
            f"{day:%B %Y} is locked: nothing can be posted into it, so a run cannot be paid on "
            f"{day.isoformat()}. Choose a payment date in an open month.",
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


def _take_candidates(session: Session, cutoff_date: dt.date) -> list:
    """Approved, accrued, unpaid claims owing money, dated on or before the cut-off and in no live run.

    On PostgreSQL the rows are locked, skipping any another transaction holds (a draft being made now).
    """
    query = (
        select(_claims.c.id, _claims.c.participant_id, _claims.c.group_id, _claims.c.choice, _claims.c.kind,
               _claims.c.amount_pence, _claims.c.worked_minutes)
        .select_from(_claims.outerjoin(_activities, _activities.c.id == _claims.c.activity_id))
        .where(
            _claims.c.status == "approved",
            _claims.c.payment_run_id.is_(None),
            _claims.c.paid_on.is_(None),
            _claims.c.amount_pence > 0,
            _claims.c.kind.in_(("fee", "expense")),
            _claims.c.accrual_entry_id.is_not(None),
            _claims.c.reversal_entry_id.is_(None),
            _claim_day() <= cutoff_date,
        )
        .order_by(_claims.c.id)
    )
    if is_postgresql(session):
        query = query.with_for_update(skip_locked=True, of=_claims)
    return session.execute(query).all()


def _group_by_payee(rows: Iterable) -> dict[tuple[str, int], _Payee]:
    payees: dict[tuple[str, int], _Payee] = {}
    for row in rows:
        # A fee redirected to a user-led group was accrued as owed to the group, and is paid to it.
        key = ("group", row.group_id) if row.choice == "redirect" and row.group_id is not None else (
            "participant", row.participant_id)
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


def _payee_rows(session: Session, kind: str, ids: Iterable[int]) -> dict[int, Any]:
    model = Participant if kind == "participant" else UserLedGroup
    wanted = sorted(set(ids))
    found = {}
    for chunk in _chunks(wanted):
        for row in session.execute(
            select(model.id, model.name, model.bank_details_encrypted.is_not(None).label("has_bank"),
                   model.bank_sort_code_last2, model.bank_account_last4, model.bank_details_set_at)
            .where(model.id.in_(chunk))
        ):
            found[row.id] = row
    return found


def _with_declarations(session: Session, participant_ids: Iterable[int]) -> set[int]:
    """Participants who have made a benefits declaration: the only ones the benefit check can flag."""
    wanted = sorted(set(participant_ids))
    found: set[int] = set()
    for chunk in _chunks(wanted):
        found.update(session.execute(
            select(BenefitDeclaration.participant_id).distinct().where(BenefitDeclaration.participant_id.in_(chunk))
        ).scalars())
    return found


def _waiting_claims(session: Session, participant_ids: Sequence[int]) -> dict[int, list[int]]:
    """Each participant's approved claims in no run: this run's, and those left for a later run."""
    found: dict[int, list[int]] = {pid: [] for pid in participant_ids}
    for chunk in _chunks(sorted(participant_ids)):
        for claim_id, participant_id in session.execute(
            select(_claims.c.id, _claims.c.participant_id).where(
                _claims.c.participant_id.in_(chunk), _claims.c.status == "approved",
                _claims.c.payment_run_id.is_(None))
        ):
            found[participant_id].append(claim_id)
    return found


def _benefit_entry(decision, settings: PolicySettings, payee: _Payee) -> dict[str, Any]:
    affected = [r for r in decision.results if r.effect != "none" or r.caution]
    return {
        "outcome": str(decision.outcome),
        "action": required_action(decision, settings),
        "fee_pence": payee.fee_pence,
        "fee_minutes": payee.fee_minutes,
        "affected": [
            {
                "benefit": r.name,
                "name": DISPLAY_NAMES.get(r.name, r.name),
                "effect": str(r.effect),
                "period_start": r.period.start.isoformat() if r.period else None,
                "period_end": r.period.end.isoformat() if r.period else None,
                "counted_pence": r.counted_pence,
                "limit_pence": r.limit_pence,
                "headroom_pence": r.headroom_pence,
                "reduction_pence": r.reduction_pence,
                "safe_amount_pence": r.safe_amount_pence,
                "confidence": r.confidence,
                "breach_depends_on_unverified": r.breach_depends_on_unverified,
            }
            for r in affected
        ],
        "explanation_for_staff": " ".join(r.explanation_for_staff for r in affected),
        "explanation": " ".join(r.explanation for r in affected),
    }


def _run_benefit_check(
    session: Session,
    payees: Mapping[tuple[str, int], _Payee],
    payment_date: dt.date,
    rulebook: Rulebook,
    settings: PolicySettings,
) -> dict[str, dict[str, Any]]:
    """Check each participant's fees in the run as one payment received on the payment date."""
    earning = {p.payee_id: p for (kind, _), p in payees.items() if kind == "participant" and p.fee_pence > 0}
    checked: dict[str, dict[str, Any]] = {}
    declared = sorted(_with_declarations(session, earning))
    # The claims check_participant_payment would otherwise count as received on the payment date: this run's
    # (already in the proposed payment) and those waiting for a later run (paid, and checked, then).
    waiting = _waiting_claims(session, declared)
    for participant_id in declared:
        payee = earning[participant_id]
        hours = Decimal(payee.fee_minutes) / Decimal(60) if payee.fee_minutes else None
        proposed = ProposedPayment(received_on=payment_date, amount_pence=payee.fee_pence, kind=PaymentKind.FEE,
                                   hours=hours)
        try:
            decision = check_participant_payment(session, rulebook, settings, participant_id, proposed,
                                                 exclude_claim_ids=waiting[participant_id])
        except PolicyError as error:
            checked[_key("participant", participant_id)] = {
                "outcome": "error", "action": settings.on_warn, "fee_pence": payee.fee_pence,
                "fee_minutes": payee.fee_minutes, "affected": [],
                "explanation_for_staff": f"The declared benefits could not be checked: {error}",
                "explanation": "",
            }
            continue
        if decision is not None:
            checked[_key("participant", participant_id)] = _benefit_entry(decision, settings, payee)
    return checked


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

    rows = _take_candidates(session, cutoff_date)
    if not rows:
        raise NothingToPay(
            f"There is nothing to pay: no approved, unpaid claims dated on or before {cutoff_date.isoformat()} "
            "are waiting (claims already in a draft run are not taken twice).",
            fields={"cutoff_date": ["nothing to pay"]},
        )
    payees = _group_by_payee(rows)
    details = {kind: _payee_rows(session, kind, [pid for k, pid in payees if k == kind]) for kind in PAYEE_KINDS}
    payable = {key: p for key, p in payees.items() if (row := details[key[0]].get(key[1])) and row.has_bank}
    checked = _run_benefit_check(session, payable, paid_on, rulebook, settings)

    left_out: list[dict[str, Any]] = []
    taking: list[int] = []
    for key in sorted(payees):
        payee = payees[key]
        kind, payee_id = key
        row = details[kind].get(payee_id)
        name = row.name if row is not None else f"{kind} {payee_id}"
        if row is None or not row.has_bank:
            left_out.append({
                "payee_kind": kind, "payee_id": payee_id, "name": name, "amount_pence": payee.amount_pence,
                "claim_ids": sorted(payee.fee_claims + payee.expense_claims), "reason": "no_bank_details",
                "message": f"{name} has no bank details: {_gbp(payee.amount_pence)} waits for a later run "
                           "once they are added.",
            })
            continue
        check = checked.get(_key(*key))
        if check is not None and check["action"] == "block" and payee.fee_claims:
            left_out.append({
                "payee_kind": kind, "payee_id": payee_id, "name": name, "amount_pence": payee.fee_pence,
                "claim_ids": sorted(payee.fee_claims), "reason": "benefit_block",
                "message": f"{name}'s fees ({_gbp(payee.fee_pence)}) are held back: paid on "
                           f"{paid_on.isoformat()} they would affect their benefits and the organisation's "
                           f"setting is to block such payments. Expenses are still paid.",
            })
            check["held_fee_pence"] = payee.fee_pence
            taking.extend(payee.expense_claims)
            continue
        taking.extend(payee.fee_claims + payee.expense_claims)

    if not taking:
        listed = "; ".join(x["message"] for x in left_out[:5])
        more = f" (and {len(left_out) - 5} more)" if len(left_out) > 5 else ""
        raise NothingToPay(f"There is nothing that can be paid: {listed}{more}",
                           fields={"cutoff_date": ["nothing payable"]})

    now = _utcnow()
    run = PaymentRun(
        reference=f"DRAFT-{uuid.uuid4().hex[:12]}", status="draft", cutoff_date=cutoff_date, payment_date=paid_on,
        total_pence=0, item_count=0, payee_count=0, created_by_user_id=actor_user_id, created_at=now,
    )
    session.add(run)
    session.flush()
    run.reference = f"PR{run.id:06d}"

    taken: set[int] = set()
    for chunk in _chunks(sorted(taking)):
        taken.update(session.execute(
            update(_claims)
            .where(_claims.c.id.in_(chunk), _claims.c.payment_run_id.is_(None), _claims.c.status == "approved")
            .values(payment_run_id=run.id)
            .returning(_claims.c.id)
        ).scalars())
    if len(taken) != len(taking):
        raise Conflict("Some claims changed while the run was being drafted (another draft took them, or they "
                       "were cancelled). Nothing was saved; draft the run again.")

    by_claim = {r.id: r for r in rows}
    items = []
    totals: dict[tuple[str, int], dict[str, Any]] = {}
    for row_id in sorted(taken):
        row = by_claim[row_id]
        kind, payee_id = (("group", row.group_id) if row.choice == "redirect" and row.group_id is not None
                          else ("participant", row.participant_id))
        items.append({"run_id": run.id, "claim_id": row_id, "payee_kind": kind, "payee_id": payee_id,
                      "amount_pence": row.amount_pence})
        t = totals.setdefault((kind, payee_id), {"fee": 0, "expense": 0, "claims": []})
        t["fee" if row.kind == "fee" else "expense"] += row.amount_pence
        t["claims"].append(row_id)
    session.execute(insert(_items), items)

    run.total_pence = sum(i["amount_pence"] for i in items)
    run.item_count = len(items)
    run.payee_count = len({(i["payee_kind"], i["payee_id"]) for i in items})
    run.benefit_check = {
        "checked_on": today.isoformat(),
        "requested_payment_date": payment_date.isoformat(),
        "payment_date": paid_on.isoformat(),
        "payees": checked,
        "left_out": left_out,
        "override": None,
    }
    session.flush()
    return _summary(session, run, totals, details)


# ---------------------------------------------------------------- reading


def _payee_totals(session: Session, run_id: int) -> dict[tuple[str, int], dict[str, Any]]:
    rows = session.execute(
        select(_items.c.payee_kind, _items.c.payee_id, _items.c.claim_id, _items.c.amount_pence, _claims.c.kind)
        .join(_claims, _claims.c.id == _items.c.claim_id)
        .where(_items.c.run_id == run_id)
        .order_by(_items.c.payee_kind, _items.c.payee_id, _items.c.claim_id)
    )
    totals: dict[tuple[str, int], dict[str, Any]] = {}
    for r in rows:
        t = totals.setdefault((r.payee_kind, r.payee_id), {"fee": 0, "expense": 0, "claims": []})
        t["fee" if r.kind == "fee" else "expense"] += r.amount_pence
        t["claims"].append(r.claim_id)
    return totals


def _benefit_record(entry: Mapping[str, Any] | None, kind: str, fee_pence: int) -> PayeeBenefitCheck:
    if kind == "group":
        return PayeeBenefitCheck(outcome="not_applicable", action="none")
    if entry is None:
        return PayeeBenefitCheck(outcome="no_earnings" if fee_pence == 0 else "no_benefits_declared", action="none")
    return PayeeBenefitCheck(
        outcome=entry["outcome"],
        action=entry["action"],
        affected=tuple(
            AffectedBenefit(
                benefit=a["benefit"], name=a["name"], effect=a["effect"],
                period_start=dt.date.fromisoformat(a["period_start"]) if a["period_start"] else None,
                period_end=dt.date.fromisoformat(a["period_end"]) if a["period_end"] else None,
                counted_pence=a["counted_pence"], limit_pence=a["limit_pence"], headroom_pence=a["headroom_pence"],
                reduction_pence=a["reduction_pence"], safe_amount_pence=a["safe_amount_pence"],
                confidence=a["confidence"],
                breach_depends_on_unverified=a.get("breach_depends_on_unverified", False),  # absent in older runs
            )
            for a in entry["affected"]
        ),
        explanation_for_staff=entry["explanation_for_staff"],
        explanation=entry["explanation"],
    )


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment


def payment_run_summary(session: Session, run_id: int) -> PaymentRunSummary:
    """A run's per-payee totals, item counts, benefit flags and masked account numbers."""
    return _summary(session, _load_run(session, run_id, fresh=True))


def _summary(
    session: Session,
    run: PaymentRun,
    totals: Mapping[tuple[str, int], Mapping[str, Any]] | None = None,
    details: Mapping[str, Mapping[int, Any]] | None = None,
) -> PaymentRunSummary:
    """The summary, from the totals and payee rows the caller has already read, if it has."""
    report = run.benefit_check or {}
    checked = report.get("payees", {})
    if totals is None:
        totals = _payee_totals(session, run.id)
    if details is None:
        details = {kind: _payee_rows(session, kind, [pid for k, pid in totals if k == kind])
                   for kind in PAYEE_KINDS}
    entries = {
        (r.payee_kind, r.payee_id): r.entry_id
        for r in session.execute(select(_payments.c.payee_kind, _payments.c.payee_id, _payments.c.entry_id)
                                 .where(_payments.c.run_id == run.id))
    }
    created_at = _aware(run.created_at)
    payees = []
    for (kind, payee_id), t in sorted(totals.items()):
        row = details[kind].get(payee_id)
        set_at = _aware(row.bank_details_set_at) if row is not None else None
        payees.append(PayeeTotal(
            payee_kind=kind,
            payee_id=payee_id,
            name=row.name if row is not None else f"{kind} {payee_id}",
            amount_pence=t["fee"] + t["expense"],
            fee_pence=t["fee"],
            expense_pence=t["expense"],
            item_count=len(t["claims"]),
            claim_ids=tuple(t["claims"]),
            sort_code=mask_sort_code(row.bank_sort_code_last2) if row is not None and row.has_bank else None,
            account_number=mask_account_number(row.bank_account_last4) if row is not None and row.has_bank else None,
            bank_details_set_at=set_at,
            bank_details_changed_since_draft=bool(set_at and created_at and set_at > created_at),
            benefit_check=_benefit_record(checked.get(_key(kind, payee_id)), kind, t["fee"]),
            reference=_credit_reference(run.reference, kind, payee_id),
            entry_id=entries.get((kind, payee_id)),
        ))
    override = report.get("override")
    return PaymentRunSummary(
        id=run.id,
        reference=run.reference,
        status=run.status,
        cutoff_date=run.cutoff_date,
        requested_payment_date=dt.date.fromisoformat(report.get("requested_payment_date")
                                                     or run.payment_date.isoformat()),
        payment_date=run.payment_date,
        bacs_submit_by=calendar.bacs_input_day(run.payment_date),
        total_pence=run.total_pence,
        item_count=run.item_count,
        payee_count=run.payee_count,
        benefit_flags=sum(1 for p in payees if p.benefit_check.flagged),
        needs_override=tuple(_key(p.payee_kind, p.payee_id) for p in payees if p.benefit_check.action == "override"),
        payees=tuple(payees),
        left_out=tuple(
            LeftOut(payee_kind=x["payee_kind"], payee_id=x["payee_id"], name=x["name"],
                    amount_pence=x["amount_pence"], item_count=len(x["claim_ids"]), claim_ids=tuple(x["claim_ids"]),
                    reason=x["reason"], message=x["message"])
            for x in report.get("left_out", [])
        ),
        override=RunOverride(**override) if override else None,
        created_by_user_id=run.created_by_user_id,
        created_at=created_at,
        confirmed_by_user_id=run.confirmed_by_user_id,
        confirmed_at=_aware(run.confirmed_at),
        bank_reference=run.bank_reference,
        cancelled_by_user_id=run.cancelled_by_user_id,
        cancelled_at=_aware(run.cancelled_at),
        cancel_reason=run.cancel_reason,
    )


def list_payment_runs(session: Session, *, status: str | None = None, limit: int = 100) -> list[PaymentRunListItem]:
    """Payment runs, newest first."""
    query = select(PaymentRun).order_by(PaymentRun.id.desc()).limit(limit)
    if status is not None:
        query = query.where(PaymentRun.status == status)
    return [
        PaymentRunListItem(id=r.id, reference=r.reference, status=r.status, cutoff_date=r.cutoff_date,
                           payment_date=r.payment_date, total_pence=r.total_pence, item_count=r.item_count,
                           payee_count=r.payee_count, created_at=_aware(r.created_at))
        for r in session.execute(query).scalars()
    ]


# ---------------------------------------------------------------- bank files


def _bank_details(session: Session, run: PaymentRun, cipher: BankCipher):
    if run.status != "draft":
        raise Conflict(
            f"Payment run {run.reference} is {run.status}: its bank file is made only while it is a draft, "
            "so that a paid run cannot be sent to the bank twice.",
            fields={"status": [run.status]},
        )
    totals = _payee_totals(session, run.id)
    if not totals:
        raise NothingToPay(f"Payment run {run.reference} pays nobody: cancel it.")
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
    return [(key, t["fee"] + t["expense"], found[key]) for key, t in sorted(totals.items())]


def bacs_file(
    session: Session,
    run_id: int,
    originator: bacs.Originator,
    cipher: BankCipher,
    *,
    created_on: dt.date | None = None,
) -> str:
    """The run's Bacs Standard 18 file: one credit per payee, arriving on the payment date."""
    run = _load_run(session, run_id, fresh=True)
    credits = [
        bacs.CreditPayment(sort_code=d.sort_code, account_number=d.account_number, account_name=d.account_name,
                           amount_pence=amount, reference=_credit_reference(run.reference, *key),
                           roll_number=d.roll_number)
        for key, amount, d in _bank_details(session, run, cipher)
    ]
    return bacs.write_standard18(originator, credits, payment_date=run.payment_date,
                                 created_on=created_on or dt.date.today(), serial_number=run.id % 1_000_000 or 1)


def bank_csv(session: Session, run_id: int, cipher: BankCipher) -> str:
    """The run's bank-upload CSV: one row per payee."""
    run = _load_run(session, run_id, fresh=True)
    return csv_file.write_bank_csv(
        csv_file.BankCsvRow(payee_name=d.account_name, sort_code=d.sort_code, account_number=d.account_number,
                            amount_pence=amount, reference=_credit_reference(run.reference, *key),
                            payment_date=run.payment_date)
        for key, amount, d in _bank_details(session, run, cipher)
    )


# ---------------------------------------------------------------- confirming and cancelling


def _owed_balances(session: Session, codes: Sequence[str]) -> dict[str, int]:
    owed: dict[str, int] = {}
    for start in range(0, len(codes), _CHUNK):
        for code, balance in session.execute(
            select(Account.code, AccountBalance.balance)
            .join(AccountBalance, AccountBalance.account_id == Account.id)
            .where(Account.code.in_(codes[start:start + _CHUNK]))
        ):
            owed[code] = -balance  # a liability's balance is a credit: negative under debit-positive
    return owed


def confirm_payment_run(
    session: Session,
    run_id: int,
    *,
    actor_user_id: int | None,
    bank_reference: str,
    override_reason: str | None = None,
) -> PaymentRunSummary:
    """Record that the bank accepted the run: post one payment entry per payee and mark its claims paid.

    Refused with ``Conflict`` when the run is no longer a draft (saying who confirmed or cancelled it, and
    when), and with ``ValidationError`` when a payee's benefit check needs an override reason and none is given.
    The entries are effective on the run's payment date, whenever it is confirmed (a run confirmed late is still
    money received on the payment date), so a payment date in a month locked since drafting is refused.
    """
    reference = bank_reference.strip() if isinstance(bank_reference, str) else ""
    if not reference or len(reference) > MAX_BANK_REFERENCE or not reference.isprintable():
        raise ValidationError(
            f"Give the bank's reference for the accepted submission (1 to {MAX_BANK_REFERENCE} characters).",
            fields={"bank_reference": ["invalid"]})
    _load_run(session, run_id)
    now = _utcnow()
    won = session.execute(
        update(_runs)
        .where(_runs.c.id == run_id, _runs.c.status == "draft")
        .values(status="confirmed", confirmed_by_user_id=actor_user_id, confirmed_at=now, bank_reference=reference)
    ).rowcount
    if won != 1:
        raise _not_draft(session, run_id, "confirmed again")
    run = _load_run(session, run_id, fresh=True)

    if run.item_count == 0:
        raise NothingToPay(f"Payment run {run.reference} pays nobody: cancel it instead.")
    totals = _payee_totals(session, run.id)
    report = dict(run.benefit_check or {})
    in_run = {_key(*key) for key in totals}
    needing = sorted(k for k, v in report.get("payees", {}).items() if v.get("action") == "override" and k in in_run)
    if needing:
        reason = override_reason.strip() if isinstance(override_reason, str) else ""
        if not reason:
            listed = ", ".join(needing[:10]) + (f" and {len(needing) - 10} more" if len(needing) > 10 else "")
            raise ValidationError(
                f"Paid on {run.payment_date.isoformat()}, this run would affect the benefits of {listed}. "
                "Give an override reason (for example, that each has been told and agrees), or remove them "
                "from the run first.",
                fields={"override_reason": ["Required for this run."]},
            )
        report["override"] = {"reason": _check_reason(reason, "override_reason", "why the run goes ahead"),
                              "user_id": actor_user_id, "at": now.isoformat()}
        run.benefit_check = report

    owed = _owed_balances(session, [_owed_account(*key) for key in totals])
    short = [(key, t["fee"] + t["expense"], owed.get(_owed_account(*key), 0)) for key, t in sorted(totals.items())
             if t["fee"] + t["expense"] > owed.get(_owed_account(*key), 0)]
    if short:
        listed = "; ".join(f"{kind} {pid} is owed {_gbp(have)} but the run pays {_gbp(pay)}"
                           for (kind, pid), pay, have in short[:5])
        raise Conflict(f"The run pays more than the books say is owed: {listed}. Claims may have been reversed "
                       "since drafting; cancel the run and draft it again.")

    details = {kind: _payee_rows(session, kind, [p for k, p in totals if k == kind]) for kind in PAYEE_KINDS}
    open_organisation_accounts(session)  # the bank account, on a fresh install
    payments = []
    for (kind, payee_id), t in sorted(totals.items()):
        amount = t["fee"] + t["expense"]
        entry = post_entry(
            session,
            effective_date=run.payment_date,
            description=f"Payment run {run.reference}: paid to {kind} {payee_id} by bank transfer",
            postings=[PostingLine(_owed_account(kind, payee_id), amount, "GBP"), PostingLine(BANK, -amount, "GBP")],
            idempotency_key=f"payment-run:{run.id}:{kind}:{payee_id}",
            actor_user_id=actor_user_id,
            kind="payment",
        )
        payments.append({"run_id": run.id, "payee_kind": kind, "payee_id": payee_id, "amount_pence": amount,
                         "account_last4": getattr(details[kind].get(payee_id), "bank_account_last4", None),
                         "entry_id": entry.id})
    session.execute(insert(_payments), payments)

    # The bulk form of the workflow's ("approved", "pay") transition, taken from the one table.
    paid = workflow.next_status("approved", "pay")
    claim_ids = session.execute(
        update(_claims)
        .where(_claims.c.payment_run_id == run.id, _claims.c.status == "approved")
        .values(status=paid, paid_on=run.payment_date)
        .returning(_claims.c.id)
    ).scalars().all()
    if len(claim_ids) != run.item_count:
        raise Conflict(
            f"{run.item_count - len(claim_ids)} claims in run {run.reference} are no longer approved (cancelled "
            "or reversed since drafting). Nothing was paid; cancel the run and draft it again.")
    note = f"Paid in payment run {run.reference} on {run.payment_date.isoformat()} (bank reference {reference})."
    session.execute(insert(_events), [
        {"claim_id": claim_id, "action": "pay", "from_status": "approved", "to_status": paid,
         "user_id": actor_user_id, "at": now, "note": note}
        for claim_id in claim_ids
    ])
    session.flush()
    return _summary(session, run, totals, details)


def cancel_payment_run(session: Session, run_id: int, *, actor_user_id: int | None, reason: str) -> PaymentRunSummary:
    """Cancel a draft run: its claims go back to waiting for a later run."""
    reason = _check_reason(reason, "reason", "why the run is cancelled")
    _load_run(session, run_id)
    won = session.execute(
        update(_runs)
        .where(_runs.c.id == run_id, _runs.c.status == "draft")
        .values(status="cancelled", cancelled_by_user_id=actor_user_id, cancelled_at=_utcnow(), cancel_reason=reason)
    ).rowcount
    if won != 1:
        raise _not_draft(session, run_id, "cancelled")
    session.execute(
        update(_claims).where(_claims.c.payment_run_id == run_id, _claims.c.status == "approved")
        .values(payment_run_id=None)
    )
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
) -> PaymentRunSummary:
    """Take one payee out of a draft run; their claims go back to waiting for a later run."""
    reason = _check_reason(reason, "reason", "why the payee is taken out of the run")
    if payee_kind not in PAYEE_KINDS:
        raise ValidationError(f"payee_kind must be one of {', '.join(PAYEE_KINDS)}.",
                              fields={"payee_kind": ["invalid"]})
    _load_run(session, run_id)
    # Touching the row under the status guard locks it, so a confirmation waits for (or beats) the removal.
    won = session.execute(
        update(_runs).where(_runs.c.id == run_id, _runs.c.status == "draft").values(payee_count=_runs.c.payee_count)
    ).rowcount
    if won != 1:
        raise _not_draft(session, run_id, "changed")
    run = _load_run(session, run_id, fresh=True)
    items = session.execute(
        select(_items.c.claim_id, _items.c.amount_pence).where(
            _items.c.run_id == run_id, _items.c.payee_kind == payee_kind, _items.c.payee_id == payee_id)
    ).all()
    if not items:
        raise NotFound(f"Payment run {run.reference} pays no {payee_kind} {payee_id}.")
    claim_ids = sorted(i.claim_id for i in items)
    amount = sum(i.amount_pence for i in items)
    for chunk in _chunks(claim_ids):
        session.execute(update(_claims).where(_claims.c.id.in_(chunk), _claims.c.payment_run_id == run_id)
                        .values(payment_run_id=None))
        session.execute(delete(_items).where(_items.c.run_id == run_id, _items.c.claim_id.in_(chunk)))
    left = session.execute(
        select(_items.c.payee_kind, _items.c.payee_id, _items.c.amount_pence).where(_items.c.run_id == run_id)
    ).all()
    run.item_count = len(left)
    run.total_pence = sum(r.amount_pence for r in left)
    run.payee_count = len({(r.payee_kind, r.payee_id) for r in left})
    report = dict(run.benefit_check or {})
    payees = dict(report.get("payees", {}))
    payees.pop(_key(payee_kind, payee_id), None)
    name_row = _payee_rows(session, payee_kind, [payee_id]).get(payee_id)
    name = name_row.name if name_row is not None else f"{payee_kind} {payee_id}"
    report["payees"] = payees
    report["left_out"] = [*report.get("left_out", []), {
        "payee_kind": payee_kind, "payee_id": payee_id, "name": name, "amount_pence": amount,
        "claim_ids": claim_ids, "reason": "removed",
        "message": f"{name} was taken out of the run by {_user_name(session, actor_user_id)}: {reason} "
                   f"({_gbp(amount)} waits for a later run).",
    }]
    run.benefit_check = report
    session.flush()
    return payment_run_summary(session, run_id)

