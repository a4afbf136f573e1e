"""Administrators' pages for the rights of the person: who looked at someone's data, a copy of everything
held about them (data file and PDF), and erasure by pseudonymisation.

Each page calls the same service as the API and the CLI (``ledger.privacy``). Taking a copy is itself a view
of the person's data and is logged; erasure is refused, with every reason, while money is owed or the
financial records must still be kept.
"""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField
from wtforms.validators import DataRequired

from ledger.auth.access import requires, signed_in_user
from ledger.context import get_session, settings, todays_date
from ledger.db import utcnow
from ledger.documents.subject_access import render_subject_access
from ledger.errors import Conflict, LedgerError
from ledger.events.views import views_of
from ledger.people import services as people
from ledger.privacy import erasure
from ledger.privacy.subject_access import subject_access_copy, subject_access_document, subject_access_json

bp = Blueprint("privacy", __name__, url_prefix="/admin/people")


class EraseForm(FlaskForm):
    confirm = BooleanField("I have checked that this person asked to be forgotten, or that their records are past "
                           "the retention period",
                           validators=[DataRequired(message="Confirm that this person's details should be erased.")])
    submit = SubmitField("Erase their details")


@bp.route("")
@requires("privacy.manage")
def people_list():
    search = (request.args.get("q") or "").strip()[:100]
    found = people.list_participants(get_session(), include_inactive=True, search=search or None)
    return render_template("admin/people.html", participants=found, search=search)


def _person_page(participant_id: int, *, form: EraseForm | None = None, problem: LedgerError | None = None,
                 status: int = 200):
    session = get_session()
    record = people.get_participant(session, participant_id)
    check = erasure.check_erasure(session, participant_id, today=todays_date(),
                                  retention_years=settings().retention_years)
    return render_template("admin/person_privacy.html", participant=record, check=check,
                           looks=views_of(session, participant_id), form=form or EraseForm(formdata=None),
                           problem=problem), status


@bp.route("/<int:participant_id>")
@requires("privacy.manage")
def person(participant_id: int):
    return _person_page(participant_id)


def _copy(participant_id: int, channel: str):
    session = get_session()
    report = subject_access_copy(session, participant_id, bank_cipher=settings().bank_cipher, now=utcnow(),
                                 actor_user_id=signed_in_user().id, channel=channel)
    session.commit()
    return report


@bp.route("/<int:participant_id>/subject-access.json")
@requires("privacy.manage")
def subject_access_data(participant_id: int):
    report = _copy(participant_id, "json")
    return _download(Response(subject_access_json(report), mimetype="application/json"),
                     f"subject-access-{report.reference}.json")


@bp.route("/<int:participant_id>/subject-access.pdf")
@requires("privacy.manage")
def subject_access_pdf(participant_id: int):
    report = _copy(participant_id, "pdf")
    body = render_subject_access(subject_access_document(report, settings().organisation.name))
    return _download(Response(body, mimetype="application/pdf"), f"subject-access-{report.reference}.pdf")


@bp.route("/<int:participant_id>/erase", methods=["POST"])
@requires("privacy.manage")
def erase(participant_id: int):
    form = EraseForm()
    if not form.validate_on_submit():
        return _person_page(participant_id, form=form, status=400)
    session = get_session()
    try:
        erasure.erase_participant(session, participant_id, actor_user_id=signed_in_user().id, today=todays_date(),
                                  retention_years=settings().retention_years)
    except Conflict as error:
        session.rollback()
        return _person_page(participant_id, form=form, problem=error, status=error.status)
    session.commit()
    flash(f"Their details are erased: they are now Person {participant_id}, and what was typed about them says "
          "[erased]. Their entries in the books are kept.", "info")
    return redirect(url_for("privacy.person", participant_id=participant_id))


def _download(response: Response, filename: str) -> Response:
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
