"""Re-check every invariant of the books over the whole database: ``flask ledger verify``.

Each check is a plain function taking a session and returning the problems it found (none when the
books are sound), in the manner of beancount's ``ops/validation.py``. Apart from the content-hash check,
which has to recompute each entry's fingerprint in Python, every check is one set-based query (GROUP BY
over the postings), so the whole run stays a handful of table scans however large the books grow.

The checks trust nothing the posting code maintains: they compare the stored balances and daily
totals with sums recomputed from the postings, and the postings with the entries and accounts they
belong to. On PostgreSQL the run reads one REPEATABLE READ snapshot, so that postings committed by
others while it runs cannot show up as false problems.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Date, cast, func, literal, select, union_all
from sqlalchemy.orm import Session

from ledger.books.models import (
    Account,
    AccountBalance,
    AccountDailyTotal,
    JournalEntry,
    LockedPeriod,
    Posting,
)
from ledger.books.posting import content_hash
from ledger.books.records import PostingLine
from ledger.books.units import UNITS
from ledger.chain.links import committed
from ledger.chain.redactions import ENTRY, POSTING, erased_fields
from ledger.db import is_postgresql

_entries = JournalEntry.__table__
_postings = Posting.__table__
_accounts = Account.__table__
_balances = AccountBalance.__table__
_daily = AccountDailyTotal.__table__
_locked = LockedPeriod.__table__

# Report at most this many problems of one kind; past that, one more line says how many were left out.
MAX_PER_CHECK = 50
_HASH_CHUNK = 5000


@dataclass(frozen=True, slots=True)
class Problem:
    """One broken invariant, with the entry and account it concerns where there is one."""

    check: str
    message: str
    entry_id: int | None = None
    account_id: int | None = None

    def describe(self) -> str:
        where = []
        if self.entry_id is not None:
            where.append(f"entry {self.entry_id}")
        if self.account_id is not None:
            where.append(f"account {self.account_id}")
        subject = (", ".join(where) + ": ") if where else ""
        return f"{subject}{self.message} (check: {self.check})"


@dataclass(frozen=True, slots=True)
class VerificationReport:
    entries: int
    postings: int
    accounts: int
    checks: tuple[str, ...]
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def describe(self) -> str:
        lines = [
            f"Verified the books: {self.entries} entries, {self.postings} postings, "
            f"{self.accounts} accounts checked."
        ]
        if self.ok:
            lines.append(f"All {len(self.checks)} checks passed.")
            return "\n".join(lines)
        failed = sorted({p.check for p in self.problems})
        lines.append(
            f"{len(self.problems)} problem(s) found by {len(failed)} of {len(self.checks)} checks "
            f"({', '.join(failed)}):"
        )
        lines.extend(f"  - {p.describe()}" for p in self.problems)
        lines.append("The books are NOT sound: nothing posted is ever edited, so look for changes made "
                     "outside the application, and correct them with reversals or a restore.")
        return "\n".join(lines)


Check = Callable[[Session], list[Problem]]


def _capped(check: str, rows, make: Callable[..., Problem]) -> list[Problem]:
    """Turn query rows into problems, at most MAX_PER_CHECK of them, noting how many were left out."""
    problems: list[Problem] = []
    extra = 0
    for row in rows:
        if len(problems) < MAX_PER_CHECK:
            problems.append(make(row))
        else:
            extra += 1
    if extra:
        problems.append(Problem(check, f"... and {extra} more problem(s) of this kind not listed."))
    return problems


# ---------------------------------------------------------------- checks


def check_entries_have_two_postings(session: Session) -> list[Problem]:
    """Every entry has at least two postings."""
    counts = func.count(_postings.c.id)
    rows = session.execute(
        select(_entries.c.id, counts.label("n"))
        .select_from(_entries.outerjoin(_postings, _postings.c.entry_id == _entries.c.id))
        .group_by(_entries.c.id)
        .having(counts < 2)
        .order_by(_entries.c.id)
    )
    return _capped("two-postings", rows, lambda r: Problem(
        "two-postings", f"has {r.n} posting(s); every entry needs at least two.", entry_id=r.id))


def check_entries_balance(session: Session) -> list[Problem]:
    """Every entry sums to zero in each unit."""
    total = func.sum(_postings.c.amount)
    rows = session.execute(
        select(_postings.c.entry_id, _postings.c.unit, total.label("total"))
        .group_by(_postings.c.entry_id, _postings.c.unit)
        .having(total != 0)
        .order_by(_postings.c.entry_id, _postings.c.unit)
    )
    return _capped("balanced", rows, lambda r: Problem(
        "balanced", f"does not balance in {r.unit}: its postings sum to {_amount(r.total, r.unit)}, not 0.",
        entry_id=r.entry_id))


def check_no_zero_amounts(session: Session) -> list[Problem]:
    """No posting is zero."""
    rows = session.execute(
        select(_postings.c.id, _postings.c.entry_id, _postings.c.account_id)
        .where(_postings.c.amount == 0)
        .order_by(_postings.c.id)
    )
    return _capped("non-zero", rows, lambda r: Problem(
        "non-zero", f"posting {r.id} is zero.", entry_id=r.entry_id, account_id=r.account_id))


def check_posting_units(session: Session) -> list[Problem]:
    """Every posting names an existing account and is in that account's unit."""
    rows = session.execute(
        select(_postings.c.id, _postings.c.entry_id, _postings.c.account_id, _postings.c.unit,
               _accounts.c.unit.label("account_unit"))
        .select_from(_postings.outerjoin(_accounts, _accounts.c.id == _postings.c.account_id))
        .where((_accounts.c.id.is_(None)) | (_accounts.c.unit != _postings.c.unit))
        .order_by(_postings.c.id)
    )

    def make(r) -> Problem:
        if r.account_unit is None:
            return Problem("account-unit", f"posting {r.id} names account {r.account_id}, which does not exist.",
                           entry_id=r.entry_id, account_id=r.account_id)
        return Problem("account-unit", f"posting {r.id} is in {r.unit} but its account is kept in {r.account_unit}.",
                       entry_id=r.entry_id, account_id=r.account_id)

    return _capped("account-unit", rows, make)


