"""Finance's bulk corrections: ``flask --app wsgi ledger correct-attendance FILE.csv`` and ``ledger benefit-rechecks``.

``correct-attendance`` reads one correction a row (``activity_id, participant_id, attended, minutes, reason``;
``attended`` is yes or no, ``minutes`` empty when they did not attend) and makes them all in one transaction:
if any row is refused, nothing is corrected and the message names the row and the field. The fees drafted
from each attendance follow, as on the activity page (``ledger.claims.services.correct_attendance``).
``benefit-rechecks`` lists the participants whose latest benefit re-check after a correction shows a problem.
"""

from __future__ import annotations

import csv

import click

from ledger.claims import rechecks
from ledger.claims import services as claims
from ledger.cli.books import ledger_cli
from ledger.cli.payments import as_user_option, finance_user
from ledger.context import session_factory, settings
from ledger.db import unit_of_work
from ledger.errors import LedgerError, ValidationError

COLUMNS = ("activity_id", "participant_id", "attended", "minutes", "reason")


def _whole(text: str | None, field: str, row: int) -> int | None:
    value = (text or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise ValidationError(f"Row {row}: {field} must be a whole number.", fields={field: ["A whole number."]})
    return int(value)


def _correction(line: dict, row: int) -> dict:
    attended = (line.get("attended") or "").strip().lower()
    if attended not in ("yes", "no"):
        raise ValidationError(f"Row {row}: attended must be yes or no.", fields={"attended": ["yes or no."]})
    return {"activity_id": _whole(line.get("activity_id"), "activity_id", row) or 0,
            "participant_id": _whole(line.get("participant_id"), "participant_id", row) or 0,
            "attended": attended == "yes", "minutes": _whole(line.get("minutes"), "minutes", row),
            "reason": line.get("reason")}


@ledger_cli.command("correct-attendance")
@click.argument("path", type=click.File("r", encoding="utf-8-sig"))
@as_user_option
def correct_attendance_command(path, as_user: str):
    """Correct attendances from a CSV file, all or nothing; open fees drafted from them are priced again."""
    reader = csv.DictReader(path)
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise click.UsageError(f"The file needs the columns {', '.join(COLUMNS)}; missing: {', '.join(missing)}.")
    try:
        with unit_of_work(session_factory()) as session:
            actor = finance_user(session, as_user)
            done = []
            for row, line in enumerate(reader, start=2):
                try:
                    done.append(claims.correct_attendance(session, **_correction(line, row), actor_user_id=actor,
                                                          rules=settings().claim_rules))
                except LedgerError as error:
                    fields = ", ".join(error.fields or {})
                    raise type(error)(f"Row {row}{f' ({fields})' if fields else ''}: {error.message}") from None
    except LedgerError as error:
        raise click.ClickException(f"{error.message} Nothing was corrected.") from None
    for d in done:
        click.echo(f"activity {d.activity_id}, participant {d.participant_id}: "
                   + ("attended " + str(d.minutes) + " minutes" if d.attended else "did not attend")
                   + f"; repriced {list(d.repriced_claim_ids)}, cancelled {list(d.cancelled_claim_ids)}, "
                   f"flagged for finance {list(d.flagged_claim_ids)}")


@ledger_cli.command("benefit-rechecks")
@as_user_option
def benefit_rechecks_command(as_user: str):
    """Participants whose benefit check, re-run after a correction, shows a problem to follow up."""
    with unit_of_work(session_factory()) as session:
        finance_user(session, as_user)
        flagged = rechecks.flagged_participants(session)
    for f in flagged:
        click.echo(f"{f.name} (participant {f.participant_id}): claim {f.claim_id}, the period around "
                   f"{f.period_of.isoformat()}: {f.outcome}")
    if not flagged:
        click.echo("No re-check shows a problem.")
