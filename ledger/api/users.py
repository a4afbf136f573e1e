"""Administrators manage users over JSON: invite, change roles, deactivate and reactivate.

An invitation answers with its one-time link (there is no mail server: the administrator passes it on);
only its hash is stored, so it cannot be shown again, only renewed.
"""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ledger.auth import admin, totp, users
from ledger.auth.access import current_actor, requires
from ledger.auth.models import ROLES
from ledger.context import get_session

blp = Blueprint("users_api", __name__, url_prefix="/api/v1", description="Users, their roles and access")


class UserSchema(Schema):
    id = fields.Int()
    email = fields.Str()
    display_name = fields.Str()
    roles = fields.Function(lambda user: sorted(user.role_names),
                            metadata={"type": "array", "items": {"type": "string"}})
    status = fields.Str(metadata={"description": "invited, active or deactivated"})
    participant_id = fields.Int(allow_none=True)
    created_at = fields.DateTime()
    invitation_expires_at = fields.DateTime(allow_none=True)
    deactivated_at = fields.DateTime(allow_none=True)
    two_step_since = fields.DateTime(attribute="totp_enabled_at", allow_none=True, metadata={
        "description": "When they set up two-step sign in (an authenticator app), or null when it is off"})


class InvitationSchema(Schema):
    user = fields.Nested(UserSchema)
    invitation_url = fields.Str(metadata={"description": "Shown once: pass it to the person invited."})
    expires_at = fields.DateTime()


class InviteSchema(Schema):
    email = fields.Str(required=True, validate=validate.Length(1, 254))
    display_name = fields.Str(required=True, validate=validate.Length(1, 200))
    roles = fields.List(fields.Str(validate=validate.OneOf(ROLES)), required=True, validate=validate.Length(min=1))
    participant_id = fields.Int(strict=True, load_default=None, allow_none=True)


class RolesSchema(Schema):
    roles = fields.List(fields.Str(validate=validate.OneOf(ROLES)), required=True, validate=validate.Length(min=1))
    reason = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=500))


class ReasonSchema(Schema):
    reason = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=500))


def invitation_answer(invitation: admin.Invitation) -> dict:
    return {"user": invitation.user, "expires_at": invitation.expires_at,
            "invitation_url": url_for("admin.accept_invitation", token=invitation.token, _external=True)}


@blp.route("/users")
class Users(MethodView):
    @requires("users.manage")
    @blp.doc(security=[{"bearer": []}])
    @blp.response(200, UserSchema(many=True))
    def get(self):
        """Every user, with their roles and status."""
        return admin.list_users(get_session())

    @requires("users.manage")
    @blp.doc(security=[{"bearer": []}])
    @blp.arguments(InviteSchema)
    @blp.response(201, InvitationSchema)
    def post(self, data):
        """Invite a user: they are inactive until they set a password through the link (valid 7 days)."""
        session = get_session()
        invitation = admin.invite_user(session, actor_user_id=current_actor().id, **data)
        session.commit()
        return invitation_answer(invitation)


@blp.route("/users/<int:user_id>")
class OneUser(MethodView):
    @requires("users.manage")
    @blp.doc(security=[{"bearer": []}])
    @blp.response(200, UserSchema)
    def get(self, user_id):
        """One user."""
        return users.get_user(get_session(), user_id)

    @requires("users.manage")
    @blp.doc(security=[{"bearer": []}])
    @blp.arguments(RolesSchema)
    @blp.response(200, UserSchema)
    def patch(self, data, user_id):
        """Change a user's roles (the last active administrator keeps theirs)."""
        session = get_session()
        user = users.set_roles(session, user_id, data["roles"], actor_user_id=current_actor().id,
                               reason=data["reason"])
        session.commit()
        return user


@blp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@requires("users.manage")
@blp.doc(security=[{"bearer": []}])
@blp.arguments(ReasonSchema)
@blp.response(200, UserSchema)
def deactivate(data, user_id):
    """Deactivate a user: their sessions end and their tokens are revoked at once."""
    session = get_session()
    user = admin.deactivate_user(session, user_id, actor_user_id=current_actor().id, reason=data["reason"])
    session.commit()
    return user


@blp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@requires("users.manage")
@blp.doc(security=[{"bearer": []}])
@blp.arguments(ReasonSchema)
@blp.response(200, UserSchema)
def reactivate(data, user_id):
    """Let a deactivated user sign in again (their old tokens stay revoked)."""
    session = get_session()
    user = admin.reactivate_user(session, user_id, actor_user_id=current_actor().id, reason=data["reason"])
    session.commit()
    return user


@blp.route("/users/<int:user_id>/two-step/reset", methods=["POST"])
@requires("users.manage")
@blp.doc(security=[{"bearer": []}])
@blp.arguments(ReasonSchema)
@blp.response(200, UserSchema)
def reset_two_step(data, user_id):
    """Turn off a user's two-step sign in (a lost phone): they are signed out and set it up again when they next
    sign in. A reason is required; an administrator cannot reset their own."""
    session = get_session()
    user = totp.reset_second_factor(session, user_id, actor_user_id=current_actor().id, reason=data["reason"])
    session.commit()
    return user


@blp.route("/users/<int:user_id>/invitation", methods=["POST"])
@requires("users.manage")
@blp.doc(security=[{"bearer": []}])
@blp.response(201, InvitationSchema)
def renew_invitation(user_id):
    """A fresh invitation link for someone who has not yet accepted; the old link stops working."""
    session = get_session()
    invitation = admin.renew_invitation(session, user_id, actor_user_id=current_actor().id)
    session.commit()
    return invitation_answer(invitation)
