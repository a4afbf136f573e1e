"""Write the whole journal for hledger or beancount, so an auditor can cross-check every balance.

The export is streamed: postings are read in chunks in effective-date then entry order and each entry
is written as soon as its last posting has been read, so a million postings never sit in memory.

Account names: ``<Assets|Liabilities|Income|Expenses|Equity>:<one component per part of the code>``.
A part of lower-case letters, digits and dashes is kept with its first letter capitalised
(``owed:participant:12`` becomes ``Liabilities:Owed:Participant:12``); a part of capitals, digits and
dashes with at least two capitals, not starting ``XX``, is kept as it is (``fees:project:GUIDE`` becomes
``Expenses:Fees:Project:GUIDE``); any other part is spelled out as ``XX`` followed by the part with each
character other than a letter or digit written ``-<hex>-`` and each dash doubled (``time_credits``
becomes ``XXtime-5F-credits``). The three forms cannot meet (the first has at most one capital, the
second at least two but never a leading ``XX``, the third always one) and each can be read back, so two
codes never share a name; every name is valid for both tools. The original code is kept beside each
account.

Readable names: given ``labels`` (account code to the name of the person, group, partner or project it
belongs to, from ``ledger.reports.export_names``), the last component of that account's name is the label
instead of the id or code (``Liabilities:Owed:Participant:Jane-Smith``): letters folded to ASCII, each run of
other characters a dash. Two accounts whose readable names would meet (two people called Jane Smith) both keep
their id after the name (``Jane-Smith-12``, ``Jane-Smith-40``); a name that would still meet another falls
back to the coded form above, so no two accounts ever share a name. The code (and so the id) is kept beside
each account as metadata either way.

A date range: entries dated from ``start`` to ``end`` (both inclusive), preceded, when there is a start, by one
"Opening balances" transaction dated ``start`` carrying every account's balance at the end of the day before.
The balances of all accounts sum to zero in each unit, so that transaction balances, and both tools' balances
of the export equal our trial balance at ``end``.

Amounts: pounds with two decimals (``12.34 GBP``); time credits as whole minutes (``90 TCMIN``).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.books.models import Account, JournalEntry, Posting
from ledger.books.queries import trial_balance_tuples
from ledger.books.units import UNITS
from ledger.db import is_postgresql
from ledger.errors import ValidationError

FORMATS = ("hledger", "beancount")
ROOTS = {"asset": "Assets", "liability": "Liabilities", "income": "Income", "expense": "Expenses",
         "equity": "Equity"}
# hledger's account types (declared with a "type:" tag) for each of ours.
HLEDGER_TYPES = {"asset": "A", "liability": "L", "income": "R", "expense": "X", "equity": "E"}
CHUNK = 2000

_entries = JournalEntry.__table__
_postings = Posting.__table__
_accounts = Account.__table__

_PLAIN = re.compile(r"[a-z0-9][a-z0-9-]*")
_CAPITALS = re.compile(r"(?!XX)[A-Z0-9][A-Z0-9-]*")
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


# ---------------------------------------------------------------- names, amounts, text


def account_component(part: str) -> str:
    """One part of an account code as a component valid in both hledger and beancount."""
    if _PLAIN.fullmatch(part):
        return part[0].upper() + part[1:]
    if _CAPITALS.fullmatch(part) and sum(c.isalpha() for c in part) >= 2:
        return part
    spelt = "".join(c if c in _ALNUM else "--" if c == "-" else f"-{ord(c):X}-" for c in part)
    return "XX" + spelt


def account_name(type: str, code: str) -> str:
    """The exported name of an account: its type's root, then one component per part of its code."""
    return ":".join([ROOTS[type], *(account_component(part) for part in code.split(":"))])


def format_amount(amount: int, unit: str) -> str:
    """Minor units as the exported amount: ``-12.34 GBP``, ``90 TCMIN``."""
    info = UNITS[unit]
    if info.export_commodity != info.code:
        # The commodity is the minor unit itself (time credits in minutes): a whole number.
        return f"{amount} {info.export_commodity}"
    places = len(str(info.minor_per_major)) - 1
    if 10**places != info.minor_per_major:
        raise ValueError(f"{unit} has {info.minor_per_major} minor units per major: not a power of ten.")
    sign = "-" if amount < 0 else ""
    major, minor = divmod(abs(amount), info.minor_per_major)
    return f"{sign}{major}.{minor:0{places}d} {info.export_commodity}"


