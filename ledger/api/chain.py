"""The auditor's checks over JSON: verify the books and the keyed chain, take and check a signed checkpoint.

The same services as ``flask --app wsgi ledger verify``, ``ledger checkpoint`` and ``ledger checkpoint-check``
(``ledger.chain.audit``); reading only, so nothing is committed.
"""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import INCLUDE, Schema, fields

from ledger.auth.access import requires
from ledger.books.verify import Problem, verify_books
from ledger.chain import audit
from ledger.context import get_session

blp = Blueprint("chain_api", __name__, url_prefix="/api/v1", description="Verification and checkpoints")


class ProblemSchema(Schema):
    check = fields.Str()
    message = fields.Str()
    entry_id = fields.Int(allow_none=True)
    account_id = fields.Int(allow_none=True)
    description = fields.Str()


class VerificationSchema(Schema):
    ok = fields.Bool()
    entries = fields.Int()
    postings = fields.Int()
    accounts = fields.Int()
    checks = fields.List(fields.Str())
    problems = fields.List(fields.Nested(ProblemSchema))


class CheckpointSchema(Schema):
    """A checkpoint as ``ledger checkpoint`` prints it; sent back as it was kept, every field included."""

    class Meta:
        unknown = INCLUDE

    version = fields.Int()
    head_seq = fields.Int(required=True, strict=True)
    head_link = fields.Str(required=True)
    entries = fields.Int(strict=True)
    events = fields.Int(strict=True)
    taken_at = fields.Str()
    date = fields.Str()
    public_key = fields.Str()
    signature = fields.Str(required=True)


class CheckpointResultSchema(Schema):
    ok = fields.Bool()
    links_now = fields.Int()
    problems = fields.List(fields.Nested(ProblemSchema))
    description = fields.Str()


def _problem(p: Problem) -> dict:
    return {"check": p.check, "message": p.message, "entry_id": p.entry_id, "account_id": p.account_id,
            "description": p.describe()}


@blp.route("/verification")
@requires("books.read")
@blp.doc(security=[{"bearer": []}])
@blp.response(200, VerificationSchema)
def verification():
    """Re-check the books, the keyed chain, and claims and payments against the postings."""
    report = verify_books(get_session(), audit.VERIFY_CHECKS)
    return {"ok": report.ok, "entries": report.entries, "postings": report.postings, "accounts": report.accounts,
            "checks": list(report.checks), "problems": [_problem(p) for p in report.problems]}


@blp.route("/checkpoint")
@requires("books.read")
@blp.doc(security=[{"bearer": []}])
@blp.response(200, CheckpointSchema)
def checkpoint():
    """A signed checkpoint of the chain (head, counts, date), for an auditor to keep outside the system."""
    return audit.make_checkpoint(get_session())


@blp.route("/checkpoint-check", methods=["POST"])
@requires("books.read")
@blp.doc(security=[{"bearer": []}])
@blp.arguments(CheckpointSchema)
@blp.response(200, CheckpointResultSchema)
def checkpoint_check(body):
    """Check a kept checkpoint against the books now: ``ok`` false when the chain's past was changed."""
    result = audit.check_checkpoint(get_session(), body)
    return {"ok": result.ok, "links_now": result.links_now, "problems": [_problem(p) for p in result.problems],
            "description": result.describe()}
