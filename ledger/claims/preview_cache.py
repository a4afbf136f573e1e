"""The finance queue's benefit checks, kept between requests while nothing they depend on has changed.

Finance open the claims queue again and again; each time it ran the policy engine over every waiting claim
(about half of the page's cost, issue 12), though between two looks nothing usually changes. A claim's
check (``preview_approvals``) depends only on:

- the claim itself and the participant's other approved or paid claims, and the claim's approvals: every
  change to them (drafting, submitting, approving, returning, rejecting, correcting, repricing, paying) is
  recorded as an event, by ``ledger.events.writer``, in the same transaction;
- the participant's benefit declarations and circumstances: written with an event too;
- what they received: journal entries, which are only ever added (a correction is a new entry);
- the participant's date of birth (the pay rate by age): ``update_participant`` records an event too;
- the activity's day and region: activities are scheduled, never edited;
- the organisation's rules (fixed when the app starts) and today's date.

Every transaction that writes a journal entry or an event links them into the keyed chain as it commits
(``ledger.chain.links``), moving the one-row chain head on, under its lock, in the order the transactions
commit. So the checks are kept under the head (its number and link), with the rules object and today: any
change to what a check reads moves the head, and the next request works the checks out again. The newest ids
would not do on PostgreSQL, which hands ids out before commit: a transaction holding a lower id can commit
after one with a higher, and the newest ids would hide its change; the head moves at every commit whatever the
ids. A write that is neither an entry nor an event (a sign-in attempt, a token's last use) leaves the head, and
the kept checks, alone; nor does anything written to another database on the same server touch them. Each
process keeps its own copy (gunicorn workers share nothing), and as the head is read from the database every
worker sees every other's changes without being told. The head's link is kept as well as its number, so that a
database emptied and filled again (its chain started again from 0) cannot pass for the one the checks came from.

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

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.chain.models import ChainHead
from ledger.claims.records import ApprovalPreview
from ledger.claims.services import ClaimRules, preview_approvals
from ledger.errors import Conflict

#: At most this many claims' checks are kept (the queue shows 200 a page; a few filters' worth).
MAX_CLAIMS = 2000

Answer = ApprovalPreview | Conflict


@dataclass(frozen=True, slots=True)
class Stamp:
    """Where the chain's head stood when the checks were worked out (see the module's docstring)."""

    seq: int | None
    link: str | None


def read_stamp(session: Session) -> Stamp:
    """The chain head, in one statement (no row yet, in a database nothing was ever written to: None)."""
    row = session.execute(select(ChainHead.seq, ChainHead.link).where(ChainHead.id == 1)).one_or_none()
    return Stamp(seq=None, link=None) if row is None else Stamp(seq=row.seq, link=row.link)


@dataclass(slots=True)
class _Generation:
    stamp: Stamp
    rules: ClaimRules
    today: dt.date
    answers: dict[int, Answer] = field(default_factory=dict)

    def serves(self, stamp: Stamp, rules: ClaimRules, today: dt.date) -> bool:
        """Still true for a request that read ``stamp``: nothing committed since, the same rules and day."""
        return self.rules is rules and self.today == today and self.stamp == stamp


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
