"""Journal entries finance makes by hand: the one way in for the API and the manual entries page.

The claims, payment runs and time bank post through ``ledger.books.posting.post_entry`` themselves; every
entry a person types goes through here first, so that a manual entry cannot bypass the rules those keep:

- it needs a **reason** (why it is posted by hand), kept with the entry;
- it may not use an entry kind or idempotency namespace the system uses (``ledger.books.kinds``), so it can
  never pass for a claim, a run, an advance or a time-bank transfer;
- it may not **present itself as a payment run**: refused when its kind is ``payment`` or starts with
  ``payment_run`` / ``payment-run``, when its idempotency key contains ``payment-run`` / ``payment_run``
  anywhere, or when its description starts with "Payment run" (how runs describe their entries). A
  description that merely mentions a run later on ("Paid by cheque: missed by payment run PR-7") is allowed;
- it may not leave a participant or a group **owed money no payment run will pay**: per account, its postings
  to ``owed:participant:*`` / ``owed:group:*`` must not add up to a credit;
- nor may it **pay what an approved claim owes** outside the claim: per account, those postings must not add
  up to a debit either. Money owed there is owed by claims; a debit by hand would pay it while the claim stays
  approved and payable, so the next payment run would pay it again (or be refused for paying more than the
  books say is owed) and the claim's history would never say it was paid. An auditor wants one record of each
  payment of a claim, with the claim marked paid through its own transition table: that is the payment run
  (or, for a claim a run cannot pay, reversing the claim). A fee recorded and paid by hand in the same entry
  (credit and debit of what is owed, netting to zero) involves no claim and is still allowed;
- time credits never go below zero (or the organisation's overdraft): ``post_entry`` enforces it for every
  writer; the caller passes the configured overdraft;
- above the configured amount (the sum of its debits in pounds, more than
  ``MANUAL_ENTRY_SECOND_APPROVAL_ABOVE_PENCE``) it is stored as a proposal and reaches the books only when a
  *different* finance user approves it.

A manual reversal (``reverse_by_hand``) follows the same owed-money rule, and may not reverse an entry the
system posted (reverse a claim through the claim, a run through the run).

Each status change is an event (subject ``manual_entry``). Nothing here commits: the caller's unit of work
does, so a refusal leaves nothing written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ledger.books import posting
from ledger.books.kinds import is_reserved_key, is_reserved_kind
from ledger.books.models import JournalEntry, ManualEntry
from ledger.books.records import Entry, PostingLine
from ledger.db import utcnow
from ledger.errors import Conflict, IdempotencyConflict, NotFound, PermissionDenied, ValidationError
from ledger.events.records import NewEvent
from ledger.events.writer import record_event
from ledger.workflow import Workflow

MAX_REASON = 2000
OWED_ACCOUNTS = ("owed:participant:", "owed:group:")

#: The one table of manual-entry transitions. A manual entry at or below the amount starts ``posted``; above
#: it, it starts ``waiting_for_approval``.
MANUAL_ENTRY = Workflow(
    "manual journal entry",
    {("waiting_for_approval", "approve"): "posted", ("waiting_for_approval", "reject"): "rejected"},
    {"waiting_for_approval": "waiting for a second finance user", "posted": "already posted",
     "rejected": "rejected"},
)
WAITING = MANUAL_ENTRY.statuses_allowing("approve")

_RUN_KIND = re.compile(r"^payment([_\- ]run.*)?$", re.IGNORECASE)
_RUN_KEY = re.compile(r"payment[_\- ]run", re.IGNORECASE)
_RUN_DESCRIPTION = re.compile(r"^\s*payment[_\- ]run\b", re.IGNORECASE)

_manual = ManualEntry.__table__


@dataclass(frozen=True, slots=True)
class ManualDraft:
    """What a person typed for one manual entry."""

    effective_date: dt.date
    description: str
    reason: str
    idempotency_key: str
    postings: tuple[PostingLine, ...]
    kind: str = "manual"


@dataclass(frozen=True, slots=True)
class ManualEntryRecord:
    id: int
    status: str
    effective_date: dt.date
    description: str
    reason: str
    kind: str
    idempotency_key: str
    postings: tuple[PostingLine, ...]
    gbp_debits_pence: int
    needs_second_user: bool
    proposed_by: int
    proposed_at: dt.datetime
    decided_by: int | None
    decided_at: dt.datetime | None
    rejection_reason: str | None
    entry_id: int | None


@dataclass(frozen=True, slots=True)
class Submitted:
    """What submitting a manual entry did: posted it (``entry``), or left it waiting for a second user."""

    record: ManualEntryRecord | None  # None only for a replay of an entry posted before manual entries were kept
    entry: Entry | None

    @property
    def waiting(self) -> bool:
        return self.record is not None and self.record.needs_second_user


# ---------------------------------------------------------------- the rules


def check_manual_rules(draft: ManualDraft) -> None:
    """Refuse, naming the field, a manual entry that would bypass what claims, runs and the time bank keep."""
    reason = draft.reason if isinstance(draft.reason, str) else ""
    if not reason.strip():
        raise ValidationError("Say why this entry is posted by hand: a reason is required.",
                              fields={"reason": ["required"]})
    if len(reason) > MAX_REASON:
        raise ValidationError(f"The reason is longer than {MAX_REASON} characters.", fields={"reason": ["too long"]})
    _check_not_a_run(draft)
    if is_reserved_kind(draft.kind):
        raise ValidationError(f"The kind {draft.kind!r} is the system's (claims, runs, the time bank); a manual "
                              "entry cannot use it. Use 'manual' or a kind of your own.",
                              fields={"kind": ["reserved for the system"]})
    if is_reserved_key(draft.idempotency_key):
        raise ValidationError(f"The idempotency key {draft.idempotency_key!r} is in a namespace the system uses "
                              "(claim:, payment-run:, advance:, time-credits:, reversal-of:, demo:); choose "
                              "another, for example manual:cheque-1.",
                              fields={"idempotency_key": ["reserved for the system"]})
    posting.check_entry_shape(draft.description, draft.postings, draft.idempotency_key)
    refusal = owed_credit_refusal(draft.postings)
    if refusal is not None:
        raise refusal


def _check_not_a_run(draft: ManualDraft) -> None:
    """A manual entry may not look like a payment run's: by its kind, its key or how its description starts."""
    if isinstance(draft.kind, str) and _RUN_KIND.match(draft.kind.strip()):
        raise ValidationError("Only a payment run posts payments of kind 'payment'; record a payment by hand "
                              "with the kind 'manual'.", fields={"kind": ["presents itself as a payment run"]})
    if isinstance(draft.idempotency_key, str) and _RUN_KEY.search(draft.idempotency_key):
        raise ValidationError("An idempotency key naming a payment run is the run's; choose another, for example "
                              "manual:cheque-1.", fields={"idempotency_key": ["presents itself as a payment run"]})
    if isinstance(draft.description, str) and _RUN_DESCRIPTION.match(draft.description):
        raise ValidationError("A description starting 'Payment run' is how a run's payments read; say what this "
                              "entry is instead (for example 'Fee paid by cheque').",
                              fields={"description": ["presents itself as a payment run"]})


