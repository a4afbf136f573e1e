"""Claim use cases: draft a fee from attendance, claim expenses with receipts, award time credits,
record the participant's choice, and move a claim through the workflow with its money effects.

Every money effect is one balanced entry through ``ledger.books.posting.post_entry`` in the caller's
transaction, with an idempotency key derived from the claim, so a retried request posts once:

| event | debit | credit |
|---|---|---|
| fee approved (taken) | ``fees:project:<code>`` | ``owed:participant:<id>`` |
| fee approved (redirected) | ``fees:project:<code>`` | ``owed:group:<id>`` |
| fee taken as time credits, or a time-credit award | ``time:issued`` | ``time:participant:<id>`` |
| expense approved | ``expenses:project:<code>`` | ``owed:participant:<id>`` |
| advance paid | ``advance:participant:<id>`` | ``bank:main`` |
| advance settled by receipts | ``expenses:project:<code>`` | ``advance:participant:<id>`` (+ owed for any excess) |
| advance surplus returned | ``bank:main`` | ``advance:participant:<id>`` |
| advance surplus netted | ``owed:participant:<id>`` | ``advance:participant:<id>`` |
| rejected or cancelled after approval | the reverse of the accrual, linked to it | |

Pay rules, applied as claims are priced and approved:

- a flat fee below the legal minimum wage for its hours and the person's age is refused, or (the
  organisation's ``FLAT_FEE_BELOW_MINIMUM = override``) drafted with the minimum stored on the claim, and
  approved only with a reason recorded in the approval event;
- a fee priced with a rate past its rules-file ``stale_after`` date (on the day of the work, or, at approval,
  with no newer figure added since) is flagged on the claim, at approval, and in the payment run;
- rejecting or cancelling a claim with car or van mileage reprices the later mileage of the same participant
  and tax year that its miles pushed into HMRC's lower band (``ledger.claims.pricing``): open claims are
  repriced and any first approval cleared; approved or paid ones are never changed in the books, but flagged
  with what they were underpaid, which a top-up expense claim (``draft_mileage_top_up``) pays.

A declined fee posts nothing: it is recorded on the claim (with who recorded the choice and when), shown on
statements and evidence, and is not earnings for benefits.

Amounts people type (expense lines, a smaller fee, an advance) arrive as pounds in decimal strings and are
turned into pence once, by ``_pence_from``; floats are refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace as dataclass_replace
from decimal import Decimal
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Integer, Row, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ledger.benefit_checks import BenefitCheck
from ledger.books.kinds import PostingKind
from ledger.books.models import JournalEntry, LockedPeriod
from ledger.books.posting import load_entry, post_entry, reverse_entry
from ledger.books.records import PostingLine
from ledger.claims import controls, receipt_files, workflow
from ledger.claims.advance_events import move_advance, record_advance_event
from ledger.claims.advance_workflow import ADVANCE, OUTSTANDING
from ledger.claims.benefit_check import (
    BenefitFacts,
    check_participant_payment,
    claim_as_payment,
    load_benefit_facts,
    worked_on,
)
from ledger.claims.inputs import (
    MAX_LINE_PENCE,
    find_activity,
    find_participant,
    pence_from,
    project_for,
    reason_given,
)
from ledger.claims.models import (
    CHOICES,
    EXPENSE_CATEGORIES,
    RESTS,
    Advance,
    AdvanceApproval,
    Claim,
    ClaimApproval,
    ClaimVersion,
    ExpenseLine,
    Receipt,
)
from ledger.claims.pricing import (
    BANDED_VEHICLES,
    LineRepriced,
    banded_miles_claimed,
    banded_tax_years,
    mileage_repricing,
)
from ledger.claims.records import (
    AdvanceRecord,
    ApprovalOutcome,
    ApprovalPreview,
    ChoicePreview,
    ClaimEventRecord,
    ClaimPart,
    ClaimRecord,
    ExpenseLineRecord,
    ReceiptRecord,
    fee_parts,
    share_of_minutes,
)
from ledger.db import as_utc, utcnow
from ledger.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ledger.events.records import NewEvent
from ledger.events.views import record_view
from ledger.events.writer import events_of_claims, record_event, record_events
from ledger.organisation import BANK, TIME_ISSUED, open_organisation_accounts
from ledger.outbox.queue import queue_claim_returned, queue_fee_decision
from ledger.payments.calendar import earliest_payment_date, next_payment_date
from ledger.people.accounts import group_accounts, participant_accounts
from ledger.people.models import Participant, UserLedGroup
from ledger.projects.accounts import project_accounts
from ledger.projects.models import Activity, Attendance, Project
from ledger.projects.services import normalise_code
from policies import pay
from policies.benefits import DISPLAY_NAMES
from policies.errors import PolicyError
from policies.money import gbp
from policies.payments import earnings_pence, work_hours
from policies.rulebook import Rulebook
from policies.settings import PolicySettings
from policies.tax import tax_year_of

# Anything above these is a typo, not a claim.
MAX_CLAIM_PENCE = 1_000_000  # £10,000
MAX_TIME_MINUTES = 100 * 60
MAX_MILES = Decimal(2000)
MAX_LINES = 50
MAX_KEY = 150
_MILES = re.compile(r"^\d{1,6}(\.\d{1,2})?$")
# What the organisation does with a flat fee below the legal minimum: refuse to draft it, or draft it flagged
# and approve it only with a reason.
FLAT_FEE_BELOW_MINIMUM = ("refuse", "override")
MIN_OVERRIDE_REASON = 10
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class ClaimRules:
    """The organisation's settings that claims need, passed in by the caller (never read from Flask)."""

    rulebook: Rulebook
    policy: PolicySettings
    pay_basis: str = "real_living_wage"
    second_approval_above_pence: int = 50_000
    receipt_max_bytes: int = 5 * 1024 * 1024
    # An expense line above this needs a receipt before approval; None (a caller without the setting) checks none.
    # The app's setting, RECEIPT_REQUIRED_ABOVE_PENCE, is £25 unless set.
    receipt_required_above_pence: int | None = None
    flat_fee_below_minimum: str = "refuse"  # one of FLAT_FEE_BELOW_MINIMUM



# ---------------------------------------------------------------- reading


def _load(session: Session, claim_id: int, *, lock: bool = False, for_participant_id: int | None = None) -> Claim:
    """The claim, or NotFound; with ``for_participant_id``, anyone else's claim is NotFound too (never leak)."""
    query = select(Claim).where(Claim.id == claim_id)
    if lock:
        # Re-read under the lock: the session may hold an older copy (an ownership check, say).
        query = query.with_for_update().execution_options(populate_existing=True)
    claim = session.execute(query).scalar_one_or_none()
    if claim is None or (for_participant_id is not None and claim.participant_id != for_participant_id):
        raise NotFound(f"There is no claim {claim_id}.")
    return claim


def _lines_of(session: Session, ids: Sequence[int]) -> dict[int, list[ExpenseLineRecord]]:
    """Each claim's expense lines with their receipts."""
    receipts: dict[int, list[ReceiptRecord]] = {}
    for r in session.execute(
        select(Receipt.id, Receipt.expense_line_id, Receipt.filename, Receipt.content_type, Receipt.size_bytes,
               Receipt.sha256)
        .join(ExpenseLine, ExpenseLine.id == Receipt.expense_line_id)
        .where(ExpenseLine.claim_id.in_(ids)).order_by(Receipt.id)
    ):
        receipts.setdefault(r.expense_line_id, []).append(ReceiptRecord(
            id=r.id, filename=r.filename, content_type=r.content_type, size_bytes=r.size_bytes, sha256=r.sha256))
    lines: dict[int, list[ExpenseLineRecord]] = {}
    for line in session.execute(
        select(ExpenseLine).where(ExpenseLine.claim_id.in_(ids)).order_by(ExpenseLine.id)
    ).scalars():
        lines.setdefault(line.claim_id, []).append(ExpenseLineRecord(
            id=line.id, category=line.category, description=line.description, incurred_on=line.incurred_on,
            amount_pence=line.amount_pence, miles=line.miles, vehicle=line.vehicle,
            receipts=tuple(receipts.get(line.id, ()))))
    return lines


def _history_of(session: Session, ids: Sequence[int]) -> dict[int, list[ClaimEventRecord]]:
    """Each claim's events; an event with both a reason and a note shows both."""
    return {
        claim_id: [ClaimEventRecord(action=e.action, from_status=e.before, to_status=e.after or "",
                                    user_id=e.actor_user_id, at=e.at,
                                    note="; ".join(t for t in (e.reason, e.note) if t) or None) for e in found]
        for claim_id, found in events_of_claims(session, ids).items()
    }


def _top_ups_of(session: Session, ids: Sequence[int]) -> dict[int, tuple[list[int], int]]:
    """Each claim's top-up claims (ids) and what the live ones pay."""
    found: dict[int, tuple[list[int], int]] = {}
    for row in session.execute(
        select(Claim.id, Claim.tops_up_claim_id, Claim.status, Claim.offered_pence)
        .where(Claim.tops_up_claim_id.in_(ids)).order_by(Claim.id)
    ):
        claim_ids, pence = found.get(row.tops_up_claim_id, ([], 0))
        claim_ids.append(row.id)
        found[row.tops_up_claim_id] = (claim_ids, pence + (row.offered_pence if row.status in workflow.LIVE else 0))
    return found


def claim_records(session: Session, claims: Sequence[Claim]) -> list[ClaimRecord]:
    """Records of several claims, with their lines, receipts, approvals and history, in a few queries."""
    if not claims:
        return []
    ids = [c.id for c in claims]
    codes = dict(session.execute(
        select(Project.id, Project.code).where(Project.id.in_({c.project_id for c in claims}))).all())
    lines, events, top_ups = _lines_of(session, ids), _history_of(session, ids), _top_ups_of(session, ids)
    groups = _group_names(session, claims)
    part_claims: dict[int, list[int]] = {}
    for part_id, whole_id in session.execute(
            select(Claim.id, Claim.part_of_claim_id).where(Claim.part_of_claim_id.in_(ids)).order_by(Claim.id)):
        if whole_id is not None:  # always, as only parts are selected; the column itself may be empty
            part_claims.setdefault(whole_id, []).append(part_id)
    approvers: dict[int, list[int]] = {}
    for claim_id, user_id in session.execute(
        select(ClaimApproval.claim_id, ClaimApproval.user_id).where(ClaimApproval.claim_id.in_(ids))
        .order_by(ClaimApproval.id)
    ):
        approvers.setdefault(claim_id, []).append(user_id)
    return [
        _record_of(c, codes[c.project_id], groups, approver_user_ids=tuple(approvers.get(c.id, ())),
                   lines=tuple(lines.get(c.id, ())), events=tuple(events.get(c.id, ())),
                   top_up_claim_ids=tuple(top_ups.get(c.id, ([], 0))[0]), topped_up_pence=top_ups.get(c.id, ([], 0))[1],
                   part_claim_ids=tuple(part_claims.get(c.id, ())))
        for c in claims
    ]


def _group_names(session: Session, claims: Sequence[Claim]) -> dict[int, str]:
    wanted = {c.group_id for c in claims if c.group_id is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(UserLedGroup.id, UserLedGroup.name).where(UserLedGroup.id.in_(wanted))).all())


def _record_of(c: Claim | Row, project_code: str, groups: dict[int, str], **related: Any) -> ClaimRecord:
    """A claim's record from its row (an ORM object, or a row of the table's columns); ``related`` holds what
    other tables add (lines, history, approvals...)."""
    return ClaimRecord(
        id=c.id, participant_id=c.participant_id, project_code=project_code, activity_id=c.activity_id,
        kind=c.kind, status=c.status, description=c.description, worked_minutes=c.worked_minutes,
        rate_pence=c.rate_pence, rate_basis=c.rate_basis, offered_pence=c.offered_pence,
        amount_pence=c.amount_pence, time_minutes=c.time_minutes, choice=c.choice, group_id=c.group_id,
        choice_recorded_by_user_id=c.choice_recorded_by_user_id, choice_recorded_at=c.choice_recorded_at,
        assisted=bool(c.assisted), created_by_user_id=c.created_by_user_id,
        submitted_by_user_id=c.submitted_by_user_id, submitted_at=c.submitted_at, reason=c.reason,
        override_reason=c.override_reason, policy_outcome=c.policy_outcome,
        policy_decision=None if c.policy_decision is None else BenefitCheck.from_json(c.policy_decision),
        accrual_entry_id=c.accrual_entry_id, reversal_entry_id=c.reversal_entry_id,
        payment_run_id=c.payment_run_id, paid_on=c.paid_on,
        legal_minimum_pence=c.legal_minimum_pence, minimum_note=c.minimum_note,
        rate_stale_since=c.rate_stale_since, rate_warning=c.rate_warning,
        repricing_owed_pence=c.repricing_owed_pence or 0, tops_up_claim_id=c.tops_up_claim_id,
        rest=c.rest, rest_pence=c.rest_pence, later_on=c.later_on, payable_from=c.payable_from,
        part_of_claim_id=c.part_of_claim_id,
        parts=_parts_of(c, None if c.group_id is None else groups.get(c.group_id)) if c.kind == "fee" else (),
        **related,
    )


@dataclass(frozen=True, slots=True)
class OwnClaims:
    """A page of one participant's claims, and the names of the groups any of them is given to (inactive
    groups too: a claim keeps the group it chose)."""

    claims: list[ClaimRecord]
    group_names: dict[int, str]


def own_claims_page(session: Session, participant_id: int, *, limit: int, offset: int) -> list[ClaimRecord]:
    """A page of one participant's claims, newest first, as a list of them shows them: what each claim's own
    row says (status, amounts, choice, benefit check, parts), in one statement. Lines, receipts, history,
    approvals and top-ups are left empty here: the claim's own page reads them ("My money" ran nine
    statements for them, unused; issue 12)."""
    return own_claims(session, participant_id, limit=limit, offset=offset).claims


#: ``own_claims``' statement, built once and its values bound per request (building it cost as much as running it).
_OWN_CLAIMS = (
    select(*Claim.__table__.columns, Project.code.label("project_code"), UserLedGroup.name.label("group_name"))
    .join(Project, Project.id == Claim.project_id)
    .outerjoin(UserLedGroup, UserLedGroup.id == Claim.group_id)
    .where(Claim.participant_id == bindparam("participant_id", type_=Integer)).order_by(Claim.id.desc())
    .limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer))
)


