"""``flask --app wsgi ledger holds ...``: finance's bulk holds, for many claims or payees in one go.

``hold`` and ``release`` take any number of ``--claim``, ``--participant`` and ``--group`` ids and act on all
of them in one transaction: if any is refused (not found, already held, paid), nothing is held or released,
and the message names the one refused.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ledger.cli.payments import as_user_option, finance_user
from ledger.context import session_factory
from ledger.db import unit_of_work
from ledger.errors import LedgerError
from ledger.payments import hold_actions, holds
from ledger.payments.holds import HoldRecord

holds_cli = AppGroup("holds", help="Hold claims or payees out of payment runs, release them, list holds.")

_targets = [
    click.option("--claim", "claims", type=int, multiple=True, help="A claim id (repeat for more)."),
    click.option("--participant", "participants", type=int, multiple=True, help="A participant id (repeat)."),
    click.option("--group", "groups", type=int, multiple=True, help="A user-led group id (repeat)."),
]


def _with_targets(command):
    for option in reversed(_targets):
        command = option(command)
    return command


def describe_hold(record: HoldRecord) -> str:
    what = f"claim {record.claim_id} ({record.name})" if record.claim_id else f"{record.subject} {record.payee_id} " \
        f"{record.name}"
    line = f"hold {record.id}: {what}, {record.status}; held by {record.held_by} {record.held_at:%Y-%m-%d}: " \
        f"{record.reason}"
    if record.released_at is not None:
        line += f"; released by {record.released_by} {record.released_at:%Y-%m-%d}: {record.release_note}"
    return line


def _each(claims, participants, groups):
    if not (claims or participants or groups):
        raise click.UsageError("Name at least one --claim, --participant or --group.")
    yield from (("claim", i) for i in claims)
    yield from (("participant", i) for i in participants)
    yield from (("group", i) for i in groups)


def _act_on_all(claims, participants, groups, as_user: str, *, on_claim, on_payee, undone: str) -> None:
    """Act on every claim and payee named in one transaction, as the finance user named; print each hold."""
    try:
        with unit_of_work(session_factory()) as session:
            actor = finance_user(session, as_user)
            done = [on_claim(session, i, actor) if kind == "claim" else on_payee(session, kind, i, actor)
                    for kind, i in _each(claims, participants, groups)]
    except LedgerError as error:
        raise click.ClickException(f"{error.message} {undone}") from None
    click.echo("\n".join(describe_hold(r) for r in done))


@holds_cli.command("hold")
@_with_targets
@click.option("--reason", required=True, help="Why the money is held (kept in the audit trail).")
@as_user_option
def hold_command(claims, participants, groups, reason: str, as_user: str):
    """Hold claims and payees: none is paid until released. All or nothing."""
    _act_on_all(claims, participants, groups, as_user, undone="Nothing was held.",
                on_claim=lambda s, i, actor: hold_actions.hold_claim(s, i, actor_user_id=actor, reason=reason),
                on_payee=lambda s, kind, i, actor: hold_actions.hold_payee(s, kind, i, actor_user_id=actor,
                                                                           reason=reason))


@holds_cli.command("release")
@_with_targets
@click.option("--note", required=True, help="Why the hold is released (kept in the audit trail).")
@as_user_option
def release_command(claims, participants, groups, note: str, as_user: str):
    """Release holds on claims and payees. All or nothing."""
    _act_on_all(claims, participants, groups, as_user, undone="Nothing was released.",
                on_claim=lambda s, i, actor: hold_actions.release_claim(s, i, actor_user_id=actor, note=note),
                on_payee=lambda s, kind, i, actor: hold_actions.release_payee(s, kind, i, actor_user_id=actor,
                                                                              note=note))


@holds_cli.command("list")
@click.option("--released", is_flag=True, help="List released holds instead of those in force.")
@as_user_option
def list_command(released: bool, as_user: str):
    """The holds in force (or released), newest first."""
    try:
        with unit_of_work(session_factory()) as session:
            finance_user(session, as_user)
            found = holds.list_holds(session, status="released" if released else "held")
    except LedgerError as error:
        raise click.ClickException(error.message) from None
    click.echo("\n".join(describe_hold(r) for r in found) if found else "No holds.")
