"""``flask --app wsgi ledger record-returns FILE.csv``: the bank's returned payments, in bulk, all or nothing.

The file has a header row and one returned payment per row::

    run_reference,payee_reference,amount,date,reason[,bank_reference][,note]
    PR000012,P345,52.50,2025-06-16,account_closed,RTN-1,

``payee_reference`` is what the payee saw on their statement (``P345`` a participant, ``G3`` a group, with or
without the run reference in front); ``reason`` is account_closed, details_wrong or other (which needs a note).
Without a ``bank_reference`` column each return is referenced by the file and its line. One bad row refuses
the whole file, naming the line and the field: nothing is recorded until every row is right.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from decimal import Decimal, InvalidOperation
from typing import Any

import click

from ledger.cli.books import ledger_cli
from ledger.cli.payments import as_user_option, finance_user
from ledger.context import session_factory, todays_date
from ledger.db import unit_of_work
from ledger.errors import LedgerError, ValidationError
from ledger.formatting import money
from ledger.payments import returns

REQUIRED = ("run_reference", "payee_reference", "amount", "date", "reason")


def _pence(text: str) -> Any:
    try:
        value = Decimal(text.strip().lstrip("£"))
    except InvalidOperation:
        return None
    pence = value * 100
    return int(pence) if pence == pence.to_integral_value() and pence > 0 else None


def _day(text: str) -> Any:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


def _payee(reference: str) -> tuple[str | None, int | None]:
    last = reference.strip().split()[-1] if reference.strip() else ""
    kind = {"P": "participant", "G": "group"}.get(last[:1].upper())
    return (kind, int(last[1:])) if kind and last[1:].isdigit() else (None, None)


def _line(number: int, row: dict[str, str], source: str) -> returns.ReturnLine:
    payee_reference = (row.get("payee_reference") or "").strip()
    kind, payee_id = _payee(payee_reference)
    if kind is None:
        raise ValidationError(f"Line {number}: payee_reference {payee_reference!r} is not P<number> or G<number>.",
                              fields={"payee_reference": [f"line {number}"]})
    amount, day = _pence(row.get("amount") or ""), _day(row.get("date") or "")
    request = returns.ReturnRequest(
        payee_kind=kind, payee_id=payee_id, amount_pence=amount if amount is not None else "bad",
        returned_on=day if day is not None else "bad", reason=(row.get("reason") or "").strip(),
        bank_reference=(row.get("bank_reference") or "").strip() or f"{source} line {number}",
        note=(row.get("note") or "").strip() or None)
    return returns.ReturnLine(number, (row.get("run_reference") or "").strip(), payee_reference, request)


def read_returns_file(path: str) -> list[returns.ReturnLine]:
    """Every row of the file as a return to record, or a ValidationError naming the first bad line."""
    with open(path, newline="", encoding="utf-8-sig") as stream:
        reader = csv.DictReader(stream)
        missing = [name for name in REQUIRED if name not in (reader.fieldnames or [])]
        if missing:
            raise ValidationError(f"The file's header lacks {', '.join(missing)} (it needs {', '.join(REQUIRED)}).",
                                  fields={"file": missing})
        source = os.path.basename(path)
        return [_line(number, row, source) for number, row in enumerate(reader, start=2)]


@ledger_cli.command("record-returns")
@click.argument("path", metavar="FILE.csv", type=click.Path(exists=True, dir_okay=False))
@as_user_option
def record_returns_command(path: str, as_user: str):
    """Record payments the bank returned (all or nothing): owed again, bank details flagged."""
    try:
        lines = read_returns_file(path)
        with unit_of_work(session_factory()) as session:
            done = returns.record_returns(session, lines, actor_user_id=finance_user(session, as_user),
                                          today=todays_date())
    except LedgerError as error:
        raise click.ClickException(f"{error.message} Nothing was recorded.") from None
    for record in done:
        click.echo(f"{record.run_reference} {record.payee_kind} {record.payee_id}: {money(record.amount_pence)} "
                   f"returned on {record.returned_on.isoformat()} ({record.reason}); owed again, bank details "
                   "flagged.")
    click.echo(f"Recorded {len(done)} returned payment(s), {money(sum(r.amount_pence for r in done))}.")
