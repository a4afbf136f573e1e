"""Flask CLI commands for finance: ``flask --app wsgi payments ...`` and ``flask --app wsgi timebank ...``.

Every command names the finance user acting (``--as-user EMAIL``): runs record who drafted, confirmed or
cancelled them, and the bank files hold bank details in clear. Bank files are written readable by their
owner only.
"""

from __future__ import annotations

import datetime as dt
import os

import click
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.auth.models import User
from ledger.auth.permissions import allowed
from ledger.auth.users import normalise_email
from ledger.context import session_factory, settings, todays_date
from ledger.db import unit_of_work
from ledger.errors import LedgerError
from ledger.formatting import hours, money
from ledger.payments import bank_changes, runs
from ledger.timebank.services import time_credit_balance

payments_cli = AppGroup("payments", help="Draft, check, export, confirm and cancel payment runs.")
timebank_cli = AppGroup("timebank", help="Time credits held by participants.")

_DATE = click.DateTime(formats=["%Y-%m-%d"])
as_user_option = click.option("--as-user", "as_user", required=True, metavar="EMAIL",
                              help="The finance user doing this (recorded on the run).")


def finance_user(session: Session, email: str) -> int:
    """The id of the active finance user ``email``, or a BadParameter naming ``--as-user``."""
    try:
        address = normalise_email(email)
    except LedgerError as error:
        raise click.BadParameter(error.message, param_hint="--as-user") from None
    user = session.execute(select(User).where(User.email == address)).scalar_one_or_none()
    if user is None or not user.is_active:
        raise click.BadParameter(f"There is no active user {address}.", param_hint="--as-user")
    if not allowed(user.role_names, "payments.manage"):
        raise click.BadParameter(f"{address} is not a finance user.", param_hint="--as-user")
    return user.id


