"""The rights of the person and the keys at the command line: ``flask --app wsgi ledger ...``.

- ``rotate-keys``: re-encrypt every stored token with the first key, batch by batch, the app still running;
- ``subject-access PERSON_ID``: everything held about a person, as JSON (standard output) or ``--pdf FILE``;
- ``erase PERSON_ID``: pseudonymise one person, refused while money is owed or within the retention period;
- ``erase-expired``: pseudonymise everyone past the retention period (``--dry-run`` lists them only).

Each calls the same service as the admin's privacy page and the API, with who is acting (``--as-user``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ledger.cli.audit import _acting_user
from ledger.cli.books import ledger_cli
from ledger.context import session_factory, settings, todays_date
from ledger.db import unit_of_work, utcnow
from ledger.documents.subject_access import render_subject_access
from ledger.encryption import PersonalDataCipher
from ledger.errors import LedgerError
from ledger.privacy import erasure, rotation
from ledger.privacy.subject_access import subject_access_copy, subject_access_document, subject_access_json

AS_USER = "The email of the administrator acting (recorded)."


@ledger_cli.command("rotate-keys")
@click.option("--batch-size", default=200, show_default=True, type=click.IntRange(1, 10_000),
              help="Rows re-encrypted per transaction.")
def rotate_keys_command(batch_size: int):
    """Re-encrypt personal data and bank details with the first key of PERSONAL_DATA_KEY / BANK_DETAILS_KEY."""
    config = settings()
    try:
        done = rotation.rotate_keys(
            session_factory(), personal=PersonalDataCipher(config.personal_data_keys),
            bank=PersonalDataCipher(config.bank_details_keys, setting="BANK_DETAILS_KEY"), batch_size=batch_size)
    except LedgerError as error:
        raise click.ClickException(error.message) from None
    for column in done:
        if column.tokens:
            click.echo(f"{column.table}.{column.column}: {column.rotated} of {column.tokens} re-encrypted")
    total = sum(c.rotated for c in done)
    click.echo(f"{total} re-encrypted with the first key; every stored token now opens with it. "
               "Older keys can be removed once every app server runs with the new key first.")


@ledger_cli.command("subject-access")
@click.argument("participant_id", type=int)
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the PDF copy to this file instead of JSON to standard output.")
@click.option("--as-user", "as_user", required=True, help=AS_USER)
def subject_access_command(participant_id: int, pdf_path: Path | None, as_user: str):
    """Everything held about one participant (UK GDPR article 15), as JSON or a PDF; the copy is logged."""
    try:
        with unit_of_work(session_factory()) as session:
            user = _acting_user(session, as_user, "privacy.manage", "--as-user", "administrator")
            report = subject_access_copy(session, participant_id, bank_cipher=settings().bank_cipher,
                                         now=utcnow(), actor_user_id=user.id, channel="pdf" if pdf_path else "cli")
    except LedgerError as error:
        raise click.ClickException(error.message) from None
    if pdf_path is None:
        sys.stdout.write(subject_access_json(report) + "\n")
        return
    pdf_path.write_bytes(render_subject_access(subject_access_document(report, settings().organisation.name)))
    click.echo(f"Wrote {pdf_path}.")


@ledger_cli.command("erase")
@click.argument("participant_id", type=int)
@click.option("--as-user", "as_user", required=True, help=AS_USER)
def erase_command(participant_id: int, as_user: str):
    """Erase one participant's details by pseudonymisation; the books and their history stay whole."""
    try:
        with unit_of_work(session_factory()) as session:
            user = _acting_user(session, as_user, "privacy.manage", "--as-user", "administrator")
            erasure.erase_participant(session, participant_id, actor_user_id=user.id, today=todays_date(),
                                      retention_years=settings().retention_years)
    except LedgerError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Participant {participant_id} is now Person {participant_id}: their details are erased.")


@ledger_cli.command("erase-expired")
@click.option("--as-user", "as_user", required=True, help=AS_USER)
@click.option("--dry-run", is_flag=True, help="List who would be erased, and change nothing.")
def erase_expired_command(as_user: str, dry_run: bool):
    """Erase everyone past the retention period (RETENTION_YEARS after the tax year of their last entry)."""
    try:
        with unit_of_work(session_factory()) as session:
            user = _acting_user(session, as_user, "privacy.manage", "--as-user", "administrator")
            erased = erasure.erase_expired(session, actor_user_id=user.id, today=todays_date(),
                                           retention_years=settings().retention_years)
            if dry_run:
                session.rollback()
    except LedgerError as error:
        raise click.ClickException(error.message) from None
    numbers = ", ".join(str(i) for i in erased) or "nobody"
    click.echo(("Would erase: " if dry_run else "Erased: ") + numbers)
