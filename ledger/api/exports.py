"""Finance's exports over HTTP: the journal for a date range (hledger, beancount, Xero, Sage), the payments CSV,
tax-year totals per participant (JSON a page at a time, or CSV), and who a payment run takes past the trading
allowance.

``from`` and ``to`` are YYYY-MM-DD (left out: the current financial year). The Xero and Sage journals use the
configured mapping file (``NOMINAL_MAP_PATH``); the page takes an uploaded one. Every refusal is a 400 naming
the field (``mapping`` lists each unmapped account) before any of the file is sent.
"""

from __future__ import annotations

from flask import Response, request, stream_with_context
from flask_smorest import Blueprint

from ledger.auth.access import current_actor, requires
from ledger.context import get_session, settings, todays_date
from ledger.errors import ValidationError
from ledger.formatting import pounds
from ledger.reports import exports, tax_year
from ledger.reports.coproduction import read_period

blp = Blueprint("exports_api", __name__, url_prefix="/api/v1", description="Exports for finance and auditors")

_SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]
_RANGE = [{"in": "query", "name": "from", "schema": {"type": "string"}, "description": "First day, YYYY-MM-DD"},
          {"in": "query", "name": "to", "schema": {"type": "string"}, "description": "Last day, YYYY-MM-DD"}]


def _actor_id() -> int | None:
    actor = current_actor()
    return actor.id if actor is not None else None


def _readable(raw: str | None) -> bool:
    if raw is None or raw in ("true", "1", "yes"):
        return True
    if raw in ("false", "0", "no"):
        return False
    raise ValidationError("readable must be true or false.", fields={"readable": ["must be true or false"]})


@blp.route("/exports/<fmt>")
@blp.doc(security=_SECURITY, parameters=[
    *_RANGE,
    {"in": "query", "name": "readable", "schema": {"type": "boolean"},
     "description": "hledger and beancount: people's and projects' names in account names (default true)"},
])
@requires("books.read")
def export_file(fmt: str):
    """One export for a date range, streamed: hledger, beancount, xero, sage or payments."""
    if fmt not in exports.FORMATS:
        raise ValidationError(f"Format must be one of {', '.join(exports.FORMATS)}.", fields={"format": ["invalid"]})
    session = get_session()
    start, end = read_period(request.args, today=todays_date())
    readable = _readable(request.args.get("readable"))
    mapping = (exports.read_mapping(None, settings().nominal_map_path)
               if fmt in ("xero", "sage") else None)
    written: list[int] = []
    lines = exports.export_text(session, fmt, start, end, mapping=mapping, readable=readable, written=written)
    body = exports.recorded(session, lines, fmt=fmt, start=start, end=end, via="api",
                            actor_user_id=_actor_id(), written=written)
    response = Response(stream_with_context(body), mimetype=exports.FILE_TYPES[fmt][1])
    response.headers["Content-Disposition"] = f'attachment; filename="{exports.file_name(fmt, start, end)}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _row_json(row: tax_year.ParticipantTaxYear) -> dict:
    return {"participant_id": row.participant_id, "reference": row.reference, "name": row.name,
            "tax_year": row.tax_year, "fees_pence": row.fees, "expenses_pence": row.expenses,
            "taxable_allowances_pence": row.taxable_allowances, "taxable_pence": row.taxable,
            "fees": pounds(row.fees), "expenses": pounds(row.expenses),
            "taxable_allowances": pounds(row.taxable_allowances), "taxable": pounds(row.taxable),
            "trading_allowance_pence": row.trading_allowance, "past_trading_allowance": row.past_allowance}


_TAX_YEAR = {"in": "query", "name": "tax_year", "schema": {"type": "string"},
             "description": "The year it starts in (2026) or 2026-27; default the current tax year"}


@blp.route("/tax-year-totals")
@blp.doc(security=_SECURITY, parameters=[
    _TAX_YEAR,
    {"in": "query", "name": "cursor", "schema": {"type": "string"}, "description": "next_cursor of the last page"},
    {"in": "query", "name": "limit", "schema": {"type": "integer"}, "description": "1 to 200, default 50"},
])
@requires("participants.read")
def tax_year_totals():
    """Each participant's fees, expenses and taxable allowances in a tax year, a page at a time."""
    year = tax_year.read_tax_year(request.args.get("tax_year"), today=todays_date())
    limit = tax_year.parse_limit(request.args.get("limit"))
    page = tax_year.tax_year_page(get_session(), year, settings().rulebook, cursor=request.args.get("cursor"),
                                  limit=limit)
    return {"tax_year": year.label, "start": year.start.isoformat(), "end": year.end.isoformat(),
            "participants": [_row_json(row) for row in page.rows], "next_cursor": page.next_cursor}


@blp.route("/tax-year-totals.csv")
@blp.doc(security=_SECURITY, parameters=[_TAX_YEAR])
@requires("participants.read")
def tax_year_totals_csv():
    """Every participant's tax-year totals as CSV, streamed."""
    session = get_session()
    year = tax_year.read_tax_year(request.args.get("tax_year"), today=todays_date())
    written: list[int] = []
    lines = tax_year.tax_year_csv(session, year, settings().rulebook, written)
    body = exports.recorded(session, lines, fmt="tax_year_totals", start=year.start, end=year.end, via="api",
                            actor_user_id=_actor_id(), written=written)
    response = Response(stream_with_context(body), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="tax-year-totals-{year.label}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/payment-runs/<int:run_id>/trading-allowance")
@blp.doc(security=_SECURITY)
@requires("payments.manage")
def run_trading_allowance(run_id: int):
    """Everyone this payment run takes past the trading allowance, so finance can tell them."""
    crossings = tax_year.allowance_crossings(get_session(), run_id, settings().rulebook)
    return {"run_id": run_id, "participants": [
        {"participant_id": c.participant_id, "name": c.name, "tax_year": c.tax_year, "before_pence": c.before,
         "in_run_pence": c.in_run, "after_pence": c.after, "trading_allowance_pence": c.trading_allowance,
         "message": c.message} for c in crossings]}