def owed_credit_refusal(postings: Sequence[PostingLine]) -> ValidationError | None:
    """The refusal for lines that, per account, change what a participant or group is owed.

    A net credit leaves them owed money no run would pay; a net debit pays what a claim owes while the claim
    stays payable (see the module's docstring): both are refused; a net zero (a fee paid by hand) is not.
    """
    net: dict[str, int] = defaultdict(int)
    first_credit: dict[str, int] = {}
    first_debit: dict[str, int] = {}
    for i, p in enumerate(postings):
        if isinstance(p.account, str) and p.account.startswith(OWED_ACCOUNTS):
            net[p.account] += p.amount
            (first_credit if p.amount < 0 else first_debit).setdefault(p.account, i)
    for code in sorted(net):
        if net[code] < 0:
            i = first_credit[code]
            return ValidationError(
                f"Posting {i + 1} makes {code} owed {_pounds(-net[code])} more, which no payment run would pay. "
                "Owed money comes from an approved claim; a payment by hand debits what is owed in the same "
                "entry.", fields={f"postings.{i}.account": ["leaves a person owed money no run will pay"]})
        if net[code] > 0:
            i = first_debit[code]
            return ValidationError(
                f"Posting {i + 1} pays {_pounds(net[code])} of what {code} is owed by hand. That money is owed by "
                "approved claims, which would stay payable and be paid again by the next payment run: pay the "
                "claims in a payment run (or reverse a claim that should not be paid) instead.",
                fields={f"postings.{i}.account": ["pays what a claim owes outside the claim"]})
    return None


