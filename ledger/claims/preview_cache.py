"""The finance queue's benefit checks, kept between requests while nothing they depend on has changed.

Finance open the claims queue again and again; each time it ran the policy engine over every waiting claim
(about half of the page's cost, issue 12), though between two looks nothing usually changes. A claim's
check (``preview_approvals``) depends only on:

- the claim itself and the participant's other approved or paid claims, and the claim's approvals: every
  change to them (drafting, submitting, approving, returning, rejecting, correcting, repricing, paying) is
  recorded as an event, by ``ledger.events.writer``, in the same transaction;
- the participant's benefit declarations and circumstances: written with an event too;
- what they received: journal entries, which are only ever added (a correction is a new entry);
- the participant's date of birth (the pay rate by age): ``update_participant`` changes it with no event,
  but always stamps the row's ``updated_at``;
- the activity's day and region: activities are scheduled, never edited;
- the organisation's rules (fixed when the app starts) and today's date.

So the checks are kept under a *stamp* of the database, read in one statement: the newest event id, the
newest journal entry id and the latest participant change, with the rules object and today. Any change
to what a check reads moves the stamp, and the next request works the checks out again. Each process
keeps its own copy (gunicorn workers share nothing), and as the stamp is read from the database every
worker sees every other's changes without being told.

On PostgreSQL, ids are handed out before commit, so a transaction can commit *after* one with a higher
event id: the newest ids alone would then hide its change. The stamp also carries the snapshot the
statement saw: its horizon (``xmax``) and the transactions below it still in progress (``xip``). A kept
generation is used only while the horizon has not moved (no transaction past it has finished) and all of
those are still in progress: once any transaction that was invisible has finished (committed, perhaps with
a change), the checks are worked out again. Read-only requests take no transaction id, so a queue looked
at while nobody writes is served from the cache; any write on the server (even in another database)
moves the horizon, and costs one more run of the checks. SQLite writes one transaction at a time, so ids
are committed in order there.

Checks are kept per claim, so filtering the queue (a project, a person) reuses them. What is kept is the
same for every finance user (the checks name nobody who looked), so the cache holds nothing user-specific;
the queue itself is finance-only. It is bounded: one generation (a new stamp replaces the old one) of at
most ``MAX_CLAIMS`` claims.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Session

from ledger.books.models import JournalEntry
from ledger.claims.records import ApprovalPreview
from ledger.claims.services import ClaimRules, preview_approvals
from ledger.errors import Conflict
from ledger.events.models import Event
from ledger.people.models import Participant

#: At most this many claims' checks are kept (the queue shows 200 a page; a few filters' worth).
MAX_CLAIMS = 2000

Answer = ApprovalPreview | Conflict


# The snapshot's horizon (``xmax``: every transaction id from it on was not visible) and the transactions
# below it still in progress (``xip``). A transaction at or past the horizon that finishes moves the horizon on.
_SNAPSHOT = ("ARRAY[pg_snapshot_xmax(pg_current_snapshot())::text::bigint] || "
             "ARRAY(SELECT x::text::bigint FROM pg_snapshot_xip(pg_current_snapshot()) AS x)")


@dataclass(frozen=True, slots=True)
class Stamp:
    """What the database looked like when the checks were worked out (see the module's docstring)."""

    newest_event_id: int | None
    newest_entry_id: int | None
    participants_changed_at: dt.datetime | None
    horizon: int | None = None  # PostgreSQL: the snapshot's xmax
    in_progress: frozenset[int] = frozenset()  # PostgreSQL: the transactions below it running when it was read


def read_stamp(session: Session) -> Stamp:
    """The stamp, in one statement (PostgreSQL adds the transactions in progress)."""
    columns: list[Any] = [select(func.max(Event.id)).scalar_subquery(),
                          select(func.max(JournalEntry.id)).scalar_subquery(),
                          select(func.max(Participant.updated_at)).scalar_subquery()]
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        columns.append(literal_column(_SNAPSHOT))
    row = session.execute(select(*columns)).one()
    snapshot: list[int] = list(row[3]) if postgres else []
    return Stamp(newest_event_id=row[0], newest_entry_id=row[1], participants_changed_at=row[2],
                 horizon=snapshot[0] if snapshot else None, in_progress=frozenset(snapshot[1:]))


@dataclass(slots=True)
class _Generation:
    stamp: Stamp
    rules: ClaimRules
    today: dt.date
    answers: dict[int, Answer] = field(default_factory=dict)

    def serves(self, stamp: Stamp, rules: ClaimRules, today: dt.date) -> bool:
        """Still true for a request that read ``stamp``: same data, rules and day, no transaction finished since."""
        return (self.rules is rules and self.today == today
                and (self.stamp.newest_event_id, self.stamp.newest_entry_id, self.stamp.participants_changed_at,
                     self.stamp.horizon)
                == (stamp.newest_event_id, stamp.newest_entry_id, stamp.participants_changed_at, stamp.horizon)
                and self.stamp.in_progress <= stamp.in_progress)


class PreviewCache:
    """``preview_approvals``, remembered per claim while the database stamp stays the same (one per app)."""

    def __init__(self, max_claims: int = MAX_CLAIMS) -> None:
        self.max_claims = max_claims
        self._generation: _Generation | None = None
        self._lock = threading.Lock()  # the development server runs requests in threads

    def previews(self, session: Session, claim_ids: Sequence[int], *, rules: ClaimRules,
                 today: dt.date) -> dict[int, Answer]:
        """Each claim's preview or the reason the rules cannot check it, as ``preview_approvals`` gives them."""
        wanted = sorted(set(claim_ids))
        if not wanted:
            return {}
        stamp = read_stamp(session)
        with self._lock:
            generation = self._generation
            if generation is None or not generation.serves(stamp, rules, today):
                generation = _Generation(stamp=stamp, rules=rules, today=today)
            known = {claim_id: generation.answers[claim_id] for claim_id in wanted if claim_id in generation.answers}
        missing = [claim_id for claim_id in wanted if claim_id not in known]
        if missing:
            found = preview_approvals(session, missing, rules=rules, today=today)
            known.update(found)
            with self._lock:
                if len(generation.answers) + len(found) > self.max_claims:
                    generation.answers.clear()
                # Claims that do not exist are left out, as preview_approvals leaves them out.
                generation.answers.update(found)
                self._generation = generation
        return known
