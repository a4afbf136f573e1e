"""``flask --app wsgi bank ...``: import bank statements, see the unmatched queue, match lines, reconcile.

    bank import FILE [--preset barclays | --map date=Date --map description=Memo --map amount=Amount]
                     [--account "20-00-00 12345678"] [--opening-balance 1250.00] --as-user EMAIL
    bank unmatched [--limit 50]
    bank line LINE                      (what it is matched to, or what it might be)
    bank suggest                        (look for matches again, after a run is confirmed)
    bank confirm LINE --as-user EMAIL
    bank match LINE --kind payment_run --target 12 --reason "..." --as-user EMAIL
    bank unmatch LINE --reason "..." --as-user EMAIL
    bank reconcile --date 2026-10-31 [--format csv]

Each command calls one service in one transaction and says what it did; bad input is refused naming the option.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal, InvalidOperation

import click
from flask.cli import AppGroup

from ledger.banking import parsing, reconciliation, services
from ledger.banking.models import MATCH_KINDS
from ledger.cli.payments import as_user_option, finance_user
from ledger.context import session_factory
from ledger.db import unit_of_work
from ledger.errors import LedgerError
from ledger.formatting import long_date, money

bank_cli = AppGroup("bank", help="Bank statements: import, match, reconcile.")


def _failed(error: LedgerError) -> click.ClickException:
    named = f" ({', '.join(error.fields)})" if error.fields else ""
    return click.ClickException(f"{error.message}{named}")


def _mapping(pairs: tuple[str, ...]) -> dict[str, str]:
    found = {}
    for pair in pairs:
        part, sep, column = pair.partition("=")
        if not sep or part.strip() not in (*parsing.MAPPING_KEYS, "date_format", "has_header"):
            raise click.BadParameter(f"{pair!r} is not PART=COLUMN (parts: {', '.join(parsing.MAPPING_KEYS)}, "
                                     "date_format, has_header).", param_hint="--map")
        found[part.strip()] = column.strip()
    return found


def _pence(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        pence = Decimal(text.replace(",", "").lstrip("£")) * 100
    except InvalidOperation:
        pence = Decimal("0.5")
    if pence != pence.to_integral_value():
        raise click.BadParameter(f"{text!r} is not a sum in pounds and pence.", param_hint="--opening-balance")
    return int(pence)


@bank_cli.command("import")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
@click.option("--preset", type=click.Choice(sorted(parsing.PRESETS)), help="Your bank's CSV layout.")
@click.option("--map", "pairs", multiple=True, metavar="PART=COLUMN", help="Say which column holds what.")
@click.option("--format", "kind", type=click.Choice(["csv", "ofx"]), help="Guessed from the file when left out.")
@click.option("--account", help="The account the statement is for (when the file does not say).")
@click.option("--opening-balance", help="Pounds: the balance before the file's first line, if the file lacks it.")
@as_user_option
def import_command(path, preset, pairs, kind, account, opening_balance, as_user):
    """Import a CSV or OFX statement: each line stored once, matches suggested."""
    if preset and pairs:
        raise click.BadParameter("Give a preset or a mapping, not both.", param_hint="--map")
    with open(path, "rb") as stream:
        data = stream.read(parsing.MAX_BYTES + 1)
    try:
        with unit_of_work(session_factory()) as session:
            result = services.import_statement(
                session, data, filename=os.path.basename(path), format=kind, preset=preset,
                mapping=_mapping(pairs) or None, account=account, opening_balance_pence=_pence(opening_balance),
                actor_user_id=finance_user(session, as_user))
    except LedgerError as error:
        raise _failed(error) from None
    click.echo(result.message)


@bank_cli.command("unmatched")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, services.MAX_PAGE))
def unmatched_command(limit):
    """The lines waiting to be matched, oldest first, with any suggestion."""
    with unit_of_work(session_factory()) as session:
        page = services.list_lines(session, status="unmatched", limit=limit)
        waiting, suggested = services.unmatched_summary(session)
    for line in page.lines:
        hint = (f"  suggested {line.suggested_kind} {line.suggested_id} ({line.suggested_score}/100): "
                f"{line.suggested_reason}" if line.has_suggestion else "")
        click.echo(f"{line.id}\t{line.posted_on.isoformat()}\t{money(line.amount_pence)}\t{line.description}{hint}")
    click.echo(f"{waiting} line(s) unmatched, {suggested} with a suggestion.")


@bank_cli.command("suggest")
def suggest_command():
    """Look for matches again for every unmatched line (after a run is confirmed or a payment returned)."""
    with unit_of_work(session_factory()) as session:
        suggested = services.refresh_suggestions(session)
    click.echo(f"{suggested} unmatched line(s) have a suggested match.")


@bank_cli.command("line")
@click.argument("line_id", type=int)
def line_command(line_id):
    """One line, what it is matched to, or what it might be (for ``bank match``)."""
    try:
        with unit_of_work(session_factory()) as session:
            line = services.line_record(session, line_id)
            found = services.candidates(session, line_id) if line.status == "unmatched" else []
    except LedgerError as error:
        raise _failed(error) from None
    click.echo(f"Line {line.id}: {line.posted_on.isoformat()} {money(line.amount_pence)} {line.description} "
               f"({line.status})")
    if line.status == "matched":
        click.echo(f"Matched to {line.match_kind} {line.match_id}: {line.match_reason or ''}")
    for c in found:
        click.echo(f"  --kind {c.kind} --target {c.id}\t{c.day.isoformat()}\t{money(c.amount_pence)}\t"
                   f"{c.score}/100\t{c.label}")


@bank_cli.command("confirm")
@click.argument("line_id", type=int)
@as_user_option
def confirm_command(line_id, as_user):
    """Confirm a line's suggested match."""
    try:
        with unit_of_work(session_factory()) as session:
            line = services.confirm_suggestion(session, line_id, actor_user_id=finance_user(session, as_user))
    except LedgerError as error:
        raise _failed(error) from None
    click.echo(f"Line {line.id} matched to {line.match_kind} {line.match_id}.")