def own_claims(session: Session, participant_id: int, *, limit: int, offset: int) -> OwnClaims:
    """``own_claims_page`` with the names of the groups its claims are given to, all in one statement: the
    claims' columns with their project's code and group's name (no ORM objects, whose loading cost "My money"
    more than the rows, and no list of every group to name a few; issue 12)."""
    rows = session.execute(_OWN_CLAIMS, {"participant_id": participant_id, "limit": min(max(limit, 1), 1000),
                                         "offset": max(offset, 0)}).all()
    groups = {r.group_id: r.group_name for r in rows if r.group_id is not None and r.group_name is not None}
    return OwnClaims(claims=[_record_of(r, r.project_code, groups, approver_user_ids=(), lines=(), events=())
                             for r in rows], group_names=groups)


def _parts_of(claim: Claim | Row, group: str | None) -> tuple[ClaimPart, ...]:
    return fee_parts(choice=claim.choice, offered_pence=claim.offered_pence, amount_pence=claim.amount_pence,
                     worked_minutes=claim.worked_minutes, time_minutes=claim.time_minutes, rest=claim.rest,
                     rest_pence=claim.rest_pence, group_id=claim.group_id, group=group, later_on=claim.later_on)


def claim_record(session: Session, claim: Claim) -> ClaimRecord:
    return claim_records(session, [claim])[0]


def get_claim(session: Session, claim_id: int, *, for_participant_id: int | None = None) -> ClaimRecord:
    """One claim; with ``for_participant_id``, only if it is that participant's (otherwise NotFound)."""
    return claim_record(session, _load(session, claim_id, for_participant_id=for_participant_id))


def list_claims(
    session: Session, *, participant_id: int | None = None, status: str | None = None,
    project_code: str | None = None, limit: int = 200, only_project_ids: set[int] | None = None, offset: int = 0,
    participant_ids: set[int] | None = None, before_id: int | None = None,
) -> list[ClaimRecord]:
    """Claims, newest first, optionally of one participant (or of several: ``participant_ids``, those a name
    search found), in one status or of one project; ``only_project_ids``: only claims in these projects (a
    project manager's assigned projects); ``offset`` skips that many (a later page)."""
    # Up to 1,001: the API asks for one more than its page of 1,000 to know whether another page follows.
    query = select(Claim).order_by(Claim.id.desc()).limit(min(max(limit, 1), 1001)).offset(max(offset, 0))
    if before_id is not None:  # a keyset page: only claims older than the last one shown
        query = query.where(Claim.id < before_id)
    if only_project_ids is not None:
        query = query.where(Claim.project_id.in_(sorted(only_project_ids)))
    if participant_id is not None:
        query = query.where(Claim.participant_id == participant_id)
    if participant_ids is not None:
        query = query.where(Claim.participant_id.in_(sorted(participant_ids)))
    if status is not None:
        query = query.where(Claim.status == status)
    if project_code is not None:
        query = query.join(Project, Project.id == Claim.project_id).where(Project.code == normalise_code(project_code))
    return claim_records(session, session.execute(query).scalars().all())


def _event(session: Session, claim: Claim, action: str, before: str | None, actor: int | None, *,
           note: str | None = None, reason: str | None = None, entry_id: int | None = None,
           details: dict | None = None) -> None:
    """Record what happened to the claim: its history is these events, and nothing else writes it."""
    record_event(session, NewEvent(
        subject="claim", subject_id=claim.id, action=action, actor_user_id=actor, before=before, after=claim.status,
        reason=reason, note=note, details=details, participant_id=claim.participant_id, claim_id=claim.id,
        payment_run_id=claim.payment_run_id, entry_id=entry_id))


def _transition(session: Session, claim: Claim, action: str, actor: int | None, *, reason: str | None = None,
                entry_id: int | None = None, note: str | None = None, details: dict | None = None) -> None:
    """Move the claim on through the one transition table, and record it."""
    before = claim.status
    claim.status = workflow.next_status(before, action)
    _event(session, claim, action, before, actor, reason=reason, entry_id=entry_id, note=note, details=details)


# ---------------------------------------------------------------- creating claims


def _check_key(idempotency_key: Any) -> str:
    if not isinstance(idempotency_key, str) or not idempotency_key.strip() or len(idempotency_key) > MAX_KEY:
        raise ValidationError(f"An idempotency key (1 to {MAX_KEY} characters) is required, so that sending the "
                              "same claim twice makes it once.", fields={"idempotency_key": ["Required."]})
    return idempotency_key.strip()


def _insert_once(session: Session, claim: Claim) -> tuple[Claim, bool]:
    """Add a claim whose idempotency key may already exist; return (claim, created).

    A concurrent request with the same key waits on the unique index and then finds the first one's claim.
    A key reused for a different claim (another kind or project) is a Conflict, not a silent replay.
    """
    def by_key() -> Claim | None:
        return session.execute(
            select(Claim).where(Claim.idempotency_key == claim.idempotency_key)).scalar_one_or_none()

    existing = by_key()
    if existing is None:
        try:
            with session.begin_nested():
                session.add(claim)
                session.flush()
            return claim, True
        except IntegrityError:
            existing = by_key()
            if existing is None:
                raise
    if (existing.participant_id, existing.kind, existing.project_id) != (
            claim.participant_id, claim.kind, claim.project_id):
        raise Conflict(f"This idempotency key was already used for claim {existing.id}, which is a different "
                       "claim; use a new key for a new claim.",
                       fields={"idempotency_key": ["Already used for a different claim."]})
    return existing, False


def default_choice(participant: Participant) -> tuple[str, int | None]:
    """The participant's standing choice of reward, as a claim's choice."""
    return {
        "paid_to_me": ("take", None),
        "paid_to_group": ("redirect", participant.default_group_id),
        "time_credits": ("time_credits", None),
        "decline": ("decline", None),
    }.get(participant.default_reward, ("take", None))


@dataclass(frozen=True, slots=True)
class _FeePrice:
    """What a fee comes to, how, and what the pay rules found about it."""

    offered_pence: int
    rate_pence: int | None
    basis: str
    legal_minimum_pence: int | None = None
    minimum_note: str | None = None
    rate_stale_since: dt.date | None = None
    rate_warning: str | None = None


def _hourly_rate(activity: Activity, participant: Participant, rules: ClaimRules) -> pay.Rate:
    try:
        return pay.hourly_rate(rules.rulebook, activity.occurs_on, basis=rules.pay_basis, region=activity.region,
                               date_of_birth=participant.date_of_birth)
    except PolicyError as error:
        raise Conflict(f"No pay rate is known for {activity.occurs_on:%d %B %Y}: {error}") from None


def _by_the_hour(activity: Activity, participant: Participant, minutes: int, rules: ClaimRules) -> _FeePrice:
    """Hours × the policy rate; a rate past its stale date on the day of the work is noted on the claim."""
    rate = _hourly_rate(activity, participant, rules)
    stale = pay.stale_rules(rules.rulebook, rate)
    basis = f"{rate.basis} ({activity.region}): £{rate.per_hour}/hour" + (
        " (raised to the legal minimum)" if rate.raised_to_minimum else "")
    return _FeePrice(
        offered_pence=pay.fee_pence(Decimal(minutes) / 60, rate),
        rate_pence=int((rate.per_hour * 100).to_integral_value()), basis=basis,
        rate_stale_since=min((s.since for s in stale), default=None),
        rate_warning=" ".join(s.explanation() for s in stale) or None,
    )


def _flat_fee(activity: Activity, participant: Participant, minutes: int, rules: ClaimRules) -> _FeePrice:
    """The activity's flat fee, held against the legal minimum for its hours and the person's age.

    Below it, the organisation's setting decides: refuse (a Conflict saying what would put it right), or
    draft the fee with the minimum and the reasons stored, for an approver to override with a reason.
    """
    fee = activity.flat_fee_pence or 0
    try:
        check = pay.check_flat_fee(rules.rulebook, activity.occurs_on, fee, Decimal(minutes) / 60,
                                   date_of_birth=participant.date_of_birth)
    except PolicyError as error:
        raise Conflict(f"No legal minimum wage is known for {activity.occurs_on:%d %B %Y}: {error}") from None
    if not check.below_minimum:
        return _FeePrice(offered_pence=fee, rate_pence=None, basis="flat fee for the activity")
    if rules.flat_fee_below_minimum != "override":
        raise Conflict(
            f"{activity.title}: {check.explanation()} The organisation does not pay flat fees below the legal "
            f"minimum: set a flat fee of at least {gbp(check.minimum_pence)} for this activity, or pay it by "
            "the hour.",
            fields={"flat_fee": [f"{gbp(fee)} for {check.hours_text} is below the legal minimum of "
                                 f"{gbp(check.minimum_pence)} ({check.band})."]},
        )
    return _FeePrice(offered_pence=fee, rate_pence=None, basis="flat fee for the activity, below the legal minimum",
                     legal_minimum_pence=check.minimum_pence, minimum_note=check.explanation())


def draft_fee_claim(
    session: Session, *, activity_id: int, participant_id: int, actor_user_id: int | None, rules: ClaimRules,
) -> tuple[ClaimRecord, bool]:
    """Draft the fee for an attendance (hours × the policy rate, or the activity's flat fee).

    The key (activity, participant, fee) makes a second draft impossible: it returns the first.
    The participant's standing choice (take, redirect, time credits, decline) is applied from the start.
    A flat fee below the legal minimum is refused or flagged (``rules.flat_fee_below_minimum``); a stale
    rate is flagged.
    """
    activity = find_activity(session, activity_id)
    participant = find_participant(session, participant_id)
    attendance = session.execute(
        select(Attendance).where(Attendance.activity_id == activity_id, Attendance.participant_id == participant_id)
    ).scalar_one_or_none()
    if attendance is None:
        raise Conflict(f"{participant.name} is not recorded as attending activity {activity_id}; "
                       "record the attendance first.", fields={"participant_id": ["Did not attend."]})
    minutes = (attendance.actual_minutes or activity.duration_minutes) + (activity.preparation_minutes or 0)
    price = (_flat_fee if activity.flat_fee_pence else _by_the_hour)(activity, participant, minutes, rules)
    choice, group_id = default_choice(participant)
    claim = Claim(
        participant_id=participant_id, project_id=activity.project_id, activity_id=activity_id, kind="fee",
        status="draft", idempotency_key=f"fee:activity:{activity_id}:participant:{participant_id}",
        description=f"Fee for {activity.title} on {activity.occurs_on:%d %B %Y}"[:500],
        worked_minutes=minutes, rate_pence=price.rate_pence, rate_basis=price.basis[:120],
        offered_pence=price.offered_pence, assisted=False, created_by_user_id=actor_user_id,
        choice_recorded_by_user_id=actor_user_id, choice_recorded_at=utcnow(),
        legal_minimum_pence=price.legal_minimum_pence, minimum_note=price.minimum_note,
        rate_stale_since=price.rate_stale_since, rate_warning=price.rate_warning,
    )
    _apply_choice(claim, choice, None, group_id)
    claim, created = _insert_once(session, claim)
    if created:
        warnings = " ".join(w for w in (price.minimum_note, price.rate_warning) if w)
        _event(session, claim, "draft", None, actor_user_id,
               note=f"Drafted from attendance; participant's standing choice: {choice}"
               + (f". Pay rules: {warnings}" if warnings else ""))
        queue_fee_decision(session, claim, actor_user_id=actor_user_id)  # in this transaction: never lost
    return claim_record(session, claim), created


def _miles_from(value: Any, field: str) -> Decimal:
    text = str(value).strip() if isinstance(value, str | int | Decimal) and not isinstance(value, bool) else ""
    miles = Decimal(text) if _MILES.match(text) else Decimal(0)
    if not 0 < miles <= MAX_MILES:
        raise ValidationError(f"{field}: give the miles driven as a number above 0 and at most {MAX_MILES:,}.",
                              fields={field: [f"Miles as a decimal string, above 0 and at most {MAX_MILES}."]})
    return miles


def _expense_lines(session: Session, participant_id: int, lines: Sequence[Any], rules: ClaimRules,
                   default_date: dt.date | None) -> list[ExpenseLine]:
    """Check each line and price it; mileage at HMRC rates, earlier lines of this claim counting towards the band."""
    if not isinstance(lines, Sequence) or isinstance(lines, str) or not 1 <= len(lines) <= MAX_LINES:
        raise ValidationError(f"An expense claim needs 1 to {MAX_LINES} lines.",
                              fields={"lines": [f"Give 1 to {MAX_LINES} lines."]})
    rows = []
    banded_here: dict[int, Decimal] = {}  # tax year -> car/van miles in earlier lines of this claim
    for index, line in enumerate(lines):
        field = f"lines.{index}"
        if not isinstance(line, dict):
            raise ValidationError(f"{field} must be an object.", fields={field: ["Must be an object."]})
        category = line.get("category")
        if category not in EXPENSE_CATEGORIES:
            raise ValidationError(f"{field}.category must be one of {', '.join(EXPENSE_CATEGORIES)}.",
                                  fields={f"{field}.category": [f"One of {', '.join(EXPENSE_CATEGORIES)}."]})
        description = line.get("description")
        description = description.strip() if isinstance(description, str) else ""
        if not description or len(description) > 500:
            raise ValidationError(f"{field}.description: say what the expense was (up to 500 characters).",
                                  fields={f"{field}.description": ["Required, up to 500 characters."]})
        incurred_on = line.get("incurred_on") or default_date
        if not isinstance(incurred_on, dt.date) or isinstance(incurred_on, dt.datetime):
            raise ValidationError(f"{field}.incurred_on: give the date of the expense.",
                                  fields={f"{field}.incurred_on": ["Required: a date."]})
        if category != "mileage":
            amount = pence_from(line.get("amount"), f"{field}.amount", maximum=MAX_LINE_PENCE)
            rows.append(ExpenseLine(category=category, description=description, incurred_on=incurred_on,
                                    amount_pence=amount))
            continue
        miles = _miles_from(line.get("miles"), f"{field}.miles")
        vehicle = line.get("vehicle") or "car"
        year = tax_year_of(incurred_on).start_year
        already = banded_miles_claimed(session, participant_id, incurred_on) + banded_here.get(year, Decimal(0))
        try:
            amount = pay.mileage_pence(miles, vehicle, already, rulebook=rules.rulebook, on=incurred_on)
        except PolicyError as error:
            raise ValidationError(f"{field}: {error}", fields={f"{field}.vehicle": [str(error)]}) from None
        if amount <= 0:
            raise ValidationError(f"{field}.miles: too few miles to pay anything.",
                                  fields={f"{field}.miles": ["Too few miles to pay anything."]})
        if vehicle in BANDED_VEHICLES:
            banded_here[year] = banded_here.get(year, Decimal(0)) + miles
        rows.append(ExpenseLine(category=category, description=description, incurred_on=incurred_on,
                                amount_pence=amount, miles=str(miles), vehicle=vehicle))
    return rows


