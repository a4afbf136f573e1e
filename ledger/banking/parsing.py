"""Reading a bank's export into plain statement lines: CSV through a column mapping (or a preset), OFX by ofxtools.

Money is read as ``Decimal`` and kept as integer pence, never a float: "1,234.50", "£12.00", "(3.20)" and
"-3.20" are all understood; a sum with fractions of a penny is refused. Dates are day first, as UK banks
write them. A line's amount is positive for money into the account and negative for money out, the books'
sign for the bank account (an asset, debit positive).

Presets: the column headers each bank's business online banking writes in its CSV download. Where each came
from (public importers that read these files, found with the project's code search), so that a change at a
bank can be checked against its source:

- **Barclays**: ``Number,Date,Account,Amount,Subcategory,Memo`` (the Barclays download read by
  fmalina/accounting, which names Amount and Memo, and by several UK importers' test files showing this header).
- **HSBC**: HSBC UK's "Download transactions" CSV has no header row: date, description, amount (as read by
  chrisjsimpson/hsbc-business-csv-statement-processor and the "date, desc, amount" reading of other importers).
  HSBC's older layout with headers (``Date,Type,Description,Paid Out,Paid In,Balance``) is ``hsbc_detailed``.
- **Lloyds**: ``Transaction Date,Transaction Type,Sort Code,Account Number,Transaction Description,Debit Amount,
  Credit Amount,Balance`` (jakubka/transactions-mapper; the sort code comes with a leading apostrophe).
- **NatWest**: ``Date,Type,Description,Value,Balance,Account Name,Account Number``
  (Joshibbotson/bank-statement-parse's NatwestStatement type).
- **Santander**: ``Date,Description,Amount,Balance`` (a UK self-employment tool's Santander CSV parser).
- **Starling**: ``Date,Counter Party,Reference,Type,Amount (GBP),Balance (GBP)`` (the same tool's Starling parser).
- **Monzo**: ``Transaction ID,Date,Time,Type,Name,Emoji,Category,Amount,Currency,Local amount,Local currency,
  Notes and #tags,Address,Receipt,Description,Category split,Money Out,Money In`` (the export read by
  muralisc/bank2ledger-cli, whose sample row has these eighteen fields; the transaction id is Monzo's own).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from ledger.errors import ValidationError

MAX_BYTES = 10 * 1024 * 1024
MAX_LINES = 100_000
MAX_DESCRIPTION = 300
MAX_REFERENCE = 100
MAX_PROBLEMS = 10
#: The parts of a line a column can be mapped to. ``amount`` (signed), or ``paid_in`` and ``paid_out``.
MAPPING_KEYS = ("date", "description", "amount", "paid_in", "paid_out", "balance", "reference", "fitid", "account")
DATE_FORMATS = {"dd/mm/yyyy": "%d/%m/%Y", "yyyy-mm-dd": "%Y-%m-%d", "dd mon yyyy": "%d %b %Y",
                "dd-mm-yyyy": "%d-%m-%Y", "dd/mm/yy": "%d/%m/%y", "dd-mon-yy": "%d-%b-%y"}


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Which column holds what. Columns are named by their header, or by number (1 is the first) when the file
    has no header row. ``description`` may join several columns (Starling's counter party and reference)."""

    date: str
    description: tuple[str, ...]
    amount: str | None = None
    paid_in: str | None = None
    paid_out: str | None = None
    balance: str | None = None
    reference: str | None = None
    fitid: str | None = None
    account: tuple[str, ...] = ()
    date_format: str = "dd/mm/yyyy"
    has_header: bool = True

    def columns(self) -> dict[str, str]:
        """Every mapped column by the part it is for (the first of a joined description)."""
        found = {"date": self.date, **{k: getattr(self, k) for k in ("amount", "paid_in", "paid_out", "balance",
                                                                      "reference", "fitid") if getattr(self, k)}}
        found.update({f"description{'' if i == 0 else i + 1}": c for i, c in enumerate(self.description)})
        found.update({f"account{'' if i == 0 else i + 1}": c for i, c in enumerate(self.account)})
        return found


