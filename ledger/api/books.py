"""The books over JSON: accounts, entries, reversals, balances, statements, trial balance, locks.

Amounts are signed integers in the unit's minor unit (pence for GBP, minutes for TIME); debits positive.
Entries posted here are manual journal entries: they go through ``ledger.books.manual`` (a reason, no system
kinds or keys, no owed money a run will not pay, a second finance user above the configured amount).
"""

from __future__ import annotations

import datetime as dt
import json
from json.encoder import encode_basestring_ascii

from flask import current_app, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from marshmallow import ValidationError as SchemaError

from ledger import bounds
from ledger.api.dates import PlausibleDate
from ledger.api.paging import LINK_HEADER, link_headers, next_link
from ledger.auth.access import current_actor, requires, signed_in_user
from ledger.auth.models import User
from ledger.books import manual, periods, posting, queries
from ledger.books.kinds import POSTABLE_KINDS
from ledger.books.models import ACCOUNT_TYPES
from ledger.books.records import AccountInfo, PostingLine, Statement, TrialBalance
from ledger.books.units import UNITS
from ledger.context import get_session, settings, todays_date

blp = Blueprint("books_api", __name__, url_prefix="/api/v1", description="The double-entry books")


class AccountSchema(Schema):
    id = fields.Int(dump_only=True)
    code = fields.Str(required=True, validate=validate.Length(1, 64))
    name = fields.Str(required=True, validate=validate.Length(1, 200))
    type = fields.Str(required=True, validate=validate.OneOf(ACCOUNT_TYPES))
    unit = fields.Str(required=True, validate=validate.OneOf(list(UNITS)))
    is_open = fields.Bool(dump_only=True)


class PostingSchema(Schema):
    account = fields.Str(required=True, validate=validate.Length(1, 64))
    amount = fields.Int(required=True, strict=True)
    unit = fields.Str(required=True, validate=validate.OneOf(list(UNITS)))
    memo = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=500))
    # What a posting to a person's money or time is (fee, expense...): required on those accounts, else absent.
    kind = fields.Str(load_default=None, allow_none=True, validate=validate.OneOf(sorted(POSTABLE_KINDS)))


class PostedSchema(PostingSchema):
    id = fields.Int()


class EntryInSchema(Schema):
    effective_date = PlausibleDate(required=True)
    description = fields.Str(required=True, validate=validate.Length(1, 500))
    idempotency_key = fields.Str(required=True, validate=validate.Length(1, 200))
    kind = fields.Str(load_default="manual", validate=validate.Length(1, 40))
    postings = fields.List(fields.Nested(PostingSchema), required=True, validate=validate.Length(min=2))
    # Why the entry is posted by hand: kept with it, and shown to the second finance user.
    reason = fields.Str(required=True, validate=validate.Length(1, manual.MAX_REASON))