def _write_private(path: str, body: str) -> None:
    """Write a bank file readable by its owner only: it holds account numbers in clear."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii", newline="") as stream:
        stream.write(body)


def describe(summary: runs.PaymentRunSummary) -> str:
    """A run as finance reads it at the terminal."""
    lines = [
        f"Payment run {summary.reference} (id {summary.id}): {summary.status}",
        f"  cut-off {summary.cutoff_date.isoformat()}; payment date {summary.payment_date.isoformat()}"
        + (f" (asked for {summary.requested_payment_date.isoformat()})"
           if summary.requested_payment_date != summary.payment_date else "")
        + (f"; submit the Bacs file by {summary.bacs_submit_by.isoformat()}" if summary.is_draft else ""),
        f"  {summary.payee_count} payees, {summary.item_count} claims, total {money(summary.total_pence)}",
    ]
    if summary.is_paid:
        lines.append(f"  confirmed at {summary.confirmed_at:%Y-%m-%d %H:%M} UTC, bank reference "
                     f"{summary.bank_reference}")
    if summary.cancel_reason is not None:
        lines.append(f"  cancelled: {summary.cancel_reason}")
    lines.append(f"  benefit flags: {summary.benefit_flags}"
                 + (f"; confirming needs an override reason for {', '.join(summary.needs_override)}"
                    if summary.needs_override and summary.override is None else ""))
    if summary.stale_rate_claim_count:
        lines.append(f"  stale rates: {summary.stale_rate_claim_count} fee(s) priced with a rate that may be out "
                     "of date (marked below); check the rate before paying")
    if summary.override is not None:
        lines.append(f"  override: {summary.override.reason}")
    lines.append("")
    lines.append(f"  {'payee':<36} {'amount':>12} {'claims':>6}  {'account':<10} benefits")
    for p in summary.payees:
        who = f"{p.payee_kind} {p.payee_id} {p.name}"[:36]
        check = p.benefit_check
        flag = check.outcome + (f" ({check.action})" if check.flagged else "")
        changed = "  BANK DETAILS CHANGED SINCE DRAFT" if p.bank_details_changed_since_draft else ""
        lines.append(f"  {who:<36} {money(p.amount_pence):>12} {p.item_count:>6}  {p.account_number or '-':<10} "
                     f"{flag}{changed}")
        if (w := p.bank_change_awaiting_approval) is not None:
            lines.append(f"      NEEDS A SECOND PERSON: bank details changed by {w.changed_by} at "
                         f"{w.changed_at:%Y-%m-%d %H:%M} UTC; no bank file or confirmation until another finance user "
                         f"runs: flask payments approve-bank-change {w.change_id} --as-user EMAIL")
        if check.flagged and check.explanation_for_staff:
            lines.append(f"      {check.explanation_for_staff}")
        if p.stale_rate_claim_ids:
            lines.append(f"      STALE RATE: claim(s) {', '.join(map(str, p.stale_rate_claim_ids))} priced with a rate "
                         "that may be out of date")
    if summary.left_out:
        lines.append("")
        lines.append(f"  Left out, waiting for a later run ({money(summary.left_out_pence)}):")
        lines.extend(f"    {x.payee_kind} {x.payee_id}: {x.message}" for x in summary.left_out)
    return "\n".join(lines)


def _fail(error: LedgerError) -> click.ClickException:
    return click.ClickException(error.message)


@payments_cli.command("draft")
@click.option("--cutoff", type=_DATE, required=True, help="Pay claims dated on or before this day (YYYY-MM-DD).")
@click.option("--payment-date", type=_DATE, required=True, help="The day the money should arrive (YYYY-MM-DD).")
@as_user_option
def draft_command(cutoff: dt.datetime, payment_date: dt.datetime, as_user: str):
    """Draft a payment run: approved claims up to the cut-off, with the batch benefit check."""
    configured = settings()
    try:
        with unit_of_work(session_factory()) as session:
            summary = runs.draft_payment_run(session, cutoff_date=cutoff.date(), payment_date=payment_date.date(),
                                             actor_user_id=finance_user(session, as_user),
                                             rulebook=configured.rulebook, settings=configured.policy,
                                             today=todays_date())
    except LedgerError as error:
        raise _fail(error) from None
    click.echo(describe(summary))


@payments_cli.command("show")
@click.argument("run_id", type=int)
@as_user_option
def show_command(run_id: int, as_user: str):
    """Show a run: per-payee totals, benefit flags, masked account numbers, what was left out."""
    try:
        with unit_of_work(session_factory()) as session:
            finance_user(session, as_user)
            summary = runs.payment_run_summary(session, run_id)
    except LedgerError as error:
        raise _fail(error) from None
    click.echo(describe(summary))


@payments_cli.command("approve-bank-change")
@click.argument("change_id", type=int)
@as_user_option
def approve_bank_change_command(change_id: int, as_user: str):
    """Approve bank details changed after a run was drafted (a second finance person: not the one who changed them,
    not the payee), so that the run's bank file can be made and the run confirmed."""
    try:
        with unit_of_work(session_factory()) as session:
            change = bank_changes.approve_bank_details_change(session, change_id,
                                                              actor_user_id=finance_user(session, as_user))
    except LedgerError as error:
        raise _fail(error) from None
    click.echo(f"Approved the new bank details of {change.payee_name} ({change.sort_code} {change.account_number}), "
               f"changed by {change.changed_by}.")


@payments_cli.command("bacs")
@click.argument("run_id", type=int)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True)
@as_user_option
def bacs_command(run_id: int, out: str, as_user: str):
    """Write a draft run's Bacs Standard 18 file (readable by you only)."""
    try:
        with unit_of_work(session_factory()) as session:
            user_id = finance_user(session, as_user)
            body = runs.bacs_file(session, run_id, settings().originator, settings().bank_cipher,
                                  created_on=todays_date(), actor_user_id=user_id)
            summary = runs.payment_run_summary(session, run_id)
    except LedgerError as error:
        raise _fail(error) from None
    _write_private(out, body)
    click.echo(f"Wrote the Bacs file of {summary.reference} to {out}: {summary.payee_count} credits, "
               f"{money(summary.total_pence)}, arriving {summary.payment_date.isoformat()}. Submit it by "
               f"{summary.bacs_submit_by.isoformat()}.")