@dataclass(frozen=True, slots=True)
class Preset:
    name: str
    label: str
    mapping: ColumnMapping


PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("barclays", "Barclays", ColumnMapping(date="Date", description=("Memo",), amount="Amount",
                                                 reference="Subcategory", account=("Account",))),
    Preset("hsbc", "HSBC (no header row)", ColumnMapping(date="1", description=("2",), amount="3",
                                                         has_header=False)),
    Preset("hsbc_detailed", "HSBC (with headers)", ColumnMapping(date="Date", description=("Description",),
                                                                 paid_in="Paid In", paid_out="Paid Out",
                                                                 balance="Balance", reference="Type")),
    Preset("lloyds", "Lloyds", ColumnMapping(date="Transaction Date", description=("Transaction Description",),
                                             paid_in="Credit Amount", paid_out="Debit Amount", balance="Balance",
                                             reference="Transaction Type", account=("Sort Code", "Account Number"))),
    Preset("natwest", "NatWest", ColumnMapping(date="Date", description=("Description",), amount="Value",
                                               balance="Balance", reference="Type", account=("Account Number",),
                                               date_format="dd mon yyyy")),
    Preset("santander", "Santander", ColumnMapping(date="Date", description=("Description",), amount="Amount",
                                                   balance="Balance")),
    Preset("starling", "Starling", ColumnMapping(date="Date", description=("Counter Party", "Reference"),
                                                 amount="Amount (GBP)", balance="Balance (GBP)", reference="Type")),
    Preset("monzo", "Monzo", ColumnMapping(date="Date", description=("Name", "Description"), amount="Amount",
                                           fitid="Transaction ID", reference="Type")),
)}


@dataclass(frozen=True, slots=True)
class ParsedLine:
    """One line as the file gave it, oldest first in ``ParsedStatement.lines``."""

    posted_on: dt.date
    amount_pence: int
    description: str
    reference: str | None = None
    fitid: str | None = None
    balance_pence: int | None = None
    account: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedStatement:
    format: str
    lines: tuple[ParsedLine, ...]
    account: str | None = None
    opening_balance_pence: int | None = None
    closing_balance_pence: int | None = None
    headers: tuple[str, ...] = field(default=())


def pence(text: str) -> int | None:
    """A sum of money as written in a bank file, in pence; None for an empty cell; ValueError when unreadable."""
    cleaned = text.strip().replace(",", "").replace("£", "").replace(" ", "").replace("GBP", "")
    if not cleaned:
        return None
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    cleaned = cleaned.strip("()")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{text.strip()!r} is not a sum of money") from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise ValueError(f"{text.strip()!r} is not a sum in pounds and pence")
    whole = int(value * 100)
    return -whole if negative else whole


@functools.lru_cache(maxsize=4096)
def _date(text: str, date_format: str) -> dt.date:
    """The day a cell says (cached: a statement repeats a few hundred dates over thousands of lines)."""
    try:
        return dt.datetime.strptime(text.strip(), DATE_FORMATS[date_format]).date()
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not a date written {date_format}") from None


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (with or without a byte-order mark), else Windows-1252 as older exports write."""
    if len(data) > MAX_BYTES:
        raise ValidationError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; export a shorter period.",
                              fields={"file": ["too large"]})
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def csv_rows(data: bytes) -> list[list[str]]:
    """The CSV's rows (blank rows dropped), or a ValidationError naming the file."""
    text = decode(data)
    try:
        rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    except csv.Error as error:
        raise ValidationError(f"The file is not a CSV file the importer can read ({error}).",
                              fields={"file": ["not CSV"]}) from None
    if not rows:
        raise ValidationError("The file is empty.", fields={"file": ["empty"]})
    return rows


def headers_of(data: bytes) -> tuple[str, ...]:
    """The first row of a CSV file, for the column-mapping step."""
    return tuple(cell.strip() for cell in csv_rows(data)[0])


