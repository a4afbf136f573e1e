"""Co-production reports over JSON: a project's, or the organisation's, for any period.

``from`` and ``to`` are YYYY-MM-DD; either left out is the current financial year's (1 April to 31 March). A
wrong date is a 400 naming the field. Money is whole pence (and pounds as a decimal string); hours and days
are decimal strings. A project manager reads their own projects; the organisation's report is finance's and
the administrators'.
"""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from typing import Any

from flask import request
from flask_smorest import Blueprint

from ledger.auth.access import requires
from ledger.context import get_session, todays_date
from ledger.formatting import pounds
from ledger.reports import coproduction
from ledger.reports.coproduction_records import NETWORK_TARGETS, CoproductionReport

blp = Blueprint("reports_api", __name__, url_prefix="/api/v1", description="Co-production reports")


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value.isoformat() if hasattr(value, "isoformat") else value


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "fees": pounds(row["fees_pence"]), "expenses": pounds(row["expenses_pence"]),
            "to_groups": pounds(row["to_groups_pence"])}


def report_json(report: CoproductionReport) -> dict[str, Any]:
    """The report as the API gives it."""
    data = asdict(report)
    data["totals"] = _figures(data["totals"])
    data["projects"] = [_figures(row) for row in data["projects"]]
    data["network_share_percent"] = report.network_share_percent
    data["network_targets_percent"] = list(NETWORK_TARGETS)
    data["network_means"] = "active participants on the register"
    return _plain(data)


@blp.route("/reports/projects/<code>")
@blp.response(200)
@requires("reports.read", project="code")
def project_report(code: str):
    """One project's co-production report for a period."""
    start, end = coproduction.read_period(request.args, today=todays_date())
    return report_json(coproduction.project_report(get_session(), code, start=start, end=end))


@blp.route("/reports/organisation")
@blp.response(200)
@requires("books.read")
def organisation_report():
    """The organisation's co-production report for a period, with a row per project."""
    start, end = coproduction.read_period(request.args, today=todays_date())
    return report_json(coproduction.organisation_report(get_session(), start=start, end=end))
