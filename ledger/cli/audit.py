"""Finance's bulk work on the audit log and the month close from the command line: ``flask ledger ...``.

The audit CSV is the one the page and the API give (``ledger.events.audit``), with the same filters. Locking
a month (``lock-month``, and the older ``lock-period`` kept under its name), asking to reopen one
(``reopen-period``) and a second person's decision (``approve-reopen`` / ``reject-reopen``) call the same
services as the periods page (``ledger.books.periods``), with the same rules: only ended months, in order,
a reason, and who acted, by an active user whose role allows it.
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
@click.option("--as-user", "as_user", default=None, help="The email of the user taking the copy (recorded).")
def events_csv_command(date_from, date_to, participant_id, claim_id, run_id, user_id, kind, as_user):
    """Write the audit log as CSV to standard output, newest first, names not ids (the copy is an event)."""
    raw = {"from": date_from, "to": date_to, "participant_id": participant_id, "claim_id": claim_id,
           "run_id": run_id, "user_id": user_id, "kind": kind}
    try:
        filters = audit.parse_filters(raw)
    except LedgerError as error:
        raise click.UsageError(error.message) from None
    session = get_session()
    actor = _acting_user(session, as_user, "audit.read", "--as-user", "finance user or administrator") \
        if as_user else None
    for line in audit.recorded_audit_csv(session, filters, via="cli", actor_user_id=actor.id if actor else None):
        sys.stdout.write(line)


def _month(month: str) -> dt.date:
    try:
        year, mon = (int(x) for x in month.split("-"))
        return dt.date(year, mon, 1)
    except ValueError:
        raise click.BadParameter("Use the form YYYY-MM, for example 2025-06.", param_hint="MONTH") from None


def _acting_user(session, email: str | None, permission: str, option: str, who: str) -> User:
    """The active user with that email who may do this, as the page would require of whoever is signed in."""
    if not email:
        raise click.UsageError(f"Say who is acting with {option} EMAIL ({who}).")
    user = session.execute(select(User).where(User.email == email.strip().lower())).scalar_one_or_none()
    if user is None or not user.is_active or not allowed(user.role_names, permission):
        raise click.BadParameter(f"No active {who} has that email.", param_hint=option)
    return user


def _lock(month: str, reason: str | None, email: str | None, option: str) -> None:
    """Close a month through ``ledger.books.periods.close_month``: the page's rules, the page's event."""
    first = _month(month)
    if not (reason or "").strip():
        raise click.UsageError("Say why the month is closed with --reason (it is kept with the lock).")
    try:
        with unit_of_work(session_factory()) as session:
            user = _acting_user(session, email, "books.lock", option, "finance user")
            lock = periods.close_month(session, first, reason=reason, actor_user_id=user.id, today=todays_date())
    except LedgerError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"{lock.month:%B %Y} is locked. Nothing more can be posted into it.")


@ledger_cli.command("lock-month")
@click.argument("month")
@click.option("--reason", required=True, help="Why the month is closed (kept with the lock).")
@click.option("--by", "by_email", required=True, help="The email of the finance user locking it.")
def lock_month_command(month: str, reason: str, by_email: str):
    """Lock an ended month (YYYY-MM), the next in order, with a reason and who locked it."""
    _lock(month, reason, by_email, "--by")


@ledger_cli.command("lock-period")
@click.argument("month")
@click.option("--reason", default=None, help="Why the month is closed (kept with the lock). Required.")
@click.option("--as-user", "as_user", default=None, help="The email of the finance user locking it. Required.")
def lock_period_command(month: str, reason: str | None, as_user: str | None):
    """Lock an ended month (YYYY-MM), the next in order, with a reason and who locked it (as the page does)."""
    _lock(month, reason, as_user, "--as-user")


@ledger_cli.command("reopen-period")
@click.argument("month")
@click.option("--reason", required=True, help="Why the month must be reopened.")
@click.option("--as-user", "as_user", required=True, help="The email of the administrator asking.")
def reopen_period_command(month: str, reason: str, as_user: str):
    """Ask to reopen the latest locked month (YYYY-MM); it stays locked until a second person approves."""
    first = _month(month)
    try:
        with unit_of_work(session_factory()) as session:
            user = _acting_user(session, as_user, "books.reopen", "--as-user", "administrator")
            request = periods.request_reopen(session, first, reason=reason, actor_user_id=user.id)
    except LedgerError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Reopen request {request.id} for {request.month:%B %Y} is waiting for a second person: "
               f"flask --app wsgi ledger approve-reopen {request.id} --as-user EMAIL")


def _decide(request_id: int, approve: bool, reason: str | None, as_user: str) -> None:
    try:
        with unit_of_work(session_factory()) as session:
            user = _acting_user(session, as_user, "books.reopen.decide", "--as-user", "finance user or administrator")
            request = periods.decide_reopen(session, request_id, approve=approve, actor_user_id=user.id,
                                            reason=reason)
    except LedgerError as error:
        raise click.ClickException(error.message) from None
    done = "is open again: entries can be posted into it" if approve else "stays locked: the request is rejected"
    click.echo(f"{request.month:%B %Y} {done}.")


@ledger_cli.command("approve-reopen")
@click.argument("request_id", type=int)
@click.option("--as-user", "as_user", required=True, help="The email of the second person (not the one who asked).")
@click.option("--reason", default=None, help="A note kept with the approval.")
def approve_reopen_command(request_id: int, as_user: str, reason: str | None):
    """Approve a request to reopen a month, as a second person: the month is unlocked."""
    _decide(request_id, True, reason, as_user)


@ledger_cli.command("reject-reopen")
@click.argument("request_id", type=int)
@click.option("--as-user", "as_user", required=True, help="The email of the second person (not the one who asked).")
@click.option("--reason", required=True, help="Why the month stays locked.")
def reject_reopen_command(request_id: int, as_user: str, reason: str):
    """Reject a request to reopen a month, saying why: it stays locked."""
    _decide(request_id, False, reason, as_user)
