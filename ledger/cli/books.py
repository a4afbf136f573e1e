"""Flask CLI commands for finance and administrators: ``flask --app wsgi ledger ...``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ledger import demo
from ledger.auth.models import User
from ledger.auth.users import create_user
from ledger.books.export import journal_text
from ledger.books.posting import count_entries
from ledger.books.verify import verify_books
from ledger.chain import audit
from ledger.context import engine, session_factory, settings, todays_date
from ledger.db import unit_of_work
from ledger.errors import LedgerError
from ledger.events.audit import record_export
from ledger.migrate import upgrade
from ledger.reports import exports, tax_year
from ledger.reports.coproduction import read_period

ledger_cli = AppGroup("ledger", help="Set up, check and export the books.")


def _load_demo(session):
    configured = settings()
    return demo.load_demo(session, today=todays_date(), rulebook=configured.rulebook, policy=configured.policy,
                          cipher=configured.bank_cipher)


@ledger_cli.command("migrate")
def migrate_command():
    """Apply database migrations (alembic upgrade head)."""
    upgrade(engine())
    click.echo("Database is up to date.")


@ledger_cli.command("init")
def init_command():
    """Migrate, and load the demo data if the database holds no entries yet."""

    upgrade(engine())
    with unit_of_work(session_factory()) as session:
        empty = count_entries(session) == 0
    if empty:
        click.echo("Loading demo data (a year of activity)...")
        with unit_of_work(session_factory()) as session:
            summary = _load_demo(session)
        click.echo(summary.describe())
    click.echo(demo.LOGIN_HELP)


@ledger_cli.command("demo")
def demo_command():
    """Load the demo data into the empty database named by DATABASE_URL."""

    upgrade(engine())
    with unit_of_work(session_factory()) as session:
        if count_entries(session) > 0:
            click.echo("Refusing: this database already holds journal entries. Demo data goes into an "
                       "empty database only.", err=True)
            sys.exit(1)
        summary = _load_demo(session)
    click.echo(summary.describe())
    click.echo(demo.LOGIN_HELP)


@ledger_cli.command("verify")
@click.option("--seal", is_flag=True, help="First link the records from before the chain (see `ledger seal`).")
def verify_command(seal: bool):
    """Re-check every invariant of the books, the keyed chain, and claims and payments against the postings;
    exit 1 with a report if anything is wrong."""

    if seal:
        with unit_of_work(session_factory()) as session:
            sealed = audit.seal(session)
        click.echo(f"Sealed {sealed} record(s) from before the chain into it.")
    with unit_of_work(session_factory()) as session:
        report = verify_books(session, audit.VERIFY_CHECKS)
    click.echo(report.describe())
    sys.exit(0 if report.ok else 1)


def _active_user(session, as_user: str | None):
    if not as_user:
        return None
    user = session.execute(select(User).where(User.email == as_user.strip().lower())).scalar_one_or_none()
    if user is None or not user.is_active:
        raise click.BadParameter("No active user has that email.", param_hint="--as-user")
    return user


def _refuse(error: LedgerError) -> None:
    """Print a refusal, each field's problems on a line of its own, and exit 2."""
    click.echo(f"Refused: {error.message}", err=True)
    for name, problems in error.fields.items():
        for problem in problems if isinstance(problems, list) else [problems]:
            click.echo(f"  {name}: {problem}", err=True)
    sys.exit(2)


@ledger_cli.command("export")
@click.option("--format", "fmt", type=click.Choice(list(exports.FORMATS)), required=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), default="-",
              help="File to write (default: standard output).")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="First day, YYYY-MM-DD (journal: from the start; others: the financial year's).")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day, YYYY-MM-DD.")
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Xero and Sage: the mapping file (TOML) of accounts to nominal codes (default NOMINAL_MAP_PATH).")
@click.option("--readable/--coded", default=True,
              help="hledger and beancount: people's and projects' names in account names, or the codes.")