def create_expense_claim(
    session: Session, *, participant_id: int, project_code: str | None = None, activity_id: int | None = None,
    lines: Sequence[dict], idempotency_key: str, actor_user_id: int | None, rules: ClaimRules,
    description: str | None = None, advance_id: int | None = None,
) -> tuple[ClaimRecord, bool]:
    """An expense claim of one or more lines (mileage priced at HMRC rates across the tax year).

    Each line is ``{category, description, incurred_on, amount}`` (pounds as a decimal string) or, for
    mileage, ``{..., miles, vehicle}``; ``incurred_on`` defaults to the activity's date. ``advance_id``
    names an advance these receipts settle when the claim is approved.
    """
    participant = find_participant(session, participant_id)
    activity = find_activity(session, activity_id) if activity_id is not None else None
    project = project_for(session, project_code, activity)
    key = _check_key(idempotency_key)
    rows = _expense_lines(session, participant_id, lines, rules, activity.occurs_on if activity else None)
    total = sum(r.amount_pence for r in rows)
    if total > MAX_CLAIM_PENCE:
        raise ValidationError(f"£{Decimal(total) / 100:.2f} is more than one claim may be "
                              f"(£{MAX_CLAIM_PENCE // 100:,}); split it or check the amounts.",
                              fields={"lines": ["The total is too large."]})
    advance = None
    if advance_id is not None:
        advance = session.execute(
            select(Advance).where(Advance.id == advance_id).with_for_update()).scalar_one_or_none()
        if advance is None or advance.participant_id != participant_id:
            raise NotFound(f"{participant.name} has no advance {advance_id}.", fields={"advance_id": ["Unknown."]})
    claim = Claim(
        participant_id=participant_id, project_id=project.id, activity_id=activity_id, kind="expense",
        status="draft", idempotency_key=f"expense:participant:{participant_id}:{key}",
        description=(description or f"Expenses for {project.name}")[:500], offered_pence=total, amount_pence=total,
        time_minutes=0, assisted=False, created_by_user_id=actor_user_id,
    )
    claim, created = _insert_once(session, claim)
    if created:
        if advance is not None:
            if advance.status not in OUTSTANDING or advance.settlement_claim_id is not None:
                raise Conflict(f"Advance {advance_id} is already settled or being settled"
                               + (f" by claim {advance.settlement_claim_id}." if advance.settlement_claim_id else "."),
                               fields={"advance_id": ["Already settled."]})
            advance.settlement_claim_id = claim.id
        for row in rows:
            row.claim_id = claim.id
        session.add_all(rows)
        _event(session, claim, "draft", None, actor_user_id, note=f"{len(rows)} expense line(s)")
        session.flush()
    return claim_record(session, claim), created


def award_time_credits(
    session: Session, *, participant_id: int, minutes: int, idempotency_key: str, actor_user_id: int | None,
    project_code: str | None = None, activity_id: int | None = None, description: str | None = None,
) -> tuple[ClaimRecord, bool]:
    """A claim for time credits: one hour given earns one credit (kept in minutes)."""
    find_participant(session, participant_id)
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 < minutes <= MAX_TIME_MINUTES:
        raise ValidationError(f"Time credits must be more than 0 and at most {MAX_TIME_MINUTES // 60} hours.",
                              fields={"hours": [f"More than 0 and at most {MAX_TIME_MINUTES // 60}."]})
    activity = find_activity(session, activity_id) if activity_id is not None else None
    project = project_for(session, project_code, activity)
    key = _check_key(idempotency_key)
    claim = Claim(
        participant_id=participant_id, project_id=project.id, activity_id=activity_id, kind="time_credit",
        status="draft", idempotency_key=f"time:participant:{participant_id}:{key}",
        description=(description or "Time credits for time given")[:500], offered_pence=0, amount_pence=0,
        time_minutes=minutes, assisted=False, created_by_user_id=actor_user_id,
    )
    claim, created = _insert_once(session, claim)
    if created:
        _event(session, claim, "draft", None, actor_user_id)
    return claim_record(session, claim), created


# ---------------------------------------------------------------- receipts


def add_receipt(
    session: Session, claim_id: int, line_id: int, *, filename: str, data: bytes, actor_user_id: int | None,
    max_bytes: int,
) -> ReceiptRecord:
    """Keep a receipt file (in the database, so any app host can serve it) against an expense line."""
    claim = _load(session, claim_id, lock=True)
    line = session.get(ExpenseLine, line_id)
    if line is None or line.claim_id != claim.id:
        raise NotFound(f"Claim {claim_id} has no expense line {line_id}.", fields={"line_id": ["Unknown."]})
    if claim.status not in workflow.OPEN:
        raise Conflict(f"Receipts can be added while a claim is open; this one is {claim.status}.",
                       fields={"status": [claim.status]})
    if not data:
        raise ValidationError("The file is empty.", fields={"file": ["Empty."]})
    if len(data) > max_bytes:
        raise ValidationError(f"The file is over {max_bytes // 1024:,} KB, the most a receipt may be. "
                              "Try a smaller photo or a PDF.", fields={"file": [f"At most {max_bytes // 1024} KB."]})
    # Opened, not only sniffed: an image is kept re-encoded without its metadata (a phone photo's location).
    checked = receipt_files.check_receipt_file(filename, data)
    receipt = Receipt(expense_line_id=line.id, filename=checked.filename, content_type=checked.content_type,
                      size_bytes=len(checked.data), sha256=hashlib.sha256(checked.data).hexdigest(),
                      data=checked.data, uploaded_by_user_id=actor_user_id)
    session.add(receipt)
    session.flush()
    return ReceiptRecord(id=receipt.id, filename=receipt.filename, content_type=checked.content_type,
                         size_bytes=receipt.size_bytes, sha256=receipt.sha256)


def receipt_file(
    session: Session, claim_id: int, receipt_id: int, *, for_participant_id: int | None = None,
    viewed_by_user_id: int | None = None, channel: str = "page",
) -> tuple[ReceiptRecord, bytes]:
    """A receipt and its bytes; with ``for_participant_id``, only from that participant's claim.

    Opening a receipt is a view of the person's data: it is kept as an event (``ledger.events.views``) in the
    caller's transaction, which commits it with the answer.
    """
    claim = _load(session, claim_id, for_participant_id=for_participant_id)
    row = session.execute(
        select(Receipt).join(ExpenseLine, ExpenseLine.id == Receipt.expense_line_id)
        .where(Receipt.id == receipt_id, ExpenseLine.claim_id == claim_id)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"Claim {claim_id} has no receipt {receipt_id}.")
    record_view(session, participant_id=claim.participant_id, what="receipt", channel=channel,
                actor_user_id=viewed_by_user_id, record_id=receipt_id, claim_id=claim_id)
    return ReceiptRecord(id=row.id, filename=row.filename, content_type=row.content_type, size_bytes=row.size_bytes,
                         sha256=row.sha256), row.data


# ---------------------------------------------------------------- the participant's choice


@dataclass(frozen=True, slots=True)
class _Chosen:
    """A choice checked against the fee, not yet recorded: what is taken and what happens to the rest."""

    choice: str
    amount_pence: int | None = None  # taken, when taking less
    rest: str | None = None
    rest_pence: int | None = None
    rest_minutes: int = 0  # time credits for the rest
    group_id: int | None = None
    later_on: dt.date | None = None


def _apply_choice(claim: Claim, choice: str | _Chosen, amount_pence: int | None = None,
                  group_id: int | None = None) -> None:
    """Put the choice on the claim: what a payment run pays the participant (or the group), time credits, the rest."""
    chosen = choice if isinstance(choice, _Chosen) else _Chosen(choice, amount_pence, group_id=group_id)
    claim.choice = chosen.choice
    claim.group_id = chosen.group_id if "redirect" in (chosen.choice, chosen.rest) else None
    claim.time_minutes = {"time_credits": claim.worked_minutes or 0,
                          "take_less": chosen.rest_minutes if chosen.rest == "time_credits" else 0,
                          }.get(chosen.choice, 0)
    claim.amount_pence = {"take": claim.offered_pence, "redirect": claim.offered_pence,
                          "take_less": chosen.amount_pence or 0}.get(chosen.choice, 0)
    claim.rest, claim.rest_pence, claim.later_on = (chosen.rest, chosen.rest_pence, chosen.later_on)


def _active_group(session: Session, group_id: Any, why: str) -> int:
    if group_id is None or group_id == "":
        raise ValidationError(f"Say which user-led group {why}.", fields={"group_id": [f"Required {why}."]})
    known = isinstance(group_id, int) and not isinstance(group_id, bool)
    group = session.get(UserLedGroup, group_id) if known else None
    if group is None or not group.is_active:
        raise NotFound(f"There is no active user-led group {group_id}.",
                       fields={"group_id": ["Unknown, or no longer active: choose one of the active groups."]})
    return group.id


def _later_date(value: Any) -> dt.date:
    if value is None or value == "":
        raise ValidationError("Say from which day the rest is to be paid.",
                              fields={"later_on": ["Required to be paid the rest later: a date, like 2026-12-14."]})
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date | str):
        raise ValidationError("later_on must be a date.", fields={"later_on": ["A date, like 2026-12-14."]})
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValidationError(f"later_on: {value[:20]!r} is not a date.",
                                  fields={"later_on": ["A date, like 2026-12-14."]}) from None
    return value


def _period_end(session: Session, claim: Claim, take_pence: int, rules: ClaimRules | None,
                today: dt.date) -> tuple[dt.date, str]:
    """The last day the part taken counts in: the end of the longest benefit period it falls in, or the day
    it is expected to be paid; and the words for it."""
    received = earliest_payment_date(today)
    end, why = received, f"the day the part you take is expected to be paid ({received:%d %B %Y})"
    if rules is None:
        return end, why
    probe = Claim(kind="fee", choice="take", offered_pence=take_pence, amount_pence=take_pence,
                  worked_minutes=claim.worked_minutes, time_minutes=0, participant_id=claim.participant_id)
    try:
        decision = check_participant_payment(session, rules.rulebook, rules.policy, claim.participant_id,
                                             claim_as_payment(probe, received, worked_on(session, claim)),
                                             exclude_claim_ids=[claim.id], expected_payment_date=received)
    except PolicyError:
        return end, why
    for result in decision.results if decision is not None else ():
        if result.period is not None and result.period.end > end:
            end = result.period.end
            why = (f"the end of the {DISPLAY_NAMES.get(result.name, result.name)} period the part you take "
                   f"counts in ({end:%d %B %Y})")
    return end, why


def _rest_of(session: Session, claim: Claim, rest: Any, amount_pence: int, *, group_id: Any, later_on: Any,
             rules: ClaimRules | None, today: dt.date) -> _Chosen:
    """Taking less: check what happens to the rest (declined unless told) and what it comes to."""
    rest = "decline" if rest is None or rest == "" else rest
    if rest not in RESTS:
        raise ValidationError(f"rest must be one of {', '.join(RESTS)}.",
                              fields={"rest": [f"One of {', '.join(RESTS)}."]})
    left = claim.offered_pence - amount_pence
    chosen = _Chosen("take_less", amount_pence, rest, left)
    if rest == "redirect":
        return dataclass_replace(chosen, group_id=_active_group(session, group_id, "the rest should go to"))
    if rest == "time_credits":
        return dataclass_replace(chosen, rest_minutes=share_of_minutes(claim.worked_minutes or 0, left,
                                                                       claim.offered_pence))
    if rest == "later":
        day = _later_date(later_on)
        if day <= today:
            raise ValidationError("The rest can only be paid on a day after today.",
                                  fields={"later_on": [f"Must be after today ({today:%d %B %Y})."]})
        end, why = _period_end(session, claim, amount_pence, rules, today)
        if day <= end:
            raise ValidationError(f"Paid on {day:%d %B %Y}, the rest would count in the same period as the part "
                                  f"you take. Choose a day after {why}.",
                                  fields={"later_on": [f"Must be after {end:%d %B %Y}: {why}."]})
        return dataclass_replace(chosen, later_on=day)
    return chosen


def _checked_choice(session: Session, claim: Claim, *, choice: Any, amount: Any, rest: Any, group_id: Any,
                    later_on: Any, rules: ClaimRules | None, today: dt.date) -> _Chosen:
    """The choice checked against the fee; each problem a ValidationError naming its field, nothing changed."""
    if choice not in CHOICES:
        raise ValidationError(f"choice must be one of {', '.join(CHOICES)}.",
                              fields={"choice": [f"One of {', '.join(CHOICES)}."]})
    if claim.kind != "fee":
        raise Conflict("Only a fee offers a choice; expenses are repaid and time credits awarded as claimed.",
                       fields={"choice": ["Only for fees."]})
    if claim.status not in workflow.OPEN:
        raise Conflict(f"The choice can change until the fee is approved; this one is {claim.status}.",
                       fields={"status": [claim.status]})
    if claim.part_of_claim_id is not None:
        raise Conflict(f"This is the rest of claim {claim.part_of_claim_id}, as the participant chose there; it is "
                       "paid as chosen, or rejected.", fields={"choice": ["Already chosen on the fee it is part of."]})
    if choice != "take_less" and rest not in (None, ""):
        raise ValidationError("What happens to the rest is only asked when taking less than the fee.",
                              fields={"rest": ["Only with choice take_less."]})
    if choice == "redirect":
        return _Chosen("redirect", group_id=_active_group(session, group_id, "the fee should go to"))
    if choice != "take_less":
        return _Chosen(choice)
    if amount is None or amount == "":
        raise ValidationError("Say how much of the fee to take.",
                              fields={"amount": ["Required to take less: an amount in pounds, like 20.00."]})
    amount_pence = pence_from(amount, "amount", maximum=MAX_CLAIM_PENCE)
    if amount_pence >= claim.offered_pence:
        raise ValidationError(f"Taking less needs an amount below the {gbp(claim.offered_pence)} offered.",
                              fields={"amount": [f"Must be less than the fee offered ({gbp(claim.offered_pence)})."]})
    return _rest_of(session, claim, rest, amount_pence, group_id=group_id, later_on=later_on, rules=rules,
                    today=today)


