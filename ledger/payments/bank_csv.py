"""A bank-upload CSV of a payment run: one row per payee, safe to open in a spreadsheet.

Columns: payee name, sort code (6 digits), account number (8 digits), amount in pounds with 2 decimal
places, reference, payment date (ISO 8601). RFC 4180 layout: a header row, commas, CRLF, and fields quoted
when they hold a comma, quote or line break. The invariant: what a spreadsheet shows is what was written,
never the result of a formula; any cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
gains a leading apostrophe (the OWASP advice against CSV injection). Amounts are formatted from integer
pence by integer arithmetic.

By default names and references are put into the Bacs character set (``bacs.bacs_text``), names cut to 18
characters, references required to fit in 18, because a bank's bulk upload feeds Bacs or Faster Payments
and refuses anything else (leading punctuation is dropped too, so no apostrophe is needed); ``bacs_safe=False``
writes them as given, for a bank that takes any text. Sort codes and account numbers keep their leading zeros
as written: upload the file as it is, since re-saving it from a spreadsheet can drop them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass

from ledger.errors import ValidationError
from ledger.payments.bacs import FIELD_LENGTH, MAX_ITEM_PENCE, bacs_text, is_digits

HEADER = ("Payee name", "Sort code", "Account number", "Amount", "Reference", "Payment date")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PUNCTUATION = ".&/- "


@dataclass(frozen=True)
class BankCsvRow:
    """One payment to one payee, as the bank upload lists it."""

    payee_name: str
    sort_code: str
    account_number: str
    amount_pence: int
    reference: str
    payment_date: dt.date


def defuse(cell: str) -> str:
    """Return ``cell`` with a leading apostrophe if a spreadsheet would take it for a formula."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def pounds(pence: int) -> str:
    """Return a positive amount in pence as pounds with 2 decimal places: 123456 becomes '1234.56'."""
    return f"{pence // 100}.{pence % 100:02d}"


def _bacs_name(text: str) -> str:
    return _bacs_reference(text)[:FIELD_LENGTH].rstrip()


def _bacs_reference(text: str) -> str:
    return bacs_text(text).lstrip(_PUNCTUATION)


def _check(index: int, row: BankCsvRow, bacs_safe: bool, problems: dict[str, str]) -> None:
    key = f"rows[{index}]"
    if not isinstance(row, BankCsvRow):
        problems[key] = "must be a BankCsvRow"
        return
    if not isinstance(row.payee_name, str) or not (_bacs_name(row.payee_name) if bacs_safe else row.payee_name.strip()):
        problems[f"{key}.payee_name"] = "must not be empty" + (" in the Bacs character set" if bacs_safe else "")
    if not is_digits(row.sort_code, 6):
        problems[f"{key}.sort_code"] = "must be 6 digits"
    if not is_digits(row.account_number, 8):
        problems[f"{key}.account_number"] = "must be 8 digits"
    if type(row.amount_pence) is not int:
        problems[f"{key}.amount_pence"] = "must be a whole number of pence"
    elif not 0 < row.amount_pence <= MAX_ITEM_PENCE:
        problems[f"{key}.amount_pence"] = "must be more than zero and at most £20,000,000.00"
    if not isinstance(row.reference, str):
        problems[f"{key}.reference"] = "must be text"
    elif bacs_safe:
        reference = _bacs_reference(row.reference)
        if not reference or len(reference) > FIELD_LENGTH:
            problems[f"{key}.reference"] = f"must be 1 to {FIELD_LENGTH} characters in the Bacs character set"
    if not isinstance(row.payment_date, dt.date) or isinstance(row.payment_date, dt.datetime):
        problems[f"{key}.payment_date"] = "must be a date"


def write_bank_csv(rows: Iterable[BankCsvRow], *, bacs_safe: bool = True) -> str:
    """Return the bank-upload CSV for ``rows``, header first; raise ``ValidationError`` naming every bad field."""
    rows = list(rows)
    problems: dict[str, str] = {}
    for index, row in enumerate(rows):
        _check(index, row, bacs_safe, problems)
    if problems:
        listed = "; ".join(f"{field}: {message}" for field, message in list(problems.items())[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise ValidationError(f"The bank file cannot be written: {listed}{more}.", fields=problems)

    out = io.StringIO(newline="")
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows:
        name = _bacs_name(row.payee_name) if bacs_safe else row.payee_name
        reference = _bacs_reference(row.reference) if bacs_safe else row.reference
        writer.writerow(
            [
                defuse(name),
                row.sort_code,
                row.account_number,
                pounds(row.amount_pence),
                defuse(reference),
                row.payment_date.isoformat(),
            ]
        )
    return out.getvalue()
