"""Administrators' pages for users: the list, inviting someone, one user's roles, deactivating and reactivating.

Also the page an invited person opens from their link to set a password. There is no mail server, so
the invitation link is shown once to the administrator, who passes it on.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ledger.auth import admin, totp, users
from ledger.auth.access import public, requires, signed_in_user
from ledger.auth.models import ROLES
from ledger.auth.passwords import MIN_LENGTH
from ledger.context import get_session
from ledger.errors import Conflict, LedgerError, NotFound, ValidationError
from ledger.people import services as people

bp = Blueprint("admin", __name__)

_SHOWN_ON_THE_FORM = (ValidationError, Conflict, NotFound)
ROLE_LABELS = {"admin": "Administrator (manages users)", "finance": "Finance",
               "project_manager": "Project manager", "participant": "Participant"}


class RolesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


def _role_choices() -> list[SelectChoice]:
    return [SelectChoice(r, ROLE_LABELS[r]) for r in ROLES]


class InviteForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired(message="Enter their email address."),
                                                    Length(max=254)])
    display_name = StringField("Name", validators=[DataRequired(message="Enter their name."), Length(max=200)])
    roles = RolesField("Roles", choices=_role_choices(), validators=[DataRequired(message="Choose at least one role.")])
    participant_id = SelectField("Their participant record (participants only)", coerce=_optional_int,
                                 validate_choice=False, validators=[Optional()])
    submit = SubmitField("Invite")


class RolesForm(FlaskForm):
    roles = RolesField("Roles", choices=_role_choices(), validators=[DataRequired(message="Choose at least one role.")])
    reason = StringField("Reason for the change (kept in the audit log)", validators=[Optional(), Length(max=500)])
    submit = SubmitField("Save roles")


class ReasonForm(FlaskForm):
    reason = StringField("Reason (kept in the audit log)", validators=[Optional(), Length(max=500)])
    submit = SubmitField()


class AcceptForm(FlaskForm):
    password = PasswordField(f"Choose a password (at least {MIN_LENGTH} characters)", validators=[
        DataRequired(message="Choose a password."), Length(min=MIN_LENGTH, max=200)])
    confirm = PasswordField("Type the password again", validators=[
        DataRequired(message="Type the password again."), EqualTo("password", message="The passwords do not match.")])
    submit = SubmitField("Set my password")


def _users_page(*, form: InviteForm | None = None, problem: LedgerError | None = None, invitation=None,
                status: int = 200):
    session = get_session()
    form = form or InviteForm(formdata=None)
    # Participants by name: an administrator links a login to a person they know, not to a record number.
    form.participant_id.choices = [SelectChoice("", "Not a participant")] + [
        SelectChoice(p.id, p.name) for p in people.list_participants(session)]
    return render_template("admin/users.html", users=admin.list_users(session), form=form, problem=problem,
                           invitation=invitation, role_labels=ROLE_LABELS), status


@bp.route("/admin/users", methods=["GET"])
@requires("users.manage")
def users_list():
    return _users_page()


@bp.route("/admin/users", methods=["POST"])
@requires("users.manage")
def invite():
    form = InviteForm()
    if not form.validate_on_submit():
        return _users_page(form=form, status=400)
    session = get_session()
    try:
        invitation = admin.invite_user(session, email=form.email.data, display_name=form.display_name.data,
                                       roles=form.roles.data, participant_id=form.participant_id.data,
                                       actor_user_id=signed_in_user().id)
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _users_page(form=form, problem=error, status=error.status)
    session.commit()
    link = url_for("admin.accept_invitation", token=invitation.token, _external=True)
    return _users_page(invitation={"user": invitation.user, "url": link, "expires_at": invitation.expires_at},
                       status=201)


def _user_page(user_id: int, *, roles_form: RolesForm | None = None, problem: LedgerError | None = None,
               invitation=None, status: int = 200):
    session = get_session()
    user = users.get_user(session, user_id)
    return render_template(
        "admin/user.html", user=user, me=signed_in_user(), problem=problem, invitation=invitation,
        participant=people.get_participant(session, user.participant_id) if user.participant_id else None,
        roles_form=roles_form or RolesForm(formdata=None, roles=sorted(user.role_names)),
        reason_form=ReasonForm(formdata=None, prefix="access"), tokens=users.list_tokens(session, user.id),
        two_step_form=ReasonForm(formdata=None, prefix="two_step"),
        role_labels=ROLE_LABELS,
    ), status


@bp.route("/admin/users/<int:user_id>")
@requires("users.manage")
def user_page(user_id: int):
    return _user_page(user_id)


@bp.route("/admin/users/<int:user_id>/roles", methods=["POST"])
@requires("users.manage")
def change_roles(user_id: int):
    form = RolesForm()
    if not form.validate_on_submit():
        return _user_page(user_id, roles_form=form, status=400)
    session = get_session()
    try:
        user = users.set_roles(session, user_id, form.roles.data, actor_user_id=signed_in_user().id,
                               reason=form.reason.data)
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _user_page(user_id, roles_form=form, problem=error, status=error.status)
    session.commit()
    flash(f"{user.display_name}'s roles are now: {', '.join(ROLE_LABELS[r] for r in sorted(user.role_names))}.",
          "info")
    return redirect(url_for("admin.user_page", user_id=user_id))


@bp.route("/admin/users/<int:user_id>/deactivate", methods=["POST"])
@requires("users.manage")
def deactivate(user_id: int):
    return _status_change(user_id, admin.deactivate_user,
                          "{name} is deactivated: signed out everywhere, and their API tokens are revoked.")


@bp.route("/admin/users/<int:user_id>/reactivate", methods=["POST"])
@requires("users.manage")
def reactivate(user_id: int):
    return _status_change(user_id, admin.reactivate_user,
                          "{name} can sign in again. Their old API tokens stay revoked.")


@bp.route("/admin/users/<int:user_id>/two-step/reset", methods=["POST"])
@requires("users.manage")
def reset_two_step(user_id: int):
    """Turn off someone's second factor (a lost phone): they set it up again at their next sign-in."""
    return _status_change(user_id, totp.reset_second_factor,
                          "{name}'s two-step sign in is reset: they set it up again when they next sign in.",
                          prefix="two_step")


