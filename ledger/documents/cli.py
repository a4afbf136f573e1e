"""Flask CLI commands for documents in bulk: ``flask --app wsgi documents ...``.

Statements for a month, every remittance advice of a payment run, tax-year summaries, a benefits evidence pack
and a project budget report, written as PDF files. Documents hold personal data: files are written readable by
their owner only. A document that cannot be made (its figures do not add up, say) is reported and the others are
still written; the command then exits with status 1.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from tqdm import tqdm

from ledger.context import session_factory, settings, todays_date
from ledger.documents import issuing
from ledger.documents.register import (
    cli_producer,
    drawing_processes,
    issue_remittances,
    verify_code,
    verify_file,
)
from ledger.documents.site import SITE, page_address
from ledger.errors import LedgerError
from ledger.formatting import count, date_range, long_date, money
from ledger.payments.models import PaymentRun
from ledger.people.models import Participant
from ledger.reports.annual_summary import annual_summary
from ledger.reports.benefit_effect import benefit_effect_notice
from ledger.reports.budget_report import project_budget_report
from ledger.reports.evidence_pack import evidence_pack_letter
from ledger.reports.organisation import Organisation
from ledger.reports.payees import easy_read_references, large_print_references
from ledger.reports.records import DocumentDataError, tax_year_bounds
from ledger.reports.remittances import remittances_for_run
from ledger.reports.run_report import payment_run_report
from ledger.reports.statements import participant_statement

documents_cli = AppGroup("documents", help="Make documents as PDF in bulk: statements, remittance advice, tax-year "
                                           "summaries, benefits evidence and budget reports.")

_DATE = click.DateTime(formats=["%Y-%m-%d"])
_LARGE_PRINT = click.option(
    "--large-print", "large_print", type=click.Choice(["auto", "yes", "no"]), default="auto", show_default=True,
    help="auto: large print for participants whose preferred format is large print.")
_EASY_READ = click.option(
    "--easy-read", "easy_read", type=click.Choice(["auto", "yes", "no"]), default="auto", show_default=True,
    help="auto: easy read for participants whose preferred format is easy read.")
_FAILURES = (LedgerError, DocumentDataError)


def _session() -> Session:
    return session_factory()()


def _organisation() -> Organisation:
    return settings().organisation


_PARTIAL = ".partial-"


def _write(path: Path, data: bytes) -> None:
    """Write a document readable by its owner only (it holds personal data), whole or not at all.

    The bytes go to a hidden name beside it, are flushed to disk, and the file is renamed into place in one
    step: a run killed mid-way leaves every document under its own name complete, and at most one hidden
    partial file, which the next run into the folder removes.
    """
    partial = path.with_name(f"{_PARTIAL}{os.getpid()}-{path.name}")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


# Files written at once by a bulk command: each waits on the disk (fsync) with the interpreter free, and the
# file system commits the waits of several together, so eight cost little more than one.
WRITERS = 8


@contextlib.contextmanager
def _writing() -> Iterator[Callable[[Path, bytes], None]]:
    """Write many documents (each as ``_write`` does) on threads of their own, while the next are drawn.

    A file a time, its wait for the disk came between one document and the next: about 3 ms, as long as
    drawing one. Leaving the block waits for every file, and raises the first failure, so a command commits
    its register rows only once every file it names is on disk.
    """
    pending: list[Future] = []
    with ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="document-writer") as pool:
        yield lambda path, data: pending.append(pool.submit(_write, path, data))
    for done in pending:
        done.result()


def _directory(out: str) -> Path:
    """The folder to write into, without the partial files of an earlier run that was killed."""
    path = Path(out)
    path.mkdir(parents=True, exist_ok=True)
    for leftover in path.glob(f"{_PARTIAL}*"):
        pid = leftover.name[len(_PARTIAL):].split("-", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            leftover.unlink(missing_ok=True)
    return path


def _running(pid: int) -> bool:
    """Whether a process of this id is alive (another run writing into the same folder keeps its file)."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _month(text: str) -> tuple[dt.date, dt.date]:
    try:
        year, month = (int(part) for part in text.split("-"))
        first = dt.date(year, month, 1)
    except ValueError:
        raise click.BadParameter("Use the form YYYY-MM, for example 2026-10.", param_hint="--month") from None
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return first, following - dt.timedelta(days=1)


def _wants_large_print(choice: str, prefers: bool) -> bool:
    return choice == "yes" or (choice == "auto" and prefers)


