"""A user's own API tokens over JSON."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ledger.auth import users
from ledger.auth.access import current_actor, requires
from ledger.context import get_session

blp = Blueprint("tokens_api", __name__, url_prefix="/api/v1", description="Your API tokens")


class TokenInSchema(Schema):
    name = fields.Str(required=True, validate=validate.Length(1, 100))


class TokenSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    prefix = fields.Str()
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class IssuedTokenSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    token = fields.Str(metadata={"description": "Shown once; only its hash is stored."})


@blp.route("/tokens")
class Tokens(MethodView):
    @requires("self")
    @blp.doc(security=[{"bearer": []}])
    @blp.response(200, TokenSchema(many=True))
    def get(self):
        """Your tokens (never the secrets themselves)."""
        return users.list_tokens(get_session(), current_actor().id)

    @requires("self")
    @blp.doc(security=[{"bearer": []}])
    @blp.arguments(TokenInSchema)
    @blp.response(201, IssuedTokenSchema)
    def post(self, data):
        """Issue a new token."""
        session = get_session()
        issued = users.issue_token(session, current_actor().id, data["name"])
        session.commit()
        return issued


@blp.route("/tokens/<int:token_id>", methods=["DELETE"])
@requires("self")
@blp.doc(security=[{"bearer": []}])
@blp.response(204)
def revoke(token_id):
    """Revoke one of your tokens."""
    session = get_session()
    users.revoke_token(session, current_actor().id, token_id)
    session.commit()
