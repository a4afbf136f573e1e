"""Finance's bulk work on the audit log and the month close from the command line: ``flask ledger ...``.

The audit CSV is the one the page and the API give (``ledger.events.audit``), with the same filters.
"""

from __future__ import annotations

import sys

import click

from ledger.cli.books import ledger_cli
from ledger.context import get_session
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
