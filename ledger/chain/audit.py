"""What an auditor who trusts nobody with database access runs: ``ledger verify``, ``seal`` and checkpoints.

``VERIFY_CHECKS`` are the books' own checks (``ledger.books.verify.CHECKS``) and three more, each a plain
function returning problems:

- ``check_chain``: every link is the keyed HMAC of the one before, numbered without gaps; the head names the
  last; every entry and event has exactly one link, and is as it was when linked. An edited entry (balanced or
  not), a deleted entry or event, a row inserted outside the app, a rewritten chain: each is reported with the
  entry (or event) where it starts. Nobody without ``LEDGER_CHAIN_KEY`` can make a link that holds.
- ``check_claims_agree``: each claim's amount agrees with what its accrual entry credited as owed, so that an
  edited claim amount (which no posting follows) shows.
- ``check_payments_agree``: each payment's amount agrees with what its entry took from the bank.
- ``check_erasures`` (``ledger.chain.redaction_audit``): every text erasure emptied is covered by a redaction
  row its erasure event committed to, and holds the marker still; no text was blanked to it by hand.

Erased texts: an event's reason, note and details values (digest version 2) and an entry's description and
memos (fingerprint version 3) are committed to by their sha256, so erasure can empty them and the links hold;
the checks stand each erased text's sha256, from its ``redactions`` row, in for the marker.

A checkpoint (``make_checkpoint``) is the chain's head, its counts and the moment, signed with an Ed25519 key
derived from the chain key: the auditor keeps it outside the system, with the public key, and can check the
signature with any Ed25519 tool; ``check_checkpoint`` checks it against the books as they are now (later links
are allowed; a past rewritten, shortened or re-keyed is reported).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from ledger.books.models import Account, JournalEntry, Posting
from ledger.books.posting import content_hash
from ledger.books.records import PostingLine
from ledger.books.verify import CHECKS, MAX_PER_CHECK, Check, Problem, _capped
from ledger.chain import links as chain
from ledger.chain.models import ChainHead, ChainLink
from ledger.chain.redaction_audit import check_erasures
from ledger.chain.redactions import ENTRY, EVENT, POSTING, erased_fields
from ledger.claims.models import Claim
from ledger.db import Base, utcnow
from ledger.events.models import Event
from ledger.formatting import long_date
from ledger.organisation import BANK
from ledger.payments.models import Payment

_links = ChainLink.__table__
_head = ChainHead.__table__
_entries = JournalEntry.__table__
_postings = Posting.__table__
_accounts = Account.__table__
_events = Event.__table__
_claims = Claim.__table__
_payments = Payment.__table__
_CHUNK = 5000
CHECKPOINT_VERSION = 1
# The posting kinds an accrual credits to what a participant or group is owed: what the claim says is owed.
_OWED_KINDS = ("fee", "expense", "redirected", "flat_rate_allowance", "voucher")


# ---------------------------------------------------------------- the chain


def _what(record_type: str, record_id: int) -> dict:
    return {"entry_id": record_id} if record_type == chain.ENTRY else {}


def _name(record_type: str, record_id: int) -> str:
    return f"event {record_id}: " if record_type == chain.EVENT else ""


def _link_problems(session: Session) -> list[Problem]:
    """Each link checked against the one stored before it, so that every bad link is named, the first first."""
    key = chain.chain_key(session)
    problems: list[Problem] = []
    expected, previous = 1, ""
    for seq, record_type, record_id, digest, link in session.execute(
        select(_links.c.seq, _links.c.record_type, _links.c.record_id, _links.c.digest, _links.c.link)
        .order_by(_links.c.seq).execution_options(yield_per=_CHUNK)
    ):
        if seq != expected:
            problems.append(Problem("chain", f"{_name(record_type, record_id)}the chain jumps from link {expected - 1} "
                                    f"to link {seq}: links were deleted before this record.",
                                    **_what(record_type, record_id)))
        elif chain.make_link(key, previous, seq, record_type, record_id, digest) != link:
            problems.append(Problem("chain", f"{_name(record_type, record_id)}link {seq} does not hold: the chain was "
                                    "rewritten from here without the key (or the key is not this chain's).",
                                    **_what(record_type, record_id)))
        expected, previous = seq + 1, link
        if len(problems) > MAX_PER_CHECK:
            problems.append(Problem("chain", "... and more broken links after these, not listed."))
            return problems
    head = session.execute(select(_head.c.seq, _head.c.link).where(_head.c.id == 1)).one_or_none()
    last = (expected - 1, previous)
    if (head is None and last[0]) or (head is not None and tuple(head) != last):
        problems.append(Problem("chain", f"the chain's head says link {head[0] if head else 'none'}, but the last "
                                f"link is {last[0]}: the head was changed outside the application."))
    return problems


def _entry_digests(session: Session) -> Iterator[tuple[int, str]]:
    """Each entry's digest as it is now, its fingerprint recomputed from its postings (in id order)."""
    codes = dict(session.execute(select(_accounts.c.id, _accounts.c.code)).all())
    erased = erased_fields(session)
    postings = iter(session.execute(
        select(_postings.c.entry_id, _postings.c.account_id, _postings.c.unit, _postings.c.amount, _postings.c.memo,
               _postings.c.kind, _postings.c.id).order_by(_postings.c.entry_id)
        .execution_options(yield_per=_CHUNK)))
    line = next(postings, None)
    for r in session.execute(
        select(_entries.c.id, _entries.c.effective_date, _entries.c.description, _entries.c.kind,
               _entries.c.reverses_entry_id, _entries.c.fingerprint_version, _entries.c.idempotency_key,
               _entries.c.recorded_at, _entries.c.actor_user_id)
        .order_by(_entries.c.id).execution_options(yield_per=_CHUNK)
    ):
        lines = []
        while line is not None and line[0] <= r.id:
            if line[0] == r.id:
                memo = chain.committed(line[4], erased[POSTING].get(line[6], {}).get("memo"))
                lines.append(PostingLine(codes.get(line[1], ""), line[3], line[2], memo, line[5]))
            line = next(postings, None)
        description = chain.committed(r.description, erased[ENTRY].get(r.id, {}).get("description"))
        fingerprint = content_hash(r.effective_date, description, r.kind, r.reverses_entry_id, lines,
                                   r.fingerprint_version)
        yield r.id, chain.entry_digest(fingerprint, r.idempotency_key, r.recorded_at, r.actor_user_id)