_BEANCOUNT_SPECIAL = re.compile(r'[\\"\n\r\t]')
_HLEDGER_SPECIAL = re.compile(r"[\\;\x00-\x1f\x7f]")
_ESCAPES = {"\\": "\\\\", '"': '\\"', ";": "\\x3b", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match) -> str:
    char = match.group()
    return _ESCAPES.get(char) or f"\\x{ord(char):02x}"


def beancount_string(text: str) -> str:
    """A double-quoted beancount string: backslashes, quotes and line breaks escaped.

    beancount reads back ``\\\\``, ``\\"``, ``\\n``, ``\\r`` and ``\\t``; other characters are written as they are.
    """
    return '"' + _BEANCOUNT_SPECIAL.sub(_escape, text) + '"'


def hledger_text(text: str) -> str:
    """Text for an hledger description or comment, on one line, escaped like a C string.

    hledger has no quoting: a semicolon would start a comment, so it is written ``\\x3b``, other control
    characters ``\\xNN``; leading and trailing spaces, which hledger would drop, are written ``\\x20``.
    """
    escaped = _HLEDGER_SPECIAL.sub(_escape, text)
    stripped = escaped.strip(" ")
    if stripped == escaped:
        return escaped
    lead = len(escaped) - len(escaped.lstrip(" "))
    trail = len(escaped) - len(escaped.rstrip(" ")) if stripped else 0
    return "\\x20" * lead + stripped + "\\x20" * trail


_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]+")


def readable_component(label: str) -> str | None:
    """A person's, group's or project's name as one account component (``Zoë O'Brien`` -> ``Zoe-O-Brien``);
    None when nothing readable is left."""
    folded = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode("ascii")
    words = _NOT_ALNUM.sub("-", folded).strip("-")
    if not words:
        return None
    return words[0].upper() + words[1:]


def readable_names(accounts: Mapping[str, tuple[str, str]], labels: Mapping[str, str]) -> dict[str, str]:
    """Each account code's exported name: readable where ``labels`` names its record, never two the same.

    ``accounts`` maps each code to its type and coded name's root; ``labels`` each code to a record's name.
    """
    coded = {code: account_name(type_, code) for code, (type_, _) in accounts.items()}
    names = dict(coded)
    for code, label in labels.items():
        component = readable_component(label)
        if code in coded and component is not None:
            names[code] = coded[code].rsplit(":", 1)[0] + ":" + component
    # People who share a name keep their id (the last part of the code) after it.
    for codes in _clashes(names).values():
        for code in codes:
            if names[code] != coded[code]:
                names[code] += "-" + account_component(code.rsplit(":", 1)[-1])
    # Anything still meeting another name goes back to its coded name, which no other code can have;
    # each round turns at least one readable name back, so this ends.
    while clashes := _clashes(names):
        for codes in clashes.values():
            for code in codes:
                names[code] = coded[code]
    return names


def _clashes(names: Mapping[str, str]) -> dict[str, list[str]]:
    by_name: dict[str, list[str]] = defaultdict(list)
    for code, name in names.items():
        by_name[name].append(code)
    return {name: codes for name, codes in by_name.items() if len(codes) > 1}


# ---------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class _Account:
    id: int
    code: str
    name: str
    title: str
    type: str
    unit: str
    opened: dt.date
    closed: dt.date | None


@dataclass(frozen=True, slots=True)
class _Entry:
    id: int
    effective_date: dt.date
    description: str
    kind: str
    idempotency_key: str
    reverses_entry_id: int | None
    reversed_by_entry_id: int | None
    lines: list[tuple[_Account, int, str | None]]  # account, amount, memo


def _read_accounts(session: Session, labels: Mapping[str, str] | None = None) -> dict[int, _Account]:
    first_last = (
        select(_postings.c.account_id, func.min(_postings.c.effective_date).label("first"),
               func.max(_postings.c.effective_date).label("last"))
        .group_by(_postings.c.account_id)
        .subquery()
    )
    result = session.execute(
        select(_accounts, first_last.c.first, first_last.c.last)
        .outerjoin(first_last, first_last.c.account_id == _accounts.c.id)
        .order_by(_accounts.c.code)
    )
    rows = list(result)
    names = readable_names({r.code: (r.type, "") for r in rows}, labels or {})
    accounts = {}
    for r in rows:
        created = _as_date(r.created_at)
        # beancount refuses a posting before its account's open date: open on whichever comes first.
        opened = min(created, r.first) if r.first is not None else created
        closed = None
        if not r.is_open:
            closed = _as_date(r.closed_at) if r.closed_at is not None else (r.last or opened)
            if r.last is not None and r.last > closed:
                closed = r.last
        accounts[r.id] = _Account(id=r.id, code=r.code, name=names[r.code], title=r.name,
                                  type=r.type, unit=r.unit, opened=opened, closed=closed)
    return accounts