def _chosen_parts(session: Session, claim: Claim, chosen: _Chosen) -> tuple[ClaimPart, ...]:
    group = session.get_one(UserLedGroup, chosen.group_id).name if chosen.group_id is not None else None
    return fee_parts(choice=chosen.choice, offered_pence=claim.offered_pence,
                     # only taking less sets an amount; fee_parts reads it for nothing else
                     amount_pence=claim.offered_pence if chosen.amount_pence is None else chosen.amount_pence,
                     worked_minutes=claim.worked_minutes, time_minutes=chosen.rest_minutes, rest=chosen.rest,
                     rest_pence=chosen.rest_pence, group_id=chosen.group_id, group=group, later_on=chosen.later_on)


def describe_parts(parts: Sequence[ClaimPart]) -> str:
    """The parts in words, for the claim's history: "£20.00 taken; £30.40 as time credits (2.42 hours)"."""
    words = {"take": "taken", "decline": "declined", "time_credits": "as time credits",
             "redirect": "given to", "later": "paid on or after"}
    out = []
    for p in parts:
        text = f"{gbp(p.amount_pence)} {words[p.part]}"
        if p.part == "time_credits":
            text += f" ({Decimal(p.minutes or 0) / 60:.2f} hours)"
        if p.part == "redirect":
            text += f" {p.group} (group {p.group_id})"
        if p.part == "later":
            text += f" {p.later_on:%d %B %Y}"
        out.append(text)
    return "; ".join(out)


def record_choice(
    session: Session, claim_id: int, *, choice: str, actor_user_id: int | None, amount: Any = None,
    group_id: int | None = None, for_participant_id: int | None = None, rest: str | None = None,
    later_on: Any = None, rules: ClaimRules | None = None, today: dt.date | None = None,
) -> ClaimRecord:
    """Record what the participant wants done with a fee: take it, take less, decline, redirect, time credits.

    ``amount`` (pounds, a decimal string) is what they take when taking less; ``rest`` what happens to the
    rest of it: declined (the default), as the matching share of the hours in time credits, given to the group
    ``group_id``, or paid ``later`` on or after ``later_on`` (after the period the part taken counts in, so
    the two are not counted together). A change of mind on a submitted fee clears any first approval: what
    was approved is no longer what would be paid. The history event records the parts, who chose and when.
    """
    today = today or utcnow().date()
    claim = _load(session, claim_id, lock=True, for_participant_id=for_participant_id)
    chosen = _checked_choice(session, claim, choice=choice, amount=amount, rest=rest, group_id=group_id,
                             later_on=later_on, rules=rules, today=today)
    parts = _chosen_parts(session, claim, chosen)
    _apply_choice(claim, chosen)
    claim.choice_recorded_by_user_id = actor_user_id
    claim.choice_recorded_at = utcnow()
    session.execute(delete(ClaimApproval).where(ClaimApproval.claim_id == claim.id))
    _event(session, claim, "choose", claim.status, actor_user_id,
           note=f"Participant's choice: {chosen.choice}"
           + (f" ({describe_parts(parts)})" if chosen.rest or chosen.group_id else ""),
           details={"choice": chosen.choice, "rest": chosen.rest, "parts": [p.to_json() for p in parts],
                    "group_id": chosen.group_id, "group": next((p.group for p in parts if p.group), None),
                    "chosen_by_user_id": actor_user_id, "chosen_at": claim.choice_recorded_at.isoformat()})
    session.flush()
    return claim_record(session, claim)


def _check_as(session: Session, claim: Claim, probe: Claim, rules: ClaimRules,
              received: dt.date, facts: BenefitFacts | None = None) -> tuple[str, BenefitCheck | None]:
    """The benefit check of ``probe`` (the claim as it would be) received on ``received``."""
    proposed = claim_as_payment(probe, received, worked_on(session, claim))
    try:
        decision = check_participant_payment(session, rules.rulebook, rules.policy, claim.participant_id, proposed,
                                             exclude_claim_ids=[claim.id], expected_payment_date=received,
                                             facts=facts)
    except PolicyError as error:
        raise Conflict(f"The benefit rules cannot check a payment received on {received:%d %B %Y}: {error}.") from None
    if decision is None:
        return "none", None
    policy = BenefitCheck.from_decision(decision, rules.policy)
    if earnings_pence(proposed, rules.policy) == 0 and work_hours(proposed) == 0:
        policy = policy.requiring("none")
    return policy.required_action, policy


def preview_choice(
    session: Session, claim_id: int, *, choice: str, rules: ClaimRules, today: dt.date, amount: Any = None,
    group_id: int | None = None, rest: str | None = None, later_on: Any = None,
    for_participant_id: int | None = None,
) -> ChoicePreview:
    """The benefit check of a choice, without recording it: the part taken paid on the next payment date, and a
    part paid later on its own day (the "check your choice" page). Bad input is refused as ``record_choice``
    refuses it."""
    claim = _load(session, claim_id, for_participant_id=for_participant_id)
    chosen = _checked_choice(session, claim, choice=choice, amount=amount, rest=rest, group_id=group_id,
                             later_on=later_on, rules=rules, today=today)
    probe = Claim(kind="fee", offered_pence=claim.offered_pence, worked_minutes=claim.worked_minutes,
                  participant_id=claim.participant_id)
    _apply_choice(probe, chosen)
    received = earliest_payment_date(today)
    action, policy = _check_as(session, claim, probe, rules, received)
    later_action = later_policy = None
    if chosen.later_on is not None:  # the rest is paid later (only then is there a day for it)
        rest_probe = Claim(kind="fee", choice="take", offered_pence=chosen.rest_pence, amount_pence=chosen.rest_pence,
                           time_minutes=0, participant_id=claim.participant_id)
        later_action, later_policy = _check_as(session, claim, rest_probe, rules,
                                               next_payment_date(chosen.later_on))
    return ChoicePreview(claim_id=claim.id, choice=chosen.choice, parts=_chosen_parts(session, claim, chosen),
                         expected_payment_date=received, required_action=action, policy=policy,
                         later_on=chosen.later_on, later_required_action=later_action, later_policy=later_policy)


# ---------------------------------------------------------------- workflow


def submit_claim(
    session: Session, claim_id: int, *, actor_user_id: int | None, actor_participant_id: int | None = None,
    confirm_duplicate: bool = False, duplicate_reason: str | None = None,
    submitted_at: dt.datetime | None = None,
) -> ClaimRecord:
    """Send a claim for approval; anyone but the participant themself submitting it marks it assisted.

    A likely duplicate of a claim already submitted needs ``confirm_duplicate`` and a reason (see
    ``ledger.claims.controls``), kept in the submit event.

    ``submitted_at`` is when the claim reached the organisation, for a claim keyed in after it arrived (a
    paper form, the demonstration's year of claims); the claim-to-payment time is measured from it. It is
    now unless given, and never later than now.
    """
    now = utcnow()
    if submitted_at is not None and as_utc(submitted_at) > now:
        raise ValidationError("submitted_at: a claim cannot have reached us in the future.",
                              fields={"submitted_at": ["A moment no later than now."]})
    claim = _load(session, claim_id, lock=True)
    workflow.next_status(claim.status, "submit")  # a claim that cannot be submitted says so first
    confirmed = controls.check_duplicates(session, claim, confirm_duplicate, duplicate_reason)
    _transition(session, claim, "submit", actor_user_id,
                reason=confirmed["duplicate_reason"] if confirmed else None,
                note=f"Confirmed not a duplicate of claim(s) {', '.join(map(str, confirmed['duplicate_of']))}"
                if confirmed else None, details=confirmed)
    claim.submitted_by_user_id = actor_user_id
    claim.submitted_at = now if submitted_at is None else as_utc(submitted_at)
    claim.assisted = claim.assisted or actor_participant_id != claim.participant_id
    session.flush()
    return claim_record(session, claim)


def _benefit_check(
    session: Session, claim: Claim, rules: ClaimRules, received: dt.date, facts: BenefitFacts | None = None,
) -> tuple[str, BenefitCheck | None]:
    """What the organisation requires before paying the claim on ``received``, and the policy engine's decision.

    A payment that adds no earnings and no paid hours (expenses, time credits, a declined or redirected fee)
    cannot change a benefit: it needs nothing even in a week already over a limit (the decision is kept).
    A claim no run pays before its ``payable_from`` day (the part of a fee paid later) is checked as received
    on the first payment date from then.
    """
    received = _received_on(claim, received)
    try:
        return _check_as(session, claim, claim, rules, received, facts)
    except Conflict as error:
        raise Conflict(f"{error} Add the missing figure (an override file) before approving.") from None


def _received_on(claim: Claim, earliest: dt.date) -> dt.date:
    """The day a payment of the claim would be received: the earliest payment date, or the first from its
    ``payable_from`` day."""
    return earliest if claim.payable_from is None else max(earliest, next_payment_date(claim.payable_from))


def _approvals(session: Session, claim: Claim) -> int:
    return session.execute(
        select(func.count()).select_from(ClaimApproval).where(ClaimApproval.claim_id == claim.id)).scalar_one()


def _approvals_needed(claim: Claim, rules: ClaimRules) -> int:
    """Two approvers above the organisation's amount: all the money approving posts (a group's part too)."""
    given = (claim.rest_pence or 0) if claim.choice == "take_less" and claim.rest == "redirect" else 0
    return 2 if claim.amount_pence + given > rules.second_approval_above_pence else 1


@dataclass(frozen=True, slots=True)
class _PayCheck:
    """What the pay rules say about a fee on the day it is approved."""

    warnings: tuple[str, ...] = ()
    reason_required: bool = False  # a flat fee below the legal minimum, paid in money
    rate_stale_since: dt.date | None = None
    rate_warnings: tuple[str, ...] = ()  # about the rate only: stored on the claim when it is approved


def _rate_today(session: Session, claim: Claim, rules: ClaimRules, today: dt.date) -> tuple[list[str], dt.date | None]:
    """Whether the rate a fee was priced with looks out of date today, or the rules now give more for that day.

    The rate is worked out again with today's rules: a figure past its stale date (on the day of the work,
    or today with no newer figure added) is flagged; once a newer figure covers the day of the work, the fee
    is flagged if it was priced lower. Rules that can no longer price the day leave the drafting's flag.
    """
    if claim.rate_pence is None or claim.activity_id is None:
        return [], None
    activity = session.get_one(Activity, claim.activity_id)
    participant = session.get_one(Participant, claim.participant_id)
    try:
        rate = pay.hourly_rate(rules.rulebook, activity.occurs_on, basis=rules.pay_basis, region=activity.region,
                               date_of_birth=participant.date_of_birth)
    except PolicyError:
        return [claim.rate_warning] if claim.rate_warning else [], claim.rate_stale_since
    stale = pay.stale_rules(rules.rulebook, rate, today=today)
    notes = [s.explanation() for s in stale]
    since = min((s.since for s in stale), default=None)
    now_pence = int((rate.per_hour * 100).to_integral_value())
    if now_pence > claim.rate_pence:
        notes.append(
            f"The rules now give {gbp(now_pence)} an hour for work on {activity.occurs_on:%d %B %Y}, but this fee "
            f"was priced at {gbp(claim.rate_pence)} an hour: approved as it is, the participant is paid "
            f"{gbp(pay.fee_pence(Decimal(claim.worked_minutes or 0) / 60, rate) - claim.offered_pence)} less.")
        since = since or claim.rate_stale_since
    return notes, since


def _pay_check(session: Session, claim: Claim, rules: ClaimRules, today: dt.date) -> _PayCheck:
    """The pay rules on the day of approval: a flat fee below the legal minimum, a rate that may be out of date."""
    if claim.kind != "fee":
        return _PayCheck()
    warnings = []
    reason_required = claim.legal_minimum_pence is not None and claim.amount_pence > 0
    if claim.legal_minimum_pence is not None:
        warnings.append((claim.minimum_note or "This flat fee is below the legal minimum for its hours.") + (
            f" Approving it needs a reason (at least {MIN_OVERRIDE_REASON} characters) saying why the organisation "
            "pays less than the legal minimum." if reason_required else ""))
    rate_warnings, stale_since = _rate_today(session, claim, rules, today)
    return _PayCheck(warnings=(*warnings, *rate_warnings), reason_required=reason_required,
                     rate_stale_since=stale_since, rate_warnings=tuple(rate_warnings))


def preview_approval(session: Session, claim_id: int, *, rules: ClaimRules, today: dt.date) -> ApprovalPreview:
    """What approving would mean for the participant's benefits and pay, and how many approvals it needs."""
    _load(session, claim_id)
    found = preview_approvals(session, [claim_id], rules=rules, today=today)[claim_id]
    if isinstance(found, Conflict):
        raise found
    return found