def _event_digests(session: Session) -> Iterator[tuple[int, str]]:
    erased = erased_fields(session)[EVENT]
    for row in session.execute(select(_events).order_by(_events.c.id).execution_options(yield_per=_CHUNK)):
        yield row.id, chain.event_digest(row._mapping, erased.get(row.id))


def _record_problems(session: Session, record_type: str, records: Iterator[tuple[int, str]],
                     sealed_up_to: int) -> list[Problem]:
    """Merge the records with their links (both in id order): one link each, and the content it was made from."""
    waiting = chain.pending(session, record_type)
    linked = iter(session.execute(
        select(_links.c.record_id, _links.c.digest, _links.c.seq).where(_links.c.record_type == record_type)
        .order_by(_links.c.record_id).execution_options(yield_per=_CHUNK)))
    found: list[tuple[int, str]] = []
    unsealed = 0
    link = next(linked, None)
    for record_id, digest in records:
        while link is not None and link[0] < record_id:
            found.append((link[0], f"link {link[2]} names it, but it is gone: it was deleted."))
            link = next(linked, None)
        if link is None or link[0] != record_id:
            if record_id in waiting:
                continue  # written by this very transaction: linked when it commits
            if record_id <= sealed_up_to:
                unsealed += 1
            else:
                found.append((record_id, "it has no link in the chain: it was written outside the application."))
            continue
        if link[1] != digest:
            found.append((record_id, f"it is not what it was when link {link[2]} was made: it was changed "
                                     "afterwards (its postings, amounts, description, date or who recorded it)."))
        link = next(linked, None)
    while link is not None:
        found.append((link[0], f"link {link[2]} names it, but it is gone: it was deleted."))
        link = next(linked, None)
    problems = _capped("chain", found, lambda f: Problem(
        "chain", _name(record_type, f[0]) + f[1], **_what(record_type, f[0])))
    if unsealed:
        problems.append(Problem("chain", f"{unsealed} {record_type}(s) from before the chain existed are not linked "
                                "yet: run `flask --app wsgi ledger seal` once, with the production key."))
    return problems


