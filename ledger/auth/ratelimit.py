"""Fixed-window rate limits counted in the database, so every worker and host shares them."""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ledger.auth.models import RateLimitCounter

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
