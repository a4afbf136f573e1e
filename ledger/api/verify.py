"""Check a document over the API: ``GET /api/v1/verify?code=...`` or ``POST /api/v1/verify`` with the PDF.

No login, rate limited like the other public endpoints. The answer says genuine or not and, when genuine, the
kind of document, its number, its date and the figures it showed; never whose it is or anything about them.
"""

from __future__ import annotations

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ledger.auth.access import public, rate_limited
from ledger.context import get_session
from ledger.documents import register

blp = Blueprint("verify_api", __name__, url_prefix="/api/v1",
                description="Check a document's verification code, or the PDF itself, against the register")


class CodeArgsSchema(Schema):
    code = fields.Str(required=True, validate=validate.Length(max=40),
                      metadata={"example": "K7QM2-9XHWR", "description": "As printed; case and dashes do not matter."})


class FileArgsSchema(Schema):
    code = fields.Str(load_default=None, validate=validate.Length(max=40),
                      metadata={"description": "The code printed on it, if known: the file must be that document."})


class FigureSchema(Schema):
    label = fields.Str()
    value = fields.Str()


class VerdictSchema(Schema):
    genuine = fields.Bool()
    reason = fields.Str()
    number = fields.Str(allow_none=True)
    kind = fields.Str(allow_none=True)
    issued_on = fields.Date(allow_none=True)
    figures = fields.List(fields.Nested(FigureSchema))


def _answer(verdict: register.Verdict) -> dict:
    return {"genuine": verdict.genuine, "reason": verdict.reason, "number": verdict.number, "kind": verdict.kind,
            "issued_on": verdict.issued_on,
            "figures": [{"label": label, "value": value} for label, value in verdict.figures]}


@blp.route("/verify")
@public
@rate_limited("verify")
@blp.arguments(CodeArgsSchema, location="query")
@blp.response(200, VerdictSchema)
def verify_code(args):
    """Whether a verification code is one we printed on a document, and what that document showed"""
    return _answer(register.verify_code(get_session(), args["code"]))


@blp.route("/verify", methods=["POST"])
@public
@rate_limited("verify")
@blp.arguments(FileArgsSchema, location="query")
@blp.response(200, VerdictSchema)
def verify_file(args):
    """Whether a PDF (the request body, or a multipart field ``file``) is byte for byte a document we issued"""
    upload = request.files.get("file")
    body = upload.read() if upload is not None else request.get_data()
    return _answer(register.verify_file(get_session(), body, args["code"]))
