"""The time bank: what a participant holds in time credits, and spending or giving them.

Credits are earned by giving time (awarded through claims: Dr ``time:issued``, Cr ``time:participant:<id>``)
and leave a participant's balance in one of three ways, each one balanced entry in the TIME unit (minutes):

| movement | debit | credit |
|---|---|---|
| spent at a partner organisation | ``time:participant:<from>`` | ``time:partner:<partner>`` |
| given to another participant | ``time:participant:<from>`` | ``time:participant:<to>`` |
| given to a user-led group | ``time:participant:<from>`` | ``time:group:<group>`` (opened on first use) |

The participant's account is a liability; under the books' debit-positive convention its balance is negative
when they hold credits, so everything here speaks of credits *held*: ``-balance``, in minutes.

Invariant: a spend or gift never leaves the giver below zero, or below minus the organisation's overdraft
limit (``TIME_CREDIT_OVERDRAFT_MINUTES``, passed in by the caller). The balances of the accounts an entry
touches are locked (``SELECT ... FOR UPDATE`` in account-id order, the order ``post_entry`` uses) before the
balance is read, so two spends racing on PostgreSQL queue instead of both passing the check; SQLite's
``BEGIN IMMEDIATE`` serialises writers already. Each movement carries the caller's idempotency key: a
repeated request returns the first movement, and the same key for a different movement is refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ledger.books.kinds import PostingKind, person_account_prefix
from ledger.books.models import Account, AccountBalance, JournalEntry, Posting
from ledger.books.posting import open_account, post_entry
from ledger.books.records import PostingLine
from ledger.db import utcnow
from ledger.errors import Conflict, IdempotencyConflict, InsufficientTimeCredits, NotFound, ValidationError
from ledger.formatting import long_date
from ledger.organisation import group_time_account
from ledger.people.accounts import participant_accounts, partner_accounts
from ledger.people.models import Participant, PartnerOrganisation, UserLedGroup
from ledger.timebank.models import TimeCreditTransfer

#: One movement of more than 500 hours is a typo.
MAX_MINUTES = 500 * 60
MAX_NOTE = 500
MAX_KEY = 180
KEY_PREFIX = "time-credits:"


# ---------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class TimeCreditTransferRecord:
    id: int
    participant_id: int
    kind: str  # spent | given_to_participant | given_to_group
    partner_id: int | None
    to_participant_id: int | None
    to_group_id: int | None
    minutes: int
    effective_date: dt.date
    note: str | None
    idempotency_key: str
    entry_id: int
    created_by_user_id: int | None
    created_at: dt.datetime | None
    balance_minutes: int  # the giver's credits held afterwards (now, for a replay)


@dataclass(frozen=True, slots=True)
class TimeCreditHistoryLine:
    """One movement on a participant's time credits: earned (+) or spent / given / received."""

    entry_id: int
    effective_date: dt.date
    description: str
    kind: str
    minutes: int  # + credits in, - credits out
    running_minutes: int
    transfer_kind: str | None  # spent | given_to_participant | given_to_group | received_from_participant
    partner_id: int | None = None
    to_participant_id: int | None = None
    to_group_id: int | None = None
    from_participant_id: int | None = None


@dataclass(frozen=True, slots=True)
class TimeCreditHistory:
    participant_id: int
    balance_minutes: int
    lines: tuple[TimeCreditHistoryLine, ...]


# ---------------------------------------------------------------- reading


def _participant(session: Session, participant_id: Any, field: str = "participant_id") -> Participant:
    row = session.get(Participant, participant_id) if type(participant_id) is int else None
    if row is None:
        raise NotFound(f"There is no participant {participant_id}.", fields={field: ["unknown"]})
    return row


def _account_id(session: Session, code: str) -> int:
    account_id = session.execute(select(Account.id).where(Account.code == code)).scalar_one_or_none()
    if account_id is None:
        raise NotFound(f"There is no account {code}.")
    return account_id


def time_credit_balance(session: Session, participant_id: int) -> int:
    """The time credits a participant holds, in minutes (negative only within an overdraft)."""
    _participant(session, participant_id)
    account_id = _account_id(session, participant_accounts(participant_id).time_credits)
    return -session.execute(
        select(AccountBalance.balance).where(AccountBalance.account_id == account_id)
    ).scalar_one()