class ManualEntrySchema(Schema):
    """A manual journal entry: posted at once, or waiting for (or decided by) a second finance user."""

    id = fields.Int()
    status = fields.Str()
    effective_date = PlausibleDate()
    description = fields.Str()
    reason = fields.Str()
    kind = fields.Str()
    idempotency_key = fields.Str()
    gbp_debits_pence = fields.Int()
    needs_second_user = fields.Bool()
    proposed_by = fields.Int()
    proposed_at = fields.DateTime()
    decided_by = fields.Int(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    rejection_reason = fields.Str(allow_none=True)
    entry_id = fields.Int(allow_none=True)
    postings = fields.List(fields.Nested(PostingSchema))


class ManualEntryArgsSchema(Schema):
    status = fields.Str(load_default=None, validate=validate.OneOf(sorted(manual.MANUAL_ENTRY.statuses)))
    limit = fields.Int(load_default=50, validate=validate.Range(1, 200))


class RejectInSchema(Schema):
    reason = fields.Str(required=True, validate=validate.Length(1, manual.MAX_REASON))


class EntrySchema(Schema):
    id = fields.Int()
    effective_date = PlausibleDate()
    recorded_at = fields.DateTime()
    description = fields.Str()
    kind = fields.Str()
    idempotency_key = fields.Str()
    actor_user_id = fields.Int(allow_none=True)
    reverses_entry_id = fields.Int(allow_none=True)
    postings = fields.List(fields.Nested(PostedSchema))


class ReversalInSchema(Schema):
    effective_date = PlausibleDate(required=True)
    description = fields.Str(load_default=None, validate=validate.Length(1, 500))
    idempotency_key = fields.Str(load_default=None, validate=validate.Length(1, 200))


class AsOfSchema(Schema):
    as_of = PlausibleDate(load_default=None)


class BalanceSchema(Schema):
    account = fields.Str()
    unit = fields.Str()
    as_of = PlausibleDate(allow_none=True)
    balance = fields.Int()


class StatementArgsSchema(Schema):
    start = PlausibleDate(required=True)
    end = PlausibleDate(required=True)
    after = fields.Str(load_default=None)
    limit = fields.Int(load_default=100, validate=validate.Range(1, queries.MAX_PAGE))


class StatementLineSchema(Schema):
    posting_id = fields.Int()
    entry_id = fields.Int()
    effective_date = PlausibleDate()
    description = fields.Str()
    kind = fields.Str()
    memo = fields.Str(allow_none=True)
    amount = fields.Int()
    running_balance = fields.Int()
    reverses_entry_id = fields.Int(allow_none=True)


class StatementSchema(Schema):
    account = fields.Nested(AccountSchema)
    start = PlausibleDate()
    end = PlausibleDate()
    opening_balance = fields.Int()
    lines = fields.List(fields.Nested(StatementLineSchema))
    closing_balance = fields.Int()
    next_cursor = fields.Str(allow_none=True)


class TrialBalanceRowSchema(Schema):
    account = fields.Nested(AccountSchema)
    balance = fields.Int()


class TrialBalanceSchema(Schema):
    as_of = PlausibleDate(allow_none=True)
    rows = fields.List(fields.Nested(TrialBalanceRowSchema))
    totals = fields.Dict(keys=fields.Str(), values=fields.Int())


_MONTH_FORM = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="Use the form YYYY-MM.")


def _valid_month(value: str) -> None:
    """YYYY-MM, in the years ``ledger.bounds`` allows: a month outside them is a slip, and year 0 is no date."""
    _MONTH_FORM(value)
    if not bounds.EARLIEST_DATE.year <= int(value[:4]) <= bounds.LATEST_DATE.year:
        raise SchemaError(f"Use a month from {bounds.EARLIEST_DATE.year}-01 to {bounds.LATEST_DATE.year}-12.")


class LockInSchema(Schema):
    month = fields.Str(required=True, validate=_valid_month)
    # Why the month is closed: required (the service names the field when it is missing or blank).
    reason = fields.Str(load_default=None, allow_none=True)


class PersonSchema(Schema):
    id = fields.Int()
    name = fields.Str()


class LockSchema(Schema):
    month = fields.Str()
    locked_at = fields.DateTime(allow_none=True)
    locked_by = fields.Nested(PersonSchema, allow_none=True)
    reason = fields.Str(allow_none=True)


class ReopenInSchema(Schema):
    month = fields.Str(required=True, validate=_valid_month)
    reason = fields.Str(load_default=None, allow_none=True)


class DecisionInSchema(Schema):
    reason = fields.Str(load_default=None, allow_none=True)


