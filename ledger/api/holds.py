"""Holds over JSON: keep a claim, or every claim of a participant or group, out of payment runs. Finance only.

Holding needs a ``reason`` and releasing a ``note`` (both kept in the audit trail). Holding a claim in a draft
run takes it out of that draft; a paid claim cannot be held (409).
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ledger.auth.access import current_actor, requires
from ledger.context import get_session
from ledger.payments import hold_actions, holds
from ledger.payments.models import HOLD_STATUSES, PAYEE_KINDS

blp = Blueprint("holds_api", __name__, url_prefix="/api/v1", description="Holds on claims and payees (finance)")

_SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]


class HoldInSchema(Schema):
    reason = fields.Str(required=True, validate=validate.Length(1, holds.MAX_TEXT),
                        metadata={"description": "Why the money is held, in words the auditor will read"})


class ReleaseInSchema(Schema):
    note = fields.Str(required=True, validate=validate.Length(1, holds.MAX_TEXT),
                      metadata={"description": "Why the hold is released"})


class HoldListArgsSchema(Schema):
    status = fields.Str(load_default="held", validate=validate.OneOf(HOLD_STATUSES))
    payee_kind = fields.Str(load_default=None, validate=validate.OneOf(PAYEE_KINDS))
    payee_id = fields.Int(load_default=None, validate=validate.Range(min=1))
    claim_id = fields.Int(load_default=None, validate=validate.Range(min=1))


class HoldSchema(Schema):
    id = fields.Int()
    status = fields.Str(metadata={"description": "held or released"})
    subject = fields.Str(metadata={"description": "claim, participant or group"})
    claim_id = fields.Int(allow_none=True)
    payee_kind = fields.Str(allow_none=True)
    payee_id = fields.Int(allow_none=True)
    name = fields.Str()
    reason = fields.Str()
    held_by_user_id = fields.Int(allow_none=True)
    held_by = fields.Str()
    held_at = fields.DateTime()
    released_by_user_id = fields.Int(allow_none=True)
    released_by = fields.Str(allow_none=True)
    released_at = fields.DateTime(allow_none=True)
    release_note = fields.Str(allow_none=True)


def _done(record):
    get_session().commit()
    return record


@blp.route("/holds")
class Holds(MethodView):
    @blp.doc(security=_SECURITY)
    @blp.arguments(HoldListArgsSchema, location="query")
    @blp.response(200, HoldSchema(many=True))
    @requires("payments.manage")
    def get(self, args):
        """Holds, newest first: those in force unless ``status=released``."""
        return holds.list_holds(get_session(), status=args["status"], payee_kind=args["payee_kind"],
                                payee_id=args["payee_id"], claim_id=args["claim_id"])


@blp.route("/claims/<int:claim_id>/hold", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.arguments(HoldInSchema)
@blp.response(201, HoldSchema)
@requires("payments.manage")
def hold_claim(data, claim_id):
    """Hold a claim: it stays out of payment runs (and is taken out of a draft) until released."""
    return _done(hold_actions.hold_claim(get_session(), claim_id, actor_user_id=current_actor().id,
                                         reason=data["reason"]))


@blp.route("/claims/<int:claim_id>/release", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.arguments(ReleaseInSchema)
@blp.response(200, HoldSchema)
@requires("payments.manage")
def release_claim(data, claim_id):
    """Release the hold on a claim: it goes into the next draft."""
    return _done(hold_actions.release_claim(get_session(), claim_id, actor_user_id=current_actor().id,
                                            note=data["note"]))


def _payee_routes(path: str, kind: str) -> None:
    """POST <path>/<id>/hold and /release for one kind of payee."""

    def hold(data, payee_id):
        return _done(hold_actions.hold_payee(get_session(), kind, payee_id, actor_user_id=current_actor().id,
                                             reason=data["reason"]))

    def release(data, payee_id):
        return _done(hold_actions.release_payee(get_session(), kind, payee_id, actor_user_id=current_actor().id,
                                                note=data["note"]))

    hold.__name__, release.__name__ = f"hold_{kind}", f"release_{kind}"
    hold.__doc__ = f"Hold every claim of a {kind}: none goes into a payment run until released."
    release.__doc__ = f"Release the hold on a {kind}: their claims go into the next draft."
    for action, view, schema, status in (("hold", hold, HoldInSchema, 201), ("release", release, ReleaseInSchema, 200)):
        decorated = requires("payments.manage")(view)
        decorated = blp.response(status, HoldSchema)(decorated)
        decorated = blp.arguments(schema)(decorated)
        decorated = blp.doc(security=_SECURITY)(decorated)
        blp.route(f"{path}/<int:payee_id>/{action}", methods=["POST"], endpoint=f"{action}_{kind}")(decorated)


_payee_routes("/participants", "participant")
_payee_routes("/groups", "group")
