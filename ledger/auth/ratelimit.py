"""Rate limits counted in the database, so every worker and host shares them.

Two kinds: fixed-window counts for the public endpoints (``hit``), and sign-in attempts spaced by growing
delays (``claim_attempt``), counted before each password is checked so that simultaneous guesses cannot slip
past the limit between a count and its check.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ledger.auth.models import LoginThrottle, RateLimitCounter

_counters = RateLimitCounter.__table__


def hit(session: Session, key: str, *, window_seconds: int, now: float | None = None) -> int:
    """Count one hit for ``key`` in the current window and return the window's count so far."""
    window = int((now if now is not None else time.time()) // window_seconds)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(_counters).values(key=key[:200], window_start=window, count=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[_counters.c.key, _counters.c.window_start],
        set_={"count": _counters.c.count + 1},
    ).returning(_counters.c.count)
    count_now = session.execute(stmt).scalar_one()
    # Earlier windows of this key count for nothing any more: drop them so the table stays small.
    session.execute(_counters.delete().where(_counters.c.key == key[:200], _counters.c.window_start < window))
    return count_now


def count(session: Session, key: str, *, window_seconds: int, now: float | None = None) -> int:
    window = int((now if now is not None else time.time()) // window_seconds)
    value = session.execute(
        select(_counters.c.count).where(_counters.c.key == key[:200], _counters.c.window_start == window)
    ).scalar_one_or_none()
    return value or 0


def clear(session: Session, key: str) -> None:
    session.execute(_counters.delete().where(_counters.c.key == key[:200]))


# ---------------------------------------------------------------- sign-in attempts: growing delays

_throttles = LoginThrottle.__table__


@dataclass(frozen=True, slots=True)
class Delays:
    """How sign-in attempts are spaced: ``limit`` failures free, then a wait of ``first_seconds`` that doubles with
    each further failure up to ``longest_seconds``; ``forget_after_seconds`` without a failure starts afresh."""

    limit: int
    first_seconds: int = 30
    longest_seconds: int = 900
    forget_after_seconds: int = 900

    def wait_after(self, failures: int) -> int:
        """Seconds the next attempt waits once ``failures`` have been counted."""
        if failures < self.limit:
            return 0
        return min(self.first_seconds * 2 ** min(failures - self.limit, 30), self.longest_seconds)


def _wait_expression(failures, delays: Delays):
    """``Delays.wait_after`` in SQL (a CASE over the few distinct waits), so the claim stays one statement."""
    steps, waits = 0, []
    while True:
        wait = delays.wait_after(delays.limit + steps)
        waits.append((failures >= delays.limit + steps, wait))
        if wait >= delays.longest_seconds:
            break
        steps += 1
    return case(*reversed(waits), else_=0)


def claim_attempt(session: Session, key: str, delays: Delays, *, now: float | None = None) -> int:
    """Count one attempt for ``key`` before its password is checked; return 0, or the seconds left to wait.

    One upsert, guarded by ``not_before <= now``: it counts the attempt as a failure and sets when the next may
    come, or changes nothing when this one is early. The row stays locked until the caller commits, so attempts
    at the same moment are counted one after another and at most ``limit`` of them are ever checked. A success
    gives the count back (``forgive``).
    """
    at = int(now if now is not None else time.time())
    key = key[:200]
    stale = _throttles.c.last_failure_at <= at - delays.forget_after_seconds
    failures = case((stale, 1), else_=_throttles.c.failures + 1)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(_throttles).values(key=key, failures=1, last_failure_at=at,
                                             not_before=at + delays.wait_after(1))
    stmt = stmt.on_conflict_do_update(
        index_elements=[_throttles.c.key],
        set_={"failures": failures, "last_failure_at": at, "not_before": at + _wait_expression(failures, delays)},
        where=_throttles.c.not_before <= at,
    ).returning(_throttles.c.failures)
    if session.execute(stmt).first() is not None:
        return 0
    not_before = session.execute(select(_throttles.c.not_before).where(_throttles.c.key == key)).scalar_one()
    return max(int(not_before) - at, 1)


def forgive(session: Session, key: str, delays: Delays) -> None:
    """Take back one counted attempt (it succeeded); below the limit again, the next need not wait."""
    left = _throttles.c.failures - 1
    session.execute(update(_throttles).where(_throttles.c.key == key[:200]).values(
        failures=case((left > 0, left), else_=0),
        not_before=case((left < delays.limit, 0), else_=_throttles.c.not_before)))


def forget(session: Session, key: str) -> None:
    """Forget every attempt for ``key`` (the account signed in: earlier typos no longer count)."""
    session.execute(_throttles.delete().where(_throttles.c.key == key[:200]))
