"""Bank statements over JSON: import a file, read the lines a page at a time, confirm a suggestion, match by
hand, unmatch, and the reconciliation for any day. Finance only.

A file is sent as JSON: its text in ``content`` (CSV or OFX are text) or its bytes in ``content_base64``, with a
``preset`` (barclays, hsbc, lloyds, natwest, santander, starling, monzo...) or a ``mapping`` of columns. An import
of lines already stored answers 200 and adds nothing; one that adds lines answers 201.
"""

from __future__ import annotations

from decimal import Decimal

from flask import Response
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ledger.api.dates import PlausibleDate
from ledger.api.paging import LINK_HEADER, link_headers, next_link
from ledger.auth.access import current_actor, requires
from ledger.banking import parsing, reconciliation, services
from ledger.banking.models import FORMATS, MATCH_KINDS
from ledger.banking.workflow import STATUSES
from ledger.context import get_session
from ledger.errors import ValidationError
from ledger.formatting import pounds

blp = Blueprint("bank_statements_api", __name__, url_prefix="/api/v1/bank-statements",
                description="Bank statements and reconciliation (finance)")

_SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]


def _money(attribute: str, **kwargs) -> fields.Function:
    return fields.Function(lambda obj: None if getattr(obj, attribute) is None else pounds(getattr(obj, attribute)),
                           metadata={"description": "pounds, as a decimal string", "example": "-70.00"}, **kwargs)


class BankMappingSchema(Schema):
    date = fields.Str(required=True, metadata={"description": "The date column's header (or number, 1 first, "
                                                              "with has_header false)"})
    description = fields.Str(required=True, metadata={"description": "Its column; join several with +"})
    amount = fields.Str(load_default=None, metadata={"description": "A signed amount column; or paid_in and paid_out"})
    paid_in = fields.Str(load_default=None)
    paid_out = fields.Str(load_default=None)
    balance = fields.Str(load_default=None)
    reference = fields.Str(load_default=None)
    fitid = fields.Str(load_default=None, metadata={"description": "The bank's own id for the line"})
    account = fields.Str(load_default=None)
    date_format = fields.Str(load_default="dd/mm/yyyy", validate=validate.OneOf(parsing.DATE_FORMATS))
    has_header = fields.Bool(load_default=True)


class BankImportInSchema(Schema):
    filename = fields.Str(load_default="statement", validate=validate.Length(1, 200))
    content = fields.Str(load_default=None, metadata={"description": "The file's text"})
    content_base64 = fields.Str(load_default=None, metadata={"description": "Or its bytes, base64"})
    format = fields.Str(load_default=None, validate=validate.OneOf(FORMATS),
                        metadata={"description": "csv or ofx; guessed from the content when left out"})
    preset = fields.Str(load_default=None, validate=validate.OneOf(parsing.PRESETS))
    mapping = fields.Nested(BankMappingSchema, load_default=None)
    account = fields.Str(load_default=None, validate=validate.Length(1, services.MAX_ACCOUNT))
    opening_balance = fields.Decimal(load_default=None, places=None, metadata={
        "description": "pounds: the balance before the file's first line, when the file does not give it"})


class BankStatementSchema(Schema):
    id = fields.Int()
    account = fields.Str()
    format = fields.Str()
    preset = fields.Str(allow_none=True)
    filename = fields.Str()
    line_count = fields.Int()
    added_count = fields.Int()
    first_date = PlausibleDate(allow_none=True)
    last_date = PlausibleDate(allow_none=True)
    opening_balance = _money("opening_balance_pence")
    opening_balance_pence = fields.Int(allow_none=True)
    closing_balance = _money("closing_balance_pence")
    closing_balance_pence = fields.Int(allow_none=True)
    imported_by_user_id = fields.Int(allow_none=True)
    imported_at = fields.DateTime()


class BankImportResultSchema(Schema):
    statement = fields.Nested(BankStatementSchema, allow_none=True)
    line_count = fields.Int()
    added = fields.Int()
    already_imported = fields.Int()
    suggested = fields.Int()
    message = fields.Str()


class BankMatchedEntrySchema(Schema):
    entry_id = fields.Int()
    amount_pence = fields.Int()
    effective_date = PlausibleDate()


