"""The only code that writes postings.

``post_entry`` validates an entry completely before writing anything, writes the entry and its postings
in the caller's transaction, and never commits: the caller's unit of work does, so a failure anywhere
leaves nothing half-written. The database's trigger on postings (migration 0005) adds each posting to
its account's stored balance and daily total in the same transaction.

Concurrency: the entry row is inserted first with ``ON CONFLICT DO NOTHING``, so writers sharing an
idempotency key queue on its unique index and all but one find the entry already there. Concurrent
writers to the same accounts queue on their balance rows without deadlocks: on PostgreSQL the balance
rows are locked in account-id order before the postings (and so the trigger's updates) are written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ledger.books.kinds import (
    PERSON_ACCOUNTS,
    POSTABLE_KINDS,
    TIME_PARTICIPANT,
    PostingKind,
    person_account_prefix,
)
from ledger.books.models import (
    ACCOUNT_TYPES,
    Account,
    AccountBalance,
    JournalEntry,
    LockedPeriod,
    Posting,
)
from ledger.books.records import AccountInfo, Entry, NewEntry, PostedLine, PostingLine
from ledger.books.units import UNITS
from ledger.chain.links import ENTRY, Committed, note_written, text_sha
from ledger.db import insert_rows, insert_rows_skipping_conflicts, utcnow
from ledger.errors import (
    AlreadyReversed,
    ClosedAccount,
    Conflict,
    IdempotencyConflict,
    InsufficientTimeCredits,
    InvalidPosting,
    NotFound,
    PeriodLocked,
    TooManyPostings,
    UnbalancedEntry,
    ValidationError,
)
from ledger.events.records import NewEvent
from ledger.events.writer import record_event

# No single posting may exceed a billion pounds (or its time equivalent): anything larger is a typo.
MAX_ABS_AMOUNT = 100_000_000_000
MAX_DESCRIPTION = 500
MAX_KEY = 200
#: Where a session carries the configured most postings one entry may have (``MAX_POSTINGS_PER_ENTRY``);
#: a session without it (a script, a test) gets ``DEFAULT_MAX_POSTINGS``.
MAX_POSTINGS_KEY = "max_postings_per_entry"
DEFAULT_MAX_POSTINGS = 5000

_entries = JournalEntry.__table__
_postings = Posting.__table__
_balances = AccountBalance.__table__
_accounts = Account.__table__



def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


# ---------------------------------------------------------------- accounts


def open_account(session: Session, *, code: str, name: str, type: str, unit: str) -> AccountInfo:
    """Open an account, or return it unchanged if one with the same code and shape exists."""
    code = (code or "").strip()
    if not code or len(code) > 64 or any(c.isspace() for c in code):
        raise ValidationError(
            "An account code must be 1 to 64 characters with no spaces.", fields={"code": ["invalid"]}
        )
    if not name or len(name) > 200:
        raise ValidationError("An account name must be 1 to 200 characters.", fields={"name": ["invalid"]})
    if type not in ACCOUNT_TYPES:
        raise ValidationError(
            f"Account type must be one of {', '.join(ACCOUNT_TYPES)}.", fields={"type": ["invalid"]}
        )
    if unit not in UNITS:
        raise ValidationError(f"Unit must be one of {', '.join(UNITS)}.", fields={"unit": ["invalid"]})
    existing = session.execute(select(Account).where(Account.code == code)).scalar_one_or_none()
    if existing is not None:
        if (existing.type, existing.unit) != (type, unit):
            raise Conflict(
                f"Account {code} already exists as {existing.type} in {existing.unit}.",
                fields={"code": ["exists"]},
            )
        return _info(existing)
    account = Account(code=code, name=name, type=type, unit=unit, is_open=True)
    session.add(account)
    session.flush()
    session.execute(_balances.insert().values(account_id=account.id, unit=unit, balance=0, postings_count=0))
    return _info(account)


def close_account(session: Session, code: str) -> AccountInfo:
    """Close an account with a zero balance; nothing can be posted to it afterwards."""
    account = _account_by_code(session, code)
    balance = session.execute(
        select(_balances.c.balance).where(_balances.c.account_id == account.id).with_for_update()
    ).scalar_one()
    if balance != 0:
        raise Conflict(f"Account {code} still has a balance of {balance} {account.unit} minor units.")
    account.is_open = False
    account.closed_at = utcnow()
    session.flush()
    return _info(account)


def _account_by_code(session: Session, code: str) -> Account:
    account = session.execute(select(Account).where(Account.code == code)).scalar_one_or_none()
    if account is None:
        raise NotFound(f"There is no account with code {code!r}.")
    return account


def _info(a) -> AccountInfo:
    return AccountInfo(id=a.id, code=a.code, name=a.name, type=a.type, unit=a.unit, is_open=bool(a.is_open))


# ---------------------------------------------------------------- posting


#: How fingerprints are taken now. Version 1 (entries posted before migration 0007) left postings' kinds out.
FINGERPRINT_VERSION = 3


def content_hash(
    effective_date: dt.date,
    description: str,
    kind: str,
    reverses_entry_id: int | None,
    postings: Sequence[PostingLine],
    version: int = FINGERPRINT_VERSION,
) -> str:
    """Fingerprint of what an entry says, to tell a true replay from a reused key and to find later edits.

    Version 3 (since migration 0028) takes the description and each memo by their sha256, so that erasure can
    empty a person's text and the fingerprint still holds: ``ledger verify`` passes an erased text as
    ``Committed(sha256 it had)`` (``ledger.chain.links.committed``). Versions 1 and 2 took the texts themselves.
    """
    if version == 1:
        lines = sorted([p.account, p.unit, p.amount, p.memo or ""] for p in postings)
    elif version == 2:
        lines = sorted([p.account, p.unit, p.amount, p.memo or "", p.kind or ""] for p in postings)
    else:
        lines = sorted([p.account, p.unit, p.amount, _text(p.memo or ""), p.kind or ""] for p in postings)
    body = {
        "date": effective_date.isoformat(),
        "description": description if version < 3 else _text(description),
        "kind": kind,
        "reverses": reverses_entry_id,
        "postings": lines,
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _text(value: str) -> str:
    return str(value) if isinstance(value, Committed) else text_sha(value)


def check_entry_shape(description: str, postings: Sequence[PostingLine], idempotency_key: str, *,
                      reversal: bool = False) -> None:
    """Refuse an entry that could never be valid, before touching the database."""
    if not isinstance(description, str) or not description.strip():
        raise ValidationError("Say what the entry is for: a description is required.",
                              fields={"description": ["required"]})
    if len(description) > MAX_DESCRIPTION:
        raise ValidationError(f"The description is longer than {MAX_DESCRIPTION} characters.",
                              fields={"description": ["too long"]})
    if not isinstance(idempotency_key, str) or not idempotency_key.strip() or len(idempotency_key) > MAX_KEY:
        raise ValidationError(f"An idempotency key of 1 to {MAX_KEY} characters is required.",
                              fields={"idempotency_key": ["invalid"]})
    if len(postings) < 2:
        raise UnbalancedEntry("An entry needs at least two postings.", fields={"postings": ["too few"]})
    totals: dict[str, int] = defaultdict(int)
    for i, p in enumerate(postings):
        if type(p.amount) is not int:
            raise InvalidPosting(f"Posting {i + 1}: the amount must be a whole number of minor units.",
                                 fields={f"postings.{i}.amount": ["not an integer"]})
        if p.amount == 0:
            raise InvalidPosting(f"Posting {i + 1} to {p.account} is zero; leave it out.",
                                 fields={f"postings.{i}.amount": ["zero"]})
        if abs(p.amount) > MAX_ABS_AMOUNT:
            raise InvalidPosting(f"Posting {i + 1} to {p.account} is implausibly large ({p.amount}).",
                                 fields={f"postings.{i}.amount": ["too large"]})
        if p.unit not in UNITS:
            raise InvalidPosting(f"Posting {i + 1}: unknown unit {p.unit!r}; use one of {', '.join(UNITS)}.",
                                 fields={f"postings.{i}.unit": ["unknown"]})
        _check_kind(i, p, reversal=reversal)
        totals[p.unit] += p.amount
    off = {u: t for u, t in totals.items() if t != 0}
    if off:
        detail = "; ".join(f"{u} is off by {t}" for u, t in sorted(off.items()))
        raise UnbalancedEntry(f"The postings do not balance: {detail}.", fields={"postings": ["unbalanced"]})


def _check_kind(i: int, p: PostingLine, *, reversal: bool = False) -> None:
    """A posting to a person's money or time says what it is; a posting to the organisation's own accounts does not."""
    prefix = isinstance(p.account, str) and person_account_prefix(p.account)
    if not prefix:
        if p.kind is not None:
            raise InvalidPosting(f"Posting {i + 1} to {p.account}: only postings to a person's accounts carry a "
                                 "kind.", fields={f"postings.{i}.kind": ["not for this account"]})
        return
    allowed = PERSON_ACCOUNTS[prefix]
    if reversal and p.kind == PostingKind.MIXED:
        return  # the mirror of a payment posted before kinds were recorded
    if p.kind not in allowed or p.kind not in POSTABLE_KINDS:
        raise InvalidPosting(
            f"Posting {i + 1} to {p.account} must say what it is: one of {', '.join(sorted(allowed))}.",
            fields={f"postings.{i}.kind": [f"One of {', '.join(sorted(allowed))}."]})


# The accounts and whether the month is locked, in one round trip.
_ACCOUNTS_BY_CODE = select(
    _accounts.c.id,
    _accounts.c.code,
    _accounts.c.unit,
    _accounts.c.is_open,
    exists().where(LockedPeriod.__table__.c.month == bindparam("month")).label("month_locked"),
).where(_accounts.c.code.in_(bindparam("codes", expanding=True)))


@dataclass(frozen=True, slots=True)
class _WriteStatements:
    insert_entry: object
    insert_postings: object
    lock_balances: object | None  # PostgreSQL only: SQLite's BEGIN IMMEDIATE already serialises writers


_STATEMENTS: dict[str, _WriteStatements] = {}


def _statements(session: Session) -> _WriteStatements:
    """The posting statements, built once per dialect: constructing them each time cost more than running them."""
    name = session.get_bind().dialect.name
    if name not in _STATEMENTS:
        dialect = postgresql if name == "postgresql" else sqlite
        _STATEMENTS[name] = _WriteStatements(
            insert_entry=dialect.insert(_entries).on_conflict_do_nothing().returning(_entries.c.id),
            insert_postings=_postings.insert().returning(_postings.c.id, sort_by_parameter_order=True),
            lock_balances=(
                select(_balances.c.account_id, _balances.c.balance)
                .where(_balances.c.account_id.in_(bindparam("accounts", expanding=True)))
                .order_by(_balances.c.account_id)
                .with_for_update()
            ) if name == "postgresql" else None,
        )
    return _STATEMENTS[name]


def _most_postings(session: Session) -> int:
    """The most postings one entry may have: configured, or ``DEFAULT_MAX_POSTINGS``."""
    return int(session.info.get(MAX_POSTINGS_KEY) or DEFAULT_MAX_POSTINGS)


def _check_before_writing(effective_date: dt.date, description: str, postings: Sequence[PostingLine],
                          idempotency_key: str, most: int, *, reversal: bool = False) -> None:
    """What ``post_entry`` and ``post_entries`` check of each entry before touching the database."""
    if not isinstance(effective_date, dt.date) or isinstance(effective_date, dt.datetime):
        raise ValidationError("The effective date must be a date.", fields={"effective_date": ["invalid"]})
    if len(postings) > most:
        # Bounded so one entry can never hold the balance locks (and the transaction) for long.
        raise TooManyPostings(f"An entry may have at most {most} postings; this one has {len(postings)}. "
                              "Split it into smaller entries.", fields={"postings": [f"more than {most}"]})
    check_entry_shape(description, postings, idempotency_key, reversal=reversal)


def post_entry(
    session: Session,
    *,
    effective_date: dt.date,
    description: str,
    postings: Sequence[PostingLine],
    idempotency_key: str,
    actor_user_id: int | None = None,
    kind: str = "manual",
    reverses_entry_id: int | None = None,
    time_credit_floor_minutes: int = 0,
) -> Entry:
    """Post one balanced entry, or return the original if this idempotency key already posted it.

    No participant's time credits may go below zero, or below ``-time_credit_floor_minutes`` where the
    organisation allows an overdraft, whoever posts: the time bank, a reversal of an award, a manual entry.
    """
    postings = tuple(postings)
    _check_before_writing(effective_date, description, postings, idempotency_key, _most_postings(session),
                          reversal=reverses_entry_id is not None)
    # Core statements go straight to the connection: Session.execute's ORM bookkeeping cost as much as the SQL.
    connection = session.connection()
    rows = connection.execute(_ACCOUNTS_BY_CODE, {"codes": sorted({p.account for p in postings}),
                                                  "month": month_start(effective_date)}).all()
    accounts = {r.code: r for r in rows}
    problem = _account_problem(postings, accounts)
    if problem is None:
        balances = _lock_balances(connection, _statements(session), accounts)
        problem = ((_mirror_problem(session, reverses_entry_id, postings) if reverses_entry_id is not None else None)
                   or (_locked_month(session, effective_date) if rows[0].month_locked else None)
                   or _time_overdraft(connection, postings, accounts, balances, time_credit_floor_minutes))
    if problem is not None:
        # A replay of an entry posted before (say) the period was locked still returns the original.
        existing = _find_by_key(session, idempotency_key)
        if existing is not None:
            return _replay(session, existing, effective_date, description, kind, reverses_entry_id, postings)
        raise problem
    return _write(session, connection, accounts, effective_date=effective_date, description=description,
                  postings=postings, idempotency_key=idempotency_key, actor_user_id=actor_user_id, kind=kind,
                  reverses_entry_id=reverses_entry_id)


_ACCOUNTS_OF = select(_accounts.c.id, _accounts.c.code, _accounts.c.unit, _accounts.c.is_open).where(
    _accounts.c.code.in_(bindparam("codes", expanding=True)))
_BALANCES_OF = select(_balances.c.account_id, _balances.c.balance).where(
    _balances.c.account_id.in_(bindparam("accounts", expanding=True)))


def post_entries(
    session: Session,
    entries: Sequence[NewEntry],
    *,
    actor_user_id: int | None = None,
    time_credit_floor_minutes: int = 0,
) -> list[Entry]:
    """Post several balanced entries in a fixed number of statements, however many there are; all or none.

    A payment run confirms one entry per payee: posted one by one, a 2,000-payee run cost 8,000 round trips
    to the database. Each entry is checked exactly as ``post_entry`` checks it (shape, accounts, locked month,
    time credits, counted in the order given so that two entries taking the same person's credits add up),
    and the first problem is raised before anything is written. An entry whose idempotency key posted before
    goes through ``post_entry``, which returns the original or refuses a different entry under the same key.
    Returns the entries in the order given. Reversals are not posted here: ``reverse_entry`` posts each.
    """
    entries = list(entries)
    most = _most_postings(session)
    for entry in entries:
        _check_before_writing(entry.effective_date, entry.description, entry.postings, entry.idempotency_key, most)
    keys = [e.idempotency_key for e in entries]
    if len(set(keys)) != len(keys):
        raise ValidationError("Two of the entries share an idempotency key; give each entry its own.",
                              fields={"idempotency_key": ["repeated"]})
    connection = session.connection()
    posted = _posted_keys(connection, keys)
    fresh = [e for e in entries if e.idempotency_key not in posted]
    written = _write_many(session, connection, fresh, actor_user_id, time_credit_floor_minutes) if fresh else {}
    for entry in entries:
        if entry.idempotency_key in posted:
            written[entry.idempotency_key] = post_entry(
                session, effective_date=entry.effective_date, description=entry.description,
                postings=entry.postings, idempotency_key=entry.idempotency_key, actor_user_id=actor_user_id,
                kind=entry.kind, time_credit_floor_minutes=time_credit_floor_minutes)
    return [written[key] for key in keys]


_KEYS_AT_ONCE = 5000


def _posted_keys(connection, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), _KEYS_AT_ONCE):
        found.update(connection.execute(select(_entries.c.idempotency_key).where(
            _entries.c.idempotency_key.in_(keys[start:start + _KEYS_AT_ONCE]))).scalars())
    return found


def _write_many(session: Session, connection, entries: Sequence[NewEntry], actor_user_id: int | None,
                floor_minutes: int) -> dict[str, Entry]:
    """Check every entry against the accounts, locked months and time credits, then write them all."""
    codes = sorted({p.account for e in entries for p in e.postings})
    accounts = {r.code: r for r in connection.execute(_ACCOUNTS_OF, {"codes": codes})}
    locked = set(locked_months(session))
    account_ids = sorted({a.id for a in accounts.values()})
    statements = _statements(session)
    balances: dict[int, int] = {}
    if statements.lock_balances is not None:  # PostgreSQL: lock them in account-id order, as post_entry does
        balances = dict(connection.execute(statements.lock_balances, {"accounts": account_ids}).all())
    elif codes and any(code.startswith(TIME_PARTICIPANT) for code in codes):
        # SQLite: BEGIN IMMEDIATE already holds other writers out; read them once.
        balances = dict(connection.execute(_BALANCES_OF, {"accounts": account_ids}).all())
    for entry in entries:
        problem = (_account_problem(entry.postings, accounts)
                   or (_locked_month(session, entry.effective_date)
                       if month_start(entry.effective_date) in locked else None)
                   or _time_overdraft(connection, entry.postings, accounts, balances, floor_minutes))
        if problem is not None:
            raise problem
        for p in entry.postings:  # what the next entry's time credits are checked against
            balances[accounts[p.account].id] = balances.get(accounts[p.account].id, 0) + p.amount
    now = utcnow()
    written = insert_rows_skipping_conflicts(connection, _entries, [
        {"effective_date": e.effective_date, "recorded_at": now, "description": e.description, "kind": e.kind,
         "actor_user_id": actor_user_id, "idempotency_key": e.idempotency_key, "reverses_entry_id": None,
         "content_hash": content_hash(e.effective_date, e.description, e.kind, None, e.postings),
         "fingerprint_version": FINGERPRINT_VERSION} for e in entries])
    ids = {e.idempotency_key: i for e, i in zip(entries, written, strict=True) if i is not None}
    note_written(session, ENTRY, ids.values())
    replays = {e.idempotency_key: _posted_meanwhile(session, e) for e in entries if e.idempotency_key not in ids}
    entries = [e for e in entries if e.idempotency_key in ids]
    lines = [(e, p) for e in entries for p in e.postings]
    posting_ids = insert_rows(connection, _postings, [
        {"entry_id": ids[e.idempotency_key], "account_id": accounts[p.account].id, "unit": p.unit,
         "amount": p.amount, "effective_date": e.effective_date, "memo": p.memo, "kind": p.kind}
        for e, p in lines
    ])
    posted: dict[str, list[PostedLine]] = defaultdict(list)
    for posting_id, (e, p) in zip(posting_ids, lines, strict=True):
        posted[e.idempotency_key].append(PostedLine(id=posting_id, account=p.account, account_id=accounts[p.account].id,
                                                    amount=p.amount, unit=p.unit, memo=p.memo, kind=p.kind))
    return replays | {e.idempotency_key: Entry(
        id=ids[e.idempotency_key], effective_date=e.effective_date, recorded_at=now, description=e.description,
        kind=e.kind, idempotency_key=e.idempotency_key, actor_user_id=actor_user_id, reverses_entry_id=None,
        postings=tuple(posted[e.idempotency_key])) for e in entries}


def _posted_meanwhile(session: Session, entry: NewEntry) -> Entry:
    """The entry another writer posted under this key since we looked (its insert was skipped)."""
    existing = _find_by_key(session, entry.idempotency_key)
    if existing is None:
        raise Conflict(f"The entry with idempotency key {entry.idempotency_key!r} could not be written; try again.")
    return _replay(session, existing, entry.effective_date, entry.description, entry.kind, None, entry.postings)


def first_open_month(session: Session, day: dt.date) -> dt.date:
    """The first month from ``day``'s that is not locked: what a refusal names as open."""
    locked = set(locked_months(session))
    open_month = month_start(day)
    while open_month in locked:
        open_month = next_month(open_month)
    return open_month


def _locked_month(session: Session, effective_date: dt.date) -> PeriodLocked:
    """The refusal, saying which month the books are open from (the first unlocked month after this one)."""
    return PeriodLocked(
        f"{effective_date:%B %Y} is locked: post into an open month instead; the books are open from "
        f"{first_open_month(session, effective_date):%B %Y} (for a correction, date the reversal in an open month).",
        fields={"effective_date": ["locked period"]},
    )


def next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _lock_balances(connection, statements: _WriteStatements, accounts) -> dict[int, int] | None:
    """On PostgreSQL, lock the entry's balance rows in account-id order, and return the balances.

    The trigger on postings updates each account's balance row; every writer taking the same locks in the
    same order first means concurrent writers (and writers sharing an idempotency key) queue instead of
    deadlocking. SQLite's BEGIN IMMEDIATE already holds every other writer out: None there.
    """
    if statements.lock_balances is None:
        return None
    return dict(connection.execute(
        statements.lock_balances, {"accounts": sorted({a.id for a in accounts.values()})}).all())


def _write(session: Session, connection, accounts, *, effective_date: dt.date, description: str,
           postings: Sequence[PostingLine], idempotency_key: str, actor_user_id: int | None, kind: str,
           reverses_entry_id: int | None) -> Entry:
    """Insert the entry (or find the one this key posted meanwhile) and its postings."""
    now = utcnow()
    statements = _statements(session)
    entry_id = connection.execute(statements.insert_entry, {
        "effective_date": effective_date, "recorded_at": now, "description": description, "kind": kind,
        "actor_user_id": actor_user_id, "idempotency_key": idempotency_key, "reverses_entry_id": reverses_entry_id,
        "content_hash": content_hash(effective_date, description, kind, reverses_entry_id, postings),
        "fingerprint_version": FINGERPRINT_VERSION,
    }).scalar()
    if entry_id is None:
        existing = _find_by_key(session, idempotency_key)
        if existing is not None:
            return _replay(session, existing, effective_date, description, kind, reverses_entry_id, postings)
        raise AlreadyReversed(f"Entry {reverses_entry_id} has already been reversed.")
    note_written(session, ENTRY, (entry_id,))
    posting_ids = connection.execute(statements.insert_postings, [
        {"entry_id": entry_id, "account_id": accounts[p.account].id, "unit": p.unit, "amount": p.amount,
         "effective_date": effective_date, "memo": p.memo, "kind": p.kind}
        for p in postings
    ]).scalars().all()
    return Entry(
        id=entry_id, effective_date=effective_date, recorded_at=now, description=description, kind=kind,
        idempotency_key=idempotency_key, actor_user_id=actor_user_id, reverses_entry_id=reverses_entry_id,
        postings=tuple(
            PostedLine(id=posting_id, account=p.account, account_id=accounts[p.account].id, amount=p.amount,
                       unit=p.unit, memo=p.memo, kind=p.kind)
            for posting_id, p in zip(posting_ids, postings, strict=True)
        ),
    )


def _time_overdraft(connection, postings: Sequence[PostingLine], accounts, balances: dict | None,
                    floor_minutes: int) -> InsufficientTimeCredits | None:
    """The refusal for an entry that takes a participant's time credits below zero (or the allowed overdraft)."""
    taking: dict[str, int] = defaultdict(int)
    for p in postings:
        if p.account.startswith(TIME_PARTICIPANT):
            taking[p.account] += p.amount  # a debit takes credits away from the participant
    taking = {code: minutes for code, minutes in taking.items() if minutes > 0}
    if not taking:
        return None
    if balances is None:
        balances = dict(connection.execute(
            select(_balances.c.account_id, _balances.c.balance)
            .where(_balances.c.account_id.in_([accounts[c].id for c in taking]))).all())
    for code, minutes in sorted(taking.items()):
        held = -balances.get(accounts[code].id, 0)
        if held - minutes < -floor_minutes:
            limit = (f" (at most {floor_minutes} below zero is allowed)" if floor_minutes
                     else " (time credits never go below zero)")
            return InsufficientTimeCredits(
                f"{code} holds {held} minutes of time credits; this entry takes {minutes}, which would leave "
                f"{held - minutes}{limit}. Nothing was posted.",
                fields={"postings": ["more time credits than are held"]})
    return None


def _mirror_problem(session: Session, original_id: int, postings: Sequence[PostingLine]) -> Exception | None:
    """A reversal must be the exact mirror of an entry that is not itself a reversal."""
    original = session.get(JournalEntry, original_id)
    if original is None:
        return NotFound(f"There is no journal entry {original_id} to reverse.")
    if original.reverses_entry_id is not None:
        return Conflict(f"Entry {original_id} is itself a reversal; post a new entry instead of reversing it.")
    lines = session.execute(
        select(_accounts.c.code, _postings.c.unit, _postings.c.amount, _postings.c.memo, _postings.c.kind)
        .join(_accounts, _accounts.c.id == _postings.c.account_id)
        .where(_postings.c.entry_id == original_id)
    ).all()
    mirror = sorted((code, unit, -amount, memo or "", kind or "") for code, unit, amount, memo, kind in lines)
    if sorted((p.account, p.unit, p.amount, p.memo or "", p.kind or "") for p in postings) != mirror:
        return UnbalancedEntry(f"A reversal of entry {original_id} must post exactly its postings with the signs "
                               "turned round.", fields={"postings": ["not a mirror"]})
    return None


def _account_problem(postings: Sequence[PostingLine], accounts) -> Exception | None:
    for i, p in enumerate(postings):
        account = accounts.get(p.account)
        if account is None:
            return InvalidPosting(f"Posting {i + 1}: there is no account with code {p.account!r}.",
                                  fields={f"postings.{i}.account": ["unknown"]})
        if account.unit != p.unit:
            return InvalidPosting(
                f"Posting {i + 1}: account {p.account} is kept in {account.unit}, not {p.unit}.",
                fields={f"postings.{i}.unit": ["wrong unit"]},
            )
        if not account.is_open:
            return ClosedAccount(f"Account {p.account} is closed; nothing can be posted to it.",
                                 fields={f"postings.{i}.account": ["closed"]})
    return None


def _find_by_key(session: Session, key: str):
    return session.execute(select(JournalEntry).where(JournalEntry.idempotency_key == key)).scalar_one_or_none()


def _replay(session: Session, existing: JournalEntry, effective_date: dt.date, description: str, kind: str,
            reverses_entry_id: int | None, postings: Sequence[PostingLine]) -> Entry:
    """The entry a key already posted, if this is the same entry again (fingerprinted as that entry was)."""
    fingerprint = content_hash(effective_date, description, kind, reverses_entry_id, postings,
                               existing.fingerprint_version)
    if existing.content_hash != fingerprint:
        raise IdempotencyConflict(
            f"The idempotency key {existing.idempotency_key!r} was already used for a different entry "
            f"(entry {existing.id}); use a new key for a new entry.",
            fields={"idempotency_key": ["reused with different content"]},
        )
    return load_entry(session, existing.id)


def load_entry(session: Session, entry_id: int) -> Entry:
    entry = session.get(JournalEntry, entry_id)
    if entry is None:
        raise NotFound(f"There is no journal entry {entry_id}.")
    lines = session.execute(
        select(_postings.c.id, _postings.c.account_id, _accounts.c.code, _postings.c.amount,
               _postings.c.unit, _postings.c.memo, _postings.c.kind)
        .join(_accounts, _accounts.c.id == _postings.c.account_id)
        .where(_postings.c.entry_id == entry_id)
        .order_by(_postings.c.id)
    ).all()
    return Entry(
        id=entry.id,
        effective_date=entry.effective_date,
        recorded_at=entry.recorded_at,
        description=entry.description,
        kind=entry.kind,
        idempotency_key=entry.idempotency_key,
        actor_user_id=entry.actor_user_id,
        reverses_entry_id=entry.reverses_entry_id,
        postings=tuple(
            PostedLine(id=r.id, account=r.code, account_id=r.account_id, amount=r.amount, unit=r.unit,
                       memo=r.memo, kind=r.kind)
            for r in lines
        ),
    )


def reverse_entry(
    session: Session,
    entry_id: int,
    *,
    effective_date: dt.date,
    description: str | None = None,
    idempotency_key: str | None = None,
    actor_user_id: int | None = None,
    kind: str | None = None,
    time_credit_floor_minutes: int = 0,
) -> Entry:
    """Post the mirror of an entry, linked to it; an entry can be reversed only once.

    Like any entry, a reversal cannot take a participant's time credits below ``-time_credit_floor_minutes``.
    """
    original = load_entry(session, entry_id)
    if original.reverses_entry_id is not None:
        raise Conflict(
            f"Entry {entry_id} is itself a reversal of entry {original.reverses_entry_id}; "
            "post a new entry instead of reversing a reversal."
        )
    already = session.execute(
        select(JournalEntry.id).where(JournalEntry.reverses_entry_id == entry_id)
    ).scalar_one_or_none()
    key = idempotency_key or f"reversal-of:{entry_id}"
    if already is not None:
        existing = _find_by_key(session, key)
        if existing is not None and existing.id == already:
            return load_entry(session, already)
        raise AlreadyReversed(f"Entry {entry_id} has already been reversed by entry {already}.")
    return post_entry(
        session,
        effective_date=effective_date,
        description=description or f"Reversal of entry {entry_id}: {original.description}"[:MAX_DESCRIPTION],
        postings=[PostingLine(p.account, -p.amount, p.unit, p.memo, p.kind) for p in original.postings],
        idempotency_key=key,
        actor_user_id=actor_user_id,
        kind=kind or f"reversal:{original.kind}"[:40],
        reverses_entry_id=entry_id,
        time_credit_floor_minutes=time_credit_floor_minutes,
    )


# ---------------------------------------------------------------- periods


def lock_period(session: Session, month: dt.date, *, actor_user_id: int | None = None) -> dt.date:
    """Lock a month: nothing can be posted into it afterwards. Locking twice is harmless."""
    month = month_start(month)
    if session.get(LockedPeriod, month) is None:
        session.add(LockedPeriod(month=month, locked_at=utcnow(), locked_by_user_id=actor_user_id))
        session.flush()
        record_event(session, NewEvent(subject="period", subject_id=f"{month:%Y-%m}", action="lock",
                                       actor_user_id=actor_user_id, before="open", after="locked"))
    return month


def locked_months(session: Session) -> list[dt.date]:
    return list(session.execute(select(LockedPeriod.month).order_by(LockedPeriod.month)).scalars())


def count_entries(session: Session) -> int:
    return session.execute(select(func.count()).select_from(_entries)).scalar_one()
