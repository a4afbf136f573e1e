"""Properties of the books under random sequences of postings, replays, reversals and locks.

Each example runs in a transaction of its own that is rolled back at the end (on PostgreSQL after firing
the deferred balance triggers), against a model of what every balance should be.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from ledger.books import posting, queries
from ledger.books.models import JournalEntry
from ledger.books.records import PostingLine
from ledger.books.verify import verify_books
from ledger.errors import AlreadyReversed, Conflict, InsufficientTimeCredits, PeriodLocked
from tests.factories import CHART, line, open_chart

ACCOUNTS_IN = {unit: sorted(code for code, (_, _, u) in CHART.items() if u == unit) for unit in ("GBP", "TIME")}
FIRST_DAY = dt.date(2025, 1, 1)
DAYS = st.integers(0, 89).map(lambda n: FIRST_DAY + dt.timedelta(days=n))  # January to March


@st.composite
def balanced_lines(draw, unit: str) -> list[PostingLine]:
    """Two to four non-zero postings in one unit that sum to zero (an account may appear twice)."""
    codes = draw(st.lists(st.sampled_from(ACCOUNTS_IN[unit]), min_size=2, max_size=4))
    amounts = draw(st.lists(st.integers(-1_000_000, 1_000_000).filter(bool), min_size=len(codes) - 1,
                            max_size=len(codes) - 1))
    if sum(amounts) == 0:
        amounts[0] += 1 if amounts[0] != -1 else 2
    amounts.append(-sum(amounts))
    return [line(code, amount, unit) for code, amount in zip(codes, amounts, strict=True)]


@st.composite
def entries(draw) -> list[PostingLine]:
    units = draw(st.sampled_from([("GBP",), ("TIME",), ("GBP", "TIME")]))
    return [line for unit in units for line in draw(balanced_lines(unit))]


@dataclass(frozen=True)
class Post:
    lines: list[PostingLine]
    day: dt.date


@dataclass(frozen=True)
class Replay:
    pick: int


@dataclass(frozen=True)
class Reverse:
    pick: int
    day: dt.date
    own_key: bool


@dataclass(frozen=True)
class Lock:
    day: dt.date


OPERATIONS = st.lists(
    st.one_of(
        st.builds(Post, entries(), DAYS),
        st.builds(Replay, st.integers(0, 100)),
        st.builds(Reverse, st.integers(0, 100), DAYS, st.booleans()),
        st.builds(Lock, DAYS),
    ),
    min_size=1, max_size=14,
)


@dataclass(frozen=True)
class Posted:
    key: str
    day: dt.date
    lines: list[PostingLine]
    description: str
    kind: str
    reverses_entry_id: int | None
    entry_id: int


@dataclass
class Model:
    """What the books should say: every entry posted, what reverses what, and each account's movements."""

    posted: list = field(default_factory=list)  # Posted(...) for every entry, reversals included
    reversal_of: dict = field(default_factory=dict)  # reversal id -> original id
    reversed_by: dict = field(default_factory=dict)  # original id -> (reversal id, its key)
    locked: set = field(default_factory=set)
    moves: dict = field(default_factory=lambda: defaultdict(int))  # (code, day) -> amount

    def apply(self, lines, day) -> None:
        for posted in lines:
            self.moves[posted.account, day] += posted.amount

    def overdraws_time(self, lines) -> bool:
        """Would these lines take a participant's time credits below zero (which the books refuse)?"""
        taking = defaultdict(int)
        for posted in lines:
            if posted.account.startswith("time:participant:"):
                taking[posted.account] += posted.amount
        return any(minutes > 0 and self.balance(code) + minutes > 0 for code, minutes in taking.items())

    def balance(self, code: str, as_of: dt.date | None = None) -> int:
        return sum(amount for (c, day), amount in self.moves.items() if c == code and (as_of is None or day <= as_of))