def _pounds(pence: int) -> str:
    return f"£{Decimal(pence).scaleb(-2):,.2f}"


def gbp_debits(postings: Sequence[PostingLine]) -> int:
    """The size of an entry for the second-approval rule: its debits in pounds, in pence."""
    return sum(p.amount for p in postings if p.unit == "GBP" and p.amount > 0)


def draft_hash(draft: ManualDraft) -> str:
    """Fingerprint of what a manual entry says, reason included, to tell a replay from a reused key."""
    body = {"entry": posting.content_hash(draft.effective_date, draft.description, draft.kind, None, draft.postings),
            "reason": draft.reason}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


# ---------------------------------------------------------------- submitting


def submit_manual_entry(session: Session, draft: ManualDraft, *, actor_user_id: int,
                        second_approval_above_pence: int, time_credit_floor_minutes: int = 0) -> Submitted:
    """Post a manual entry at once, or keep it for a second finance user when it is above the amount.

    Replaying the same key with the same content returns what the first call made (the entry or the proposal);
    the same key with different content is an IdempotencyConflict.
    """
    draft = ManualDraft(draft.effective_date, draft.description, draft.reason, draft.idempotency_key,
                        tuple(draft.postings), draft.kind)
    check_manual_rules(draft)
    existing = _by_key(session, draft.idempotency_key)
    if existing is not None:
        return _replay(session, existing, draft)
    if session.execute(select(JournalEntry.id).where(JournalEntry.idempotency_key == draft.idempotency_key)
                       ).scalar_one_or_none() is not None:
        # An entry posted before manual entries were kept: post_entry returns it, or refuses a different one.
        return Submitted(None, _post(session, draft, actor_user_id, time_credit_floor_minutes))
    size = gbp_debits(draft.postings)
    if size <= second_approval_above_pence:
        entry = _post(session, draft, actor_user_id, time_credit_floor_minutes)
        record = _insert(session, draft, actor_user_id, size, needs_second_user=False, entry_id=entry.id)
        record_event(session, NewEvent(subject="manual_entry", subject_id=record.id, action="post",
                                       actor_user_id=actor_user_id, after="posted", reason=draft.reason,
                                       entry_id=entry.id))
        return Submitted(record, entry)
    _try_posting(session, draft, actor_user_id, time_credit_floor_minutes)
    record = _insert(session, draft, actor_user_id, size, needs_second_user=True, entry_id=None)
    record_event(session, NewEvent(
        subject="manual_entry", subject_id=record.id, action="propose", actor_user_id=actor_user_id,
        after="waiting_for_approval", reason=draft.reason,
        note=f"{_pounds(size)} in debits is above {_pounds(second_approval_above_pence)}: "
             "a second finance user must approve it."))
    return Submitted(record, None)


def _post(session: Session, draft: ManualDraft, actor_user_id: int, floor: int) -> Entry:
    return posting.post_entry(session, effective_date=draft.effective_date, description=draft.description,
                              postings=draft.postings, idempotency_key=draft.idempotency_key,
                              actor_user_id=actor_user_id, kind=draft.kind, time_credit_floor_minutes=floor)


def _try_posting(session: Session, draft: ManualDraft, actor_user_id: int, floor: int) -> None:
    """Refuse a proposal now that could not be posted now (unknown account, locked month, too few credits)."""
    savepoint = session.begin_nested()
    try:
        _post(session, draft, actor_user_id, floor)
    finally:
        savepoint.rollback()


def _insert(session: Session, draft: ManualDraft, actor_user_id: int, size: int, *, needs_second_user: bool,
            entry_id: int | None) -> ManualEntryRecord:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    new_id = session.execute(dialect.insert(_manual).on_conflict_do_nothing().returning(_manual.c.id), {
        "status": "waiting_for_approval" if needs_second_user else "posted",
        "idempotency_key": draft.idempotency_key, "content_hash": draft_hash(draft),
        "effective_date": draft.effective_date, "description": draft.description, "reason": draft.reason,
        "kind": draft.kind, "postings": [_line_json(p) for p in draft.postings], "gbp_debits_pence": size,
        "needs_second_user": needs_second_user, "proposed_by_user_id": actor_user_id,
        "proposed_at": utcnow(), "entry_id": entry_id,
    }).scalar()
    if new_id is None:  # the same key was submitted meanwhile (and queued on the unique index)
        raise IdempotencyConflict(f"The idempotency key {draft.idempotency_key!r} was just used by another "
                                  "submission; send it again to see what it made.",
                                  fields={"idempotency_key": ["in use"]})
    return get_manual_entry(session, new_id)