@click.option("--as-user", "as_user", default=None, help="The email of the user taking the export (recorded).")
def export_command(fmt: str, out: str, start, end, mapping: str | None, readable: bool, as_user: str | None):
    """Write the journal for a date range (hledger, beancount, xero, sage) or the payments CSV (an event)."""
    first = start.date() if start else None
    last = end.date() if end else None
    journal = fmt in exports.JOURNAL_FORMATS
    if not journal or first or last:
        args = {k: v.isoformat() for k, v in (("from", first), ("to", last)) if v}
        try:
            first, last = read_period(args, today=todays_date())
        except LedgerError as error:
            _refuse(error)
    with unit_of_work(session_factory()) as session:
        user = _active_user(session, as_user)
        user_id = user.id if user else None
    with unit_of_work(session_factory()) as session:  # a fresh transaction: one snapshot on PostgreSQL
        try:
            nominal = (exports.read_mapping(Path(mapping).read_bytes() if mapping else None,
                                            settings().nominal_map_path) if fmt in ("xero", "sage") else None)
            written: list[int] = []
            lines = exports.export_text(session, fmt, first, last, mapping=nominal, readable=readable,
                                        written=written) if first and last else export_journal_text(
                session, fmt, readable, written)
        except LedgerError as error:
            _refuse(error)
        with click.open_file(out, "w", encoding="utf-8") as stream:
            for piece in lines:
                stream.write(piece)
        count = written[0] if written else 0
    # Recorded in a transaction of its own: the export read one REPEATABLE READ snapshot on PostgreSQL, and an
    # event written there could not take its place in the chain if anyone else wrote meanwhile.
    with unit_of_work(session_factory()) as session:
        record_export(session, what=f"journal_{fmt}" if journal else f"export_{fmt}", via="cli",
                      actor_user_id=user_id, rows=count, filters={"format": fmt, "from": first, "to": last})
    if out != "-":
        click.echo(f"Wrote {count} {'entries' if journal else 'rows'} to {out}.")


def export_journal_text(session, fmt: str, readable: bool, written: list[int]):
    """The whole journal, every entry, for hledger or beancount."""
    return journal_text(session, fmt, labels=exports.export_labels(session) if readable else None, written=written)


@ledger_cli.command("tax-year-totals")
@click.option("--tax-year", "year", default=None, help="The year it starts in (2026) or 2026-27; default this one.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), default="-",
              help="File to write (default: standard output).")
@click.option("--as-user", "as_user", default=None, help="The email of the user taking the export (recorded).")
def tax_year_totals_command(year: str | None, out: str, as_user: str | None):
    """Write each participant's fees, expenses and taxable allowances in a tax year as CSV (an event)."""
    try:
        chosen = tax_year.read_tax_year(year, today=todays_date())
    except LedgerError as error:
        _refuse(error)
    with unit_of_work(session_factory()) as session:
        user = _active_user(session, as_user)
        written: list[int] = []
        with click.open_file(out, "w", encoding="utf-8") as stream:
            for line in tax_year.tax_year_csv(session, chosen, settings().rulebook, written):
                stream.write(line)
        record_export(session, what="export_tax_year_totals", via="cli", actor_user_id=user.id if user else None,
                      rows=written[0], filters={"tax_year": chosen.label})
    if out != "-":
        click.echo(f"Wrote {written[0]} participants' {chosen.label} totals to {out}.")


@ledger_cli.command("trading-allowance")
@click.argument("run_id", type=int)
def trading_allowance_command(run_id: int):
    """List everyone a payment run takes past the trading allowance, so finance can tell them."""
    with unit_of_work(session_factory()) as session:
        try:
            crossings = tax_year.allowance_crossings(session, run_id, settings().rulebook)
        except LedgerError as error:
            _refuse(error)
    if not crossings:
        click.echo(f"Payment run {run_id} takes nobody past the trading allowance.")
    for crossing in crossings:
        click.echo(f"P{crossing.participant_id:05d}: {crossing.message}")


@ledger_cli.command("create-user")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice(["admin", "finance", "project_manager", "participant"]))
@click.option("--participant-id", type=int, default=None)
@click.password_option()
def create_user_command(email, display_name, roles, participant_id, password):
    """Create a user with one or more roles."""

    try:
        with unit_of_work(session_factory()) as session:
            user = create_user(session, email=email, display_name=display_name, password=password,
                               roles=roles, participant_id=participant_id)
            click.echo(f"Created user {user.id} ({user.email}) with roles {', '.join(sorted(roles))}.")
    except LedgerError as error:
        raise click.ClickException(error.message) from None