def mapping_from(values: Mapping[str, object]) -> ColumnMapping:
    """A ColumnMapping from what a person chose (form fields or JSON), or a ValidationError naming each part."""
    problems: dict[str, list[str]] = {}
    unknown = sorted(set(values) - {*MAPPING_KEYS, "date_format", "has_header"})
    if unknown:
        problems["mapping"] = [f"Unknown part {', '.join(unknown)}: use {', '.join(MAPPING_KEYS)}."]
    text = {k: str(values.get(k) or "").strip() for k in MAPPING_KEYS}
    if not text["date"]:
        problems["date"] = ["Choose the column that holds the date."]
    if not text["description"]:
        problems["description"] = ["Choose the column that holds the description."]
    if not text["amount"] and not (text["paid_in"] and text["paid_out"]):
        problems["amount"] = ["Choose the amount column, or both the paid in and paid out columns."]
    date_format = str(values.get("date_format") or "dd/mm/yyyy")
    if date_format not in DATE_FORMATS:
        problems["date_format"] = [f"Choose one of {', '.join(DATE_FORMATS)}."]
    if problems:
        raise ValidationError("The column mapping is not complete: " + " ".join(
            m for found in problems.values() for m in found), fields=problems)
    return ColumnMapping(
        date=text["date"], description=tuple(c.strip() for c in text["description"].split("+") if c.strip()),
        amount=text["amount"] or None, paid_in=text["paid_in"] or None, paid_out=text["paid_out"] or None,
        balance=text["balance"] or None, reference=text["reference"] or None, fitid=text["fitid"] or None,
        account=tuple(c.strip() for c in text["account"].split("+") if c.strip()), date_format=date_format,
        has_header=values.get("has_header") not in (False, "false", "no", "0"))


def _positions(mapping: ColumnMapping, header: Sequence[str]) -> dict[str, int]:
    """Where each mapped column is, or a ValidationError naming the parts whose column is not in the file."""
    names = [h.strip() for h in header]
    found, problems = {}, {}
    for part, column in mapping.columns().items():
        if not mapping.has_header:
            index = int(column) - 1 if column.isdigit() else -1
        else:
            index = names.index(column) if column in names else -1
        if not 0 <= index < len(names):
            problems[part.rstrip("0123456789")] = [f"The file has no column {column!r}."]
        found[part] = index
    if problems:
        listed = ", ".join(names) if mapping.has_header else f"{len(names)} columns"
        raise ValidationError(f"The file's columns do not fit the mapping (it has {listed}); choose the columns "
                              "again or another preset.", fields=problems)
    return found


def _cell(row: Sequence[str], index: int | None) -> str:
    return row[index].strip() if index is not None and 0 <= index < len(row) else ""


def _row_line(row: Sequence[str], at: Mapping[str, int], mapping: ColumnMapping) -> ParsedLine:
    posted_on = _date(_cell(row, at["date"]), mapping.date_format)
    if mapping.amount:
        amount = pence(_cell(row, at["amount"]))
    else:
        paid_in, paid_out = pence(_cell(row, at["paid_in"])), pence(_cell(row, at["paid_out"]))
        amount = None if paid_in is None and paid_out is None else (paid_in or 0) - abs(paid_out or 0)
    if amount is None:
        raise ValueError("there is no amount")
    parts = [_cell(row, at[k]) for k in at if k.startswith("description")]
    description = " ".join(p for p in parts if p)[:MAX_DESCRIPTION] or "(no description)"
    account = " ".join(_cell(row, at[k]).lstrip("'") for k in at if k.startswith("account")).strip()
    return ParsedLine(posted_on=posted_on, amount_pence=amount, description=description,
                      reference=_cell(row, at.get("reference"))[:MAX_REFERENCE] or None,
                      fitid=_cell(row, at.get("fitid"))[:MAX_REFERENCE] or None,
                      balance_pence=pence(_cell(row, at["balance"])) if "balance" in at else None,
                      account=account or None)


