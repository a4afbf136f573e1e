"""``flask --app wsgi ledger overdue-advances``: the advances finance chases for receipts, for a weekly round;
``ledger mark-advance-paid``: record an approved advance paid by cheque, cash or card, from a list of them.

An advance is overdue when it is paid, the day its receipts were due has passed and no expense claim has
brought them in yet (``ledger.claims.advances``). Listing changes nothing; marking paid posts ``advance_paid``.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys

import click

from ledger.claims import advances
from ledger.claims.models import ADVANCE_PAID_BY
from ledger.claims.records import AdvanceRecord
from ledger.cli.books import ledger_cli
from ledger.cli.payments import _DATE, _fail, as_user_option, finance_user
from ledger.context import session_factory, todays_date
from ledger.db import unit_of_work
from ledger.errors import LedgerError
from ledger.formatting import pounds
from ledger.people import services as people

CSV_COLUMNS = ("advance_id", "participant_id", "participant", "project_code", "amount", "paid_on", "settle_by",
               "days_overdue", "purpose")


def _row(record: AdvanceRecord, names: dict[int, str], today: dt.date) -> tuple:
    due = record.settle_by
    return (record.id, record.participant_id, names.get(record.participant_id, ""), record.project_code,
            pounds(record.amount_pence),
            record.paid_on.isoformat() if record.paid_on else "", due.isoformat() if due else "",
            (today - due).days if due else "", record.purpose or "")


@ledger_cli.command("overdue-advances")
@click.option("--format", "fmt", type=click.Choice(["text", "csv"]), default="text", show_default=True)
def overdue_advances_command(fmt: str):
    """List advances paid, past their settlement date, with receipts still outstanding (oldest due first)."""
    today = todays_date()
    with unit_of_work(session_factory()) as session:
        overdue = advances.list_advances(session, today=today, overdue=True)
        names = {p.id: p.name for p in people.list_participants(session, include_inactive=True)}
    rows = [_row(record, names, today) for record in overdue]
    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(rows)
        return
    if not rows:
        click.echo(f"No advance is overdue on {today.isoformat()}.")
        return
    click.echo(f"{len(rows)} overdue advance{'s' if len(rows) != 1 else ''} on {today.isoformat()}:")
    for advance_id, _, name, project, amount, paid_on, due, days, purpose in rows:
        click.echo(f"  advance {advance_id}: {name}, project {project}, £{amount} paid {paid_on}, receipts due "
                   f"{due} ({days} day{'s' if days != 1 else ''} overdue): {purpose}")


@ledger_cli.command("mark-advance-paid")
@click.argument("advance_id", type=int)
@click.option("--by", "paid_by", type=click.Choice(ADVANCE_PAID_BY), required=True, help="How it was paid.")
@click.option("--reference", required=True, help="The cheque, receipt or card transaction number.")
@click.option("--on", "paid_on", type=_DATE, required=True, help="The day it was paid (YYYY-MM-DD).")
@as_user_option
def mark_advance_paid_command(advance_id: int, paid_by: str, reference: str, paid_on: dt.datetime, as_user: str):
    """Record that an approved advance was paid by another method; posts its advance_paid entry."""
    try:
        with unit_of_work(session_factory()) as session:
            record = advances.mark_advance_paid(session, advance_id, paid_by=paid_by, reference=reference,
                                                paid_on=paid_on.date(), actor_user_id=finance_user(session, as_user),
                                                today=todays_date())
    except LedgerError as error:
        raise _fail(error) from None
    click.echo(f"Advance {record.id}: £{pounds(record.amount_pence)} paid by {record.paid_by} on "
               f"{paid_on.date().isoformat()}, reference {record.paid_reference} (entry {record.paid_entry_id}).")