def preview_approvals(session: Session, claim_ids: Sequence[int], *, rules: ClaimRules,
                      today: dt.date) -> dict[int, ApprovalPreview | Conflict]:
    """``preview_approval`` of many claims (the finance queue) in a fixed number of queries, however many.

    Each claim's answer is its preview, or the ``Conflict`` saying why the rules cannot check it (shown
    instead); claims that do not exist are left out. The claims, their activities and participants are read
    once (later reads of them come from the session), and the benefit facts once for all the participants.
    """
    claims = session.execute(select(Claim).where(Claim.id.in_(sorted(set(claim_ids))))).scalars().all()
    if not claims:
        return {}
    # Held here so that the session's (weak) identity map keeps them while the checks below read them.
    loaded = [*session.execute(select(Activity).where(
        Activity.id.in_({c.activity_id for c in claims if c.activity_id}))).scalars(),
        *session.execute(select(Participant).where(Participant.id.in_({c.participant_id for c in claims}))).scalars()]
    approvals = dict(session.execute(
        select(ClaimApproval.claim_id, func.count()).where(ClaimApproval.claim_id.in_([c.id for c in claims]))
        .group_by(ClaimApproval.claim_id)).all())
    earliest = earliest_payment_date(today)
    days = [_received_on(c, earliest) for c in claims]
    facts = load_benefit_facts(session, {c.participant_id for c in claims}, min(days), max(days))
    found: dict[int, ApprovalPreview | Conflict] = {}
    for claim in claims:
        try:
            action, policy = _benefit_check(session, claim, rules, earliest, facts)
        except Conflict as error:
            found[claim.id] = error
            continue
        checked = _pay_check(session, claim, rules, today)
        found[claim.id] = ApprovalPreview(
            claim_id=claim.id, expected_payment_date=earliest, required_action=action, policy=policy,
            approvals=approvals.get(claim.id, 0), approvals_needed=_approvals_needed(claim, rules),
            pay_warnings=checked.warnings, below_minimum_reason_required=checked.reason_required,
            rate_stale_since=checked.rate_stale_since,
        )
    del loaded
    return found


def _check_approver(session: Session, claim: Claim, actor_user_id: int, actor_participant_id: int | None) -> None:
    """Nobody approves a claim they drafted, submitted or that pays them, or approves it twice."""
    workflow.next_status(claim.status, "approve")  # refuse early if the table does not allow it
    if actor_user_id in (claim.submitted_by_user_id, claim.created_by_user_id):
        raise PermissionDenied("You drafted or submitted this claim, so someone else must approve it.")
    if actor_participant_id is not None and actor_participant_id == claim.participant_id:
        raise PermissionDenied("This claim pays you, so someone else must approve it.")
    if session.execute(select(ClaimApproval.id).where(ClaimApproval.claim_id == claim.id,
                                                      ClaimApproval.user_id == actor_user_id)).first():
        raise Conflict("You have already approved this claim; it needs a different second approver.")


def _check_benefit_setting(action: str, policy: BenefitCheck | None, reason: str) -> None:
    """Refuse what the organisation blocks, or wants an override reason for and has none."""
    if action == "block":
        raise Conflict(
            "The organisation blocks payments that would affect benefits like this: " + _first_explanation(policy)
            + " Offer the participant the alternatives (take less, time credits, pay a group, or decline).",
            fields={"policy": [str(policy and policy.outcome)]},
        )
    if action == "override" and len(reason) < MIN_OVERRIDE_REASON:
        raise ValidationError(
            "This payment would affect the participant's benefits: " + _first_explanation(policy)
            + " To approve it anyway, give an override reason (at least 10 characters) saying why, "
            "and that the participant has been told.",
            fields={"override_reason": ["Required (at least 10 characters) to approve this payment."]},
        )


def _minimum_reason(claim: Claim, checked: _PayCheck, given: str | None) -> str | None:
    """The reason for paying a flat fee below the legal minimum, when one is needed (refused if too short)."""
    if not checked.reason_required:
        return None
    reason = (given or "").strip()
    if len(reason) < MIN_OVERRIDE_REASON:
        raise ValidationError(
            f"{claim.minimum_note or 'This flat fee is below the legal minimum.'} To approve it anyway, give a "
            f"reason (at least {MIN_OVERRIDE_REASON} characters) for paying less than the legal minimum; "
            "otherwise reject it and ask for the flat fee to be raised or the activity paid by the hour.",
            fields={"below_minimum_reason": [
                f"Required (at least {MIN_OVERRIDE_REASON} characters) to pay a fee below the legal minimum."]},
        )
    return reason


def _record_pay_check(claim: Claim, checked: _PayCheck, minimum_reason: str | None) -> tuple[str | None, dict | None]:
    """Keep the approval day's rate findings on the claim; the approval event's note and details."""
    if checked.rate_warnings:
        claim.rate_stale_since = checked.rate_stale_since
        claim.rate_warning = " ".join(checked.rate_warnings)
    elif claim.kind == "fee" and claim.rate_pence is not None:
        claim.rate_stale_since, claim.rate_warning = None, None  # today's rules confirm the rate
    if not checked.warnings:
        return None, None
    details: dict[str, Any] = {"pay_warnings": list(checked.warnings)}
    notes = []
    if minimum_reason is not None:
        details["below_minimum"] = {"legal_minimum_pence": claim.legal_minimum_pence,
                                    "fee_pence": claim.offered_pence, "reason": minimum_reason}
        notes.append(f"Paid below the legal minimum of {gbp(claim.legal_minimum_pence or 0)}: {minimum_reason}")
    if checked.rate_warnings:
        notes.append("Rate warning: " + " ".join(checked.rate_warnings))
    return " ".join(notes) or None, details


def approve_claim(
    session: Session, claim_id: int, *, actor_user_id: int, actor_participant_id: int | None, rules: ClaimRules,
    today: dt.date, override_reason: str | None = None, below_minimum_reason: str | None = None,
) -> ApprovalOutcome:
    """Approve a claim: check benefits and pay rules, apply the organisation's settings, and accrue what is owed.

    Nobody approves a claim they drafted, submitted or that pays them. Above the second-approval amount,
    two different approvers are needed; the money is accrued at the final approval only. When the
    organisation blocks the payment, or wants an override reason (for the benefit effect, or for a flat fee
    below the legal minimum) and none is given, nothing changes. A rate that may be out of date is a
    warning, kept on the claim and in the approval event, never a refusal.
    """
    claim = _load(session, claim_id, lock=True)
    _check_approver(session, claim, actor_user_id, actor_participant_id)
    if rules.receipt_required_above_pence is not None:
        controls.refuse_missing_receipts(session, claim, rules.receipt_required_above_pence)
    action, policy = _benefit_check(session, claim, rules, earliest_payment_date(today))
    reason = (override_reason or "").strip()
    _check_benefit_setting(action, policy, reason)
    checked = _pay_check(session, claim, rules, today)
    minimum_reason = _minimum_reason(claim, checked, below_minimum_reason)
    claim.policy_outcome = None if policy is None else policy.outcome
    claim.policy_decision = None if policy is None else policy.to_json()
    if action == "override":
        claim.override_reason = reason
    note, details = _record_pay_check(claim, checked, minimum_reason)
    session.add(ClaimApproval(claim_id=claim.id, user_id=actor_user_id, approved_at=utcnow()))
    session.flush()
    approvals, needed = _approvals(session, claim), _approvals_needed(claim, rules)
    if approvals < needed:
        first = (f"First of two approvals (claims over £{Decimal(rules.second_approval_above_pence) / 100:.2f} "
                 "need two)")
        _event(session, claim, "approve", claim.status, actor_user_id,
               note=first + (f". {note}" if note else ""), details=details)
    else:
        claim.decided_at = utcnow()
        claim.accrual_entry_id = _accrue(session, claim, today, actor_user_id)
        _transition(session, claim, "approve", actor_user_id, reason=reason if action == "override" else None,
                    entry_id=claim.accrual_entry_id, note=note, details=details)
    session.flush()
    return ApprovalOutcome(claim=claim_record(session, claim), policy=policy, required_action=action,
                           approvals=approvals, approvals_needed=needed, pay_warnings=checked.warnings)


def _first_explanation(policy: BenefitCheck | None) -> str:
    for effect in policy.effects if policy is not None else ():
        if effect.effect != "none":
            return effect.explanation_for_staff or effect.explanation
    return ""


def _accrual_date(session: Session, claim: Claim, today: dt.date) -> dt.date:
    """Accrue on the activity's date, or today if that month is locked (a correction of an earlier month)."""
    if claim.activity_id is None:
        return today
    day = session.get_one(Activity, claim.activity_id).occurs_on
    return today if session.get(LockedPeriod, day.replace(day=1)) is not None else day


def _recorded_with_choice(value: _T | None, claim: Claim, what: str) -> _T:
    """A detail the participant's choice always records (the group a fee is given to, what is left of a fee
    taken in part): without it the claim is broken, and nothing is posted for it."""
    if value is None:
        raise LookupError(f"Claim {claim.id} has no {what}, which recording its choice always sets.")
    return value


def _accrue(session: Session, claim: Claim, today: dt.date, actor: int | None) -> int | None:
    """Post what approving the claim owes; None for a declined fee, which owes nothing."""
    project = project_accounts(session.get_one(Project, claim.project_id).code)
    person = participant_accounts(claim.participant_id)
    advance = None
    if claim.kind == "time_credit" or claim.choice == "time_credits":
        open_organisation_accounts(session)
        kind = "time_credits_awarded"
        postings = [PostingLine(TIME_ISSUED, claim.time_minutes, "TIME"),
                    PostingLine(person.time_credits, -claim.time_minutes, "TIME", kind=PostingKind.TIME_CREDITS)]
    elif claim.kind == "expense":
        kind = "expense_approved"
        postings = [PostingLine(project.expenses, claim.amount_pence, "GBP")]
        advance = _advance_of(session, claim)
        used = min(advance.amount_pence, claim.amount_pence) if advance is not None else 0
        if used:
            postings.append(PostingLine(person.advance, -used, "GBP", kind=PostingKind.ADVANCE_SETTLEMENT))
        if claim.amount_pence > used:
            postings.append(PostingLine(person.owed, -(claim.amount_pence - used), "GBP", kind=PostingKind.EXPENSE))
        claim.amount_pence -= used  # what is still to be paid
    elif claim.choice == "take_less":
        return _accrue_split(session, claim, today, actor)
    elif claim.amount_pence == 0:  # declined
        return None
    else:
        kind = "fee_redirected" if claim.choice == "redirect" else "fee_approved"
        payee = (group_accounts(_recorded_with_choice(claim.group_id, claim, "group")).owed
                 if claim.choice == "redirect" else person.owed)
        postings = [PostingLine(project.fees, claim.amount_pence, "GBP"),
                    PostingLine(payee, -claim.amount_pence, "GBP",
                                kind=PostingKind.REDIRECTED if claim.choice == "redirect" else PostingKind.FEE)]
    entry = post_entry(session, effective_date=_accrual_date(session, claim, today), description=claim.description,
                       postings=postings, idempotency_key=f"claim:{claim.id}:accrual", actor_user_id=actor, kind=kind)
    if advance is not None:
        advance.settlement_entry_id = entry.id
        move_advance(session, advance, "settle", actor, entry_id=entry.id,
                            note=f"Settled by the receipts of claim {claim.id}")
    return entry.id


def _time_key(claim: Claim) -> str:
    return f"claim:{claim.id}:accrual:time-credits"


def _accrue_split(session: Session, claim: Claim, today: dt.date, actor: int | None) -> int:
    """Post a fee taken in part, each part as what it is: one balanced entry per unit, in this transaction.

    Money: Dr the project's fees with what is taken and any part given to a group, Cr what the participant is
    owed (``fee``) and what the group is owed (``redirected``). Time: the rest as time credits, Dr
    ``time:issued`` Cr ``time:participant`` (``time_credits``). A declined rest posts nothing; a rest paid
    later is a claim of its own (drafted and submitted now, approved on its own benefit check). The part for
    a group is a claim of its own too, accrued in this same entry, so that a payment run pays the group.
    """
    project = project_accounts(session.get_one(Project, claim.project_id).code)
    person = participant_accounts(claim.participant_id)
    day = _accrual_date(session, claim, today)
    given = _recorded_with_choice(claim.rest_pence, claim, "rest of the fee") if claim.rest == "redirect" else 0
    postings = [PostingLine(project.fees, claim.amount_pence + given, "GBP"),
                PostingLine(person.owed, -claim.amount_pence, "GBP", kind=PostingKind.FEE)]
    if given:
        group = group_accounts(_recorded_with_choice(claim.group_id, claim, "group"))
        postings.append(PostingLine(group.owed, -given, "GBP", kind=PostingKind.REDIRECTED))
    entry = post_entry(session, effective_date=day, description=claim.description, postings=postings,
                       idempotency_key=f"claim:{claim.id}:accrual", actor_user_id=actor,
                       kind="fee_redirected" if given else "fee_approved")
    if claim.rest == "time_credits" and claim.time_minutes:
        open_organisation_accounts(session)
        post_entry(session, effective_date=day, description=f"{claim.description}: the rest as time credits"[:500],
                   postings=[PostingLine(TIME_ISSUED, claim.time_minutes, "TIME"),
                             PostingLine(person.time_credits, -claim.time_minutes, "TIME",
                                         kind=PostingKind.TIME_CREDITS)],
                   idempotency_key=_time_key(claim), actor_user_id=actor, kind="time_credits_awarded")
    if claim.rest in ("redirect", "later"):
        _draft_part_claim(session, claim, entry.id if given else None, actor)
    return entry.id


def _draft_part_claim(session: Session, claim: Claim, entry_id: int | None, actor: int | None) -> Claim:
    """The claim for the rest of a fee: given to a group (approved with the fee, in its entry), or paid later
    (submitted for approval now, payable from the day asked for)."""
    given = claim.rest == "redirect"
    group = session.get_one(UserLedGroup, claim.group_id).name if given else None
    rest_pence = _recorded_with_choice(claim.rest_pence, claim, "rest of the fee")
    part = Claim(
        participant_id=claim.participant_id, project_id=claim.project_id, activity_id=claim.activity_id,
        kind="fee", status="draft", idempotency_key=f"part:claim:{claim.id}:{claim.rest}",
        description=(f"{claim.description}: the rest, given to {group}" if given else
                     f"{claim.description}: the rest, paid on or after {claim.later_on:%d %B %Y}")[:500],
        offered_pence=rest_pence, amount_pence=rest_pence, time_minutes=0,
        choice="redirect" if given else "take", group_id=claim.group_id if given else None,
        choice_recorded_by_user_id=claim.choice_recorded_by_user_id, choice_recorded_at=claim.choice_recorded_at,
        assisted=claim.assisted, created_by_user_id=claim.created_by_user_id,
        submitted_by_user_id=claim.choice_recorded_by_user_id,
        submitted_at=utcnow(), part_of_claim_id=claim.id, payable_from=None if given else claim.later_on,
    )
    session.add(part)
    session.flush()
    _event(session, part, "draft", None, actor, note=f"The rest of claim {claim.id}: {gbp(rest_pence)} "
           + (f"given to {group}" if given else f"paid on or after {claim.later_on:%d %B %Y}"))
    _transition(session, part, "submit", actor, note="Asked for by the participant's choice on claim "
                f"{claim.id}")
    if given:
        part.decided_at, part.accrual_entry_id = utcnow(), entry_id
        _transition(session, part, "approve", actor, entry_id=entry_id,
                    note=f"Approved with claim {claim.id}, in the same entry")
    return part


