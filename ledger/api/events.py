"""The audit log over JSON and CSV: every event, filtered by person, claim, run, user, kind and dates.

The filters, the cursor and the CSV are ``ledger.events.audit``'s, shared with the page and the CLI.
"""

from __future__ import annotations

from flask import Response, request, stream_with_context
from flask_smorest import Blueprint

from ledger.api.paging import LINK_HEADER, link_headers, next_link
from ledger.auth.access import current_actor, requires
from ledger.context import get_session
from ledger.events import audit

blp = Blueprint("events_api", __name__, url_prefix="/api/v1", description="The audit log")

_SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]
_FILTERS = [
    {"in": "query", "name": name, "schema": {"type": kind}, "description": text}
    for name, kind, text in (
        ("participant_id", "integer", "Events about this person"),
        ("claim_id", "integer", "Events about this claim"),
        ("run_id", "integer", "Events about this payment run"),
        ("user_id", "integer", "Events done by this user"),
        ("kind", "string", "A subject (claim) or subject.action (claim.approve)"),
        ("from", "string", "First day, YYYY-MM-DD, inclusive (UTC)"),
        ("to", "string", "Last day, YYYY-MM-DD, inclusive (UTC)"),
    )
]


@blp.route("/events")
@blp.doc(security=_SECURITY, parameters=[
    *_FILTERS,
    {"in": "query", "name": "cursor", "schema": {"type": "string"}, "description": "next_cursor of the last page"},
    {"in": "query", "name": "limit", "schema": {"type": "integer"}, "description": "1 to 200, default 50"},
], responses={"200": {"description": "A page of events, the cursor and link to the next",
                      "headers": LINK_HEADER}})
@requires("audit.read")
def list_events():
    """Events newest first, a page at a time; ``next_cursor`` is null on the last page."""
    filters = audit.parse_filters(request.args)
    limit = audit.parse_limit(request.args.get("limit"))
    page = audit.audit_page(get_session(), filters, cursor=request.args.get("cursor"), limit=limit)
    return ({"events": page.events, "next_cursor": page.next_cursor, "next": next_link(page.next_cursor)}, 200,
            link_headers(page.next_cursor))


@blp.route("/events.csv")
@blp.doc(security=_SECURITY, parameters=_FILTERS)
@blp.response(200, content_type="text/csv", description="Every matching event, newest first, names not ids")
@requires("audit.read")
def events_csv():
    """Every matching event as CSV, streamed."""
    filters = audit.parse_filters(request.args)
    lines = audit.recorded_audit_csv(get_session(), filters, via="api", actor_user_id=current_actor().id)
    response = Response(stream_with_context(lines), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