def parse_csv(data: bytes, mapping: ColumnMapping) -> ParsedStatement:
    """Every row of the file as a line, oldest first, or a ValidationError listing the first bad rows by number."""
    rows = csv_rows(data)
    header = rows[0]
    at = _positions(mapping, header)
    body = rows[1:] if mapping.has_header else rows
    if len(body) > MAX_LINES:
        raise ValidationError(f"The file has more than {MAX_LINES:,} lines; export a shorter period.",
                              fields={"file": ["too many lines"]})
    lines, problems = [], []
    first = 2 if mapping.has_header else 1
    for number, row in enumerate(body, start=first):
        try:
            lines.append(_row_line(row, at, mapping))
        except ValueError as error:
            problems.append(f"Line {number}: {error}.")
            if len(problems) >= MAX_PROBLEMS:
                break
    if problems:
        raise ValidationError(f"{len(problems)} line(s) of the file cannot be read, so nothing was imported: "
                              + " ".join(problems), fields={"file": problems})
    if not lines:
        raise ValidationError("The file has a header but no lines.", fields={"file": ["no lines"]})
    return _oldest_first("csv", lines, tuple(h.strip() for h in header) if mapping.has_header else ())


def _oldest_first(kind: str, lines: list[ParsedLine], headers: tuple[str, ...]) -> ParsedStatement:
    """Lines oldest first (most banks export newest first), with the balances a balance column gives."""
    if len(lines) > 1 and lines[0].posted_on > lines[-1].posted_on:
        lines.reverse()
    lines.sort(key=lambda line: line.posted_on)  # stable: a day's lines keep the bank's order
    opening = closing = None
    if lines[0].balance_pence is not None:
        opening = lines[0].balance_pence - lines[0].amount_pence
    if lines[-1].balance_pence is not None:
        closing = lines[-1].balance_pence
    accounts = {line.account for line in lines if line.account}
    return ParsedStatement(format=kind, lines=tuple(lines), account=accounts.pop() if len(accounts) == 1 else None,
                           opening_balance_pence=opening, closing_balance_pence=closing, headers=headers)


def _ofx_tree(data: bytes):
    # ofxtools is imported only when an OFX file is read: loading its hundreds of models was a tenth of the
    # start-up of every flask command and web worker, most of which never read a bank statement.
    from ofxtools.Parser import OFXTree

    tree = OFXTree()
    try:
        tree.parse(io.BytesIO(data))
        return tree.convert()
    except Exception as error:  # ofxtools raises many kinds for a file that is not OFX
        raise ValidationError(f"The file is not an OFX file the importer can read ({type(error).__name__}: "
                              f"{str(error)[:200]}).", fields={"file": ["not OFX"]}) from None


def parse_ofx(data: bytes) -> ParsedStatement:
    """The first bank statement in an OFX file (version 1 SGML or version 2 XML), oldest first."""
    if len(data) > MAX_BYTES:
        decode(data)
    statements = getattr(_ofx_tree(data), "statements", None) or []
    if not statements:
        raise ValidationError("The OFX file holds no bank statement.", fields={"file": ["no statement"]})
    statement = statements[0]
    lines = []
    for t in statement.transactions:
        amount = pence(str(t.trnamt))
        words = [str(w).strip() for w in (t.name, t.memo) if w]
        lines.append(ParsedLine(posted_on=t.dtposted.date(), amount_pence=amount or 0,
                                description=" ".join(words)[:MAX_DESCRIPTION] or "(no description)",
                                reference=(str(t.refnum or t.checknum or "") or None),
                                fitid=str(t.fitid)[:MAX_REFERENCE] if t.fitid else None))
    if not lines:
        raise ValidationError("The OFX statement has no lines.", fields={"file": ["no lines"]})
    lines.sort(key=lambda line: line.posted_on)
    ledger_balance = getattr(statement, "ledgerbal", None)
    closing = pence(str(ledger_balance.balamt)) if ledger_balance is not None else None
    opening = None if closing is None else closing - sum(line.amount_pence for line in lines)
    account = getattr(statement.account, "acctid", None)
    sort_code = getattr(statement.account, "bankid", None)
    named = " ".join(str(p) for p in (sort_code, account) if p) or None
    return ParsedStatement(format="ofx", lines=tuple(lines), account=named, opening_balance_pence=opening,
                           closing_balance_pence=closing)


def looks_like_ofx(data: bytes) -> bool:
    head = data[:2048].lstrip().upper()
    return head.startswith(b"OFXHEADER") or b"<OFX>" in head or (head.startswith(b"<?XML") and b"OFX" in head)