def _read_entries(session: Session, accounts: dict[int, _Account], start: dt.date | None,
                  end: dt.date | None) -> Iterable[_Entry]:
    # Grouped, so that even books where an entry was reversed twice (which verify reports) cannot
    # repeat an entry's postings here.
    reversal = (
        select(_entries.c.reverses_entry_id, func.min(_entries.c.id).label("reversed_by"))
        .where(_entries.c.reverses_entry_id.is_not(None))
        .group_by(_entries.c.reverses_entry_id)
        .subquery()
    )
    query = (
        select(_entries.c.id, _entries.c.effective_date, _entries.c.description, _entries.c.kind,
               _entries.c.idempotency_key, _entries.c.reverses_entry_id, reversal.c.reversed_by,
               _postings.c.account_id, _postings.c.amount, _postings.c.memo)
        .select_from(
            _entries.join(_postings, _postings.c.entry_id == _entries.c.id)
            .outerjoin(reversal, reversal.c.reverses_entry_id == _entries.c.id)
        )
        .order_by(_entries.c.effective_date, _entries.c.id, _postings.c.id)
        .execution_options(yield_per=CHUNK)
    )
    if start is not None:
        query = query.where(_entries.c.effective_date >= start)
    if end is not None:
        query = query.where(_entries.c.effective_date <= end)
    entry = None
    for entry_id, day, description, kind, key, reverses, reversed_by, account_id, amount, memo in (
        session.execute(query)
    ):
        if entry is None or entry.id != entry_id:
            if entry is not None:
                yield entry
            entry = _Entry(entry_id, day, description, kind, key, reverses, reversed_by, [])
        entry.lines.append((accounts[account_id], amount, memo))
    if entry is not None:
        yield entry


def _opening(session: Session, accounts: dict[int, _Account], start: dt.date) -> list[tuple[_Account, int]]:
    """Every account's non-zero balance at the end of the day before ``start``."""
    return [(accounts[id_], balance) for id_, _code, _name, _type, _unit, _open, balance
            in trial_balance_tuples(session, start - dt.timedelta(days=1)) if balance]


def _as_date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


# ---------------------------------------------------------------- writing


def _hledger_header(accounts: Iterable[_Account]) -> Iterable[str]:
    yield "; The co-production ledger's journal, exported for hledger.\n"
    yield "; Amounts: GBP in pounds; time credits in minutes (commodity TCMIN). Debits are positive.\n"
    yield "; Each transaction's code (in brackets) is the ledger's entry id.\n\n"
    yield "commodity 0.00 GBP\n"
    yield "commodity 0. TCMIN\n\n"
    for a in accounts:
        yield f"account {a.name}  ; type:{HLEDGER_TYPES[a.type]}, unit:{a.unit}\n"
        yield f"    ; code: {hledger_text(a.code)}\n"
        yield f"    ; name: {hledger_text(a.title)}\n"
        if a.closed is not None:
            yield f"    ; closed: {a.closed.isoformat()}\n"
    yield "\n"


def _hledger_entry(e: _Entry) -> str:
    tags = [f"kind:{hledger_text(e.kind)}"]
    if e.reverses_entry_id is not None:
        tags.append(f"reverses:{e.reverses_entry_id}")
    if e.reversed_by_entry_id is not None:
        tags.append(f"reversed-by:{e.reversed_by_entry_id}")
    out = [f"{e.effective_date.isoformat()} * ({e.id}) {hledger_text(e.description)}  ; {', '.join(tags)}\n",
           f"    ; idempotency-key: {hledger_text(e.idempotency_key)}\n"]
    for account, amount, memo in e.lines:
        comment = f"  ; memo: {hledger_text(memo)}" if memo else ""
        out.append(f"    {account.name}  {format_amount(amount, account.unit)}{comment}\n")
    out.append("\n")
    return "".join(out)


def _beancount_header(accounts: Iterable[_Account]) -> Iterable[str]:
    yield "; The co-production ledger's journal, exported for beancount.\n"
    yield "; Amounts: GBP in pounds; time credits in minutes (commodity TCMIN). Debits are positive.\n\n"
    yield 'option "title" "Co-production ledger"\n'
    yield 'option "operating_currency" "GBP"\n\n'
    closes: list[tuple[dt.date, str]] = []
    for a in sorted(accounts, key=lambda a: (a.opened, a.name)):
        yield f"{a.opened.isoformat()} open {a.name} {UNITS[a.unit].export_commodity}\n"
        yield f"  code: {beancount_string(a.code)}\n"
        yield f"  name: {beancount_string(a.title)}\n"
        if a.closed is not None:
            closes.append((a.closed, a.name))
    for closed, name in closes:
        yield f"{closed.isoformat()} close {name}\n"
    yield "\n"