def time_credit_history(session: Session, participant_id: int) -> TimeCreditHistory:
    """Every movement of a participant's time credits, oldest first, with the running balance, in one
    statement ("My money" reads it on every visit): from the participant, through their account if it is
    opened, to its postings if there are any, so that someone with no time credits yet costs no second
    statement to tell them from no such participant (issue 12)."""
    code = participant_accounts(participant_id).time_credits
    transfers = TimeCreditTransfer.__table__
    found = session.execute(
        select(Account.id.label("account_id"), Posting.entry_id, Posting.effective_date, Posting.amount,
               JournalEntry.description, JournalEntry.kind, transfers.c.kind.label("transfer_kind"),
               transfers.c.participant_id.label("giver_id"), transfers.c.partner_id, transfers.c.to_participant_id,
               transfers.c.to_group_id)
        .select_from(Participant)
        .outerjoin(Account, Account.code == code)
        .outerjoin(Posting, Posting.account_id == Account.id)
        .outerjoin(JournalEntry, JournalEntry.id == Posting.entry_id)
        .outerjoin(transfers, transfers.c.entry_id == Posting.entry_id)
        .where(Participant.id == participant_id)
        .order_by(Posting.effective_date, Posting.id)
    ).all() if type(participant_id) is int else []
    if not found:
        raise NotFound(f"There is no participant {participant_id}.", fields={"participant_id": ["unknown"]})
    if found[0].account_id is None:
        raise NotFound(f"There is no account {code}.")
    rows = [r for r in found if r.entry_id is not None]  # an opened account with no postings: one empty row
    running = 0
    lines = []
    for r in rows:
        minutes = -r.amount
        running += minutes
        received = r.transfer_kind == "given_to_participant" and r.giver_id != participant_id
        lines.append(TimeCreditHistoryLine(
            entry_id=r.entry_id, effective_date=r.effective_date, description=r.description, kind=r.kind,
            minutes=minutes, running_minutes=running,
            transfer_kind="received_from_participant" if received else r.transfer_kind,
            partner_id=r.partner_id, to_participant_id=None if received else r.to_participant_id,
            to_group_id=r.to_group_id, from_participant_id=r.giver_id if received else None,
        ))
    return TimeCreditHistory(participant_id=participant_id, balance_minutes=running, lines=tuple(lines))


# ---------------------------------------------------------------- moving credits


def _record(row: TimeCreditTransfer, balance_minutes: int) -> TimeCreditTransferRecord:
    return TimeCreditTransferRecord(
        id=row.id, participant_id=row.participant_id, kind=row.kind, partner_id=row.partner_id,
        to_participant_id=row.to_participant_id, to_group_id=row.to_group_id, minutes=row.minutes,
        effective_date=row.effective_date, note=row.note, idempotency_key=row.idempotency_key,
        entry_id=row.entry_id, created_by_user_id=row.created_by_user_id, created_at=row.created_at,
        balance_minutes=balance_minutes,
    )


def _check_movement(minutes: Any, on: Any, note: Any, idempotency_key: Any, overdraft_limit_minutes: Any,
                    today: dt.date, *, by_participant: bool = False) -> str | None:
    """Check a spend or gift; one the participant makes themself may not be dated before this month began."""
    problems: dict[str, list[str]] = {}
    if type(minutes) is not int or minutes <= 0:
        problems["minutes"] = ["Must be a whole number of minutes, more than zero."]
    elif minutes > MAX_MINUTES:
        problems["minutes"] = [f"At most {MAX_MINUTES // 60} hours at once."]
    if not isinstance(on, dt.date) or isinstance(on, dt.datetime):
        problems["on"] = ["Must be a date."]
    elif on > today:
        problems["on"] = [f"Cannot be in the future (today is {today.isoformat()})."]
    elif by_participant and on < today.replace(day=1):
        # A person's own spend is dated in the open month: only finance may record one from before it.
        problems["on"] = [f"Must be from {long_date(today.replace(day=1))} to today: ask us to record an "
                          "earlier one."]
    if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
        problems["note"] = [f"At most {MAX_NOTE} characters of text."]
    if not isinstance(idempotency_key, str) or not idempotency_key.strip() or len(idempotency_key) > MAX_KEY:
        problems["idempotency_key"] = [f"1 to {MAX_KEY} characters, different for each movement."]
    if type(overdraft_limit_minutes) is not int or overdraft_limit_minutes < 0:
        problems["overdraft_limit_minutes"] = ["Must be a whole number of minutes, zero or more."]
    if problems:
        raise ValidationError(f"Please correct: {', '.join(sorted(problems))}.", fields=problems)
    return (note.strip() or None) if isinstance(note, str) else None


