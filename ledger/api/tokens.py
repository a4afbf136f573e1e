"""A user's own API tokens over JSON."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ledger.auth import users
from ledger.auth.access import current_actor, requires
from ledger.auth.models import TOKEN_SCOPES
from ledger.context import get_session
from ledger.errors import PermissionDenied

#: Why a token may not make another: a leaked token could otherwise outlive its own revocation or expiry.
NO_TOKEN_FROM_A_TOKEN = ("An API token cannot create API tokens. Sign in with your password and create one on "
                         "your API tokens page (/account/tokens).")

blp = Blueprint("tokens_api", __name__, url_prefix="/api/v1", description="Your API tokens")


class TokenInSchema(Schema):
    name = fields.Str(required=True, validate=validate.Length(1, 100))
    scope = fields.Str(load_default="role", validate=validate.OneOf(TOKEN_SCOPES), metadata={
        "description": "role: acts with your roles at the time of use; read_only: may only read (GET)."})
    expires_in_days = fields.Int(strict=True, load_default=users.DEFAULT_TOKEN_DAYS,
                                 validate=validate.Range(1, users.MAX_TOKEN_DAYS),
                                 metadata={"description": "How long the token works: 1 to 366 days (default 90)."})


class TokenSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    prefix = fields.Str()
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    expires_at = fields.DateTime()
    scope = fields.Str()


class IssuedTokenSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    scope = fields.Str()
    expires_at = fields.DateTime()
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
    @blp.alt_response(403, description="Always: a token cannot create tokens.")
    def post(self, data):
        """Refused (403): a token cannot create tokens, so a leaked one cannot outlive its revocation or expiry.

        Create tokens on the API tokens page (``/account/tokens``), signed in with your password.
        """
        raise PermissionDenied(NO_TOKEN_FROM_A_TOKEN)


@blp.route("/tokens/<int:token_id>", methods=["DELETE"])
@requires("self")
@blp.doc(security=[{"bearer": []}])
@blp.response(204)
def revoke(token_id):
    """Revoke one of your tokens."""
    session = get_session()
    users.revoke_token(session, current_actor().id, token_id)
    session.commit()