class BankLineSchema(Schema):
    id = fields.Int()
    statement_id = fields.Int()
    account = fields.Str()
    posted_on = PlausibleDate()
    amount = _money("amount_pence")
    amount_pence = fields.Int(metadata={"description": "positive: money in; negative: money out"})
    description = fields.Str()
    reference = fields.Str(allow_none=True)
    fitid = fields.Str(allow_none=True)
    balance_pence = fields.Int(allow_none=True)
    status = fields.Str()
    suggested_kind = fields.Str(allow_none=True)
    suggested_id = fields.Int(allow_none=True)
    suggested_score = fields.Int(allow_none=True)
    suggested_reason = fields.Str(allow_none=True)
    match_kind = fields.Str(allow_none=True)
    match_id = fields.Int(allow_none=True)
    match_score = fields.Int(allow_none=True)
    match_reason = fields.Str(allow_none=True)
    matched_by_user_id = fields.Int(allow_none=True)
    matched_at = fields.DateTime(allow_none=True)
    entries = fields.List(fields.Nested(BankMatchedEntrySchema))


class BankCandidateSchema(Schema):
    kind = fields.Str(metadata={"description": "payment_run, payment, payment_return or entry: the match's kind"})
    id = fields.Int(metadata={"description": "its number: the match's target_id"})
    amount = _money("amount_pence")
    amount_pence = fields.Int()
    day = PlausibleDate()
    label = fields.Str()
    score = fields.Int()
    reason = fields.Str()


class BankLineListArgsSchema(Schema):
    status = fields.Str(load_default=None, validate=validate.OneOf(STATUSES))
    statement_id = fields.Int(load_default=None)
    suggested = fields.Bool(load_default=None)
    cursor = fields.Str(load_default=None)
    limit = fields.Int(load_default=50, validate=validate.Range(1, services.MAX_PAGE))


class BankLinePageSchema(Schema):
    lines = fields.List(fields.Nested(BankLineSchema))
    next_cursor = fields.Str(allow_none=True)
    next = fields.Str(allow_none=True, metadata={"description": "The next page's address; null on the last page"})


class BankMatchInSchema(Schema):
    kind = fields.Str(required=True, validate=validate.OneOf(MATCH_KINDS))
    target_id = fields.Int(required=True, strict=True, validate=validate.Range(min=1))
    reason = fields.Str(required=True, validate=validate.Length(1, services.MAX_REASON))


class BankReasonInSchema(Schema):
    reason = fields.Str(required=True, validate=validate.Length(1, services.MAX_REASON))


class BankReconcileArgsSchema(Schema):
    date = PlausibleDate(required=True, metadata={"description": "The day to reconcile, YYYY-MM-DD"})


class BankDifferenceSchema(Schema):
    kind = fields.Str(metadata={"description": "opening, in_bank_only, in_books_only or amounts_differ"})
    day = PlausibleDate(allow_none=True)
    amount = _money("amount_pence")
    amount_pence = fields.Int(metadata={"description": "its effect on the bank's balance less the books'"})
    description = fields.Str()
    line_id = fields.Int(allow_none=True)
    entry_id = fields.Int(allow_none=True)


class BankReconciliationSchema(Schema):
    as_of = PlausibleDate()
    starts_on = PlausibleDate()
    bank_balance = _money("bank_balance_pence")
    bank_balance_pence = fields.Int()
    opening_balance_pence = fields.Int()
    opening_assumed = fields.Bool()
    books_balance = _money("books_balance_pence")
    books_balance_pence = fields.Int()
    difference_pence = fields.Int()
    explained_pence = fields.Int()
    unexplained_pence = fields.Int()
    statement_says_pence = fields.Int(allow_none=True)
    statement_disagrees = fields.Bool()
    line_count = fields.Int()
    unmatched_count = fields.Int()
    differences = fields.List(fields.Nested(BankDifferenceSchema))


def _pence(amount: Decimal | None) -> int | None:
    if amount is None:
        return None
    pence = amount * 100
    if pence != pence.to_integral_value():
        raise ValidationError("The opening balance is in pounds and pence, like 1250.00.",
                                       fields={"opening_balance": ["fractions of a penny"]})
    return int(pence)


@blp.route("", methods=["GET"])
@blp.doc(security=_SECURITY)
@blp.response(200, BankStatementSchema(many=True))
@requires("books.read")
def list_statements():
    """Imported statement files, newest first."""
    return services.list_statements(get_session())