def check_posting_dates(session: Session) -> list[Problem]:
    """Every posting carries its entry's effective date (statements and daily totals rely on it)."""
    rows = session.execute(
        select(_postings.c.id, _postings.c.entry_id, _postings.c.account_id, _postings.c.effective_date,
               _entries.c.effective_date.label("entry_date"))
        .select_from(_postings.outerjoin(_entries, _entries.c.id == _postings.c.entry_id))
        .where((_entries.c.id.is_(None)) | (_entries.c.effective_date != _postings.c.effective_date))
        .order_by(_postings.c.id)
    )

    def make(r) -> Problem:
        if r.entry_date is None:
            return Problem("posting-date", f"posting {r.id} belongs to entry {r.entry_id}, which does not exist.",
                           entry_id=r.entry_id, account_id=r.account_id)
        return Problem("posting-date", f"posting {r.id} is dated {r.effective_date} but its entry is dated "
                       f"{r.entry_date}.", entry_id=r.entry_id, account_id=r.account_id)

    return _capped("posting-date", rows, make)


def check_stored_balances(session: Session) -> list[Problem]:
    """Each account's stored balance and postings count equal what its postings add up to."""
    sums = (
        select(_postings.c.account_id, func.sum(_postings.c.amount).label("total"),
               func.count().label("n"))
        .group_by(_postings.c.account_id)
        .subquery()
    )
    total = func.coalesce(sums.c.total, 0)
    n = func.coalesce(sums.c.n, 0)
    rows = session.execute(
        select(_accounts.c.id, _accounts.c.code, _accounts.c.unit, _balances.c.account_id.label("has_row"),
               _balances.c.unit.label("stored_unit"), _balances.c.balance, _balances.c.postings_count,
               total.label("total"), n.label("n"))
        .select_from(
            _accounts.outerjoin(_balances, _balances.c.account_id == _accounts.c.id)
            .outerjoin(sums, sums.c.account_id == _accounts.c.id)
        )
        .where(
            _balances.c.account_id.is_(None)
            | (_balances.c.unit != _accounts.c.unit)
            | (_balances.c.balance != total)
            | (_balances.c.postings_count != n)
        )
        .order_by(_accounts.c.id)
    )

    def make(r) -> Problem:
        if r.has_row is None:
            return Problem("stored-balance", f"account {r.code} has no stored balance row.", account_id=r.id)
        if r.stored_unit != r.unit:
            return Problem("stored-balance", f"account {r.code} is kept in {r.unit} but its stored balance "
                           f"says {r.stored_unit}.", account_id=r.id)
        return Problem("stored-balance", f"account {r.code} has a stored balance of {_amount(r.balance, r.unit)} "
                       f"over {r.postings_count} posting(s), but its postings add up to {_amount(r.total, r.unit)} "
                       f"over {r.n}.", account_id=r.id)

    return _capped("stored-balance", rows, make)


