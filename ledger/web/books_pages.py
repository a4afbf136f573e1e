"""Finance pages for the books: trial balance, accounts, statements, locking a month."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import MonthField, SubmitField
from wtforms.validators import DataRequired

from ledger.auth.access import current_actor, requires, signed_in_user
from ledger.books import posting, queries
from ledger.context import get_session, todays_date
from ledger.web.query_args import date_arg

bp = Blueprint("books", __name__)


class LockForm(FlaskForm):
    month = MonthField("Month to lock", validators=[DataRequired()], format="%Y-%m")
    submit = SubmitField("Lock this month")


@bp.route("/")
@requires("self")
def home():
    return render_template("home.html", user=current_actor())


@bp.route("/books/trial-balance")
@requires("books.read")
def trial_balance():
    as_of = date_arg("as_of", None)
    return render_template("trial_balance.html", tb=queries.trial_balance(get_session(), as_of), as_of=as_of)


@bp.route("/books/accounts/<code>")
@requires("books.read")
def account_statement(code: str):
    today = todays_date()
    start = date_arg("start", today.replace(month=1, day=1))
    end = date_arg("end", today)
    stmt = queries.statement(get_session(), code, start, end, after=request.args.get("after"), limit=100)
    return render_template("statement.html", stmt=stmt)


@bp.route("/books/periods", methods=["GET", "POST"])
@requires("books.read")
def periods():
    form = LockForm()
    session = get_session()
    return render_template("periods.html", form=form, locked=posting.locked_months(session))


@bp.route("/books/periods/lock", methods=["POST"])
@requires("books.lock")
def lock_period():
    form = LockForm()
    if not form.validate_on_submit():
        flash("Choose a month to lock.", "error")
        return redirect(url_for("books.periods"))
    session = get_session()
    month = posting.lock_period(session, form.month.data, actor_user_id=signed_in_user().id)
    session.commit()
    flash(f"{month:%B %Y} is locked. Nothing more can be posted into it.", "info")
    return redirect(url_for("books.periods"))