def _participants(session: Session, include_inactive: bool) -> list[tuple[int, str]]:
    query = select(Participant.id, Participant.preferred_format).order_by(Participant.id)
    if not include_inactive:
        query = query.where(Participant.is_active.is_(True))
    return [(row.id, row.preferred_format) for row in session.execute(query)]


def _progress(items, *, desc: str, unit: str, total: int | None = None):
    return tqdm(items, desc=desc, unit=unit, total=total, file=sys.stderr, dynamic_ncols=True, leave=False)


def _report_failures(failures: list[str]) -> None:
    if failures:
        for failure in failures:
            click.echo(f"  not made: {failure}", err=True)
        sys.exit(1)


@documents_cli.command("statements")
@click.option("--month", required=True, metavar="YYYY-MM", help="The calendar month the statements cover.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Directory to write them to.")
@_LARGE_PRINT
@_EASY_READ
@SITE
@click.option("--include-inactive", is_flag=True, help="Also participants marked inactive.")
def statements_command(month: str, out: str, large_print: str, easy_read: str, site: str | None,
                       include_inactive: bool):
    """Write every participant's statement for a month, one PDF each."""
    start, end = _month(month)
    directory = _directory(out)
    organisation, issued = _organisation(), todays_date()
    written = large = easy_count = 0
    failures: list[str] = []
    session, producer = _session(), cli_producer()
    try:
        people = _participants(session, include_inactive)
        with _writing() as write:
            for participant_id, preferred in _progress(people, desc="Statements", unit="statement"):
                try:
                    doc = participant_statement(session, participant_id, start, end,
                                                organisation=organisation, issued=issued)
                    wanted = _wants_large_print(large_print, preferred == "large_print")
                    easy = _wants_large_print(easy_read, preferred == "easy_read")
                    pdf = issuing.issue_statement(session, doc, producer=producer, large_print=wanted, easy_read=easy,
                                                  web_address=page_address(site, "my_documents.statement",
                                                                           start=start.isoformat(),
                                                                           end=end.isoformat())).pdf
                except _FAILURES as error:
                    failures.append(f"participant {participant_id}: {getattr(error, 'message', error)}")
                    continue
                write(directory / f"statement-{month}-{doc.participant.reference}.pdf", pdf)
                written += 1
                large += wanted and not easy
                easy_count += easy
        session.commit()  # the register rows of every statement written
    finally:
        session.close()
    click.echo(f"Wrote {count(written, 'statement')} for {date_range(start, end)} to {directory} "
               f"({large:,} in large print); {len(failures):,} could not be made."
               + (f" {easy_count:,} in easy read." if easy_count else ""))
    _report_failures(failures)


def _run_id(session: Session, run: str) -> int:
    text = run.strip()
    found = session.execute(
        select(PaymentRun.id).where(or_(PaymentRun.reference == text.upper(),
                                        PaymentRun.id == (int(text) if text.isdigit() else -1)))
    ).scalar_one_or_none()
    if found is None:
        raise click.BadParameter(f"There is no payment run {run}.", param_hint="--run")
    return found


@documents_cli.command("remittances")
@click.option("--run", "run", required=True, metavar="RUN", help="The payment run's id or reference (PR000012).")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Directory to write them to.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Render in this many processes.")
@_LARGE_PRINT
@_EASY_READ
@SITE
def remittances_command(run: str, out: str, workers: int, large_print: str, easy_read: str, site: str | None):
    """Write the remittance advice of every payee of a confirmed payment run, one PDF each."""
    directory = _directory(out)
    # Started first: the drawing processes get ready (fonts, code book) while the run is read.
    with drawing_processes(workers, _organisation()) as processes:
        session = _session()
        try:
            run_id = _run_id(session, run)
            try:
                docs = remittances_for_run(session, run_id, organisation=_organisation())
            except _FAILURES as error:
                raise click.ClickException(getattr(error, "message", str(error))) from None
            prefers, prefers_easy = large_print_references(session), easy_read_references(session)
        except BaseException:
            session.close()
            raise

        def choose(doc) -> bool:
            return _wants_large_print(large_print, doc.payee.reference in prefers and not doc.payee.is_group)

        def easy(doc) -> bool:
            return _wants_large_print(easy_read, doc.payee.reference in prefers_easy and not doc.payee.is_group)

        large = sum(choose(doc) and not easy(doc) for doc in docs)
        in_easy_read = sum(easy(doc) for doc in docs)
        written = 0
        address = page_address(site, "my_documents.remittance", run_id=run_id)
        try:
            rendered = issue_remittances(session, docs, large_print=choose, easy_read=easy,
                                         organisation=_organisation(), issued_on=todays_date(),
                                         producer=cli_producer(), processes=processes,
                                         web_address=lambda doc: "" if doc.payee.is_group else address)
            with _writing() as write:
                for name, pdf in _progress(rendered, desc="Remittances", unit="advice", total=len(docs)):
                    write(directory / name, pdf)
                    written += 1
            session.commit()  # the register rows of every advice written
        finally:
            session.close()
    reference = docs[0].run_reference if docs else run
    total = sum(doc.total_paid for doc in docs)
    click.echo(f"Wrote {count(written, 'remittance advice', 'remittance advices')} for payment run {reference} "
               f"to {directory} ({large:,} in large print), for {money(total)} paid."
               + (f" {in_easy_read:,} in easy read." if in_easy_read else ""))