def _run(session, operation, model: Model) -> None:
    if isinstance(operation, Post):
        key = f"entry-{len(model.posted) + len(model.reversal_of)}-{operation.day}"
        description = f"Entry dated {operation.day}"
        if operation.day.replace(day=1) in model.locked or model.overdraws_time(operation.lines):
            with pytest.raises(PeriodLocked if operation.day.replace(day=1) in model.locked
                               else InsufficientTimeCredits):
                posting.post_entry(session, effective_date=operation.day, description=description,
                                   postings=operation.lines, idempotency_key=key)
            return
        entry = posting.post_entry(session, effective_date=operation.day, description=description,
                                   postings=operation.lines, idempotency_key=key)
        model.posted.append(Posted(key, operation.day, operation.lines, description, "manual", None, entry.id))
        model.apply(operation.lines, operation.day)
    elif isinstance(operation, Replay) and model.posted:
        entry = model.posted[operation.pick % len(model.posted)]
        again = posting.post_entry(session, effective_date=entry.day, description=entry.description,
                                   postings=entry.lines, idempotency_key=entry.key, kind=entry.kind,
                                   reverses_entry_id=entry.reverses_entry_id)
        assert again.id == entry.entry_id
    elif isinstance(operation, Reverse) and model.posted:
        target = model.posted[operation.pick % len(model.posted)]
        lines, entry_id = target.lines, target.entry_id
        key = f"fix-{len(model.reversal_of)}-{entry_id}" if operation.own_key else None
        reverse = lambda: posting.reverse_entry(  # noqa: E731
            session, entry_id, effective_date=operation.day, idempotency_key=key)
        if entry_id in model.reversal_of:
            with pytest.raises(Conflict, match="itself a reversal"):
                reverse()
        elif entry_id in model.reversed_by:
            reversal_id, reversal_key = model.reversed_by[entry_id]
            if (key or f"reversal-of:{entry_id}") == reversal_key:
                assert reverse().id == reversal_id
            else:
                with pytest.raises(AlreadyReversed):
                    reverse()
        elif operation.day.replace(day=1) in model.locked:
            with pytest.raises(PeriodLocked):
                reverse()
        elif model.overdraws_time([PostingLine(x.account, -x.amount, x.unit, kind=x.kind) for x in lines]):
            with pytest.raises(InsufficientTimeCredits):
                reverse()
        else:
            before = {line.account: queries.balance(session, line.account) for line in lines}
            reversal = reverse()
            for code, balance in before.items():  # the reversal takes back exactly what the original moved
                assert queries.balance(session, code) == balance - sum(x.amount for x in lines if x.account == code)
            mirrored = [PostingLine(x.account, -x.amount, x.unit, kind=x.kind) for x in lines]
            model.posted.append(Posted(reversal.idempotency_key, operation.day, mirrored, reversal.description,
                                       reversal.kind, entry_id, reversal.id))
            model.reversal_of[reversal.id] = entry_id
            model.reversed_by[entry_id] = (reversal.id, reversal.idempotency_key)
            model.apply(mirrored, operation.day)
    elif isinstance(operation, Lock):
        model.locked.add(posting.lock_period(session, operation.day))


def _check(session, model: Model) -> None:
    trial = queries.trial_balance(session)
    assert trial.totals == {"GBP": 0, "TIME": 0}
    for row in trial.rows:
        assert row.balance == model.balance(row.account.code)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS, as_of=DAYS)
def test_random_postings_replays_reversals_and_locks_keep_the_books_sound(session_factory, operations, as_of):
    session = session_factory()
    try:
        open_chart(session)
        model = Model()
        for operation in operations:
            _run(session, operation, model)
            _check(session, model)

        # Each idempotency key posted exactly one entry, and nothing else was posted.
        keys = session.execute(
            select(JournalEntry.idempotency_key, func.count()).group_by(JournalEntry.idempotency_key)
        ).all()
        assert sorted(keys) == sorted((entry.key, 1) for entry in model.posted)
        # Balances as of any date agree with the model, and every trial balance is zero.
        as_of_trial = queries.trial_balance(session, as_of=as_of)
        assert as_of_trial.totals == {"GBP": 0, "TIME": 0}
        for row in as_of_trial.rows:
            assert row.balance == model.balance(row.account.code, as_of)
        # An original and its reversal together move nothing.
        for reversal_id, original_id in model.reversal_of.items():
            net = defaultdict(int)
            for entry_id in (reversal_id, original_id):
                for line in posting.load_entry(session, entry_id).postings:
                    net[line.account] += line.amount
            assert set(net.values()) == {0}
        report = verify_books(session)
        assert report.ok, report.describe()
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))  # the deferred balance triggers agree
    finally:
        session.rollback()
        session.close()
