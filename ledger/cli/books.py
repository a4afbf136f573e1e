"""Flask CLI commands for finance and administrators: ``flask --app wsgi ledger ...``."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ledger import demo
from ledger.auth.models import User
from ledger.auth.users import create_user
from ledger.books.export import export_journal
from ledger.books.posting import count_entries
from ledger.books.verify import verify_books
from ledger.chain import audit
from ledger.context import engine, session_factory, settings, todays_date
from ledger.db import unit_of_work
from ledger.errors import LedgerError
from ledger.events.audit import record_export
from ledger.migrate import upgrade

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


@ledger_cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["hledger", "beancount"]), required=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), default="-",
              help="File to write (default: standard output).")
@click.option("--as-user", "as_user", default=None, help="The email of the user taking the export (recorded).")
def export_command(fmt: str, out: str, as_user: str | None):
    """Write the whole journal for hledger or beancount, to cross-check every balance (the export is an event)."""

    with unit_of_work(session_factory()) as session, click.open_file(out, "w", encoding="utf-8") as stream:
        user = None
        if as_user:
            user = session.execute(select(User).where(User.email == as_user.strip().lower())).scalar_one_or_none()
            if user is None or not user.is_active:
                raise click.BadParameter("No active user has that email.", param_hint="--as-user")
        count = export_journal(session, fmt, stream)
    # Recorded in a transaction of its own: the export read one REPEATABLE READ snapshot on PostgreSQL, and an
    # event written there could not take its place in the chain if anyone else wrote meanwhile.
    with unit_of_work(session_factory()) as session:
        record_export(session, what=f"journal_{fmt}", via="cli", actor_user_id=user.id if user else None, rows=count,
                      filters={"format": fmt})
    if out != "-":
        click.echo(f"Wrote {count} entries to {out}.")


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