@documents_cli.command("annual-summaries")
@click.option("--tax-year", "tax_year", required=True, type=click.IntRange(2000, 2100), metavar="YEAR",
              help="The year the tax year starts: 2025 means 6 April 2025 to 5 April 2026.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Directory to write them to.")
@_LARGE_PRINT
@_EASY_READ
@SITE
@click.option("--include-inactive", is_flag=True, help="Also participants marked inactive.")
def annual_summaries_command(tax_year: int, out: str, large_print: str, easy_read: str, site: str | None,
                             include_inactive: bool):
    """Write a tax-year summary for every participant paid in the tax year (or who gave a fee to a group)."""
    directory = _directory(out)
    rulebook, organisation, issued = settings().rulebook, _organisation(), todays_date()
    address = page_address(site, "my_documents.tax_year", tax_year=tax_year)
    written = skipped = easy_count = 0
    failures: list[str] = []
    session, producer = _session(), cli_producer()
    try:
        people = _participants(session, include_inactive)
        with _writing() as write:
            for participant_id, preferred in _progress(people, desc="Tax-year summaries", unit="summary"):
                try:
                    doc = annual_summary(session, participant_id, tax_year, organisation=organisation,
                                         rulebook=rulebook, issued=issued)
                    if not doc.lines and not doc.redirected:
                        skipped += 1
                        continue
                    easy = _wants_large_print(easy_read, preferred == "easy_read")
                    pdf = issuing.issue_annual_summary(
                        session, doc, producer=producer,
                        large_print=_wants_large_print(large_print, preferred == "large_print"), easy_read=easy,
                        web_address=address).pdf
                    easy_count += easy
                except _FAILURES as error:
                    failures.append(f"participant {participant_id}: {getattr(error, 'message', error)}")
                    continue
                write(directory / f"tax-year-{tax_year}-{doc.participant.reference}.pdf", pdf)
                written += 1
        session.commit()  # the register rows of every summary written
    finally:
        session.close()
    start, end = tax_year_bounds(tax_year)
    click.echo(f"Wrote {count(written, 'tax-year summary', 'tax-year summaries')} for {date_range(start, end)} to "
               f"{directory}; {count(skipped, 'participant')} had no payments in the tax year; "
               f"{len(failures):,} could not be made." + (f" {easy_count:,} in easy read." if easy_count else ""))
    _report_failures(failures)


@documents_cli.command("evidence-pack")
@click.option("--participant", "participant_id", required=True, type=int, help="The participant's id.")
@click.option("--start", required=True, type=_DATE, help="First day covered (YYYY-MM-DD).")
@click.option("--end", required=True, type=_DATE, help="Last day covered (YYYY-MM-DD).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The PDF file to write.")
@click.option("--signatory-name", default=None, help="Who signs the letter (default: EVIDENCE_SIGNED_BY_NAME).")
@click.option("--signatory-role", default=None, help="Their role (default: EVIDENCE_SIGNED_BY_ROLE).")
@_LARGE_PRINT
def evidence_pack_command(participant_id, start, end, out, signatory_name, signatory_role, large_print):
    """Write a benefits evidence pack (a letter for DWP) for one participant and period."""
    signatory, organisation = settings().signatory, _organisation()
    session = _session()
    try:
        doc = evidence_pack_letter(
            session, participant_id, start.date(), end.date(), settings=settings(), issued=todays_date(),
            signed_by=signatory_name or signatory.name or "Finance team",
            role=signatory_role or signatory.role or organisation.name)
        participant = session.get(Participant, participant_id)
        wanted = _wants_large_print(large_print, participant.preferred_format == "large_print")
        issued = issuing.issue_evidence_pack(session, doc, producer=cli_producer(), large_print=wanted)
        _write(Path(out), issued.pdf)
        session.commit()
    except _FAILURES as error:
        raise click.ClickException(getattr(error, "message", str(error))) from None
    finally:
        session.close()
    periods = sum(len(benefit.periods) for benefit in doc.benefits)
    click.echo(f"Wrote the benefits evidence pack for {doc.participant.reference} "
               f"({date_range(doc.period_start, doc.period_end)}: {count(len(doc.benefits), 'benefit')}, "
               f"{count(periods, 'period')}) to {out}.")