@blp.route("", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.arguments(BankImportInSchema)
@blp.response(201, BankImportResultSchema)
@blp.alt_response(200, schema=BankImportResultSchema, description="Every line was imported before: nothing added")
@requires("payments.manage")
def import_statement(data):
    """Import a CSV or OFX statement: new lines stored (none twice) and matches suggested."""
    session = get_session()
    result = services.import_statement(
        session, services.decode_content(data["content"], data["content_base64"]), filename=data["filename"],
        format=data["format"], preset=data["preset"], mapping=data["mapping"], account=data["account"],
        opening_balance_pence=_pence(data["opening_balance"]), actor_user_id=current_actor().id)
    session.commit()
    return result, 201 if result.added else 200


class BankSuggestedSchema(Schema):
    suggested = fields.Int(metadata={"description": "How many unmatched lines now have a suggested match"})


@blp.route("/suggest", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.response(200, BankSuggestedSchema)
@requires("payments.manage")
def suggest_again():
    """Look for matches again for every unmatched line (after a run is confirmed or a payment returned)."""
    session = get_session()
    suggested = services.refresh_suggestions(session)
    session.commit()
    return {"suggested": suggested}


@blp.route("/<int:statement_id>")
@blp.doc(security=_SECURITY)
@blp.response(200, BankStatementSchema)
@requires("books.read")
def get_statement(statement_id):
    return services.statement_record(get_session(), statement_id)


@blp.route("/lines")
@blp.doc(security=_SECURITY)
@blp.arguments(BankLineListArgsSchema, location="query")
@blp.response(200, BankLinePageSchema, headers=LINK_HEADER)
@requires("books.read")
def list_lines(args):
    """Statement lines oldest first, a page at a time; follow ``next`` (or pass ``next_cursor`` as ``cursor``)."""
    page = services.list_lines(get_session(), status=args["status"], statement_id=args["statement_id"],
                               suggested=args["suggested"], cursor=args["cursor"], limit=args["limit"])
    return ({"lines": page.lines, "next_cursor": page.next_cursor, "next": next_link(page.next_cursor)}, 200,
            link_headers(page.next_cursor))


@blp.route("/lines/<int:line_id>")
@blp.doc(security=_SECURITY)
@blp.response(200, BankLineSchema)
@requires("books.read")
def get_line(line_id):
    return services.line_record(get_session(), line_id)


@blp.route("/lines/<int:line_id>/candidates")
@blp.doc(security=_SECURITY)
@blp.response(200, BankCandidateSchema(many=True))
@requires("books.read")
def line_candidates(line_id):
    """What an unmatched line might be, for matching by hand: unmatched book items near its date, best first."""
    return services.candidates(get_session(), line_id)


@blp.route("/lines/<int:line_id>/confirm", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.response(200, BankLineSchema)
@requires("payments.manage")
def confirm_line(line_id):
    """Confirm the line's suggested match."""
    session = get_session()
    record = services.confirm_suggestion(session, line_id, actor_user_id=current_actor().id)
    session.commit()
    return record


@blp.route("/lines/<int:line_id>/match", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.arguments(BankMatchInSchema)
@blp.response(200, BankLineSchema)
@requires("payments.manage")
def match_line(data, line_id):
    """Match the line by hand to a payment run, a payment, a returned payment or an entry, with a reason."""
    session = get_session()
    record = services.match_line(session, line_id, kind=data["kind"], target_id=data["target_id"],
                                 reason=data["reason"], actor_user_id=current_actor().id)
    session.commit()
    return record


@blp.route("/lines/<int:line_id>/unmatch", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.arguments(BankReasonInSchema)
@blp.response(200, BankLineSchema)
@requires("payments.manage")
def unmatch_line(data, line_id):
    """Put a matched line back in the unmatched queue, with a reason."""
    session = get_session()
    record = services.unmatch_line(session, line_id, reason=data["reason"], actor_user_id=current_actor().id)
    session.commit()
    return record


@blp.route("/reconciliation")
@blp.doc(security=_SECURITY)
@blp.arguments(BankReconcileArgsSchema, location="query")
@blp.response(200, BankReconciliationSchema)
@requires("books.read")
def get_reconciliation(args):
    """The bank's balance per the statements on the day, the books' balance, and every difference."""
    return reconciliation.reconcile(get_session(), args["date"])


@blp.route("/reconciliation.csv")
@blp.doc(security=_SECURITY)
@blp.arguments(BankReconcileArgsSchema, location="query")
@blp.response(200, content_type="text/csv", description="The balances and every difference, for the month-end file")
@requires("books.read")
def get_reconciliation_csv(args):
    """The reconciliation for the day as CSV."""
    body = reconciliation.reconciliation_csv(reconciliation.reconcile(get_session(), args["date"]))
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="bank-reconciliation-{args["date"]}.csv"'
    return response