def check_daily_totals(session: Session) -> list[Problem]:
    """The per-day totals behind "balance as of" equal the postings of each account and day, no more, no less."""
    both = union_all(
        select(_postings.c.account_id, _postings.c.effective_date.label("day"),
               _postings.c.amount.label("posted"), literal(0).label("stored"),
               literal(1).label("n_posted"), literal(0).label("n_stored")),
        select(_daily.c.account_id, _daily.c.day, literal(0), _daily.c.amount, literal(0), literal(1)),
    ).subquery()
    posted, stored = func.sum(both.c.posted), func.sum(both.c.stored)
    n_posted, n_stored = func.sum(both.c.n_posted), func.sum(both.c.n_stored)
    wrong = (
        select(both.c.account_id, both.c.day, posted.label("posted"), stored.label("stored"),
               n_posted.label("n_posted"), n_stored.label("n_stored"))
        .group_by(both.c.account_id, both.c.day)
        .having((posted != stored) | (n_posted == 0) | (n_stored != 1))
        .subquery()
    )
    rows = session.execute(
        select(wrong, _accounts.c.code, _accounts.c.unit)
        .outerjoin(_accounts, _accounts.c.id == wrong.c.account_id)
        .order_by(wrong.c.account_id, wrong.c.day)
    )

    def make(r) -> Problem:
        day, code = _as_date(r.day), r.code or f"#{r.account_id}"
        if r.n_stored == 0:
            message = (f"account {code} has postings of {_amount(r.posted, r.unit)} on {day} but no daily total "
                       "for that day.")
        elif r.n_posted == 0:
            message = (f"account {code} has a daily total of {_amount(r.stored, r.unit)} on {day} but no postings "
                       "that day.")
        else:
            message = (f"account {code} has a daily total of {_amount(r.stored, r.unit)} on {day} but its postings "
                       f"that day add up to {_amount(r.posted, r.unit)}.")
        return Problem("daily-totals", message, account_id=r.account_id)

    return _capped("daily-totals", rows, make)


def check_reversals_mirror_originals(session: Session) -> list[Problem]:
    """Every reversal posts exactly the negated postings of the entry it reverses, kinds too (memos aside)."""
    reversal = _entries.alias("reversal")
    # Multisets of (account, unit, amount, kind): the original's negated lines count +1, the reversal's -1.
    lines = union_all(
        select(reversal.c.id.label("entry_id"), reversal.c.reverses_entry_id.label("original_id"),
               _postings.c.account_id, _postings.c.unit, (-_postings.c.amount).label("amount"),
               _postings.c.kind, literal(1).label("n"))
        .select_from(reversal.join(_postings, _postings.c.entry_id == reversal.c.reverses_entry_id)),
        select(reversal.c.id, reversal.c.reverses_entry_id, _postings.c.account_id, _postings.c.unit,
               _postings.c.amount, _postings.c.kind, literal(-1))
        .select_from(reversal.join(_postings, _postings.c.entry_id == reversal.c.id))
        .where(reversal.c.reverses_entry_id.is_not(None)),
    ).subquery()
    mismatched = (
        select(lines.c.entry_id, lines.c.original_id)
        .group_by(lines.c.entry_id, lines.c.original_id, lines.c.account_id, lines.c.unit, lines.c.amount,
                  lines.c.kind)
        .having(func.sum(lines.c.n) != 0)
        .subquery()
    )
    rows = session.execute(
        select(mismatched.c.entry_id, mismatched.c.original_id).distinct().order_by(mismatched.c.entry_id)
    )
    return _capped("reversal-mirror", rows, lambda r: Problem(
        "reversal-mirror", f"reverses entry {r.original_id} but its postings are not the exact mirror of "
        f"that entry's.", entry_id=r.entry_id))