def _lock_balances(session: Session, account_ids: list[int]) -> dict[int, int]:
    """Lock the balance rows in account-id order (as ``post_entry`` does) and return them."""
    return dict(session.execute(
        select(AccountBalance.account_id, AccountBalance.balance)
        .where(AccountBalance.account_id.in_(account_ids))
        .order_by(AccountBalance.account_id)
        .with_for_update()
    ).all())


def _hours(minutes: int) -> str:
    """Minutes as people say them: '1 h 30 min', '30 min', '-15 min'."""
    hours, rest = divmod(abs(minutes), 60)
    parts = [f"{hours} h"] if hours else []
    if rest or not hours:
        parts.append(f"{rest} min")
    return ("-" if minutes < 0 else "") + " ".join(parts)


def _open_group_time_account(session: Session, group_id: int) -> str:
    code = group_time_account(group_id)
    if session.execute(select(Account.id).where(Account.code == code)).first() is None:
        try:
            with session.begin_nested():
                open_account(session, code=code, name=f"Time credits given to user-led group {group_id}",
                             type="liability", unit="TIME")
        except IntegrityError:
            pass  # opened at the same moment by another gift to the same group
    return code


def _time_kind(code: str) -> str | None:
    """Time credits on a participant's account say what they are; a partner's or group's account does not."""
    return PostingKind.TIME_CREDITS if person_account_prefix(code) else None


def _move(
    session: Session,
    *,
    participant_id: int,
    kind: str,
    to_code: str,
    target: dict[str, int | None],
    minutes: int,
    on: dt.date,
    note: str | None,
    idempotency_key: str,
    actor_user_id: int | None,
    overdraft_limit_minutes: int,
    description: str,
) -> TimeCreditTransferRecord:
    from_code = participant_accounts(participant_id).time_credits
    from_id = _account_id(session, from_code)
    to_id = _account_id(session, to_code)
    balances = _lock_balances(session, sorted({from_id, to_id}))
    held = -balances[from_id]

    # Looked for after the lock: a twin request that got there first has committed by now.
    existing = _earlier_twin(session, idempotency_key, (participant_id, kind, target.get("partner_id"),
                             target.get("to_participant_id"), target.get("to_group_id"), minutes, on, note))
    if existing is not None:
        return _record(existing, held)
    _refuse_overdraft(participant_id, held, minutes, overdraft_limit_minutes)
    entry = post_entry(
        session,
        effective_date=on,
        description=description,
        postings=[PostingLine(from_code, minutes, "TIME", note, kind=_time_kind(from_code)),
                  PostingLine(to_code, -minutes, "TIME", note, kind=_time_kind(to_code))],
        time_credit_floor_minutes=overdraft_limit_minutes,
        idempotency_key=KEY_PREFIX + idempotency_key,
        actor_user_id=actor_user_id,
        kind=f"time_credits_{'spent' if kind == 'spent' else 'given'}",
    )
    row = TimeCreditTransfer(
        participant_id=participant_id, kind=kind, minutes=minutes, effective_date=on, note=note,
        idempotency_key=idempotency_key, entry_id=entry.id, created_by_user_id=actor_user_id,
        created_at=utcnow(), **target,
    )
    session.add(row)
    session.flush()
    return _record(row, held - minutes)


def _earlier_twin(session: Session, idempotency_key: str, content: tuple) -> TimeCreditTransfer | None:
    """The movement already made with this key, if any; the same key with different content is refused."""
    existing = session.execute(
        select(TimeCreditTransfer).where(TimeCreditTransfer.idempotency_key == idempotency_key)
    ).scalar_one_or_none()
    if existing is None:
        return None
    same = (existing.participant_id, existing.kind, existing.partner_id, existing.to_participant_id,
            existing.to_group_id, existing.minutes, existing.effective_date, existing.note) == content
    if not same:
        raise IdempotencyConflict(
            f"The idempotency key {idempotency_key!r} was already used for a different movement "
            f"({existing.id}); use a new key for a new movement.",
            fields={"idempotency_key": ["reused with different content"]})
    return existing