def _undo_parts(session: Session, claim: Claim, today: dt.date, actor: int | None, why: str, action: str) -> None:
    """Rejecting or cancelling a fee taken in part: its time credits are reversed, and the claims for its rest
    go too (the group's part shares the fee's entry, reversed with it; a part to be paid later is rejected or
    cancelled with its own accrual reversed)."""
    time_entry = session.execute(select(JournalEntry.id).where(
        JournalEntry.idempotency_key == _time_key(claim))).scalar_one_or_none()
    if time_entry is not None:
        reverse_entry(session, time_entry, effective_date=max(today, load_entry(session, time_entry).effective_date),
                      description=f"{why}: {claim.description}: the rest as time credits"[:500], actor_user_id=actor,
                      idempotency_key=f"claim:{claim.id}:reversal:time-credits")
    parts = session.execute(select(Claim).where(Claim.part_of_claim_id == claim.id).with_for_update()
                            .execution_options(populate_existing=True)).scalars().all()
    for part in parts:
        if part.status not in (*workflow.OPEN, *workflow.OWED):
            continue
        if part.payment_run_id is not None and part.status in workflow.OWED:
            raise Conflict(f"The rest of claim {claim.id} (claim {part.id}) is in payment run "
                           f"{part.payment_run_id}; cancel that run first.")
        step = action if workflow.CLAIM.allows(part.status, action) else "cancel"
        _transition(session, part, step, actor, reason=f"{why} with claim {claim.id}")
        if part.accrual_entry_id is not None and part.accrual_entry_id == claim.accrual_entry_id:
            part.reversal_entry_id = claim.reversal_entry_id
        elif part.accrual_entry_id is not None:
            _undo(session, part, today, actor, why)


def _refuse_part_alone(claim: Claim) -> None:
    """The group's part of a fee shares the fee's entry: it is rejected or cancelled with the fee only."""
    if claim.part_of_claim_id is not None and claim.choice == "redirect":
        raise Conflict(f"Claim {claim.id} is the part of claim {claim.part_of_claim_id} given to a group, approved "
                       f"with it: reject or cancel claim {claim.part_of_claim_id} instead.")