@documents_cli.command("benefit-effect")
@click.option("--participant", "participant_id", required=True, type=int, help="The participant's id.")
@click.option("--claim", "claim_id", required=True, type=int, help="The id of one of their claims.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The PDF file to write.")
@_LARGE_PRINT
@_EASY_READ
@SITE
def benefit_effect_command(participant_id, claim_id, out, large_print, easy_read, site):
    """Write what one claim's payment means for the participant's benefits, in their preferred format."""
    session = _session()
    try:
        doc = benefit_effect_notice(session, claim_id, participant_id, organisation=_organisation(),
                                    rules=settings().claim_rules, today=todays_date())
        preferred = session.get(Participant, participant_id).preferred_format  # found: the notice read it
        easy = _wants_large_print(easy_read, preferred == "easy_read")
        pdf = issuing.issue_benefit_effect(
            session, doc, producer=cli_producer(),
            large_print=_wants_large_print(large_print, preferred == "large_print"), easy_read=easy,
            web_address=page_address(site, "my_documents.benefits", claim_id=claim_id)).pdf
        session.commit()  # its register row
    except _FAILURES as error:
        raise click.ClickException(getattr(error, "message", str(error))) from None
    finally:
        session.close()
    _write(Path(out), pdf)
    click.echo(f"Wrote what claim {claim_id} means for {doc.participant.reference}'s benefits to {out}"
               + (" (easy read)." if easy else "."))


@documents_cli.command("budget-report")
@click.option("--project", "project_code", required=True, help="The project's code.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The PDF file to write.")
@click.option("--as-at", "as_at", type=_DATE, default=None, help="The date of the figures (default: today).")
def budget_report_command(project_code, out, as_at):
    """Write a project's budget report: budget, committed, spent and remaining by cost line."""
    day = as_at.date() if as_at else todays_date()
    session = _session()
    try:
        doc = project_budget_report(session, project_code, organisation=_organisation(), as_at=day)
        issued = issuing.issue_budget_report(session, doc, producer=cli_producer(), issued_on=todays_date())
        _write(Path(out), issued.pdf)
        session.commit()
    except _FAILURES as error:
        raise click.ClickException(getattr(error, "message", str(error))) from None
    finally:
        session.close()
    click.echo(f"Wrote the budget report for {doc.project} as at {day.isoformat()} to {out}.")


@documents_cli.command("payment-run-report")
@click.option("--run", "run", required=True, metavar="RUN", help="The payment run's id or reference.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The PDF file to write.")
def payment_run_report_command(run, out):
    """Write a payment run's report for finance and auditors."""
    session = _session()
    try:
        doc = payment_run_report(session, _run_id(session, run), organisation=_organisation())
        issued = issuing.issue_payment_run_report(session, doc, producer=cli_producer(), issued_on=todays_date())
        _write(Path(out), issued.pdf)
        session.commit()
    except _FAILURES as error:
        raise click.ClickException(getattr(error, "message", str(error))) from None
    finally:
        session.close()
    click.echo(f"Wrote the report of payment run {doc.run_reference} ({count(len(doc.payees), 'payee')}) to {out}.")


@documents_cli.command("verify")
@click.argument("code_or_file", metavar="CODE-or-FILE")
@click.option("--code", "code", default=None, help="With a file: the code printed on it, which it must match.")
def verify_command(code_or_file: str, code: str | None):
    """Say whether a document is genuine: give its verification code, or the PDF file itself.

    Prints what the register says the document showed when it was issued; exits with status 1 when it is not
    genuine (an unknown code, or a file changed by even one byte).
    """
    path = Path(code_or_file)
    session = _session()
    try:
        if path.is_file():
            verdict = verify_file(session, path.read_bytes(), code)
        else:
            verdict = verify_code(session, code_or_file)
    except LedgerError as error:
        raise click.BadParameter(error.message, param_hint="CODE-or-FILE") from None
    finally:
        session.close()
    click.echo(verdict.reason)
    if verdict.genuine:
        click.echo(f"  Document: {verdict.kind}")
        click.echo(f"  Document number: {verdict.number}")
        click.echo(f"  Date of issue: {long_date(verdict.issued_on)}" if verdict.issued_on else "")
        for label, value in verdict.figures:
            click.echo(f"  {label}: {value}")
    else:
        sys.exit(1)