@payments_cli.command("csv")
@click.argument("run_id", type=int)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True)
@as_user_option
def csv_command(run_id: int, out: str, as_user: str):
    """Write a draft run's bank-upload CSV (readable by you only)."""
    try:
        with unit_of_work(session_factory()) as session:
            user_id = finance_user(session, as_user)
            body = runs.bank_csv(session, run_id, settings().bank_cipher, actor_user_id=user_id)
            summary = runs.payment_run_summary(session, run_id)
    except LedgerError as error:
        raise _fail(error) from None
    _write_private(out, body)
    click.echo(f"Wrote the bank CSV of {summary.reference} to {out}: {summary.payee_count} rows, "
               f"{money(summary.total_pence)}.")


@payments_cli.command("confirm")
@click.argument("run_id", type=int)
@click.option("--bank-reference", required=True, help="The bank's reference for the accepted submission.")
@click.option("--override-reason", default=None, help="Needed when a payee's benefit check requires an override.")
@click.option("--new-payment-date", type=_DATE, default=None,
              help="Needed only when the Bacs submission day has passed (YYYY-MM-DD): the run moves to it.")
@as_user_option
def confirm_command(run_id: int, bank_reference: str, override_reason: str | None,
                    new_payment_date: dt.datetime | None, as_user: str):
    """Confirm the bank accepted the run: post the payments and mark the claims paid (once only)."""
    try:
        with unit_of_work(session_factory()) as session:
            summary = runs.confirm_payment_run(session, run_id, actor_user_id=finance_user(session, as_user),
                                               bank_reference=bank_reference,
                                               override_reason=override_reason, today=todays_date(),
                                               new_payment_date=new_payment_date.date() if new_payment_date else None,
                                               second_approval_above_pence=settings().claim_rules
                                               .second_approval_above_pence, rules=settings().claim_rules)
    except LedgerError as error:
        raise _fail(error) from None
    click.echo(describe(summary))


@payments_cli.command("reschedule")
@click.argument("run_id", type=int)
@click.option("--new-payment-date", type=_DATE, required=True,
              help="The day the bank will pay on (YYYY-MM-DD), when the Bacs submission day has passed.")
@as_user_option
def reschedule_command(run_id: int, new_payment_date: dt.datetime, as_user: str):
    """Move a draft run past its Bacs submission day to a new payment date, before writing its Bacs file."""
    try:
        with unit_of_work(session_factory()) as session:
            summary = runs.reschedule_payment_run(session, run_id, new_payment_date=new_payment_date.date(),
                                                  today=todays_date(), actor_user_id=finance_user(session, as_user))
    except LedgerError as error:
        raise _fail(error) from None
    click.echo(describe(summary))


@payments_cli.command("cancel")
@click.argument("run_id", type=int)
@click.option("--reason", required=True)
@as_user_option
def cancel_command(run_id: int, reason: str, as_user: str):
    """Cancel a draft run; its claims wait for a later run."""
    try:
        with unit_of_work(session_factory()) as session:
            summary = runs.cancel_payment_run(session, run_id, actor_user_id=finance_user(session, as_user),
                                              reason=reason)
    except LedgerError as error:
        raise _fail(error) from None
    click.echo(describe(summary))


@timebank_cli.command("balance")
@click.argument("participant_id", type=int)
@as_user_option
def balance_command(participant_id: int, as_user: str):
    """Show a participant's time credits, in hours."""
    try:
        with unit_of_work(session_factory()) as session:
            finance_user(session, as_user)
            minutes = time_credit_balance(session, participant_id)
    except LedgerError as error:
        raise _fail(error) from None
    click.echo(f"Participant {participant_id} holds {hours(minutes)} of time credits ({minutes} minutes).")
