"""The general-ledger journal for a date range, in the organisation's own nominal codes, for Xero or Sage.

Finance keeps its main books in an accounting package; this ledger is the sub-ledger of what people are owed
and paid. A mapping file (TOML, an example in ``ledger/books/examples/nominal-map.toml``) says which nominal
code and cost centre each ledger account goes to: an exact account code, or a prefix ending ``*``
(``fees:project:*``); the exact code wins, then the longest prefix. A cost centre may say ``{last}`` for the
last part of the account code (the project's code in ``fees:project:GUIDE``). An account with no rule is never
guessed: the export is refused before a line is written, naming every unmapped account.

The invariant: each journal written balances, because each is one ledger entry (which balances, in pence)
with its lines added up per nominal code and cost centre; lines that add up to nothing are left out, and an
entry all of whose lines do is not written. Only pounds go out: time credits are not money and their accounts
need no mapping. Rows are streamed, entry by entry, in effective-date then entry order.

Layouts, from the packages' own guides:

- Xero manual journal import (Xero Central, "Enter multiple manual journals using an import template",
  help.xero.com/ManualJournalsImport): ``*Narration, *Date, Description, *AccountCode, *TaxRate, *Amount,
  TrackingName1, TrackingOption1, TrackingName2, TrackingOption2``; rows with the same narration and date are
  one journal; the date dd/mm/yyyy; a positive amount is a debit, a negative one a credit; the tax rate is the
  rate's name in the organisation's Xero ("No VAT"). Xero takes at most 300 lines a file: split a bigger
  export by date range.
- Sage 50 Accounts (UK) audit-trail transaction import (Sage (UK), "Sage 50 Accounts data import", 2011,
  the audit trail transactions template): ``Type, Account Reference, Nominal A/C Ref, Department Code, Date,
  Reference, Details, Net Amount, Tax Code, Tax Amount``; type ``JD`` (journal debit) or ``JC`` (journal
  credit) with a positive net amount; the date dd/mm/yyyy; tax code T9 (outside the scope of VAT); the
  account reference is blank for nominal journals; the department is the cost centre, which Sage 50 wants
  as a department number (0 to 999): give such cost centres in the mapping file for a Sage export.

Cells of text a spreadsheet would take for a formula gain a leading apostrophe (OWASP's advice on CSV injection).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.books.models import Account, JournalEntry, Posting
from ledger.errors import ValidationError

ACCOUNTING_FORMATS = ("xero", "sage")
XERO_HEADER = ("*Narration", "*Date", "Description", "*AccountCode", "*TaxRate", "*Amount", "TrackingName1",
               "TrackingOption1", "TrackingName2", "TrackingOption2")
SAGE_HEADER = ("Type", "Account Reference", "Nominal A/C Ref", "Department Code", "Date", "Reference", "Details",
               "Net Amount", "Tax Code", "Tax Amount")
CHUNK = 2000
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_entries = JournalEntry.__table__
_postings = Posting.__table__
_accounts = Account.__table__


class UnmappedAccounts(ValidationError):
    """Raised when accounts with postings in the range have no nominal code in the mapping file."""

    code = "unmapped_accounts"

    def __init__(self, codes: list[str]):
        self.accounts = codes
        shown = ", ".join(codes[:20]) + (f" and {len(codes) - 20} more" if len(codes) > 20 else "")
        super().__init__(
            f"The mapping file gives no nominal code for {len(codes)} account(s) with postings in the range: "
            f"{shown}. Add a rule for each (an exact code, or a prefix ending *), then export again.",
            fields={"mapping": [f"No nominal code for {code}" for code in codes]})


@dataclass(frozen=True, slots=True)
class Rule:
    """Where one ledger account code, or every code with a prefix, goes in the organisation's books."""

    account: str  # an exact code, or a prefix ending "*"
    nominal: str
    cost_centre: str = ""

    @property
    def is_prefix(self) -> bool:
        return self.account.endswith("*")