def _beancount_entry(e: _Entry) -> str:
    original = e.reverses_entry_id if e.reverses_entry_id is not None else e.id
    link = f" ^entry-{original}" if e.reverses_entry_id is not None or e.reversed_by_entry_id is not None else ""
    out = [f"{e.effective_date.isoformat()} * {beancount_string(e.description)}{link}\n",
           f"  entry_id: {e.id}\n",
           f"  kind: {beancount_string(e.kind)}\n",
           f"  idempotency_key: {beancount_string(e.idempotency_key)}\n"]
    if e.reverses_entry_id is not None:
        out.append(f"  reverses_entry_id: {e.reverses_entry_id}\n")
    if e.reversed_by_entry_id is not None:
        out.append(f"  reversed_by_entry_id: {e.reversed_by_entry_id}\n")
    for account, amount, memo in e.lines:
        out.append(f"  {account.name}  {format_amount(amount, account.unit)}\n")
        if memo:
            out.append(f"    memo: {beancount_string(memo)}\n")
    out.append("\n")
    return "".join(out)


def _hledger_opening(start: dt.date, lines: list[tuple[_Account, int]]) -> str:
    out = [f"{start.isoformat()} * Opening balances  ; kind:opening-balances\n",
           f"    ; balances at the end of {(start - dt.timedelta(days=1)).isoformat()}\n"]
    out += [f"    {a.name}  {format_amount(amount, a.unit)}\n" for a, amount in lines]
    return "".join(out) + "\n"


def _beancount_opening(start: dt.date, lines: list[tuple[_Account, int]]) -> str:
    out = [f'{start.isoformat()} * "Opening balances"\n',
           '  kind: "opening-balances"\n',
           f'  balances_at_end_of: "{(start - dt.timedelta(days=1)).isoformat()}"\n']
    out += [f"  {a.name}  {format_amount(amount, a.unit)}\n" for a, amount in lines]
    return "".join(out) + "\n"


_OPENINGS = {"hledger": _hledger_opening, "beancount": _beancount_opening}

_WRITERS = {"hledger": (_hledger_header, _hledger_entry), "beancount": (_beancount_header, _beancount_entry)}


def journal_text(session: Session, fmt: str, *, start: dt.date | None = None, end: dt.date | None = None,
                 labels: Mapping[str, str] | None = None, written: list[int] | None = None) -> Iterator[str]:
    """The journal as text, streamed: the header, the opening balances at ``start``, then each entry dated
    ``start`` to ``end`` (all, by default) in effective-date then id order. Bad arguments are refused before
    the first piece is asked for; ``written``, when given, is appended the count of entries at the end."""
    if fmt not in _WRITERS:
        raise ValidationError(f"Export format must be one of {', '.join(FORMATS)}.", fields={"format": ["invalid"]})
    if start is not None and end is not None and end < start:
        raise ValidationError("The last day must be on or after the first day.",
                              fields={"to": ["The last day must be on or after the first day."]})
    return _journal_text(session, fmt, start, end, labels, written)


def _journal_text(session: Session, fmt: str, start: dt.date | None, end: dt.date | None,
                  labels: Mapping[str, str] | None, written: list[int] | None) -> Iterator[str]:
    if is_postgresql(session) and not session.in_transaction():
        # One snapshot: accounts and postings must agree even while others post.
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    header, write_entry = _WRITERS[fmt]
    accounts = _read_accounts(session, labels)
    yield "".join(header(accounts.values()))
    if start is not None and (opening := _opening(session, accounts, start)):
        yield _OPENINGS[fmt](start, opening)
    count = 0
    for entry in _read_entries(session, accounts, start, end):
        yield write_entry(entry)
        count += 1
    if written is not None:
        written.append(count)


def export_journal(session: Session, fmt: str, stream: IO[str], *, start: dt.date | None = None,
                   end: dt.date | None = None, labels: Mapping[str, str] | None = None) -> int:
    """Write the journal (``journal_text``) to ``stream``; return how many entries were written."""
    written: list[int] = []
    for piece in journal_text(session, fmt, start=start, end=end, labels=labels, written=written):
        stream.write(piece)
    return written[0]
