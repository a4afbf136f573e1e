"""Sign in, sign out, and each user's own API tokens."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, PasswordField, RadioField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange

from ledger.auth import users
from ledger.auth.access import public, requires, signed_in_user
from ledger.context import get_session, settings
from ledger.db import utcnow
from ledger.web.landing import landing_url
from ledger.web.login import end_session, start_session

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    submit = SubmitField("Sign in")


class TokenForm(FlaskForm):
    name = StringField("What will use this token?", validators=[DataRequired(), Length(max=100)])
    scope = RadioField("What may it do?", default="role", choices=[
        SelectChoice("role", "Whatever your roles allow when it is used"),
        SelectChoice("read_only", "Read only: look things up, change nothing")])
    expires_in_days = IntegerField(
        f"Days until it stops working (1 to {users.MAX_TOKEN_DAYS})", default=users.DEFAULT_TOKEN_DAYS,
        validators=[DataRequired(message="Enter a number of days."),
                    NumberRange(1, users.MAX_TOKEN_DAYS, message=f"Enter 1 to {users.MAX_TOKEN_DAYS} days.")])
    submit = SubmitField("Create token")


class RevokeForm(FlaskForm):
    submit = SubmitField("Revoke")


def safe_next(target: str | None) -> str:
    """Return ``target`` if it is a path on this site, else the home page.

    Browsers read a backslash as a slash and drop tabs and newlines, so ``/\\evil.example`` and
    ``/<tab>/evil.example`` would both leave the site: refuse backslashes and control characters.
    """
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and all(c.isprintable() and not c.isspace() for c in target)
    ):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("books.home")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    form = LoginForm()
    if form.validate_on_submit():
        session = get_session()
        user = users.authenticate(
            session, form.email.data, form.password.data, client=request.remote_addr or "unknown",
            max_failures=settings().login.max_failures,
            window_seconds=settings().login.window_seconds,
        )
        session.commit()
        if user is None:
            flash("That email address and password do not match. Check them and try again.", "error")
            return render_template("login.html", form=form), 401
        start_session(user.id, user.session_version)
        wanted = request.args.get("next")
        return redirect(safe_next(wanted) if wanted else (landing_url(user) or url_for("books.home")))
    return render_template("login.html", form=form)


@bp.route("/logout", methods=["POST"])
@requires("self")
def logout():
    """Sign out everywhere at once: the session version moves on, so no copy of the cookie signs anyone in."""
    session = get_session()
    users.end_sessions(session, signed_in_user().id)
    session.commit()
    end_session()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/tokens", methods=["GET", "POST"])
@requires("self")
def tokens():
    user = signed_in_user()
    form = TokenForm()
    new_token = None
    session = get_session()
    status = 200
    if form.validate_on_submit():
        new_token = users.issue_token(session, user.id, form.name.data, scope=form.scope.data,
                                      expires_in_days=form.expires_in_days.data)
        session.commit()
    elif form.is_submitted():
        status = 400
    return render_template("tokens.html", form=form, new_token=new_token, revoke_form=RevokeForm(),
                           tokens=users.list_tokens(session, user.id),
                           now=utcnow()), status


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@requires("self")
def revoke_token(token_id: int):
    form = RevokeForm()
    if form.validate_on_submit():
        session = get_session()
        users.revoke_token(session, signed_in_user().id, token_id)
        session.commit()
        flash("The token has been revoked; anything using it will stop working.", "info")
    return redirect(url_for("auth.tokens"))
