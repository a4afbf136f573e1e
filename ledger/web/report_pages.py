"""Co-production reports as pages: a project's (its project manager, finance, admin) and the organisation's
(finance and admin), for any period, with charts drawn as SVG beside tables of the same figures, and the same
report as CSV or PDF.

The period is asked for as two three-field dates (``from`` and ``to``, in the query string: reading a report
changes nothing); left out, it is the current financial year. The service reads and checks it; a wrong date
is shown on its field with a 400.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from wtforms import Form, SubmitField

from ledger.auth.access import requires
from ledger.context import get_session, settings, todays_date
from ledger.documents import issuing
from ledger.errors import ValidationError
from ledger.formatting import money
from ledger.reports import coproduction
from ledger.reports.coproduction_records import NETWORK_TARGETS, CoproductionReport
from ledger.web.charts import bar_chart
from ledger.web.date_inputs import DateInputsField
from ledger.web.issued import producer, send_issued

bp = Blueprint("reports", __name__)


class PeriodForm(Form):
    """The period of a report, from the query string (the service checks the dates)."""

    start = DateInputsField("First day", name="from")
    end = DateInputsField("Last day", name="to")
    show = SubmitField("Show the report")


def charts(report: CoproductionReport) -> list:
    """The page's charts: money by project, and claim-to-payment days by approver."""
    money_rows = [(f"{row.code}", [(row.fees_pence, f"Fees {money(row.fees_pence)}"),
                                   (row.expenses_pence, f"Expenses {money(row.expenses_pence)}")])
                  for row in report.projects]
    times = (*report.by_approver, report.overall)
    time_rows = [(t.name, [(t.median_days or 0, f"Median {t.median_days if t.median_days is not None else '-'} days"),
                           (t.p90_days or 0, f"90th percentile {t.p90_days if t.p90_days is not None else '-'} days")])
                 for t in times]
    return [bar_chart("Fees and expenses by project",
                      "Horizontal bars: for each project, its fees then its expenses in the period. "
                      "The table below gives the same figures.", money_rows),
            bar_chart("Days from a claim submitted to paid, by approver",
                      "Horizontal bars: for each approver, then all claims, the median and the 90th percentile "
                      "of days from submitted to paid. The table below gives the same figures.", time_rows)]


def _page(code: str | None):
    form = PeriodForm(request.args)
    try:
        start, end = coproduction.read_period(request.args, today=todays_date())
    except ValidationError as error:
        return render_template("reports/coproduction.html", form=form, report=None, problem=error, code=code,
                               charts=[], targets=NETWORK_TARGETS), 400
    session = get_session()
    report = (coproduction.project_report(session, code, start=start, end=end) if code
              else coproduction.organisation_report(session, start=start, end=end))
    form = PeriodForm(data={"start": start, "end": end})
    return render_template("reports/coproduction.html", form=form, report=report, problem=None, code=code,
                           charts=charts(report), targets=NETWORK_TARGETS), 200


def _download(code: str | None, kind: str):
    start, end = coproduction.read_period(request.args, today=todays_date())
    session = get_session()
    report = (coproduction.project_report(session, code, start=start, end=end) if code
              else coproduction.organisation_report(session, start=start, end=end))
    name = f"coproduction-report-{code or 'organisation'}-{start}-{end}.{kind}"
    if kind == "csv":
        return Response(coproduction.report_csv(report), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename={name}"})
    issued = issuing.issue_coproduction_report(session, report, organisation=settings().organisation,
                                               producer=producer(), issued_on=todays_date())
    return send_issued(issued, name)


@bp.route("/projects/<code>/report")
@requires("reports.read", project="code")
def project_report(code: str):
    return _page(code)


@bp.route("/projects/<code>/report.<any(csv, pdf):kind>")
@requires("reports.read", project="code")
def project_report_file(code: str, kind: str):
    return _download(code, kind)


@bp.route("/reports/organisation")
@requires("books.read")
def organisation_report():
    return _page(None)


@bp.route("/reports/organisation.<any(csv, pdf):kind>")
@requires("books.read")
def organisation_report_file(kind: str):
    return _download(None, kind)