def _replay(session: Session, existing: ManualEntry, draft: ManualDraft) -> Submitted:
    if existing.content_hash != draft_hash(draft):
        made = f"entry {existing.entry_id}" if existing.entry_id and not existing.needs_second_user \
            else f"manual entry proposal {existing.id}"
        raise IdempotencyConflict(
            f"The idempotency key {existing.idempotency_key!r} was already used for a different entry ({made}); "
            "use a new key for a new entry.", fields={"idempotency_key": ["reused with different content"]})
    record = _record(existing)
    entry = posting.load_entry(session, existing.entry_id) if existing.entry_id else None
    return Submitted(record, entry)


# ---------------------------------------------------------------- the second finance user


def approve_manual_entry(session: Session, manual_entry_id: int, *, actor_user_id: int,
                         time_credit_floor_minutes: int = 0) -> ManualEntryRecord:
    """Post a proposal, as a finance user other than the one who proposed it."""
    row = _locked(session, manual_entry_id)
    if row.proposed_by_user_id == actor_user_id:
        raise PermissionDenied("You proposed this entry, so you cannot approve it: a different finance user must.")
    before = row.status
    after = MANUAL_ENTRY.next_status(before, "approve")
    entry = _post(session, _draft_of(row), actor_user_id, time_credit_floor_minutes)
    _move(session, row, "approve", after, actor_user_id, entry_id=entry.id)
    record_event(session, NewEvent(subject="manual_entry", subject_id=manual_entry_id, action="approve",
                                   actor_user_id=actor_user_id, before=before, after=after, entry_id=entry.id,
                                   note="Second finance user approved; the entry is posted."))
    return get_manual_entry(session, manual_entry_id)


def reject_manual_entry(session: Session, manual_entry_id: int, *, actor_user_id: int,
                        reason: str) -> ManualEntryRecord:
    """Refuse a proposal (the proposer may withdraw their own this way); nothing reaches the books."""
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError("Say why the entry is rejected: a reason is required.", fields={"reason": ["required"]})
    if len(reason) > MAX_REASON:
        raise ValidationError(f"The reason is longer than {MAX_REASON} characters.", fields={"reason": ["too long"]})
    row = _locked(session, manual_entry_id)
    before = row.status
    after = MANUAL_ENTRY.next_status(before, "reject")
    _move(session, row, "reject", after, actor_user_id, rejection_reason=reason.strip())
    record_event(session, NewEvent(subject="manual_entry", subject_id=manual_entry_id, action="reject",
                                   actor_user_id=actor_user_id, before=before, after=after,
                                   reason=reason.strip()))
    return get_manual_entry(session, manual_entry_id)


def _locked(session: Session, manual_entry_id: int) -> ManualEntry:
    row = session.execute(select(ManualEntry).where(ManualEntry.id == manual_entry_id).with_for_update()
                          ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"There is no manual journal entry {manual_entry_id}.")
    return row


def _move(session: Session, row: ManualEntry, action: str, after: str, actor_user_id: int, **values) -> None:
    """Change the status only from one that allows the action, so two decisions at once cannot both win."""
    # An UPDATE's result is a CursorResult; Session.execute is typed with the general Result.
    changed = cast(CursorResult[Any], session.execute(
        update(_manual).where(_manual.c.id == row.id, _manual.c.status.in_(MANUAL_ENTRY.statuses_allowing(action)))
        .values(status=after, decided_by_user_id=actor_user_id, decided_at=utcnow(), **values)
    )).rowcount
    if changed != 1:
        raise Conflict("Someone else decided this manual journal entry meanwhile; reload to see what they did.")
    session.expire(row)