def _advance_of(session: Session, claim: Claim) -> Advance | None:
    return session.execute(
        select(Advance).where(Advance.settlement_claim_id == claim.id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def _undo(session: Session, claim: Claim, today: dt.date, actor: int | None, why: str) -> None:
    """Reverse the claim's accrual (if any) and free the advance it was to settle."""
    advance = _advance_of(session, claim)
    if claim.accrual_entry_id is not None:
        if advance is not None and _surplus_entry_id(session, advance) is not None:
            raise Conflict(f"What was left of advance {advance.id} has already been returned or netted off; "
                           "reverse that entry in the books first.")
        original = load_entry(session, claim.accrual_entry_id)
        reversal = reverse_entry(session, original.id, effective_date=max(today, original.effective_date),
                                 description=f"{why}: {claim.description}"[:500], actor_user_id=actor,
                                 idempotency_key=f"claim:{claim.id}:reversal")
        claim.reversal_entry_id = reversal.id
        if claim.kind == "expense":
            claim.amount_pence = claim.offered_pence  # undo the advance's share taken off at approval
    if advance is not None:
        if advance.status not in OUTSTANDING:
            move_advance(session, advance, "reopen", actor, note=f"{why}: claim {claim.id}")
        advance.settlement_claim_id = None
        advance.settlement_entry_id = None


def reject_claim(
    session: Session, claim_id: int, *, reason: str, actor_user_id: int, today: dt.date, rules: ClaimRules,
) -> ClaimRecord:
    """Refuse a claim with a reason the participant will see; after approval, the accrual is reversed.

    Later mileage its miles pushed into HMRC's lower band is repriced or flagged (``_reprice_mileage_after``).
    """
    reason = reason_given(reason, "Give the reason for rejecting the claim; the participant will see it.")
    claim = _load(session, claim_id, lock=True)
    if claim.payment_run_id is not None:
        raise Conflict(f"Claim {claim_id} is in payment run {claim.payment_run_id}; cancel that run first.")
    _refuse_part_alone(claim)
    _transition(session, claim, "reject", actor_user_id, reason=reason)
    claim.reason = reason
    claim.decided_at = utcnow()
    _undo(session, claim, today, actor_user_id, "Rejected")
    _undo_parts(session, claim, today, actor_user_id, "Rejected", "reject")
    _reprice_mileage_after(session, claim, rules, actor_user_id, "rejected")
    session.flush()
    return claim_record(session, claim)


def return_claim(session: Session, claim_id: int, *, reason: str, actor_user_id: int) -> ClaimRecord:
    """Send a submitted claim back for more information; any first approval is cleared."""
    reason = reason_given(reason, "Say what more information is needed.")
    claim = _load(session, claim_id, lock=True)
    _transition(session, claim, "return", actor_user_id, reason=reason)
    claim.reason = reason
    session.execute(delete(ClaimApproval).where(ClaimApproval.claim_id == claim.id))
    queue_claim_returned(session, claim, reason=reason, actor_user_id=actor_user_id)
    session.flush()
    return claim_record(session, claim)


# ---------------------------------------------------------------- amending, and redrafting a rejected fee

#: The fields a version keeps: what the participant and finance see and what the money is.
VERSIONED = ("description", "worked_minutes", "rate_pence", "offered_pence", "amount_pence", "time_minutes")
MAX_DESCRIPTION = 500
MAX_WORKED_MINUTES = 24 * 60


def _values(claim: Claim) -> dict[str, Any]:
    return {name: getattr(claim, name) for name in VERSIONED}


def _add_version(session: Session, claim: Claim, changes: dict, reason: str | None, actor: int | None, *,
                 redraft_of: int | None = None) -> int:
    """Keep the claim's fields as they now are as its next version; the first version is the claim as drafted."""
    latest = session.execute(select(func.max(ClaimVersion.version)).where(ClaimVersion.claim_id == claim.id)
                             ).scalar_one() or 0
    values = _values(claim) | _line_values(session, claim)
    session.add(ClaimVersion(claim_id=claim.id, version=latest + 1, values=values, changes=changes, reason=reason,
                             redraft_of_claim_id=redraft_of, changed_by_user_id=actor, changed_at=utcnow()))
    return latest + 1


def _amendment_note(version: int, changes: dict[str, Any]) -> str:
    """What an amendment changed, in the claim's history: each field, and each expense line, old to new."""
    said = [f"{name.replace('_', ' ')} {old} to {new}" for name, (old, new) in
            ((n, v) for n, v in changes.items() if n != "lines")]
    for line in changes.get("lines", []):
        said.append(f"line {line['line_id']}: "
                    + ", ".join(f"{k.replace('_', ' ')} {o} to {n}" for k, (o, n) in line["changed"].items()))
    return f"Version {version}: " + "; ".join(said)


def _line_values(session: Session, claim: Claim) -> dict[str, Any]:
    """An expense claim's lines as a version keeps them (receipts stay with the line, by its id)."""
    if claim.kind != "expense":
        return {}
    rows = session.execute(select(ExpenseLine).where(ExpenseLine.claim_id == claim.id).order_by(ExpenseLine.id))
    return {"lines": [{"line_id": r.id, "category": r.category, "description": r.description,
                       "amount_pence": r.amount_pence} for r in rows.scalars()]}


def _check_line_changes(session: Session, claim: Claim, lines: Any) -> list[tuple[ExpenseLine, dict[str, Any]]]:
    """Each change to an expense line checked before anything is changed; the field named as ``lines.<n>.*``."""
    if claim.kind != "expense":
        raise ValidationError("Only an expense claim has lines.", fields={"lines": ["Expense claims only."]})
    if not isinstance(lines, list) or not 1 <= len(lines) <= MAX_LINES:
        raise ValidationError(f"Give 1 to {MAX_LINES} line changes.", fields={"lines": [f"1 to {MAX_LINES}."]})
    mine = {r.id: r for r in session.execute(select(ExpenseLine).where(ExpenseLine.claim_id == claim.id)
                                             .with_for_update()).scalars()}
    checked: list[tuple[ExpenseLine, dict[str, Any]]] = []
    for index, change in enumerate(lines):
        field = f"lines.{index}"
        line_id = change.get("line_id") if isinstance(change, dict) else None
        row = mine.get(line_id) if isinstance(line_id, int) and not isinstance(line_id, bool) else None
        if row is None or any(row is done for done, _ in checked):
            raise ValidationError(f"{field}.line_id: not a line of claim {claim.id} (or named twice).",
                                  fields={f"{field}.line_id": [f"One of {', '.join(map(str, sorted(mine)))}."]})
        checked.append((row, _checked_line(row, change, field)))
    return checked


def _checked_line(row: ExpenseLine, change: dict, field: str) -> dict[str, Any]:
    wanted: dict[str, Any] = {}
    category, text, amount = change.get("category"), change.get("description"), change.get("amount")
    if row.category == "mileage" and (amount is not None or category not in (None, "mileage")):
        raise ValidationError(f"{field}: a mileage line is priced from its miles; only its description changes.",
                              fields={f"{field}.amount": ["Mileage is priced from the miles."]})
    if category is not None:
        if category not in EXPENSE_CATEGORIES or category == "mileage":
            kinds = ", ".join(k for k in EXPENSE_CATEGORIES if k != "mileage")
            raise ValidationError(f"{field}.category must be one of the kinds of expense (not mileage).",
                                  fields={f"{field}.category": [f"One of {kinds}."]})
        wanted["category"] = category
    if text is not None:
        words = text.strip() if isinstance(text, str) else ""
        if not words or len(words) > 500:
            raise ValidationError(f"{field}.description: say what the expense was (up to 500 characters).",
                                  fields={f"{field}.description": ["Required, up to 500 characters."]})
        wanted["description"] = words
    if amount is not None:
        wanted["amount_pence"] = pence_from(amount, f"{field}.amount", maximum=MAX_LINE_PENCE)
    return wanted


def _change_lines(session: Session, claim: Claim, checked: list[tuple[ExpenseLine, dict[str, Any]]]) -> list[dict]:
    """Change the lines in place and the claim's total with them; what changed on each, old and new."""
    said = []
    for row, wanted in checked:
        changed = {name: [getattr(row, name), value] for name, value in wanted.items() if getattr(row, name) != value}
        for name, (_old, value) in changed.items():
            setattr(row, name, value)
        if changed:
            said.append({"line_id": row.id, "changed": changed})
    session.flush()
    total = session.execute(select(func.sum(ExpenseLine.amount_pence)).where(ExpenseLine.claim_id == claim.id)
                            ).scalar_one()
    claim.offered_pence = claim.amount_pence = int(total)
    return said


def _check_amendment(claim: Claim, description: Any, worked_minutes: Any, lines: bool = False) -> dict[str, Any]:
    wanted: dict[str, Any] = {}
    if description is not None:
        text = description.strip() if isinstance(description, str) else ""
        if not 3 <= len(text) <= MAX_DESCRIPTION:
            raise ValidationError("The description must be 3 to 500 characters.",
                                  fields={"description": ["3 to 500 characters."]})
        wanted["description"] = text
    if worked_minutes is not None:
        if claim.kind != "fee":
            raise ValidationError("Only a fee is paid for time.", fields={"worked_minutes": ["Fees only."]})
        if not isinstance(worked_minutes, int) or isinstance(worked_minutes, bool) or \
                not 1 <= worked_minutes <= MAX_WORKED_MINUTES:
            raise ValidationError("Give the time worked in whole minutes, up to a day.",
                                  fields={"worked_minutes": [f"1 to {MAX_WORKED_MINUTES} minutes."]})
        if claim.choice not in ("take", "redirect", "decline", "time_credits") or claim.rest is not None:
            raise Conflict("The participant took part of this fee: ask them to choose again after the time changes.",
                           fields={"worked_minutes": ["part taken"]})
        wanted["worked_minutes"] = worked_minutes
    if not wanted and not lines:
        raise ValidationError("Nothing to change: give a new description, time worked or expense lines.",
                              fields={"description": ["Nothing changed."]})
    return wanted


def amend_claim(session: Session, claim_id: int, *, reason: Any, actor_user_id: int | None, rules: ClaimRules,
                description: Any = None, worked_minutes: Any = None, lines: Any = None) -> ClaimRecord:
    """Amend a submitted or returned claim: a new version (the history keeps every one); a first approval is
    cleared, since what was approved has changed. A fee's new time is priced again with the same rules.

    An expense claim's ``lines`` are changed in place (``[{line_id, amount?, category?, description?}]``), so
    their receipts stay attached to them; the claim's total follows. A mileage line is priced from its miles,
    so its amount and kind are not typed in: draw up a new claim for different miles.
    """
    claim = _load(session, claim_id, lock=True)
    why = reason_given(reason, "Say why the claim is amended.")
    if not workflow.CLAIM.allows(claim.status, "amend"):
        raise Conflict(f"Claim {claim_id} is {workflow.DESCRIBE[claim.status]}: only a claim not yet approved "
                       "can be amended.", fields={"status": [claim.status]})
    wanted = _check_amendment(claim, description, worked_minutes, lines is not None)
    line_changes = _check_line_changes(session, claim, lines) if lines is not None else []
    before = _values(claim) | _line_values(session, claim)
    if not session.execute(select(ClaimVersion.id).where(ClaimVersion.claim_id == claim.id)).first():
        session.add(ClaimVersion(claim_id=claim.id, version=1, values=before, changes={}, reason=None,
                                 changed_by_user_id=claim.created_by_user_id, changed_at=claim.created_at))
        session.flush()
    if "description" in wanted:
        claim.description = wanted["description"]
    if "worked_minutes" in wanted:
        _reprice_minutes(session, claim, wanted["worked_minutes"], rules)
    lines_changed = _change_lines(session, claim, line_changes) if line_changes else []
    changes: dict[str, Any] = {name: [before[name], value] for name, value in _values(claim).items()
                               if before[name] != value}
    if lines_changed:
        changes["lines"] = lines_changed
    version = _add_version(session, claim, changes, why, actor_user_id)
    session.execute(delete(ClaimApproval).where(ClaimApproval.claim_id == claim.id))
    _transition(session, claim, "amend", actor_user_id, reason=why, note=_amendment_note(version, changes),
                details={"version": version, "changes": changes})
    session.flush()
    return claim_record(session, claim)


def _reprice_minutes(session: Session, claim: Claim, minutes: int, rules: ClaimRules) -> None:
    activity = find_activity(session, claim.activity_id or 0)
    participant = find_participant(session, claim.participant_id)
    price = (_flat_fee if activity.flat_fee_pence else _by_the_hour)(activity, participant, minutes, rules)
    claim.worked_minutes, claim.rate_pence, claim.offered_pence = minutes, price.rate_pence, price.offered_pence
    _apply_choice(claim, claim.choice or "take", None, claim.group_id)


def redraft_fee(session: Session, claim_id: int, *, actor_user_id: int | None, rules: ClaimRules) -> ClaimRecord:
    """Redraft a rejected fee: a new draft for the same attendance, priced afresh, linked to the rejected one."""
    rejected = _load(session, claim_id, lock=True)
    if rejected.status != "rejected" or rejected.kind != "fee" or rejected.activity_id is None:
        raise Conflict(f"Claim {claim_id} is not a rejected fee: only a rejected fee can be redrafted.",
                       fields={"status": [rejected.status]})
    if rejected.paid_on is not None:
        raise Conflict(f"Claim {claim_id} was paid and reversed: recover what is owed back instead.",
                       fields={"status": ["reversed after payment"]})
    done = session.execute(select(ClaimVersion.claim_id).where(ClaimVersion.redraft_of_claim_id == claim_id)
                           ).scalar_one_or_none()
    if done is not None:
        raise Conflict(f"Claim {claim_id} was already redrafted as claim {done}.", fields={"claim_id": [str(done)]})
    activity = find_activity(session, rejected.activity_id)
    participant = find_participant(session, rejected.participant_id)
    minutes = rejected.worked_minutes or activity.duration_minutes
    price = (_flat_fee if activity.flat_fee_pence else _by_the_hour)(activity, participant, minutes, rules)
    choice, group_id = default_choice(participant)
    claim = Claim(
        participant_id=rejected.participant_id, project_id=rejected.project_id, activity_id=rejected.activity_id,
        kind="fee", status="draft", idempotency_key=f"{rejected.idempotency_key}:redraft-of:{rejected.id}"[:200],
        description=rejected.description, worked_minutes=minutes, rate_pence=price.rate_pence,
        rate_basis=price.basis[:120], offered_pence=price.offered_pence, assisted=False,
        created_by_user_id=actor_user_id, choice_recorded_by_user_id=actor_user_id, choice_recorded_at=utcnow(),
        legal_minimum_pence=price.legal_minimum_pence, minimum_note=price.minimum_note,
        rate_stale_since=price.rate_stale_since, rate_warning=price.rate_warning)
    _apply_choice(claim, choice, None, group_id)
    session.add(claim)
    session.flush()
    _add_version(session, claim, {}, f"Redraft of rejected claim {rejected.id}", actor_user_id,
                 redraft_of=rejected.id)
    _event(session, claim, "draft", None, actor_user_id, note=f"Redrafted from rejected claim {rejected.id}",
           details={"redraft_of_claim_id": rejected.id})
    _event(session, rejected, "redrafted", rejected.status, actor_user_id, note=f"Redrafted as claim {claim.id}",
           details={"redraft_claim_id": claim.id})
    session.flush()
    return claim_record(session, claim)


@dataclass(frozen=True, slots=True)
class AttendanceCorrection:
    """What correcting an attendance did to the fees drafted from it."""

    activity_id: int
    participant_id: int
    attended: bool
    minutes: int | None
    repriced_claim_ids: tuple[int, ...]  # open fees that followed the correction
    cancelled_claim_ids: tuple[int, ...]  # open fees for an attendance that did not happen
    flagged_claim_ids: tuple[int, ...]  # approved or paid fees, flagged: correct them after payment


def _fees_of_attendance(session: Session, activity_id: int, participant_id: int) -> list[Claim]:
    return list(session.execute(
        select(Claim).where(Claim.activity_id == activity_id, Claim.participant_id == participant_id,
                            Claim.kind == "fee", Claim.status.in_((*workflow.OPEN, *workflow.DECIDED)))
        .order_by(Claim.id).with_for_update()).scalars())


def correct_attendance(session: Session, activity_id: int, participant_id: int, *, attended: Any, minutes: Any,
                       reason: Any, actor_user_id: int | None, rules: ClaimRules) -> AttendanceCorrection:
    """Correct an attendance (how long, or that it did not happen); the fees drafted from it follow.

    Open fees (draft, submitted, returned) are priced again (or cancelled when there was no attendance), each
    as a new version; approved or paid ones are never changed here: each is flagged, in its history, for
    finance to correct (cancel, or reverse after payment, and redraft).
    """
    why = reason_given(reason, "Say why the attendance is corrected.")
    row = session.execute(select(Attendance).where(Attendance.activity_id == activity_id,
                                                   Attendance.participant_id == participant_id)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"Participant {participant_id} is not recorded at activity {activity_id}.",
                       fields={"participant_id": ["No attendance recorded."]})
    if not isinstance(attended, bool):
        raise ValidationError("Say whether they attended.", fields={"attended": ["true or false."]})
    activity = find_activity(session, activity_id)
    if attended and (not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 24 * 60):
        raise ValidationError("Give the minutes they attended, 1 to 1440.", fields={"minutes": ["1 to 1440."]})
    fees = _fees_of_attendance(session, activity_id, participant_id)
    repriced, cancelled, flagged = [], [], []
    for claim in fees:
        if claim.status in workflow.DECIDED:
            _event(session, claim, "flagged_for_correction", claim.status, actor_user_id, reason=why,
                   note="The attendance this fee was drafted from was corrected after approval: correct the fee.")
            flagged.append(claim.id)
        elif not attended:
            _transition(session, claim, "cancel", actor_user_id, reason=f"Did not attend: {why}")
            cancelled.append(claim.id)
        elif claim.choice in ("take", "redirect", "decline", "time_credits") and claim.rest is None:
            amend_claim(session, claim.id, reason=f"Attendance corrected: {why}", actor_user_id=actor_user_id,
                        rules=rules, worked_minutes=minutes + (activity.preparation_minutes or 0))
            repriced.append(claim.id)
        else:
            flagged.append(claim.id)
    _record_attendance_change(session, row, attended, minutes, why, actor_user_id, activity.duration_minutes)
    session.flush()
    return AttendanceCorrection(activity_id, participant_id, attended, minutes if attended else None,
                                tuple(repriced), tuple(cancelled), tuple(flagged))


def _record_attendance_change(session: Session, row: Attendance, attended: bool, minutes: int | None, why: str,
                              actor: int | None, duration: int) -> None:
    before = row.actual_minutes or duration
    record_event(session, NewEvent(
        subject="participant", subject_id=row.participant_id, actor_user_id=actor, reason=why,
        action="correct_attendance" if attended else "remove_attendance", participant_id=row.participant_id,
        details={"activity_id": row.activity_id, "minutes_before": before, "minutes_after": minutes if attended
                 else None}))
    if attended:
        row.actual_minutes = None if minutes == duration else minutes
    else:
        session.delete(row)


@dataclass(frozen=True, slots=True)
class ClaimVersionRecord:
    version: int
    values: dict
    changes: dict
    reason: str | None
    redraft_of_claim_id: int | None
    changed_by_user_id: int | None
    changed_at: dt.datetime


def claim_versions(session: Session, claim_id: int) -> list[ClaimVersionRecord]:
    """Every version of the claim, oldest first (none until it is first amended or when it is a redraft)."""
    _load(session, claim_id)
    return [ClaimVersionRecord(version=v.version, values=v.values, changes=v.changes, reason=v.reason,
                               redraft_of_claim_id=v.redraft_of_claim_id, changed_by_user_id=v.changed_by_user_id,
                               changed_at=v.changed_at)
            for v in session.execute(select(ClaimVersion).where(ClaimVersion.claim_id == claim_id)
                                     .order_by(ClaimVersion.version)).scalars()]


def cancel_claim(
    session: Session, claim_id: int, *, actor_user_id: int | None, today: dt.date, rules: ClaimRules,
    reason: str | None = None, may_reverse: bool = True,
) -> ClaimRecord:
    """Cancel a claim before payment; after approval its accrual is reversed (``may_reverse``: finance only).

    Later mileage its miles pushed into HMRC's lower band is repriced or flagged (``_reprice_mileage_after``).
    """
    claim = _load(session, claim_id, lock=True)
    if claim.status in workflow.OWED and not may_reverse:
        raise PermissionDenied("This claim is approved: only finance can cancel it (its accrual is reversed).")
    if claim.payment_run_id is not None and claim.status in workflow.OWED:
        raise Conflict(f"Claim {claim_id} is in payment run {claim.payment_run_id}; cancel that run first.")
    _refuse_part_alone(claim)
    _transition(session, claim, "cancel", actor_user_id, reason=reason)
    _undo(session, claim, today, actor_user_id, "Cancelled")
    _undo_parts(session, claim, today, actor_user_id, "Cancelled", "cancel")
    _reprice_mileage_after(session, claim, rules, actor_user_id, "cancelled")
    session.flush()
    return claim_record(session, claim)


def mark_claims_paid(
    session: Session, *, payment_run_id: int, paid_on: dt.date, actor_user_id: int | None, note: str,
) -> list[int]:
    """The payment run's ``pay`` transition for every approved claim in it, each recorded in its history.

    One guarded ``UPDATE`` moves them all (a claim cancelled or reversed since the run was drafted is no
    longer approved and is not touched); the caller compares the count with the run's.
    """
    (owed,) = workflow.OWED  # one status is "approved and waiting to be paid"
    paid = workflow.next_status(owed, "pay")
    claims = Claim.__table__
    rows = session.execute(
        update(claims)
        .where(claims.c.payment_run_id == payment_run_id, claims.c.status == owed)
        .values(status=paid, paid_on=paid_on)
        .returning(claims.c.id, claims.c.participant_id)
    ).all()
    record_events(session, (
        NewEvent(subject="claim", subject_id=row.id, action="pay", actor_user_id=actor_user_id, before=owed,
                 after=paid, note=note, participant_id=row.participant_id, claim_id=row.id,
                 payment_run_id=payment_run_id)
        for row in rows
    ))
    return [row.id for row in rows]


def mark_claims_returned(
    session: Session, *, payment_run_id: int, claim_ids: Sequence[int], actor_user_id: int | None, note: str,
) -> list[int]:
    """The ``payment_returned`` transition: the bank sent the payment back, so these paid claims are owed again.

    One guarded ``UPDATE`` moves those still paid in this run back to approved and unpaid (out of the run), so
    that a later run can pay them once the payee's bank details are changed; each is recorded in its history.
    """
    (paid,) = workflow.CLAIM.statuses_allowing("payment_returned")
    owed = workflow.next_status(paid, "payment_returned")
    claims = Claim.__table__
    rows = session.execute(
        update(claims)
        .where(claims.c.id.in_(list(claim_ids)), claims.c.payment_run_id == payment_run_id, claims.c.status == paid)
        .values(status=owed, paid_on=None, payment_run_id=None)
        .returning(claims.c.id, claims.c.participant_id)
    ).all()
    record_events(session, (
        NewEvent(subject="claim", subject_id=row.id, action="payment_returned", actor_user_id=actor_user_id,
                 before=paid, after=owed, note=note, participant_id=row.participant_id, claim_id=row.id,
                 payment_run_id=payment_run_id)
        for row in rows
    ))
    return sorted(row.id for row in rows)


# ---------------------------------------------------------------- mileage repriced after a claim stops counting


def _repriced_lines(changes: Sequence[LineRepriced]) -> str:
    return "; ".join(f"line {c.line_id} ({c.miles} miles on {c.incurred_on:%d %B %Y}): {gbp(c.priced_pence)} "
                     f"to {gbp(c.due_pence)}" for c in changes)


def _reprice_mileage_after(session: Session, stopped: Claim, rules: ClaimRules, actor: int | None,
                           how: str) -> None:
    """Make good the mileage that ``stopped``'s miles (now rejected or cancelled) pushed into the lower band.

    The participant's later live claims are locked in id order first, so that nothing reprices them at the
    same time. An open claim is repriced: its lines and totals go up and any first approval is cleared, since
    what was approved has changed. An approved or paid claim is never changed in the books: it is flagged
    with what it was underpaid, for a top-up claim to pay. Each claim's event gives the old and new amounts.
    """
    if not banded_tax_years(session, stopped.id):
        return
    session.execute(
        select(Claim.id).where(Claim.participant_id == stopped.participant_id, Claim.id > stopped.id,
                               Claim.status.in_(workflow.LIVE)).order_by(Claim.id).with_for_update()
    ).all()
    try:
        changes = mileage_repricing(session, stopped, rules.rulebook)
    except PolicyError as error:
        raise Conflict(f"The mileage of this participant's later claims cannot be repriced: {error}") from None
    by_claim: dict[int, list[LineRepriced]] = {}
    for change in changes:
        by_claim.setdefault(change.claim_id, []).append(change)
    why = (f"Claim {stopped.id} was {how}, so its miles no longer count towards HMRC's 10,000-mile band and "
           "more of these miles are paid at the higher rate")
    for claim_id, lines in by_claim.items():
        later = _load(session, claim_id, lock=True)
        if later.status in workflow.OPEN:
            _reprice_open_claim(session, later, lines, actor, why, stopped.id)
        else:
            _flag_underpaid_mileage(session, later, lines, actor, why, stopped.id)


def _reprice_open_claim(session: Session, claim: Claim, changes: Sequence[LineRepriced], actor: int | None,
                        why: str, cause_id: int) -> None:
    """Raise an open claim's mileage lines and totals to their new price; clear any first approval."""
    before = claim.offered_pence
    for change in changes:
        session.get_one(ExpenseLine, change.line_id).amount_pence = change.due_pence
    difference = sum(c.difference_pence for c in changes)
    claim.offered_pence += difference
    claim.amount_pence += difference
    # A DELETE's result is a CursorResult; Session.execute is typed with the general Result.
    cleared = cast(CursorResult[Any], session.execute(
        delete(ClaimApproval).where(ClaimApproval.claim_id == claim.id))).rowcount
    _event(session, claim, "reprice", claim.status, actor,
           note=f"Mileage repriced. {why}: {_repriced_lines(changes)}. Total {gbp(before)} to "
                f"{gbp(claim.offered_pence)}." + (" The first approval is cleared: what was approved has changed."
                                                  if cleared else ""),
           details={"cause_claim_id": cause_id, "old_total_pence": before, "new_total_pence": claim.offered_pence,
                    "lines": [c.to_json() for c in changes], "approvals_cleared": cleared})


def _flag_underpaid_mileage(session: Session, claim: Claim, changes: Sequence[LineRepriced], actor: int | None,
                            why: str, cause_id: int) -> None:
    """Record what an approved or paid claim was underpaid; its lines and the books stay as approved."""
    owed = sum(c.difference_pence for c in changes)
    claim.repricing_owed_pence = (claim.repricing_owed_pence or 0) + owed
    _event(session, claim, "reprice_owed", claim.status, actor,
           note=f"Underpaid {gbp(owed)} for mileage. {why}: {_repriced_lines(changes)}. The claim is {claim.status} "
                "and is not changed: draft a top-up claim to pay the difference.",
           details={"cause_claim_id": cause_id, "owed_pence": owed, "total_owed_pence": claim.repricing_owed_pence,
                    "lines": [c.to_json() for c in changes]})


def _topped_up_pence(session: Session, claim: Claim) -> int:
    return session.execute(
        select(func.coalesce(func.sum(Claim.offered_pence), 0))
        .where(Claim.tops_up_claim_id == claim.id, Claim.status.in_(workflow.LIVE))).scalar_one()


def draft_mileage_top_up(session: Session, claim_id: int, *, actor_user_id: int | None) -> tuple[ClaimRecord, bool]:
    """Draft an expense claim paying what an approved or paid claim's mileage was underpaid after repricing.

    It has one line (category ``other``: the miles are already counted on the original claim) for the amount
    still outstanding, and goes through the workflow like any claim. Asked again with nothing outstanding, it
    returns the top-up already drafted; a top-up rejected or cancelled leaves the amount outstanding again.
    """
    claim = _load(session, claim_id, lock=True)
    if claim.status not in workflow.DECIDED:
        raise Conflict(f"Claim {claim_id} is {workflow.DESCRIBE[claim.status]}: only an approved or paid claim's "
                       "repriced mileage is paid by a top-up; an open claim is repriced itself.",
                       fields={"status": [claim.status]})
    outstanding = (claim.repricing_owed_pence or 0) - _topped_up_pence(session, claim)
    earlier = session.execute(select(Claim).where(Claim.tops_up_claim_id == claim.id)
                              .order_by(Claim.id.desc())).scalars().all()
    if outstanding <= 0:
        if earlier and earlier[0].status in workflow.LIVE:
            return claim_record(session, earlier[0]), False
        raise Conflict(f"Nothing is owed on claim {claim_id} for repriced mileage.",
                       fields={"repricing_owed": ["Nothing owed."]})
    day = max((line.incurred_on for line in session.execute(
        select(ExpenseLine).where(ExpenseLine.claim_id == claim.id)).scalars()), default=utcnow().date())
    top_up = Claim(
        participant_id=claim.participant_id, project_id=claim.project_id, activity_id=claim.activity_id,
        kind="expense", status="draft", idempotency_key=f"top-up:claim:{claim.id}:{len(earlier) + 1}",
        description=f"Mileage underpaid on claim {claim.id}, repriced after an earlier claim stopped counting",
        offered_pence=outstanding, amount_pence=outstanding, time_minutes=0, assisted=False,
        created_by_user_id=actor_user_id, tops_up_claim_id=claim.id,
    )
    session.add(top_up)
    session.flush()
    session.add(ExpenseLine(claim_id=top_up.id, category="other", incurred_on=day, amount_pence=outstanding,
                            description=f"Mileage difference owed on claim {claim.id} (HMRC band repriced)"))
    _event(session, top_up, "draft", None, actor_user_id,
           note=f"Top-up of {gbp(outstanding)} for the mileage underpaid on claim {claim.id}")
    _event(session, claim, "top_up", claim.status, actor_user_id,
           note=f"Top-up claim {top_up.id} drafted for the {gbp(outstanding)} of mileage still owed")
    session.flush()
    return claim_record(session, top_up), True


# ---------------------------------------------------------------- advances


def pay_advance(
    session: Session, *, participant_id: int, project_code: str, amount: Any, paid_on: dt.date,
    idempotency_key: str, actor_user_id: int | None, activity_id: int | None = None,
) -> AdvanceRecord:
    """Pay expenses in advance to someone who cannot wait for reimbursement (settled by receipts later)."""
    find_participant(session, participant_id)
    activity = find_activity(session, activity_id) if activity_id is not None else None
    project = project_for(session, project_code, activity)
    pence = pence_from(amount, "amount", maximum=MAX_LINE_PENCE)
    key = _check_key(idempotency_key)
    open_organisation_accounts(session)
    entry = post_entry(
        session, effective_date=paid_on, description=f"Expenses paid in advance, project {project.code}",
        postings=[PostingLine(participant_accounts(participant_id).advance, pence, "GBP", kind=PostingKind.ADVANCE),
                  PostingLine(BANK, -pence, "GBP")],
        idempotency_key=f"advance:participant:{participant_id}:{key}", actor_user_id=actor_user_id,
        kind="advance_paid",
    )
    advance = session.execute(select(Advance).where(Advance.paid_entry_id == entry.id)).scalar_one_or_none()
    if advance is None:
        advance = Advance(participant_id=participant_id, project_id=project.id, activity_id=activity_id,
                          amount_pence=pence, paid_on=paid_on, status="paid", paid_entry_id=entry.id,
                          created_by_user_id=actor_user_id)
        session.add(advance)
        session.flush()
        record_advance_event(session, advance, "pay", None, actor_user_id, entry_id=entry.id,
                       note=f"£{Decimal(pence) / 100:.2f} paid in advance for project {project.code}")
    return advance_record(session, advance)


SURPLUS_SETTLED = ("returned", "netted", "kept")


def settle_advance_surplus(
    session: Session, advance_id: int, *, how: str, on: dt.date, actor_user_id: int | None,
    reason: str | None = None,
) -> AdvanceRecord:
    """Clear what the receipts left of an advance: paid back, netted off what they are owed, or kept.

    Netting takes the surplus off the participant's approved, unpaid expense claims (oldest first, none in a
    payment run), so that the next payment run pays that much less. Only expenses are netted: taking it off a
    fee would make the fee look smaller than it is to the benefit rules. An advance no claim has used can be
    cleared whole (the event did not happen). Kept: the organisation writes the surplus off and the person
    keeps it (with a reason), which is money above their costs: it counts as earnings for the benefit rules
    on the day it is written off (posted as ``advance_surplus_kept``).
    """
    if how not in SURPLUS_SETTLED:
        raise ValidationError("how must be 'returned' (paid back), 'netted' (taken off what they are owed) or "
                              "'kept' (written off: the participant keeps it).",
                              fields={"how": ["One of returned, netted, kept."]})
    if how == "kept":
        reason = reason_given(reason, "Say why the participant keeps what is left of the advance.")
    advance = session.execute(
        select(Advance).where(Advance.id == advance_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if advance is None:
        raise NotFound(f"There is no advance {advance_id}.")
    if advance.paid_entry_id is None:
        raise Conflict(f"Advance {advance_id} is {ADVANCE.describe.get(advance.status, advance.status)}: nothing "
                       "has been paid, so nothing is left to return or net off.", fields={"status": [advance.status]})
    if advance.status in OUTSTANDING and advance.settlement_claim_id is not None:
        raise Conflict(f"Advance {advance_id} is to be settled by claim {advance.settlement_claim_id}; approve, "
                       "reject or cancel that claim first.")
    if _surplus_entry_id(session, advance) is not None:
        raise Conflict(f"What was left of advance {advance_id} has already been returned or netted off.")
    surplus = advance.amount_pence - _used(session, advance)
    if surplus <= 0:
        raise Conflict(f"The receipts used all of advance {advance_id}: nothing is left to return or net off.")
    if how == "netted":
        _net_off(session, advance, surplus, actor_user_id)
    open_organisation_accounts(session)
    entry = post_entry(session, effective_date=on, description=f"Advance {advance.id}: surplus {how}",
                       idempotency_key=_surplus_key(advance),
                       postings=_surplus_postings(session, advance, how, surplus),
                       actor_user_id=actor_user_id, kind=f"advance_surplus_{how}")
    move_advance(session, advance, "settle" if advance.status in OUTSTANDING else "clear_surplus", actor_user_id,
                        entry_id=entry.id, note=f"£{Decimal(surplus) / 100:.2f} left of the advance {how}",
                        reason=reason if how == "kept" else None)
    session.flush()
    return advance_record(session, advance)


def _surplus_postings(session: Session, advance: Advance, how: str, surplus: int) -> list[PostingLine]:
    """Where what is left of an advance goes: back to the bank, off expenses owed, or written off as kept."""
    person = participant_accounts(advance.participant_id)
    if how == "returned":
        debit = PostingLine(BANK, surplus, "GBP")
    elif how == "netted":
        debit = PostingLine(person.owed, surplus, "GBP", kind=PostingKind.EXPENSE)
    else:
        debit = PostingLine(project_accounts(session.get_one(Project, advance.project_id).code).expenses, surplus,
                            "GBP")
    kind = PostingKind.ADVANCE_SURPLUS_KEPT if how == "kept" else PostingKind.ADVANCE_REPAID
    return [debit, PostingLine(person.advance, -surplus, "GBP", kind=kind)]


def _net_off(session: Session, advance: Advance, surplus: int, actor: int | None) -> None:
    owed = session.execute(
        select(Claim).where(Claim.participant_id == advance.participant_id, Claim.kind == "expense",
                            Claim.status.in_(workflow.OWED), Claim.payment_run_id.is_(None), Claim.amount_pence > 0)
        .order_by(Claim.id).with_for_update().execution_options(populate_existing=True)
    ).scalars().all()
    if sum(c.amount_pence for c in owed) < surplus:
        raise Conflict(f"The participant is owed less than the £{Decimal(surplus) / 100:.2f} left of advance "
                       f"{advance.id} in approved, unpaid expenses; ask for it back instead, or net it off later.",
                       fields={"how": ["Not enough owed to net off."]})
    left = surplus
    for claim in owed:
        taken = min(left, claim.amount_pence)
        claim.amount_pence -= taken
        _event(session, claim, "net_off", claim.status, actor,
               note=f"£{Decimal(taken) / 100:.2f} left of advance {advance.id} netted off")
        left -= taken
        if left == 0:
            break


def _surplus_key(advance: Advance) -> str:
    return f"advance:{advance.id}:surplus"


def _surplus_entry_id(session: Session, advance: Advance) -> int | None:
    """The entry that returned or netted the advance's surplus, unless that entry has been reversed."""
    entry_id = session.execute(
        select(JournalEntry.id).where(JournalEntry.idempotency_key == _surplus_key(advance))).scalar_one_or_none()
    if entry_id is None or session.execute(
            select(JournalEntry.id).where(JournalEntry.reverses_entry_id == entry_id)).first():
        return None
    return entry_id


def _used(session: Session, advance: Advance) -> int:
    """How much of the advance the receipts used (credited to the advance account by the settlement entry)."""
    if advance.settlement_entry_id is None:
        return 0
    account = participant_accounts(advance.participant_id).advance
    return -sum(p.amount for p in load_entry(session, advance.settlement_entry_id).postings if p.account == account)


def advance_is_overdue(advance: Advance, today: dt.date | None) -> bool:
    """Paid, past the day its receipts were due, and no expense claim has yet brought them in."""
    return (today is not None and advance.settle_by is not None and advance.settle_by < today
            and advance.status in OUTSTANDING and advance.settlement_claim_id is None)


def advance_record(session: Session, advance: Advance, today: dt.date | None = None) -> AdvanceRecord:
    """The advance as screens and the API show it; ``today`` says whether it is overdue."""
    settled = advance.settlement_entry_id is not None
    used = _used(session, advance) if settled else None
    approvals = session.execute(select(func.count()).select_from(AdvanceApproval)
                                .where(AdvanceApproval.advance_id == advance.id)).scalar_one()
    return AdvanceRecord(
        id=advance.id, participant_id=advance.participant_id,
        project_code=session.get_one(Project, advance.project_id).code, amount_pence=advance.amount_pence,
        paid_on=advance.paid_on, status=advance.status, paid_entry_id=advance.paid_entry_id,
        settlement_claim_id=advance.settlement_claim_id, settlement_entry_id=advance.settlement_entry_id,
        used_pence=used, surplus_pence=None if used is None else advance.amount_pence - used,
        surplus_entry_id=_surplus_entry_id(session, advance), purpose=advance.purpose, settle_by=advance.settle_by,
        requested_by_user_id=advance.requested_by_user_id, rejection_reason=advance.rejection_reason,
        paid_by=advance.paid_by, paid_reference=advance.paid_reference, approvals=approvals,
        overdue=advance_is_overdue(advance, today), payment_run_id=advance.payment_run_id,
    )

