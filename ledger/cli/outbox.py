"""``flask --app wsgi ledger send-email`` (the outbox worker) and ``ledger print-pack RUN --out FILE``.

The worker claims due messages, sends them over SMTP (``SMTP_*``, ``MAIL_FROM``) and marks them sent; run it
under a process supervisor, or from cron with ``--once``. Any number of workers may run at once: they never
hold the same message (see ``ledger.outbox.sending`` for why a crash never loses a message, and how a message
sent again is recognised by its Message-ID).
"""

from __future__ import annotations

import os
import time

import click

from ledger.cli.books import ledger_cli
from ledger.context import session_factory, settings, todays_date
from ledger.db import unit_of_work
from ledger.documents.issuing import issue_print_pack
from ledger.documents.register import cli_producer
from ledger.documents.site import SITE, page_address
from ledger.errors import LedgerError
from ledger.outbox.sending import SmtpTransport, send_due_messages
from ledger.reports.print_pack import print_pack

POLL_SECONDS = 10


@ledger_cli.command("send-email")
@click.option("--once", is_flag=True, help="Send one batch of what is due, then stop (for cron).")
@click.option("--batch", type=click.IntRange(1, 1000), default=50, show_default=True,
              help="How many messages to claim at a time.")
def send_email_command(once: bool, batch: int):
    """Send the emails waiting in the outbox (remittance advice, fees waiting for a decision, returned claims)."""
    mail, organisation = settings().mail, settings().organisation
    while True:
        report = send_due_messages(session_factory(), lambda: SmtpTransport(mail), organisation=organisation,
                                   mail=mail, batch=batch)
        busy = report.sent or report.retried or report.failed or report.dropped
        if busy or once:
            click.echo(f"Sent {report.sent}; {report.retried} to try again later; {report.failed} given up; "
                       f"{report.dropped} no longer true, not sent.")
        if once:
            return
        if not busy:
            time.sleep(POLL_SECONDS)


@ledger_cli.command("print-pack")
@click.argument("run_id", type=int)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The PDF file to write (readable by you only: it holds names and addresses).")
@SITE
def print_pack_command(run_id: int, out: str, site: str | None):
    """Write a confirmed payment run's letters to post (cover sheet, then each remittance advice) as one PDF."""
    try:
        with unit_of_work(session_factory()) as session:  # commits the register rows of the pack and its letters
            pack = print_pack(session, run_id, organisation=settings().organisation)
            pdf = issue_print_pack(session, pack, producer=cli_producer(), issued_on=todays_date(),
                                   web_address=page_address(site, "my_documents.remittance", run_id=run_id)).pdf
    except LedgerError as error:
        raise click.ClickException(str(error)) from error
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pdf)
    click.echo(f"Wrote {out}: {len(pack.to_post)} letters to post, {len(pack.without_address)} without an "
               f"address, {pack.emailed} emailed instead.")
