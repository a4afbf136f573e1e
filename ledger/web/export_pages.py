"""Finance's "Exports" and "Tax year" pages.

Exports: a date range (two three-field dates), a format and, for Xero or Sage, a mapping file uploaded (or the
configured one). The form posts (taking an export is recorded as an event, and a file is uploaded); the answer
is the file, streamed, or the page again with the problem on its field: a wrong date, no mapping file, or every
account the mapping file leaves unmapped, listed.

Tax year: each participant's fees, expenses and taxable allowances in a tax year, a page at a time, anyone past
the trading allowance marked, anyone a draft payment run would take past it marked too; the same as CSV.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, RadioField, SubmitField
from wtforms.fields.choices import SelectChoice

from ledger.auth.access import requires, signed_in_user
from ledger.context import get_session, settings, todays_date
from ledger.errors import LedgerError, ValidationError
from ledger.reports import exports, tax_year
from ledger.reports.coproduction import read_period
from ledger.web.date_inputs import DateInputsField

bp = Blueprint("exports", __name__, url_prefix="/finance")

FORMAT_CHOICES = [
    SelectChoice("xero", "Xero manual journal (CSV)"),
    SelectChoice("sage", "Sage 50 journal import (CSV)"),
    SelectChoice("payments", "Payments made (CSV)"),
    SelectChoice("hledger", "hledger journal, for auditors"),
    SelectChoice("beancount", "beancount journal, for auditors"),
]


class ExportForm(FlaskForm):
    """What to export: the dates are read and checked by the service (``read_period``)."""

    class Meta:
        csrf = True

    start = DateInputsField("First day", name="from")
    end = DateInputsField("Last day", name="to")
    format = RadioField("What to export", choices=FORMAT_CHOICES, default="xero")
    mapping = FileField("Mapping file (TOML), for Xero or Sage")
    readable = BooleanField("Use people's and projects' names in account names (hledger and beancount)",
                            default=True)
    download = SubmitField("Download the export")


def _page(form: ExportForm, problem: LedgerError | None = None, status: int = 200):
    unmapped = problem.fields.get("mapping", []) if problem is not None and problem.code == "unmapped_accounts" else []
    return render_template("finance/exports.html", form=form, problem=problem, unmapped=unmapped,
                           configured=settings().nominal_map_path), status


@bp.route("/exports")
@requires("books.read")
def exports_page():
    return _page(ExportForm(formdata=None))


@bp.route("/exports", methods=["POST"])
@requires("books.read")
def download_export():
    form = ExportForm()
    fmt = request.form.get("format", "")
    session = get_session()
    try:
        if fmt not in exports.FORMATS:
            raise ValidationError("Choose what to export.", fields={"format": ["Choose what to export."]})
        start, end = read_period(request.form, today=todays_date())
        upload = request.files.get("mapping")
        uploaded = upload.read() if upload is not None and upload.filename else None
        mapping = exports.read_mapping(uploaded, settings().nominal_map_path) if fmt in ("xero", "sage") else None
        written: list[int] = []
        lines = exports.export_text(session, fmt, start, end, mapping=mapping,
                                    readable=request.form.get("readable") == "y", written=written)
    except ValidationError as error:
        session.rollback()
        return _page(form, error, 400)
    body = exports.recorded(session, lines, fmt=fmt, start=start, end=end, via="web",
                            actor_user_id=signed_in_user().id, written=written)
    response = Response(stream_with_context(body), mimetype=exports.FILE_TYPES[fmt][1])
    response.headers["Content-Disposition"] = f'attachment; filename="{exports.file_name(fmt, start, end)}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/tax-year")
@requires("participants.read")
def tax_year_page():
    session = get_session()
    rulebook = settings().rulebook
    try:
        year = tax_year.read_tax_year(request.args.get("tax_year"), today=todays_date())
        # 25 people a page: each person's totals are their own few reads, so a page stays quick however many
        # people the organisation pays (the CSV and the API give everyone).
        page = tax_year.tax_year_page(session, year, rulebook, cursor=request.args.get("cursor"), limit=25)
    except ValidationError as error:
        return render_template("finance/tax_year.html", problem=error, year=None, page=None, crossings={},
                               typed=request.args.get("tax_year", "")), 400
    crossings = tax_year.draft_run_crossings(session, rulebook, [row.participant_id for row in page.rows])
    return render_template("finance/tax_year.html", problem=None, year=year, page=page, crossings=crossings,
                           typed=year.label)


@bp.route("/tax-year.csv")
@requires("participants.read")
def tax_year_csv():
    session = get_session()
    year = tax_year.read_tax_year(request.args.get("tax_year"), today=todays_date())
    written: list[int] = []
    lines = tax_year.tax_year_csv(session, year, settings().rulebook, written)
    body = exports.recorded(session, lines, fmt="tax_year_totals", start=year.start, end=year.end, via="web",
                            actor_user_id=signed_in_user().id, written=written)
    response = Response(stream_with_context(body), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="tax-year-totals-{year.label}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