def check_reversed_at_most_once(session: Session) -> list[Problem]:
    """No entry is reversed more than once."""
    n = func.count()
    rows = session.execute(
        select(_entries.c.reverses_entry_id, n.label("n"))
        .where(_entries.c.reverses_entry_id.is_not(None))
        .group_by(_entries.c.reverses_entry_id)
        .having(n > 1)
        .order_by(_entries.c.reverses_entry_id)
    )
    return _capped("reversed-once", rows, lambda r: Problem(
        "reversed-once", f"is reversed {r.n} times; an entry may be reversed only once.",
        entry_id=r.reverses_entry_id))


def check_reversal_targets(session: Session) -> list[Problem]:
    """A reversal reverses an existing, earlier entry that is not itself a reversal."""
    original = _entries.alias("original")
    rows = session.execute(
        select(_entries.c.id, _entries.c.reverses_entry_id, original.c.id.label("found"),
               original.c.reverses_entry_id.label("original_reverses"))
        .select_from(_entries.outerjoin(original, original.c.id == _entries.c.reverses_entry_id))
        .where(
            _entries.c.reverses_entry_id.is_not(None)
            & (original.c.id.is_(None) | original.c.reverses_entry_id.is_not(None)
               | (original.c.id >= _entries.c.id))
        )
        .order_by(_entries.c.id)
    )

    def make(r) -> Problem:
        if r.found is None:
            message = f"reverses entry {r.reverses_entry_id}, which does not exist."
        elif r.original_reverses is not None:
            message = (f"reverses entry {r.reverses_entry_id}, which is itself a reversal (of entry "
                       f"{r.original_reverses}); a reversal must never be reversed.")
        else:
            message = f"reverses entry {r.reverses_entry_id}, which was recorded after it."
        return Problem("reversal-target", message, entry_id=r.id)

    return _capped("reversal-target", rows, make)


def check_content_hashes(session: Session) -> list[Problem]:
    """Each entry's stored fingerprint matches its date, description, kind, link and postings as they are now."""
    # Two streams in entry order, merged here: narrower rows than a join, and each date converted once.
    codes = dict(session.execute(select(_accounts.c.id, _accounts.c.code)).all())
    erased = erased_fields(session)
    entries = session.execute(
        select(_entries.c.id, _entries.c.effective_date, _entries.c.description, _entries.c.kind,
               _entries.c.reverses_entry_id, _entries.c.content_hash, _entries.c.fingerprint_version)
        .order_by(_entries.c.id)
        .execution_options(yield_per=_HASH_CHUNK)
    )
    postings = iter(session.execute(
        select(_postings.c.entry_id, _postings.c.account_id, _postings.c.unit, _postings.c.amount, _postings.c.memo,
               _postings.c.kind, _postings.c.id)
        .order_by(_postings.c.entry_id)  # the fingerprint sorts an entry's postings itself
        .execution_options(yield_per=_HASH_CHUNK)
    ))
    bad = []
    line = next(postings, None)
    for entry_id, effective_date, description, kind, reverses_entry_id, stored, version in entries:
        lines = []
        while line is not None and line[0] <= entry_id:
            if line[0] == entry_id:  # postings of entries that do not exist are the posting-date check's
                memo = committed(line[4], erased[POSTING].get(line[6], {}).get("memo"))
                lines.append(PostingLine(codes.get(line[1], ""), line[3], line[2], memo, line[5]))
            line = next(postings, None)
        description = committed(description, erased[ENTRY].get(entry_id, {}).get("description"))
        if content_hash(effective_date, description, kind, reverses_entry_id, lines, version) != stored:
            bad.append(entry_id)
    return _capped("content-hash", bad, lambda entry_id: Problem(
        "content-hash", "its content no longer matches the fingerprint taken when it was posted: "
        "its date, description, kind, reversal link or postings were changed afterwards.", entry_id=entry_id))