def _refuse_overdraft(participant_id: int, held: int, minutes: int, overdraft_limit_minutes: int) -> None:
    """Refuse a movement that takes the participant further below zero than the organisation allows."""
    if held - minutes < -overdraft_limit_minutes:
        allowed = f" (the organisation allows going {_hours(overdraft_limit_minutes)} below zero)" \
            if overdraft_limit_minutes else ""
        raise InsufficientTimeCredits(
            f"Participant {participant_id} holds {_hours(held)} of time credits: {_hours(minutes)} would take "
            f"them to {_hours(held - minutes)}{allowed}. Nothing was moved.",
            fields={"minutes": ["more than the balance allows"]})


def spend_time_credits(
    session: Session,
    participant_id: int,
    partner_id: int,
    minutes: int,
    on: dt.date,
    note: str | None,
    idempotency_key: str,
    actor_user_id: int | None,
    overdraft_limit_minutes: int = 0,
    *,
    today: dt.date | None = None,
    by_participant: bool = False,
) -> TimeCreditTransferRecord:
    """Spend a participant's time credits at a partner organisation (``by_participant``: they do it themself)."""
    note = _check_movement(minutes, on, note, idempotency_key, overdraft_limit_minutes, today or dt.date.today(),
                           by_participant=by_participant)
    _participant(session, participant_id)
    partner = session.get(PartnerOrganisation, partner_id) if type(partner_id) is int else None
    if partner is None:
        raise NotFound(f"There is no partner organisation {partner_id}.", fields={"partner_id": ["unknown"]})
    if not partner.is_active:
        raise Conflict(f"{partner.name} no longer takes time credits (it is marked inactive).",
                       fields={"partner_id": ["inactive"]})
    return _move(
        session, participant_id=participant_id, kind="spent", to_code=partner_accounts(partner_id).time_credits,
        target={"partner_id": partner_id}, minutes=minutes, on=on, note=note,
        idempotency_key=idempotency_key.strip(), actor_user_id=actor_user_id,
        overdraft_limit_minutes=overdraft_limit_minutes,
        description=f"Time credits of participant {participant_id} spent at {partner.name}",
    )


def give_time_credits(
    session: Session,
    participant_id: int,
    *,
    to_participant_id: int | None = None,
    to_group_id: int | None = None,
    minutes: int,
    on: dt.date,
    note: str | None,
    idempotency_key: str,
    actor_user_id: int | None,
    overdraft_limit_minutes: int = 0,
    today: dt.date | None = None,
    by_participant: bool = False,
) -> TimeCreditTransferRecord:
    """Give a participant's time credits to another participant or to a user-led group."""
    note = _check_movement(minutes, on, note, idempotency_key, overdraft_limit_minutes, today or dt.date.today(),
                           by_participant=by_participant)
    if (to_participant_id is None) == (to_group_id is None):
        raise ValidationError("Give the credits to one participant or one group.",
                              fields={"to_participant_id": ["name exactly one recipient"],
                                      "to_group_id": ["name exactly one recipient"]})
    _participant(session, participant_id)
    if to_participant_id is not None:
        if to_participant_id == participant_id:
            raise ValidationError("A participant cannot give time credits to themself.",
                                  fields={"to_participant_id": ["same as the giver"]})
        recipient = _participant(session, to_participant_id, "to_participant_id")
        if not recipient.is_active:
            raise Conflict(f"Participant {to_participant_id} is marked inactive.",
                           fields={"to_participant_id": ["inactive"]})
        return _move(
            session, participant_id=participant_id, kind="given_to_participant",
            to_code=participant_accounts(to_participant_id).time_credits,
            target={"to_participant_id": to_participant_id}, minutes=minutes, on=on, note=note,
            idempotency_key=idempotency_key.strip(), actor_user_id=actor_user_id,
            overdraft_limit_minutes=overdraft_limit_minutes,
            description=f"Time credits given by participant {participant_id} to participant {to_participant_id}",
        )
    group = session.get(UserLedGroup, to_group_id) if type(to_group_id) is int else None
    if group is None:
        raise NotFound(f"There is no user-led group {to_group_id}.", fields={"to_group_id": ["unknown"]})
    if not group.is_active:
        raise Conflict(f"{group.name} is marked inactive.", fields={"to_group_id": ["inactive"]})
    return _move(
        session, participant_id=participant_id, kind="given_to_group",
        to_code=_open_group_time_account(session, group.id), target={"to_group_id": group.id}, minutes=minutes,
        on=on, note=note, idempotency_key=idempotency_key.strip(), actor_user_id=actor_user_id,
        overdraft_limit_minutes=overdraft_limit_minutes,
        description=f"Time credits given by participant {participant_id} to {group.name}",
    )
