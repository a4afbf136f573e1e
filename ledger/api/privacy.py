"""The rights of the person over JSON: who looked at their data, a copy of everything held, erasure.

An administrator reads anyone's; a participant reads who looked at their own data. Every copy taken is
itself logged as a view. Erasure answers 409 with every reason when the rules refuse it.
"""

from __future__ import annotations

import re

from flask import Response
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ledger.auth.access import current_actor, requires
from ledger.context import get_session, settings, todays_date
from ledger.db import utcnow
from ledger.documents.subject_access import render_subject_access
from ledger.events.views import views_of
from ledger.privacy import erasure
from ledger.privacy.subject_access import subject_access_copy, subject_access_document, subject_access_json

blp = Blueprint("privacy_api", __name__, url_prefix="/api/v1",
                description="Who looked at a person's data, subject access copies and erasure")
_SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]


class ViewSchema(Schema):
    at = fields.DateTime()
    viewer_user_id = fields.Int(allow_none=True)
    viewer_name = fields.Str(allow_none=True)
    what = fields.Str(metadata={"description": "bank_details, benefits, receipt, evidence_pack or subject_access"})
    channel = fields.Str(metadata={"description": "page, api, pdf, cli or json"})
    record_id = fields.Str(allow_none=True)


class ErasureCheckSchema(Schema):
    participant_id = fields.Int()
    allowed = fields.Bool()
    already_erased = fields.Bool()
    last_entry_on = fields.Date(allow_none=True)
    retained_until = fields.Date(allow_none=True)
    reasons = fields.List(fields.Str())


@blp.route("/participants/<int:participant_id>/views")
@blp.doc(security=_SECURITY)
@blp.response(200, ViewSchema(many=True))
@requires("privacy.manage", own_participant="participant_id")
def participant_views(participant_id):
    """Who looked at this person's bank details, benefits or receipts, and when (newest first)."""
    return views_of(get_session(), participant_id)


@blp.route("/participants/<int:participant_id>/subject-access")
@blp.doc(security=_SECURITY, responses={"200": {"description": "Every record held about the person.",
                                                "content": {"application/json": {}}}})
@requires("privacy.manage")
def subject_access_json_view(participant_id):
    """Everything held about the person, machine-readable (receipts in base64); the copy is logged."""
    session = get_session()
    report = subject_access_copy(session, participant_id, bank_cipher=settings().bank_cipher, now=utcnow(),
                                 actor_user_id=current_actor().id, channel="api")
    session.commit()
    return _private(Response(subject_access_json(report), mimetype="application/json"),
                    f"subject-access-{report.reference}.json")


@blp.route("/participants/<int:participant_id>/subject-access.pdf")
@blp.doc(security=_SECURITY, responses={"200": {"description": "The copy as PDF.", "content": {"application/pdf": {}}}})
@requires("privacy.manage")
def subject_access_pdf(participant_id):
    """Everything held about the person, as a PDF to send them; the copy is logged."""
    session = get_session()
    report = subject_access_copy(session, participant_id, bank_cipher=settings().bank_cipher, now=utcnow(),
                                 actor_user_id=current_actor().id, channel="pdf")
    session.commit()
    body = render_subject_access(subject_access_document(report, settings().organisation.name))
    return _private(Response(body, mimetype="application/pdf"), f"subject-access-{report.reference}.pdf")


@blp.route("/participants/<int:participant_id>/erasure", methods=["GET"])
@blp.doc(security=_SECURITY)
@blp.response(200, ErasureCheckSchema)
@requires("privacy.manage")
def erasure_check(participant_id):
    """Whether the person's details may be erased today, and every reason why not."""
    return erasure.check_erasure(get_session(), participant_id, today=todays_date(),
                                 retention_years=settings().retention_years)


@blp.route("/participants/<int:participant_id>/erasure", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.response(200, ErasureCheckSchema)
@requires("privacy.manage")
def erase(participant_id):
    """Erase the person's details by pseudonymisation (409 with every reason when refused)."""
    session = get_session()
    erasure.erase_participant(session, participant_id, actor_user_id=current_actor().id, today=todays_date(),
                              retention_years=settings().retention_years)
    session.commit()
    return erasure.check_erasure(session, participant_id, today=todays_date(),
                                 retention_years=settings().retention_years)


def _private(response: Response, filename: str) -> Response:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", filename)
    response.headers["Content-Disposition"] = f'attachment; filename="{safe}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