def check_nothing_posted_into_locked_months(session: Session) -> list[Problem]:
    """No entry was recorded into a month after that month was locked."""
    rows = session.execute(
        select(_entries.c.id, _entries.c.effective_date, _entries.c.recorded_at, _locked.c.month,
               _locked.c.locked_at)
        .select_from(_entries.join(_locked, _locked.c.month == _month_of(session, _entries.c.effective_date)))
        .where(_entries.c.recorded_at > _locked.c.locked_at)
        .order_by(_entries.c.id)
    )
    return _capped("locked-period", rows, lambda r: Problem(
        "locked-period", f"is dated {_as_date(r.effective_date)}, in {_as_date(r.month):%B %Y}, which was locked "
        f"at {r.locked_at:%Y-%m-%d %H:%M:%S} UTC, but it was recorded later, at {r.recorded_at:%Y-%m-%d %H:%M:%S} UTC.",
        entry_id=r.id))


def check_trial_balance(session: Session) -> list[Problem]:
    """The trial balance of every unit is zero, both by stored balances and by the postings themselves."""
    problems = []
    stored = func.sum(_balances.c.balance)
    for r in session.execute(
        select(_balances.c.unit, stored.label("total")).group_by(_balances.c.unit).having(stored != 0)
        .order_by(_balances.c.unit)
    ):
        problems.append(Problem("trial-balance", f"the stored balances in {r.unit} add up to "
                                f"{_amount(r.total, r.unit)}, not 0."))
    posted = func.sum(_postings.c.amount)
    for r in session.execute(
        select(_postings.c.unit, posted.label("total")).group_by(_postings.c.unit).having(posted != 0)
        .order_by(_postings.c.unit)
    ):
        problems.append(Problem("trial-balance", f"the postings in {r.unit} add up to {_amount(r.total, r.unit)}, "
                                "not 0."))
    return problems


CHECKS: tuple[Check, ...] = (
    check_entries_have_two_postings,
    check_entries_balance,
    check_no_zero_amounts,
    check_posting_units,
    check_posting_dates,
    check_stored_balances,
    check_daily_totals,
    check_reversals_mirror_originals,
    check_reversed_at_most_once,
    check_reversal_targets,
    check_content_hashes,
    check_nothing_posted_into_locked_months,
    check_trial_balance,
)


def verify_books(session: Session, checks: tuple[Check, ...] = CHECKS) -> VerificationReport:
    """Run every check over the whole database and report what is wrong, if anything."""
    if is_postgresql(session) and not session.in_transaction():
        # One snapshot for every check: concurrent posting must not look like a broken invariant.
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    counts = session.execute(select(
        select(func.count()).select_from(_entries).scalar_subquery(),
        select(func.count()).select_from(_postings).scalar_subquery(),
        select(func.count()).select_from(_accounts).scalar_subquery(),
    )).one()
    problems: list[Problem] = []
    for check in checks:
        problems.extend(check(session))
    return VerificationReport(entries=counts[0], postings=counts[1], accounts=counts[2],
                              checks=tuple(c.__name__ for c in checks), problems=tuple(problems))


# ---------------------------------------------------------------- helpers


def _month_of(session: Session, day_column):
    """First day of the month of a date column, in the database's own dialect."""
    if is_postgresql(session):
        return cast(func.date_trunc("month", day_column), Date)
    return func.date(day_column, "start of month")


def _amount(minor: int, unit: str | None) -> str:
    """An amount as stored, named in its minor unit: "-4500 pence", "120 minutes"."""
    info = UNITS.get(unit or "")
    return f"{minor} {info.minor_name}" if info else f"{minor} (unit {unit})"


def _as_date(value) -> dt.date:
    # SQLite hands back text for computed date expressions; PostgreSQL a date.
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)

