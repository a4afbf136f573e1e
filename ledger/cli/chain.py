"""The auditor's commands: seal the chain, print and check a signed checkpoint, back up and restore.

``flask --app wsgi ledger seal`` links rows from before the chain (once, after migration 0025);
``ledger checkpoint`` prints a signed checkpoint to keep outside the system; ``ledger checkpoint-check FILE``
checks one against the books now; ``ledger backup PATH`` and ``ledger restore PATH`` (into an empty database,
then verified). ``ledger verify`` itself is in ``ledger.cli.books``.
"""

from __future__ import annotations

import json
import sys

import click
from flask import current_app

from ledger.backup import backup_database, restore_database
from ledger.books.verify import verify_books
from ledger.chain import audit
from ledger.cli.books import ledger_cli
from ledger.context import session_factory
from ledger.db import unit_of_work
from ledger.errors import LedgerError


@ledger_cli.command("seal")
def seal_command():
    """Link the entries and events from before the chain (run once after upgrading, with the production key)."""
    with unit_of_work(session_factory()) as session:
        sealed = audit.seal(session)
    click.echo(f"Sealed {sealed} record(s) from before the chain into it." if sealed
               else "Nothing to seal: every record from before the chain is linked.")


@ledger_cli.command("checkpoint")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), default="-",
              help="File to write (default: standard output).")
def checkpoint_command(out: str):
    """Print a signed checkpoint of the chain (head, counts, date) for an auditor to keep outside the system."""
    with unit_of_work(session_factory()) as session:
        checkpoint = audit.make_checkpoint(session)
    with click.open_file(out, "w", encoding="utf-8") as stream:
        stream.write(json.dumps(checkpoint, indent=2, sort_keys=True) + "\n")
    if out != "-":
        click.echo(f"Wrote the checkpoint of {checkpoint['date']} (link {checkpoint['head_seq']}) to {out}.")


@ledger_cli.command("checkpoint-check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def checkpoint_check_command(path: str):
    """Check a checkpoint against the books now: exit 1 if the chain's past was rewritten or shortened."""
    try:
        with open(path, encoding="utf-8") as stream:
            checkpoint = json.load(stream)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise click.BadParameter(f"{path} is not a checkpoint file (JSON from `ledger checkpoint`): {error}",
                                 param_hint="PATH") from error
    if not isinstance(checkpoint, dict):
        raise click.BadParameter(f"{path} is not a checkpoint file (JSON from `ledger checkpoint`).", param_hint="PATH")
    with unit_of_work(session_factory()) as session:
        result = audit.check_checkpoint(session, checkpoint)
    click.echo(result.describe())
    sys.exit(0 if result.ok else 1)


@ledger_cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
def backup_command(path: str):
    """Back the database up to PATH (SQLite's online backup; PostgreSQL: pg_dump's custom format)."""
    try:
        size = backup_database(current_app.config["DATABASE_URL"], path)
    except LedgerError as error:
        click.echo(error.message, err=True)
        sys.exit(1)
    click.echo(f"Backed up the database to {path} ({size} bytes).")


@ledger_cli.command("restore")
@click.argument("path", type=click.Path(dir_okay=False))
def restore_command(path: str):
    """Restore the backup at PATH into the empty database of DATABASE_URL, then verify it, chain included."""
    try:
        restore_database(current_app.config["DATABASE_URL"], path)
    except LedgerError as error:
        click.echo(error.message, err=True)
        sys.exit(1)
    click.echo(f"Restored {path}.")
    with unit_of_work(session_factory()) as session:
        report = verify_books(session, audit.VERIFY_CHECKS)
    click.echo(report.describe())
    sys.exit(0 if report.ok else 1)