def _status_change(user_id: int, change, done: str, *, prefix: str = "access"):
    form = ReasonForm(prefix=prefix)
    if not form.validate_on_submit():
        return _user_page(user_id, status=400)
    session = get_session()
    try:
        user = change(session, user_id, actor_user_id=signed_in_user().id, reason=form.reason.data)
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _user_page(user_id, problem=error, status=error.status)
    session.commit()
    flash(done.format(name=user.display_name), "info")
    return redirect(url_for("admin.user_page", user_id=user_id))


@bp.route("/admin/users/<int:user_id>/invitation", methods=["POST"])
@requires("users.manage")
def renew_invitation(user_id: int):
    if not ReasonForm(prefix="access").validate_on_submit():
        return _user_page(user_id, status=400)
    session = get_session()
    try:
        invitation = admin.renew_invitation(session, user_id, actor_user_id=signed_in_user().id)
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _user_page(user_id, problem=error, status=error.status)
    session.commit()
    link = url_for("admin.accept_invitation", token=invitation.token, _external=True)
    return _user_page(user_id, invitation={"url": link, "expires_at": invitation.expires_at})


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str):
    session = get_session()
    user = admin.invited_user(session, token)
    form = AcceptForm()
    problem = None
    if form.validate_on_submit():
        try:
            admin.accept_invitation(session, token, form.password.data)
        except ValidationError as error:
            session.rollback()
            problem = error
        else:
            session.commit()
            flash("Your password is set. Sign in with your email address and the password you chose.", "info")
            return redirect(url_for("auth.login"))
    status = 400 if form.errors or problem else 200
    return render_template("admin/accept_invitation.html", user=user, form=form, problem=problem), status