def check_chain(session: Session) -> list[Problem]:
    """The keyed chain holds, and every entry and event is in it, unchanged since it was linked."""
    head = session.execute(select(_head.c.before_chain_entry_id, _head.c.before_chain_event_id)
                           .where(_head.c.id == 1)).one_or_none()
    entries_before, events_before = (head[0], head[1]) if head is not None else (0, 0)
    return (_link_problems(session)
            + _record_problems(session, chain.ENTRY, _entry_digests(session), entries_before)
            + _record_problems(session, chain.EVENT, _event_digests(session), events_before))


# ---------------------------------------------------------------- claims and payments against the postings


def check_claims_agree(session: Session) -> list[Problem]:
    """Each accrued claim's amount is what its accrual entry credited as owed (a group's part shares its entry)."""
    claimed = (select(_claims.c.accrual_entry_id.label("entry_id"), func.sum(_claims.c.amount_pence).label("claimed"),
                      func.min(_claims.c.id).label("claim_id"), func.count().label("n"))
               .where(_claims.c.accrual_entry_id.is_not(None)).group_by(_claims.c.accrual_entry_id).subquery())
    owed = (select(_postings.c.entry_id, (-func.sum(_postings.c.amount)).label("owed"))
            .join(_accounts, _accounts.c.id == _postings.c.account_id)
            .where(_accounts.c.code.like("owed:%"), _postings.c.amount < 0, _postings.c.kind.in_(_OWED_KINDS))
            .group_by(_postings.c.entry_id).subquery())
    posted = func.coalesce(owed.c.owed, 0)
    rows = session.execute(
        select(claimed.c.entry_id, claimed.c.claimed, claimed.c.claim_id, claimed.c.n, posted.label("owed"))
        .select_from(claimed.outerjoin(owed, owed.c.entry_id == claimed.c.entry_id))
        .where(claimed.c.claimed != posted).order_by(claimed.c.entry_id))
    return _capped("claims-agree", rows, lambda r: Problem(
        "claims-agree", f"claim {r.claim_id}{' (and its parts)' if r.n > 1 else ''} says {r.claimed} pence is owed, "
        f"but its accrual entry credited {r.owed} pence: the claim's amount was changed outside the application.",
        entry_id=r.entry_id))


def check_payments_agree(session: Session) -> list[Problem]:
    """Each payment's amount is what its entry took from the bank."""
    paid = (select(_postings.c.entry_id, (-func.sum(_postings.c.amount)).label("paid"))
            .join(_accounts, and_(_accounts.c.id == _postings.c.account_id, _accounts.c.code == BANK))
            .group_by(_postings.c.entry_id).subquery())
    posted = func.coalesce(paid.c.paid, 0)
    rows = session.execute(
        select(_payments.c.id, _payments.c.run_id, _payments.c.entry_id, _payments.c.amount_pence,
               posted.label("paid"))
        .select_from(_payments.outerjoin(paid, paid.c.entry_id == _payments.c.entry_id))
        .where(_payments.c.amount_pence != posted).order_by(_payments.c.id))
    return _capped("payments-agree", rows, lambda r: Problem(
        "payments-agree", f"payment {r.id} of run {r.run_id} says {r.amount_pence} pence was paid, but its entry "
        f"took {r.paid} pence from the bank: the payment was changed outside the application.", entry_id=r.entry_id))


VERIFY_CHECKS: tuple[Check, ...] = (*CHECKS, check_chain, check_claims_agree, check_payments_agree, check_erasures)


# ---------------------------------------------------------------- sealing what came before the chain


def seal(session: Session) -> int:
    """Link the entries and events from before the chain (migration 0025) that have no link yet; return how many."""
    head = session.execute(select(_head.c.before_chain_entry_id, _head.c.before_chain_event_id)
                           .where(_head.c.id == 1)).one_or_none()
    if head is None:
        return 0
    digests: list[tuple[str, int, str]] = []
    for record_type, records, up_to in ((chain.ENTRY, _entry_digests(session), head[0]),
                                        (chain.EVENT, _event_digests(session), head[1])):
        have = set(session.execute(select(_links.c.record_id).where(
            _links.c.record_type == record_type, _links.c.record_id <= up_to)).scalars())
        digests.extend((record_type, rid, digest) for rid, digest in records if rid <= up_to and rid not in have)
    if digests:
        chain.link_records(session, Base.metadata, digests)
    return len(digests)


# ---------------------------------------------------------------- checkpoints


