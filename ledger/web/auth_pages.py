"""Sign in (a password, then an authenticator app's code where one is set up), sign out, setting up the second
factor, changing one's password, and each user's own API tokens."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, PasswordField, RadioField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange

from ledger.auth import ratelimit, totp, users
from ledger.auth.access import public, requires, signed_in_user
from ledger.auth.passwords import MIN_LENGTH
from ledger.context import get_session, settings, transaction_of_its_own
from ledger.db import utcnow
from ledger.errors import LedgerError, ValidationError
from ledger.web.landing import landing_url
from ledger.web.login import end_session, pending_second_factor, start_second_factor, start_session

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    submit = SubmitField("Sign in")


class CodeForm(FlaskForm):
    code = StringField("Code from your authenticator app", validators=[
        DataRequired(message="Enter the 6-digit code from your authenticator app, or a recovery code."),
        Length(max=40)])
    submit = SubmitField("Continue")


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Your current password", validators=[
        DataRequired(message="Enter your current password."), Length(max=200)])
    password = PasswordField(f"New password (at least {MIN_LENGTH} characters)", validators=[
        DataRequired(message="Choose a new password."), Length(max=200)])
    submit = SubmitField("Change password")


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


def _limits() -> tuple[ratelimit.Delays, ratelimit.Delays]:
    login = settings().login
    return users.sign_in_delays(login.max_failures, login.window_seconds,
                                address_max_failures=login.address_max_failures,
                                first_delay_seconds=login.first_delay_seconds)


def _after_sign_in(user) -> str:
    wanted = request.args.get("next")
    return safe_next(wanted) if wanted else (landing_url(user) or url_for("books.home"))


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Check the password; the attempt is counted, in a transaction of its own, before the password is checked."""
    form = LoginForm()
    if form.validate_on_submit():
        account, address = _limits()
        with transaction_of_its_own() as own:
            attempt = users.claim_sign_in(own, form.email.data, client=request.remote_addr or "unknown",
                                          account=account, address=address)
        session = get_session()
        user = users.check_sign_in(session, attempt, form.password.data)
        session.commit()
        if user is None:
            flash("That email address and password do not match. Check them and try again.", "error")
            return render_template("login.html", form=form), 401
        if totp.has_totp(user):
            start_second_factor(user.id, user.session_version)
            return redirect(url_for("auth.login_code", next=request.args.get("next")))
        start_session(user.id, user.session_version)
        return redirect(_after_sign_in(user))
    return render_template("login.html", form=form)


@bp.route("/login/code", methods=["GET", "POST"])
@public
def login_code():
    """The second step of signing in: a code from the authenticator app, or a recovery code, each good once."""
    pending = pending_second_factor()
    if pending is None:
        flash("Sign in with your email address and password first.", "info")
        return redirect(url_for("auth.login"))
    user_id, version = pending
    form = CodeForm()
    problem = None
    if form.validate_on_submit():
        account, _address = _limits()
        with transaction_of_its_own() as own:
            wait = ratelimit.claim_attempt(own, f"login:code:{user_id}", account)
        if wait:
            end_session()
            raise users.too_many_attempts(wait)
        session = get_session()
        used = totp.check_second_factor(session, user_id, form.code.data, settings().bank_cipher)
        user = users.get_user(session, user_id)
        if used and user.is_active and user.session_version == version:
            ratelimit.forget(session, f"login:code:{user_id}")
            session.commit()
            start_session(user.id, user.session_version)
            if used == "recovery_code":
                flash(f"You signed in with a recovery code; {totp.recovery_codes_left(session, user.id)} are left. "
                      "Each works once.", "info")
            return redirect(_after_sign_in(user))
        session.commit()
        problem = ValidationError("That code does not match, or has been used already. Enter the code your "
                                  "authenticator app shows now.", fields={"code": ["does not match"]})
    status = 400 if form.errors or problem else 200
    return render_template("login_code.html", form=form, problem=problem), status


@bp.route("/account/two-step", methods=["GET", "POST"])
@requires("self")
def two_factor():
    """Set up the authenticator app: a QR code and a key to type, then a code from the app to confirm it."""
    user = signed_in_user()
    session = get_session()
    cipher = settings().bank_cipher
    form = CodeForm()
    problem: LedgerError | None = None
    codes = None
    if not totp.has_totp(user) and form.validate_on_submit():
        try:
            codes = totp.confirm_enrolment(session, user.id, form.code.data, cipher)
        except LedgerError as error:
            session.rollback()
            problem = error
        else:
            session.commit()
    enrolment = None
    if not totp.has_totp(user) and codes is None:
        enrolment = totp.pending_enrolment(session, user.id, cipher)
        if enrolment is None:
            enrolment = totp.start_enrolment(session, user.id, cipher)
            session.commit()
    status = 400 if form.errors or problem else 200
    return render_template("two_factor.html", form=form, problem=problem, enrolment=enrolment, codes=codes,
                           enabled=totp.has_totp(user) or codes is not None,
                           required=totp.needs_totp(user, settings().totp_required),
                           codes_left=totp.recovery_codes_left(session, user.id)), status


@bp.route("/account/password", methods=["GET", "POST"])
@requires("self")
def change_password():
    """Change one's own password: the current one first; the new one is checked against the common list."""
    user = signed_in_user()
    form = PasswordChangeForm()
    problem = None
    if form.validate_on_submit():
        session = get_session()
        try:
            users.change_password(session, user.id, form.current.data, form.password.data)
        except LedgerError as error:
            session.rollback()
            problem = error
        else:
            session.commit()
            # Every other sign-in has ended (the session version moved on): this one starts afresh.
            start_session(user.id, users.get_user(session, user.id).session_version)
            flash("Your password has been changed. You have been signed out everywhere else.", "info")
            return redirect(url_for("books.home"))
    status = 400 if form.errors or problem else 200
    return render_template("change_password.html", form=form, problem=problem), status


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