@bank_cli.command("match")
@click.argument("line_id", type=int)
@click.option("--kind", required=True, type=click.Choice(MATCH_KINDS))
@click.option("--target", "target_id", required=True, type=click.IntRange(min=1),
              help="The run, payment, returned payment or entry number.")
@click.option("--reason", required=True)
@as_user_option
def match_command(line_id, kind, target_id, reason, as_user):
    """Match a line by hand, saying why."""
    try:
        with unit_of_work(session_factory()) as session:
            line = services.match_line(session, line_id, kind=kind, target_id=target_id, reason=reason,
                                       actor_user_id=finance_user(session, as_user))
    except LedgerError as error:
        raise _failed(error) from None
    click.echo(f"Line {line.id} matched to {line.match_kind} {line.match_id}.")


@bank_cli.command("unmatch")
@click.argument("line_id", type=int)
@click.option("--reason", required=True)
@as_user_option
def unmatch_command(line_id, reason, as_user):
    """Put a matched line back in the queue, saying why."""
    try:
        with unit_of_work(session_factory()) as session:
            line = services.unmatch_line(session, line_id, reason=reason, actor_user_id=finance_user(session, as_user))
    except LedgerError as error:
        raise _failed(error) from None
    click.echo(f"Line {line.id} is unmatched again.")


@bank_cli.command("reconcile")
@click.option("--date", "day", required=True, type=click.DateTime(["%Y-%m-%d"]), help="YYYY-MM-DD")
@click.option("--format", "shape", type=click.Choice(["text", "csv"]), default="text", show_default=True)
def reconcile_command(day, shape):
    """The bank's balance per the statements, the books' balance, and every difference, on the day."""
    as_of: dt.date = day.date()
    try:
        with unit_of_work(session_factory()) as session:
            report = reconciliation.reconcile(session, as_of)
    except LedgerError as error:
        raise _failed(error) from None
    if shape == "csv":
        click.echo(reconciliation.reconciliation_csv(report), nl=False)
        return
    click.echo(f"Bank reconciliation on {long_date(as_of)} (statements from {long_date(report.starts_on)})")
    click.echo(f"Balance per the bank statements: {money(report.bank_balance_pence)}"
               + (" (opening balance taken from the books)" if report.opening_assumed else ""))
    click.echo(f"Balance per the books:           {money(report.books_balance_pence)}")
    click.echo(f"Difference:                      {money(report.difference_pence)}")
    for d in report.differences:
        when = d.day.isoformat() if d.day else ""
        click.echo(f"  {when}\t{d.kind}\t{money(d.amount_pence)}\t{d.description}")
    click.echo(f"Explained: {money(report.explained_pence)}; unexplained: {money(report.unexplained_pence)}.")
    if report.statement_disagrees and report.statement_says_pence is not None:
        click.echo(f"The bank's own running balance says {money(report.statement_says_pence)}: a line is missing "
                   "from the imported statements.")
