"""Finance reviews the changes participants report in their benefits or circumstances.

Each report waiting is listed with the participant's name and what they said. Accepting one records a new
declaration from the day it changed (asking for the benefit's details the rules need, such as a Universal
Credit assessment period); not accepting needs a note the participant will see.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ledger.auth.access import requires, signed_in_user
from ledger.context import get_session, todays_date
from ledger.errors import LedgerError
from ledger.events.views import record_views
from ledger.people.benefits import PERMITTED_WORK, WORK_ALLOWANCES
from ledger.people.circumstances import circumstance_reports, review_circumstance_report
from ledger.web.own import act

bp = Blueprint("circumstances", __name__, url_prefix="/finance/circumstance-reports")


class ReviewForm(FlaskForm):
    accepted = RadioField("Is the change right?", choices=[
        SelectChoice("yes", "Yes: update their benefits from the day it changed"),
        SelectChoice("no", "No: keep their record as it is")],
        validators=[DataRequired(message="Choose yes or no.")])
    note = TextAreaField("Note (the participant sees it; needed when the change is not accepted)",
                         validators=[Optional(), Length(max=2000)], render_kw={"rows": 3})
    work_allowance = SelectField("Universal Credit work allowance", validators=[Optional()], choices=[
        SelectChoice("", "Not Universal Credit")] + [SelectChoice(w, w.replace("_", " ")) for w in WORK_ALLOWANCES])
    assessment_period_start_day = IntegerField("Universal Credit assessment period starts on day",
                                               validators=[Optional(), NumberRange(1, 31)])
    permitted_work = SelectField("ESA permitted work", validators=[Optional()], choices=[
        SelectChoice("", "Not ESA")] + [SelectChoice(p, p) for p in PERMITTED_WORK])
    submit = SubmitField("Record the review")

    def benefit_fields(self) -> dict:
        return {"work_allowance": self.work_allowance.data or None,
                "assessment_period_start_day": self.assessment_period_start_day.data,
                "permitted_work": self.permitted_work.data or None}


def _list_page(problem: LedgerError | None = None, forms: dict | None = None, status: int = 200,
               viewed_by: int | None = None):
    reports = circumstance_reports(get_session())
    if viewed_by is not None:  # the GET of the list: what each person said is a look at their benefits
        record_views(get_session(), [r.participant_id for r in reports], what="benefits", channel="page",
                     actor_user_id=viewed_by)
    forms = forms or {}
    return render_template("finance/circumstance_reports.html", reports=reports, problem=problem,
                           forms={r.id: forms.get(r.id) or ReviewForm(formdata=None, prefix=f"r{r.id}")
                                  for r in reports}), status


@bp.route("")
@requires("participants.write")
def reports():
    """The reports waiting, with what each person said: a look at their benefits, kept as a view."""
    page = _list_page(viewed_by=signed_in_user().id)
    get_session().commit()
    return page


@bp.route("/<int:report_id>/review", methods=["POST"])
@requires("participants.write")
def review(report_id: int):
    form = ReviewForm(prefix=f"r{report_id}")
    if not form.validate_on_submit():
        return _list_page(forms={report_id: form}, status=400)
    record, problem = act(lambda: review_circumstance_report(
        get_session(), report_id, accepted=form.accepted.data == "yes", note=form.note.data,
        benefit_fields=form.benefit_fields(), actor_user_id=signed_in_user().id, today=todays_date()))
    if problem is not None or record is None:
        for name, found in (problem.fields if problem else {}).items():
            if name in form:
                form[name].errors = [*form[name].errors, *found]
        return _list_page(problem=problem, forms={report_id: form}, status=getattr(problem, "status", 400))
    flash(f"{record.participant_name}: {record.summary.lower()}: {record.review_words}.", "info")
    return redirect(url_for("circumstances.reports"))
