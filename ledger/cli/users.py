"""Administrators' user commands: ``flask --app wsgi ledger invite-user|deactivate-user|reactivate-user``.

There is no mail server: ``invite-user`` prints the one-time invitation link to pass on. ``--by`` names the
administrator running the command, so that the audit log says who did it.
"""

from __future__ import annotations

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.auth import admin, totp, users
from ledger.auth.models import ROLES, User
from ledger.auth.users import normalise_email
from ledger.cli.books import ledger_cli
from ledger.context import session_factory
from ledger.db import unit_of_work
from ledger.errors import LedgerError, NotFound, PermissionDenied
from ledger.projects import assignments


def _user_by_email(session: Session, email: str) -> User:
    user = session.execute(select(User).where(User.email == normalise_email(email))).scalar_one_or_none()
    if user is None:
        raise NotFound(f"There is no user with email {email}.", fields={"email": ["unknown"]})
    return user


def _actor(session: Session, email: str | None) -> int | None:
    if not email:
        return None
    user = _user_by_email(session, email)
    if not user.is_active or "admin" not in user.role_names:
        raise PermissionDenied(f"--by {email}: only an active administrator may manage users.")
    return user.id


@ledger_cli.command("invite-user")
@click.argument("email")
@click.option("--name", "display_name", required=True, help="The person's name.")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES))
@click.option("--participant-id", type=int, default=None, help="Their participant record (participants only).")
@click.option("--by", "by_email", default=None, help="Email address of the administrator inviting them.")
@click.option("--site", default="", help="The site's address, to print the whole link (e.g. https://ledger.example.org).")
def invite_user_command(email, display_name, roles, participant_id, by_email, site):
    """Invite a user: they stay inactive until they set a password through the printed link (valid 7 days)."""
    try:
        with unit_of_work(session_factory()) as session:
            invitation = admin.invite_user(session, email=email, display_name=display_name, roles=roles,
                                           participant_id=participant_id, actor_user_id=_actor(session, by_email))
            user = invitation.user
            click.echo(f"Invited user {user.id} ({user.email}) with roles {', '.join(sorted(user.role_names))}.")
    except LedgerError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Invitation link (works once, until {invitation.expires_at:%d %B %Y %H:%M} UTC; "
               "it will not be shown again):")
    click.echo(f"{site.rstrip('/')}/invitations/{invitation.token}")


def _change_user(email: str, reason: str | None, by_email: str | None, change, said: str) -> None:
    """Deactivate or reactivate the user with this email, as the administrator named; print what was done."""
    try:
        with unit_of_work(session_factory()) as session:
            user = change(session, _user_by_email(session, email).id, actor_user_id=_actor(session, by_email),
                          reason=reason)
            click.echo(said.format(email=user.email))
    except LedgerError as error:
        raise click.ClickException(error.message) from None


@ledger_cli.command("deactivate-user")
@click.argument("email")
@click.option("--reason", default=None, help="Why, for the audit log.")
@click.option("--by", "by_email", default=None, help="Email address of the administrator doing this.")
def deactivate_user_command(email, reason, by_email):
    """Deactivate a user: their sessions end and every API token of theirs is revoked at once."""
    _change_user(email, reason, by_email, admin.deactivate_user,
                 "Deactivated {email}: signed out everywhere, API tokens revoked.")


@ledger_cli.command("reactivate-user")
@click.argument("email")
@click.option("--reason", default=None, help="Why, for the audit log.")
@click.option("--by", "by_email", default=None, help="Email address of the administrator doing this.")
def reactivate_user_command(email, reason, by_email):
    """Let a deactivated user sign in again (their old API tokens stay revoked)."""
    _change_user(email, reason, by_email, admin.reactivate_user, "Reactivated {email}.")


@ledger_cli.command("assign-project")
@click.argument("code")
@click.argument("emails", nargs=-1, required=True)
@click.option("--by", "by_email", required=True, help="Email address of the finance user or administrator assigning.")
def assign_project_command(code, emails, by_email):
    """Assign one or more project managers (by email) to a project, all or none."""
    try:
        with unit_of_work(session_factory()) as session:
            actor = _user_by_email(session, by_email)
            for email in emails:
                managers = assignments.assign_manager(session, code, _user_by_email(session, email).id,
                                                      actor_user_id=actor.id)
            click.echo(f"{code.upper()} is managed by: {', '.join(m.email for m in managers)}.")
    except LedgerError as error:
        raise click.ClickException(error.message) from None


@ledger_cli.command("set-password")
@click.argument("email")
@click.option("--reason", default=None, help="Why, for the audit log (for example: forgotten password).")
@click.option("--by", "by_email", default=None, help="Email address of the administrator doing this.")
@click.password_option(help="The new password (asked for twice when not given).")
def set_password_command(email, reason, by_email, password):
    """Reset a user's password (an administrator's reset): common and breached passwords are refused; every
    sign-in the user has ends."""
    try:
        with unit_of_work(session_factory()) as session:
            user = users.reset_password(session, _user_by_email(session, email).id, password,
                                        actor_user_id=_actor(session, by_email), reason=reason)
            click.echo(f"The password of {user.email} has been reset; their sign-ins have ended.")
    except LedgerError as error:
        raise click.ClickException(error.message) from None


@ledger_cli.command("reset-two-step")
@click.argument("email")
@click.option("--reason", required=True, help="Why, for the audit log (for example: lost phone).")
@click.option("--by", "by_email", default=None, help="Email address of the administrator doing this.")
def reset_two_step_command(email, reason, by_email):
    """Turn off a user's two-step sign in (a lost phone, no recovery codes left): they set it up again when they
    next sign in."""
    try:
        with unit_of_work(session_factory()) as session:
            user = totp.reset_second_factor(session, _user_by_email(session, email).id,
                                            actor_user_id=_actor(session, by_email), reason=reason)
            click.echo(f"Two-step sign in for {user.email} has been reset; they set it up again at their next "
                       "sign-in.")
    except LedgerError as error:
        raise click.ClickException(error.message) from None