def _signing_key(session: Session) -> Ed25519PrivateKey:
    """The checkpoint signing key: derived from the chain key, so there is one secret to keep, not two."""
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"ledger checkpoint signing key v1").derive(
        chain.chain_key(session))
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key(session: Session) -> str:
    """The checkpoints' public key (base64 of the raw 32 bytes), for the auditor to keep with them."""
    raw = _signing_key(session).public_key().public_bytes_raw()
    return base64.b64encode(raw).decode()


def _canonical(body: dict) -> bytes:
    return json.dumps({k: v for k, v in body.items() if k != "signature"}, sort_keys=True,
                      separators=(",", ":")).encode()


def _counts_up_to(session: Session, seq: int) -> dict[str, int]:
    rows = session.execute(select(_links.c.record_type, func.count()).where(_links.c.seq <= seq)
                           .group_by(_links.c.record_type)).all()
    counts: dict[str, int] = {r[0]: r[1] for r in rows}
    return {"entries": counts.get(chain.ENTRY, 0), "events": counts.get(chain.EVENT, 0)}


def make_checkpoint(session: Session, *, at: dt.datetime | None = None) -> dict:
    """The chain's head, its counts and the moment, signed (see the module's docstring)."""
    moment = at or utcnow()
    head = session.execute(select(_head.c.seq, _head.c.link).where(_head.c.id == 1)).one_or_none()
    seq, link = (head[0], head[1]) if head is not None else (0, "")
    body = {"version": CHECKPOINT_VERSION, "head_seq": seq, "head_link": link, **_counts_up_to(session, seq),
            "taken_at": moment.isoformat(timespec="seconds"), "date": long_date(moment.date()),
            "public_key": public_key(session)}
    signature = _signing_key(session).sign(_canonical(body))
    return {**body, "signature": base64.b64encode(signature).decode()}


@dataclass(frozen=True, slots=True)
class CheckpointResult:
    checkpoint: dict
    problems: tuple[Problem, ...]
    links_now: int

    @property
    def ok(self) -> bool:
        return not self.problems

    def describe(self) -> str:
        seq = self.checkpoint.get("head_seq")
        when = self.checkpoint.get("date", "an unknown date")
        if self.ok:
            return (f"The checkpoint of {when} holds: the chain's first {seq} links are as they were then, and "
                    f"{self.links_now - int(seq or 0)} link(s) have been added since.")
        lines = [f"The checkpoint of {when} does NOT hold:"]
        lines.extend(f"  - {p.describe()}" for p in self.problems)
        return "\n".join(lines)


def check_checkpoint(session: Session, checkpoint: dict) -> CheckpointResult:
    """Check a checkpoint's signature, and that the chain still holds the head and counts it names."""
    problems: list[Problem] = []
    try:
        seq, link = int(checkpoint["head_seq"]), str(checkpoint["head_link"])
        signature = base64.b64decode(checkpoint["signature"], validate=True)
    except (KeyError, TypeError, ValueError):
        problem = Problem("checkpoint", "the file is not a checkpoint made by `ledger checkpoint` (a field is "
                          "missing or malformed: head_seq, head_link, signature).")
        return CheckpointResult(checkpoint, (problem,), 0)
    verifier: Ed25519PublicKey = _signing_key(session).public_key()
    try:
        verifier.verify(signature, _canonical(checkpoint))
    except InvalidSignature:
        problems.append(Problem("checkpoint", "its signature does not match: the file was altered, or it was not "
                                "signed with this system's key."))
    links_now = session.execute(select(func.count()).select_from(_links)).scalar_one()
    at = session.execute(select(_links.c.link, _links.c.record_type, _links.c.record_id)
                         .where(_links.c.seq == seq)).one_or_none()
    if seq and at is None:
        problems.append(Problem("checkpoint", f"the chain has no link {seq} any more (it has {links_now}): links were "
                                "deleted since the checkpoint."))
    elif seq and at is not None and at[0] != link:
        problems.append(Problem("checkpoint", f"{_name(at[1], at[2])}link {seq} is not the one the checkpoint "
                                "recorded: the chain was rewritten at or before this point.", **_what(at[1], at[2])))
    counts = _counts_up_to(session, seq)
    for name in ("entries", "events"):
        if name in checkpoint and counts[name] != checkpoint[name]:
            problems.append(Problem("checkpoint", f"the checkpoint counted {checkpoint[name]} {name} in its first "
                                    f"{seq} links; the chain now has {counts[name]} there."))
    problems.extend(check_chain(session))
    return CheckpointResult(checkpoint, tuple(problems), links_now)
