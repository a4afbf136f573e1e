"""``flask --app wsgi ledger report --project CODE --from --to --format csv|pdf --out FILE``.

Without ``--project`` the report is the organisation's. Either date left out is the current financial
year's. Reading a report changes nothing, so there is no transaction to commit.
"""

from __future__ import annotations

import click

from ledger.cli.books import ledger_cli
from ledger.context import session_factory, settings, todays_date
from ledger.documents.issuing import issue_coproduction_report
from ledger.documents.register import cli_producer
from ledger.errors import LedgerError
from ledger.reports import coproduction


@ledger_cli.command("report")
@click.option("--project", "code", default=None, help="A project's code; the organisation's report without it.")
@click.option("--from", "start", default=None, help="First day, YYYY-MM-DD (default: the financial year's).")
@click.option("--to", "end", default=None, help="Last day, YYYY-MM-DD (default: the financial year's).")
@click.option("--format", "kind", type=click.Choice(["csv", "pdf"]), default="csv", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True, help="The file to write.")
def report_command(code: str | None, start: str | None, end: str | None, kind: str, out: str):
    """Write a co-production report (people, sessions, money, time credits, claim-to-payment) as CSV or PDF."""
    args = {name: value for name, value in (("from", start), ("to", end)) if value}
    session = session_factory()()
    try:
        first, last = coproduction.read_period(args, today=todays_date())
        report = (coproduction.project_report(session, code, start=first, end=last) if code
                  else coproduction.organisation_report(session, start=first, end=last))
        if kind == "csv":
            with open(out, "w", encoding="utf-8", newline="") as handle:
                handle.write(coproduction.report_csv(report))
        else:
            issued = issue_coproduction_report(session, report, organisation=settings().organisation,
                                               producer=cli_producer(), issued_on=todays_date())
            with open(out, "wb") as handle:
                handle.write(issued.pdf)
            session.commit()  # the register row of the PDF written
    except LedgerError as error:
        fields = "; ".join(f"--{f}: {' '.join(m)}" for f, m in (getattr(error, "fields", None) or {}).items())
        raise click.ClickException(fields or error.message) from None
    finally:
        session.close()
    click.echo(f"Wrote the {kind.upper()} report for {report.title}, {first} to {last}, to {out}.")
