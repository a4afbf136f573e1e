"""Finance's bulk work on the audit log and the month close from the command line: ``flask ledger ...``.

The audit CSV is the one the page and the API give (``ledger.events.audit``), with the same filters.
"""

from __future__ import annotations

import datetime as dt
import sys

import click
from sqlalchemy import select

from ledger.auth.models import User
from ledger.auth.permissions import allowed
from ledger.books import periods
from ledger.cli.books import ledger_cli
from ledger.context import get_session, session_factory, todays_date
from ledger.db import unit_of_work
from ledger.errors import LedgerError
from ledger.events import audit


@ledger_cli.command("events-csv")
@click.option("--from", "date_from", default="", help="First day, YYYY-MM-DD (UTC), included.")
@click.option("--to", "date_to", default="", help="Last day, YYYY-MM-DD (UTC), included.")
@click.option("--person", "participant_id", default="", help="A participant's number.")
@click.option("--claim", "claim_id", default="", help="A claim's number.")
@click.option("--run", "run_id", default="", help="A payment run's number.")
@click.option("--user", "user_id", default="", help="The number of the user who did it.")
@click.option("--kind", default="", help="A subject (claim) or subject.action (claim.approve).")
def events_csv_command(date_from, date_to, participant_id, claim_id, run_id, user_id, kind):
    """Write the audit log as CSV to standard output, newest first, names not ids."""
    raw = {"from": date_from, "to": date_to, "participant_id": participant_id, "claim_id": claim_id,
           "run_id": run_id, "user_id": user_id, "kind": kind}
    try:
        filters = audit.parse_filters(raw)
    except LedgerError as error:
        raise click.UsageError(error.message) from None
    for line in audit.audit_csv(get_session(), filters):
        sys.stdout.write(line)


@ledger_cli.command("lock-month")
@click.argument("month")
@click.option("--reason", required=True, help="Why the month is closed (kept with the lock).")
@click.option("--by", "by_email", required=True, help="The email of the finance user locking it.")
def lock_month_command(month: str, reason: str, by_email: str):
    """Lock an ended month (YYYY-MM), the next in order, with a reason and who locked it."""
    try:
        year, mon = (int(x) for x in month.split("-"))
        first = dt.date(year, mon, 1)
    except ValueError:
        raise click.BadParameter("Use the form YYYY-MM, for example 2025-06.", param_hint="MONTH") from None
    try:
        with unit_of_work(session_factory()) as session:
            user = session.execute(select(User).where(User.email == by_email.strip().lower())).scalar_one_or_none()
            if user is None or not user.is_active or not allowed(user.role_names, "books.lock"):
                raise click.BadParameter("No active finance user has that email.", param_hint="--by")
            lock = periods.close_month(session, first, reason=reason, actor_user_id=user.id, today=todays_date())
    except LedgerError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"{lock.month:%B %Y} is locked. Nothing more can be posted into it.")