class ReopenSchema(Schema):
    id = fields.Int()
    month = fields.Str()
    status = fields.Str()
    reason = fields.Str()
    requested_by = fields.Nested(PersonSchema)
    requested_at = fields.DateTime()
    decided_by = fields.Nested(PersonSchema, allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decision_reason = fields.Str(allow_none=True)


@blp.route("/accounts")
class Accounts(MethodView):
    @requires("books.read")
    @blp.doc(security=[{"bearer": []}])
    @blp.response(200, AccountSchema(many=True))
    def get(self):
        """List every account."""
        return queries.list_accounts(get_session())

    @requires("books.post")
    @blp.doc(security=[{"bearer": []}])
    @blp.arguments(AccountSchema)
    @blp.response(201, AccountSchema)
    def post(self, data):
        """Open an account."""
        session = get_session()
        account = posting.open_account(session, **data)
        session.commit()
        return account


@blp.route("/accounts/<code>/balance")
@requires("books.read")
@blp.doc(security=[{"bearer": []}])
@blp.arguments(AsOfSchema, location="query")
@blp.response(200, BalanceSchema)
def account_balance(args, code):
    """Balance of one account, now or as of a date."""
    info, balance = queries.account_with_balance(get_session(), code, args["as_of"])
    return {"account": code, "unit": info.unit, "as_of": args["as_of"], "balance": balance}


@blp.route("/accounts/<code>/statement")
@requires("books.read")
@blp.doc(security=[{"bearer": []}])
@blp.arguments(StatementArgsSchema, location="query")
@blp.response(200, StatementSchema)
def account_statement(args, code):
    """Statement of one account over a date range, a page at a time (follow ``next_cursor``)."""
    return jsonify(statement_out(queries.statement(get_session(), code, args["start"], args["end"],
                                                   after=args["after"], limit=args["limit"])))


@blp.route("/trial-balance")
@requires("books.read")
@blp.doc(security=[{"bearer": []}])
@blp.arguments(AsOfSchema, location="query")
@blp.response(200, TrialBalanceSchema)
def trial_balance(args):
    """Every account's balance and the totals per unit (zero when the books are sound)."""
    body = trial_balance_body(queries.trial_balance_tuples(get_session(), args["as_of"]), args["as_of"])
    return current_app.response_class(body, mimetype=current_app.json.mimetype)


# Large answers are built as plain dicts, exactly as their schemas above would dump them (the schemas still
# describe them in the OpenAPI document): marshmallow took 45% of a 3,000-account trial balance (issue 12).


def _day(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def account_out(info: AccountInfo) -> dict:
    """``AccountSchema``'s JSON of an account."""
    return {"id": info.id, "code": info.code, "name": info.name, "type": info.type, "unit": info.unit,
            "is_open": info.is_open}


def trial_balance_out(balance: TrialBalance) -> dict:
    """``TrialBalanceSchema``'s JSON of the trial balance."""
    return {"as_of": _day(balance.as_of), "totals": dict(balance.totals),
            "rows": [{"account": account_out(row.account), "balance": row.balance} for row in balance.rows]}


def trial_balance_body(rows: list[queries.TrialBalanceTuple], as_of: dt.date | None) -> str:
    """``TrialBalanceSchema``'s JSON, byte for byte what ``jsonify(trial_balance_out(...))`` sends (keys in order,
    compact, ASCII), written straight from the database's rows: at 3,700 accounts a record, a dict and the
    encoder's key sorting per account took three quarters of the answer's time (issue 12)."""
    text = encode_basestring_ascii
    totals: dict[str, int] = {}
    for row in rows:
        totals[row[4]] = totals.get(row[4], 0) + row[6]
    lines = ",".join([
        f'{{"account":{{"code":{text(code)},"id":{id_},"is_open":{"true" if is_open else "false"},"name":{text(name)},'
        f'"type":{text(type_)},"unit":{text(unit)}}},"balance":{int(balance)}}}'
        for id_, code, name, type_, unit, is_open, balance in rows])
    day = "null" if as_of is None else f'"{as_of.isoformat()}"'
    return (f'{{"as_of":{day},"rows":[{lines}],'
            f'"totals":{json.dumps(totals, sort_keys=True, separators=(",", ":"))}}}\n')


def statement_out(statement: Statement) -> dict:
    """``StatementSchema``'s JSON of a statement page."""
    return {
        "account": account_out(statement.account), "start": _day(statement.start), "end": _day(statement.end),
        "opening_balance": statement.opening_balance, "closing_balance": statement.closing_balance,
        "next_cursor": statement.next_cursor,
        "lines": [{"posting_id": line.posting_id, "entry_id": line.entry_id,
                   "effective_date": line.effective_date.isoformat(), "description": line.description,
                   "kind": line.kind, "memo": line.memo, "amount": line.amount,
                   "running_balance": line.running_balance, "reverses_entry_id": line.reverses_entry_id}
                  for line in statement.lines],
    }


class EntryListArgsSchema(Schema):
    account = fields.Str(load_default=None, validate=validate.Length(1, 64),
                         metadata={"description": "Only entries with a posting to this account code"})
    from_ = PlausibleDate(data_key="from", load_default=None,
                        metadata={"description": "First effective date, inclusive"})
    to = PlausibleDate(load_default=None, metadata={"description": "Last effective date, inclusive"})
    kind = fields.Str(load_default=None, validate=validate.Length(1, 40),
                      metadata={"description": "The entry's kind: manual, claim_approval, payment_run…"})
    limit = fields.Int(load_default=50, validate=validate.Range(1, queries.MAX_ENTRIES_PAGE))
    cursor = fields.Str(load_default=None, validate=validate.Length(max=200),
                        metadata={"description": "next_cursor of the page before; leave out for the first"})


class EntryPageSchema(Schema):
    entries = fields.List(fields.Nested(EntrySchema))
    next_cursor = fields.Str(allow_none=True)
    next = fields.Str(allow_none=True, metadata={"description": "The next page's URL; null on the last page"})


@blp.route("/entries", methods=["GET"])
@requires("books.read")
@blp.doc(security=[{"bearer": []}])
@blp.arguments(EntryListArgsSchema, location="query")
@blp.response(200, EntryPageSchema, headers=LINK_HEADER)
def list_entries(args):
    """Journal entries with their postings, newest first, by account, effective dates and kind; a page at a time."""
    entries, next_cursor = queries.list_entries(
        get_session(), account=args["account"], date_from=args["from_"], date_to=args["to"], kind=args["kind"],
        cursor=args["cursor"], limit=args["limit"])
    return ({"entries": entries, "next_cursor": next_cursor, "next": next_link(next_cursor)}, 200,
            link_headers(next_cursor))


@blp.route("/entries", methods=["POST"])
@requires("books.post")
@blp.doc(security=[{"bearer": []}])
@blp.arguments(EntryInSchema)
@blp.response(201, EntrySchema)
@blp.alt_response(202, schema=ManualEntrySchema, description="Waiting for a second finance user to approve it.")
def post_entry(data):
    """Post a manual entry (201), or keep it for a second finance user above the configured amount (202).

    Replaying the same idempotency key and content returns the original entry or proposal.
    """
    session = get_session()
    submitted = manual.submit_manual_entry(
        session,
        manual.ManualDraft(
            effective_date=data["effective_date"], description=data["description"], reason=data["reason"],
            idempotency_key=data["idempotency_key"], kind=data["kind"],
            postings=tuple(PostingLine(p["account"], p["amount"], p["unit"], p["memo"], p["kind"])
                           for p in data["postings"])),
        actor_user_id=current_actor().id,
        second_approval_above_pence=settings().manual_entry_second_approval_above_pence,
        time_credit_floor_minutes=settings().time_credit_overdraft_minutes,
    )
    session.commit()
    if submitted.waiting:
        return _accepted(ManualEntrySchema().dump(submitted.record))
    return posting.load_entry(session, submitted.entry.id)


def _accepted(body):
    response = jsonify(body)
    response.status_code = 202
    return response


@blp.route("/manual-entries")
@requires("books.read")
@blp.doc(security=[{"bearer": []}])
@blp.arguments(ManualEntryArgsSchema, location="query")
@blp.response(200, ManualEntrySchema(many=True))
def list_manual_entries(args):
    """Manual journal entries, newest first; ``status=waiting_for_approval`` for those a second user must see."""
    return manual.list_manual_entries(get_session(), status=args["status"], limit=args["limit"])


@blp.route("/manual-entries/<int:manual_entry_id>")
@requires("books.read")
@blp.doc(security=[{"bearer": []}])
@blp.response(200, ManualEntrySchema)
def get_manual_entry(manual_entry_id):
    """One manual journal entry: its reason, who proposed and decided it, and its entry once posted."""
    return manual.get_manual_entry(get_session(), manual_entry_id)


@blp.route("/manual-entries/<int:manual_entry_id>/approve", methods=["POST"])
@requires("books.post")
@blp.doc(security=[{"bearer": []}])
@blp.response(200, ManualEntrySchema)
def approve_manual_entry(manual_entry_id):
    """Approve and post a proposal, as a finance user other than its proposer."""
    session = get_session()
    record = manual.approve_manual_entry(session, manual_entry_id, actor_user_id=current_actor().id,
                                         time_credit_floor_minutes=settings().time_credit_overdraft_minutes)
    session.commit()
    return record


@blp.route("/manual-entries/<int:manual_entry_id>/reject", methods=["POST"])
@requires("books.post")
@blp.doc(security=[{"bearer": []}])
@blp.arguments(RejectInSchema)
@blp.response(200, ManualEntrySchema)
def reject_manual_entry(data, manual_entry_id):
    """Reject a proposal, saying why; nothing reaches the books."""
    session = get_session()
    record = manual.reject_manual_entry(session, manual_entry_id, actor_user_id=current_actor().id,
                                        reason=data["reason"])
    session.commit()
    return record


@blp.route("/entries/<int:entry_id>")
@requires("books.read")
@blp.doc(security=[{"bearer": []}])
@blp.response(200, EntrySchema)
def get_entry(entry_id):
    """One journal entry with its postings."""
    return posting.load_entry(get_session(), entry_id)


@blp.route("/entries/<int:entry_id>/reversal", methods=["POST"])
@requires("books.post")
@blp.doc(security=[{"bearer": []}])
@blp.arguments(ReversalInSchema)
@blp.response(201, EntrySchema)
def reverse_entry(data, entry_id):
    """Reverse an entry at a chosen effective date (once only)."""
    session = get_session()
    entry = manual.reverse_by_hand(session, entry_id, effective_date=data["effective_date"],
                                   description=data["description"], idempotency_key=data["idempotency_key"],
                                   actor_user_id=current_actor().id,
                                   time_credit_floor_minutes=settings().time_credit_overdraft_minutes)
    session.commit()
    return posting.load_entry(session, entry.id)


def _month(text: str) -> dt.date:
    year, month = (int(x) for x in text.split("-"))
    return dt.date(year, month, 1)


def _person(user_id: int | None) -> dict | None:
    if user_id is None:
        return None
    user = get_session().get(User, user_id)
    return {"id": user_id, "name": user.display_name if user else ""}


def _lock_out(lock: periods.LockRecord) -> dict:
    return {"month": lock.month.strftime("%Y-%m"), "locked_at": lock.locked_at,
            "locked_by": _person(lock.locked_by_user_id), "reason": lock.reason}


def _reopen_out(request: periods.ReopenRecord) -> dict:
    return {"id": request.id, "month": request.month.strftime("%Y-%m"), "status": request.status,
            "reason": request.reason, "requested_by": _person(request.requested_by_user_id),
            "requested_at": request.requested_at, "decided_by": _person(request.decided_by_user_id),
            "decided_at": request.decided_at, "decision_reason": request.decision_reason}


@blp.route("/periods/locks")
class Locks(MethodView):
    @requires("books.read")
    @blp.doc(security=[{"bearer": []}])
    @blp.response(200, LockSchema(many=True))
    def get(self):
        """Months locked against posting, oldest first, with who locked each, when and why."""
        return [_lock_out(lock) for lock in periods.locks(get_session())]

    @requires("books.lock")
    @blp.doc(security=[{"bearer": []}])
    @blp.arguments(LockInSchema)
    @blp.response(201, LockSchema)
    def post(self, data):
        """Lock an ended month, the next in order, with a reason: nothing can be posted into it afterwards."""
        session = get_session()
        locked = periods.close_month(session, _month(data["month"]), reason=data["reason"],
                                     actor_user_id=current_actor().id, today=todays_date())
        session.commit()
        return _lock_out(locked)


@blp.route("/periods/reopen-requests")
class ReopenRequests(MethodView):
    @requires("books.read")
    @blp.doc(security=[{"bearer": []}])
    @blp.response(200, ReopenSchema(many=True))
    def get(self):
        """Every request to reopen a locked month, newest first."""
        return [_reopen_out(r) for r in periods.reopen_requests(get_session())]

    @requires("books.reopen")
    @blp.doc(security=[{"bearer": []}])
    @blp.arguments(ReopenInSchema)
    @blp.response(201, ReopenSchema)
    def post(self, data):
        """An admin asks to reopen the latest locked month, with a reason; a second person must approve."""
        session = get_session()
        made = periods.request_reopen(session, _month(data["month"]), reason=data["reason"],
                                      actor_user_id=current_actor().id)
        session.commit()
        return _reopen_out(made)


def _decide(request_id: int, data: dict, *, approve: bool) -> dict:
    session = get_session()
    decided = periods.decide_reopen(session, request_id, approve=approve, actor_user_id=signed_in_user().id,
                                    reason=data["reason"])
    session.commit()
    return _reopen_out(decided)


@blp.route("/periods/reopen-requests/<int:request_id>/approve", methods=["POST"])
@blp.doc(security=[{"bearer": []}])
@blp.arguments(DecisionInSchema)
@blp.response(200, ReopenSchema)
@requires("books.reopen.decide")
def approve_reopen(data, request_id):
    """A second person (not the requester) approves: the month is unlocked."""
    return _decide(request_id, data, approve=True)


@blp.route("/periods/reopen-requests/<int:request_id>/reject", methods=["POST"])
@blp.doc(security=[{"bearer": []}])
@blp.arguments(DecisionInSchema)
@blp.response(200, ReopenSchema)
@requires("books.reopen.decide")
def reject_reopen(data, request_id):
    """A second person (not the requester) rejects, with a reason: the month stays locked."""
    return _decide(request_id, data, approve=False)
