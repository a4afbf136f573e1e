"""Users and access: invitations, ending sessions at once, token expiry and scope, project managers' projects.

Revision ID: 0015_users_access
Revises: 0014_holds_controls
Create Date: 2026-12-01

- ``users.session_version``: raised when a user is deactivated; older login cookies stop working.
- ``users.invitation_token_hash`` / ``invitation_expires_at``: an invited user is inactive until they set a
  password through a one-time link; only the link's SHA-256 is kept (unique index). Who invited them is in
  the ``invite`` event.
- ``users.deactivated_at``: when the user was last deactivated.
- ``api_tokens.expires_at``: every token expires; tokens issued before this change expire 90 days from
  the upgrade, so none is left valid for ever.
- ``api_tokens.scope``: ``role`` (the holder's roles at use time) or ``read_only`` (GET and HEAD only).
- ``project_managers``: which project managers are assigned to which project, by whom and when. Every
  project's existing manager is carried over as its first assignment.

The users table is never rebuilt: on SQLite that would drop it, and with it (ON DELETE CASCADE) every role
and token. Its new columns are added in place (plain, nullable or with a default) on both backends. The
api_tokens table, which nothing references, is rebuilt on SQLite (``batch_alter_table``) for its check
constraint and NOT NULL expiry.
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0015_users_access"
down_revision = "0014_holds_controls"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("session_version", sa.Integer(), server_default="0", nullable=False))
    op.add_column("users", sa.Column("invitation_token_hash", sa.String(64), nullable=True))
    op.add_column("users", sa.Column("invitation_expires_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("users", sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f("ix_users_invitation_token_hash"), "users", ["invitation_token_hash"], unique=True)
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("scope", sa.String(16), server_default="role", nullable=False))
        batch.create_check_constraint(op.f("ck_api_tokens_scope"), "scope IN ('role','read_only')")
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=90)
    op.get_bind().execute(sa.text("UPDATE api_tokens SET expires_at = :expires"), {"expires": expires})
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column("expires_at", existing_type=sa.DateTime(timezone=True), nullable=False)
    op.create_table(
        "project_managers",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by_user_id", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_project_managers_project_id_projects"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_project_managers_user_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["assigned_by_user_id"], ["users.id"],
                                name=op.f("fk_project_managers_assigned_by_user_id_users")),
        sa.PrimaryKeyConstraint("project_id", "user_id", name=op.f("pk_project_managers")),
    )
    op.create_index(op.f("ix_project_managers_user_id"), "project_managers", ["user_id"], unique=False)
    op.execute(
        "INSERT INTO project_managers (project_id, user_id) "
        "SELECT id, project_manager_user_id FROM projects WHERE project_manager_user_id IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_project_managers_user_id"), table_name="project_managers")
    op.drop_table("project_managers")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_constraint("ck_api_tokens_scope", type_="check")
        batch.drop_column("scope")
        batch.drop_column("expires_at")
    op.drop_index(op.f("ix_users_invitation_token_hash"), table_name="users")
    for column in ("deactivated_at", "invitation_expires_at", "invitation_token_hash", "session_version"):
        op.execute(f"ALTER TABLE users DROP COLUMN {column}")