@dataclass(frozen=True)
class NominalMap:
    """The mapping file, read: rules, and the tax and tracking names the packages ask for."""

    rules: tuple[Rule, ...]
    xero_tax_rate: str = "No VAT"
    xero_tracking_name: str = "Cost centre"
    sage_tax_code: str = "T9"
    _exact: dict[str, Rule] = field(default_factory=dict, repr=False, compare=False)
    _prefixes: list[Rule] = field(default_factory=list, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._exact.update({r.account: r for r in self.rules if not r.is_prefix})
        self._prefixes.extend(sorted((r for r in self.rules if r.is_prefix), key=lambda r: -len(r.account)))

    def place(self, code: str) -> tuple[str, str] | None:
        """The nominal code and cost centre of a ledger account, or None when no rule covers it."""
        rule = self._exact.get(code) or next((r for r in self._prefixes if code.startswith(r.account[:-1])), None)
        if rule is None:
            return None
        return rule.nominal, rule.cost_centre.replace("{last}", code.rsplit(":", 1)[-1])


def _text(table: dict, key: str, where: str, problems: list[str], *, required: bool, default: str = "") -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or (required and not value.strip()):
        problems.append(f"{where}: {key} must be {'non-empty ' if required else ''}text")
        return default
    return value.strip()


def read_nominal_map(text: str | bytes) -> NominalMap:
    """Read a mapping file, or refuse it naming the field ``mapping`` and each line to put right."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError("The mapping file must be UTF-8 text (a TOML file).",
                                  fields={"mapping": ["not UTF-8 text"]}) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ValidationError(f"The mapping file is not valid TOML: {error}.",
                              fields={"mapping": [f"not valid TOML: {error}"]}) from None
    problems: list[str] = []
    raw_rules = data.get("map")
    if not isinstance(raw_rules, list) or not raw_rules:
        problems.append("the file needs at least one [[map]] rule with account and nominal")
        raw_rules = []
    rules, seen = [], set()
    for i, raw in enumerate(raw_rules, start=1):
        where = f"rule {i}"
        if not isinstance(raw, dict):
            problems.append(f"{where}: must be a table with account and nominal")
            continue
        account = _text(raw, "account", where, problems, required=True)
        nominal = _text(raw, "nominal", where, problems, required=True)
        cost_centre = _text(raw, "cost_centre", where, problems, required=False)
        if account and "*" in account[:-1]:
            problems.append(f"{where}: account may have * only at its end ({account})")
        if account in seen:
            problems.append(f"{where}: account {account} has another rule already")
        seen.add(account)
        rules.append(Rule(account, nominal, cost_centre))
    xero = data.get("xero", {})
    sage = data.get("sage", {})
    if not isinstance(xero, dict) or not isinstance(sage, dict):
        problems.append("[xero] and [sage] must be tables")
        xero, sage = {}, {}
    tax_rate = _text(xero, "tax_rate", "[xero]", problems, required=True, default="No VAT")
    tracking = _text(xero, "tracking_name", "[xero]", problems, required=True, default="Cost centre")
    tax_code = _text(sage, "tax_code", "[sage]", problems, required=True, default="T9")
    if problems:
        raise ValidationError("The mapping file has problems: " + "; ".join(problems) + ".",
                              fields={"mapping": problems})
    return NominalMap(tuple(rules), xero_tax_rate=tax_rate, xero_tracking_name=tracking, sage_tax_code=tax_code)


def check_range(start: dt.date, end: dt.date) -> None:
    """Refuse a range that ends before it starts, naming ``to``."""
    if end < start:
        raise ValidationError("The last day must be on or after the first day.",
                              fields={"to": ["The last day must be on or after the first day."]})


def unmapped_accounts(session: Session, mapping: NominalMap, start: dt.date, end: dt.date) -> list[str]:
    """Codes of the pound accounts with postings in the range that no rule covers, in code order."""
    codes = session.execute(
        select(_accounts.c.code).where(_accounts.c.unit == "GBP", select(_postings.c.id).where(
            _postings.c.account_id == _accounts.c.id, _postings.c.effective_date.between(start, end)).exists())
        .order_by(_accounts.c.code)).scalars()
    return [code for code in codes if mapping.place(code) is None]


@dataclass(frozen=True, slots=True)
class JournalLine:
    """One line of a journal: a nominal code and cost centre, and the net pence (debit positive)."""

    nominal: str
    cost_centre: str
    amount: int


@dataclass(frozen=True, slots=True)
class Journal:
    """One ledger entry in the organisation's nominal codes."""

    entry_id: int
    date: dt.date
    description: str
    lines: tuple[JournalLine, ...]


def check_export(session: Session, mapping: NominalMap, start: dt.date, end: dt.date) -> None:
    """Refuse a backwards range, or a mapping that leaves an account with postings in the range unmapped."""
    check_range(start, end)
    missing = unmapped_accounts(session, mapping, start, end)
    if missing:
        raise UnmappedAccounts(missing)


def journals(session: Session, mapping: NominalMap, start: dt.date, end: dt.date) -> Iterator[Journal]:
    """The entries in the range as journals, streamed (call ``check_export`` first)."""
    places: dict[int, tuple[str, str]] = {}
    query = (
        select(_entries.c.id, _entries.c.effective_date, _entries.c.description, _postings.c.account_id,
               _accounts.c.code, _postings.c.amount)
        .select_from(_entries.join(_postings, _postings.c.entry_id == _entries.c.id)
                     .join(_accounts, _accounts.c.id == _postings.c.account_id))
        .where(_postings.c.unit == "GBP", _entries.c.effective_date.between(start, end))
        .order_by(_entries.c.effective_date, _entries.c.id, _postings.c.id)
        .execution_options(yield_per=CHUNK)
    )
    current: tuple[int, dt.date, str] | None = None
    sums: dict[tuple[str, str], int] = {}
    for entry_id, day, description, account_id, code, amount in session.execute(query):
        if current is None or current[0] != entry_id:
            if current is not None and (journal := _journal(current, sums)) is not None:
                yield journal
            current, sums = (entry_id, day, description), {}
        place = places.get(account_id)
        if place is None:
            place = places[account_id] = mapping.place(code) or ("", "")
        sums[place] = sums.get(place, 0) + amount
    if current is not None and (journal := _journal(current, sums)) is not None:
        yield journal


def _journal(entry: tuple[int, dt.date, str], sums: dict[tuple[str, str], int]) -> Journal | None:
    lines = tuple(JournalLine(nominal, centre, amount) for (nominal, centre), amount in sums.items() if amount)
    if not lines:
        return None
    if sum(line.amount for line in lines) != 0:  # an entry balances in pence, so its journal must too
        raise AssertionError(f"entry {entry[0]} does not balance in pounds")
    return Journal(entry[0], entry[1], entry[2], lines)


def _pounds(pence: int) -> str:
    sign = "-" if pence < 0 else ""
    return f"{sign}{abs(pence) // 100}.{abs(pence) % 100:02d}"


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _row(values: Iterable[str], amount_at: int | None = None) -> str:
    """One CSV line; every cell but the amount (a number, which may start with a minus) defused."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([v if i == amount_at else _cell(v) for i, v in enumerate(values)])
    return out.getvalue()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def xero_rows(mapping: NominalMap, entries: Iterable[Journal]) -> Iterator[str]:
    """The Xero manual-journal CSV: a header, then a row per journal line; the narration names the entry."""
    yield _row(XERO_HEADER)
    for journal in entries:
        narration = f"{_one_line(journal.description)} (ledger entry {journal.entry_id})"
        day = journal.date.strftime("%d/%m/%Y")
        for line in journal.lines:
            tracking = (mapping.xero_tracking_name, line.cost_centre) if line.cost_centre else ("", "")
            yield _row((narration, day, _one_line(journal.description), line.nominal, mapping.xero_tax_rate,
                        _pounds(line.amount), *tracking, "", ""), amount_at=5)


def sage_rows(mapping: NominalMap, entries: Iterable[Journal]) -> Iterator[str]:
    """The Sage 50 audit-trail CSV of nominal journals: JD and JC rows, the reference naming the entry."""
    yield _row(SAGE_HEADER)
    for journal in entries:
        day = journal.date.strftime("%d/%m/%Y")
        details = _one_line(journal.description)[:60]  # Sage 50 keeps 60 characters of details
        for line in journal.lines:
            yield _row(("JD" if line.amount > 0 else "JC", "", line.nominal, line.cost_centre, day,
                        f"LEDGER-{journal.entry_id}", details, _pounds(abs(line.amount)), mapping.sage_tax_code,
                        "0.00"))


def accounting_csv(session: Session, fmt: str, mapping: NominalMap, start: dt.date, end: dt.date) -> Iterator[str]:
    """The journal for the range as Xero or Sage CSV lines; every refusal comes now, the rows when read."""
    if fmt not in ACCOUNTING_FORMATS:
        raise ValidationError(f"Format must be one of {', '.join(ACCOUNTING_FORMATS)}.",
                              fields={"format": ["invalid"]})
    check_export(session, mapping, start, end)
    return (xero_rows if fmt == "xero" else sage_rows)(mapping, journals(session, mapping, start, end))
