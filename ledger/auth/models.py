"""Users, their roles, API tokens and the counters behind rate limits."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ledger.db import Base, UTCDateTime

ROLES = ("admin", "finance", "project_manager", "participant")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), server_default=func.now())
    # Raised on deactivation: every login cookie carries the version it was issued under, and an older one
    # no longer signs anyone in, so deactivating a user ends their sessions at once.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # An invited user is inactive until they accept: only the invitation link's SHA-256 is kept.
    invitation_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    invitation_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    deactivated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The second factor: the TOTP secret, encrypted with the bank-details key (never kept in clear), when it was
    # turned on, and the last 30-second step a code was accepted for, so the same code never signs in twice.
    totp_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    totp_enabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    roles: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", back_populates="user"
    )

    @property
    def role_names(self) -> frozenset[str]:
        return frozenset(r.role for r in self.roles)

    @property
    def status(self) -> str:
        """``invited`` (not yet accepted), ``active`` or ``deactivated``: what the admin pages show."""
        if self.invitation_token_hash is not None:
            return "invited"
        return "active" if self.is_active else "deactivated"


class UserRole(Base):
    __tablename__ = "user_roles"
    __table_args__ = (
        CheckConstraint("role IN ('admin','finance','project_manager','participant')", name="role"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    user: Mapped[User] = relationship(back_populates="roles")


TOKEN_SCOPES = ("role", "read_only")


class ApiToken(Base):
    """A revocable bearer token; only its SHA-256 is stored, the token itself is shown once.

    ``scope``: ``role`` acts with the holder's roles at the time of use; ``read_only`` may only read
    (GET and HEAD). Every token expires; ``last_used_at`` is written at most once a minute.
    """

    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint("scope IN ('role','read_only')", name="scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), server_default=func.now())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    scope: Mapped[str] = mapped_column(String(16), default="role", server_default="role")


class ProjectManager(Base):
    """A project manager assigned to a project: they see and act on only the projects assigned to them.

    Assigned by an administrator or finance, never by the project manager themselves.
    """

    __tablename__ = "project_managers"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    assigned_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), server_default=func.now())


class RateLimitCounter(Base):
    """Hits per key per fixed window, kept in the database so every worker and host shares them."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class LoginThrottle(Base):
    """Sign-in attempts per account or per address, and how long the next one must wait.

    Each attempt is counted before its password is checked, in one guarded upsert, so that forty attempts at
    the same moment check at most the limit; past the limit each failure doubles the wait (growing delays,
    never a lockout an attacker could impose for good). Times are whole seconds since the epoch.
    """

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[int] = mapped_column(Integer, default=0)


class RecoveryCode(Base):
    """A one-time code that signs in instead of an authenticator app's; only its argon2 hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class IdempotentRequest(Base):
    """A POST sent with an ``Idempotency-Key`` header, and the answer it got, so a replay gets the same answer.

    Keys are the caller's own: unique per user, so one user's key never blocks another's request. The row is
    written in the request's transaction and its answer filled in once the change has committed; a request
    that failed leaves no row (see ``ledger.auth.idempotency``).
    """

    __tablename__ = "idempotent_requests"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotent_requests_user_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    request_hash: Mapped[str] = mapped_column(String(64))
    # Empty until the change has committed: a replay arriving in between waits, then is told to retry.
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