def _draft_of(row: ManualEntry) -> ManualDraft:
    return ManualDraft(row.effective_date, row.description, row.reason, row.idempotency_key,
                       tuple(PostingLine(p["account"], p["amount"], p["unit"], p.get("memo"), p.get("kind"))
                             for p in row.postings), row.kind)


# ---------------------------------------------------------------- reversing by hand


def reverse_by_hand(session: Session, entry_id: int, *, effective_date: dt.date, actor_user_id: int,
                    description: str | None = None, idempotency_key: str | None = None,
                    time_credit_floor_minutes: int = 0) -> Entry:
    """Reverse an entry finance posted, under the manual rules: not a system entry, not leaving anyone owed."""
    original = posting.load_entry(session, entry_id)
    system = is_reserved_kind(original.kind) or is_reserved_key(original.idempotency_key)
    if system and original.reverses_entry_id is None:  # reversing a reversal: post_entry says why not
        raise Conflict(f"Entry {entry_id} was posted by the system ({original.kind}); correct it through what "
                       "posted it (reject or cancel the claim, return the payment), not by hand.",
                       fields={"entry_id": ["posted by the system"]})
    default_key = f"reversal-of:{entry_id}"
    if idempotency_key and idempotency_key != default_key and (
            is_reserved_key(idempotency_key) or _RUN_KEY.search(idempotency_key)):
        raise ValidationError(f"The idempotency key {idempotency_key!r} is in a namespace the system uses; "
                              "choose another or leave it out.",
                              fields={"idempotency_key": ["reserved for the system"]})
    if description and _RUN_DESCRIPTION.match(description):
        raise ValidationError("A description starting 'Payment run' is how a run's payments read; say what this "
                              "reversal is instead.", fields={"description": ["presents itself as a payment run"]})
    mirror = [PostingLine(p.account, -p.amount, p.unit, p.memo, p.kind) for p in original.postings]
    refusal = owed_credit_refusal(mirror)
    if refusal is not None:
        raise ValidationError(f"Reversing entry {entry_id} would leave a person owed money no payment run will "
                              f"pay ({refusal.message}).", fields={"entry_id": ["leaves a person owed money"]})
    return posting.reverse_entry(session, entry_id, effective_date=effective_date, description=description,
                                 idempotency_key=idempotency_key, actor_user_id=actor_user_id,
                                 time_credit_floor_minutes=time_credit_floor_minutes)


# ---------------------------------------------------------------- reading


def get_manual_entry(session: Session, manual_entry_id: int) -> ManualEntryRecord:
    row = session.get(ManualEntry, manual_entry_id)
    if row is None:
        raise NotFound(f"There is no manual journal entry {manual_entry_id}.")
    session.refresh(row)
    return _record(row)


def list_manual_entries(session: Session, *, status: str | None = None, limit: int = 50) -> list[ManualEntryRecord]:
    """The newest manual entries first, of one status if asked."""
    if status is not None and status not in MANUAL_ENTRY.statuses:
        raise ValidationError(f"Status must be one of {', '.join(sorted(MANUAL_ENTRY.statuses))}.",
                              fields={"status": ["unknown"]})
    query = select(ManualEntry).order_by(ManualEntry.id.desc()).limit(limit)
    if status is not None:
        query = query.where(ManualEntry.status == status)
    return [_record(row) for row in session.execute(query).scalars()]


def _by_key(session: Session, key: str) -> ManualEntry | None:
    return session.execute(select(ManualEntry).where(ManualEntry.idempotency_key == key)).scalar_one_or_none()


def _line_json(p: PostingLine) -> dict:
    return {"account": p.account, "amount": p.amount, "unit": p.unit, "memo": p.memo, "kind": p.kind}


def _record(row: ManualEntry) -> ManualEntryRecord:
    return ManualEntryRecord(
        id=row.id, status=row.status, effective_date=row.effective_date, description=row.description,
        reason=row.reason, kind=row.kind, idempotency_key=row.idempotency_key,
        postings=_draft_of(row).postings, gbp_debits_pence=row.gbp_debits_pence,
        needs_second_user=bool(row.needs_second_user), proposed_by=row.proposed_by_user_id,
        proposed_at=row.proposed_at, decided_by=row.decided_by_user_id, decided_at=row.decided_at,
        rejection_reason=row.rejection_reason, entry_id=row.entry_id,
    )
