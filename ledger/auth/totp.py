"""The second factor: a six-digit code from an authenticator app (TOTP, RFC 6238), or a one-time recovery code.

Invariants:

- The secret is kept only encrypted, with the same Fernet keys as bank details (``BankCipher``); it is shown
  once, as a QR code and a key to type, while it is being set up, and never again.
- A code is accepted for its 30-second step or the one either side (a phone's clock drifts), and each step at
  most once: the last step accepted is moved on with a guarded UPDATE, so the same code replayed, or sent
  twice at the same moment, signs in once only.
- Recovery codes (ten, shown once when the app is set up) are kept as argon2 hashes; each works once.
- Finance and administrators must have it when the organisation requires it (``TOTP_REQUIRED``): until they have
  set it up, the pages send them to set it up before anything else.

Nothing here imports Flask; every change is an event on the user.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any, cast

import pyotp
import segno
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from ledger.auth.models import RecoveryCode, User
from ledger.auth.passwords import hash_one_time_code, verify_password
from ledger.auth.users import get_user
from ledger.db import utcnow
from ledger.errors import Conflict, ValidationError
from ledger.events.records import NewEvent
from ledger.events.writer import record_event
from ledger.people.bank import BankCipher

#: The roles that must sign in with a second factor when the organisation requires it.
ROLES_NEEDING_TOTP = frozenset({"finance", "admin"})
RECOVERY_CODES = 10
ISSUER = "Co-production payments"
STEP_SECONDS = 30


@dataclass(frozen=True, slots=True)
class Enrolment:
    """What a person needs to add the account to their authenticator app: shown once, while setting it up."""

    secret: str
    uri: str
    qr_svg: str

    @property
    def grouped_secret(self) -> str:
        """The key in groups of four, as it is easiest to type."""
        return " ".join(self.secret[i:i + 4] for i in range(0, len(self.secret), 4))


def needs_totp(user: User, required: bool) -> bool:
    """Whether this user must sign in with a second factor."""
    return required and bool(user.role_names & ROLES_NEEDING_TOTP)


def has_totp(user: User) -> bool:
    return user.totp_enabled_at is not None


def must_enrol(user: User, required: bool) -> bool:
    """A finance or admin user who has not yet set up their authenticator app, where the organisation requires it."""
    return needs_totp(user, required) and not has_totp(user)


def _event(session: Session, user: User, action: str, actor: int | None, **details) -> None:
    record_event(session, NewEvent(subject="user", subject_id=user.id, action=action, actor_user_id=actor,
                                   details=details or None, participant_id=user.participant_id))


def _enrolment(user: User, secret: str) -> Enrolment:
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return Enrolment(secret=secret, uri=uri, qr_svg=segno.make(uri, error="m").svg_inline(scale=5, border=2))


def start_enrolment(session: Session, user_id: int, cipher: BankCipher) -> Enrolment:
    """A new secret, kept (encrypted) until a code from it confirms it; set up already is refused."""
    user = get_user(session, user_id)
    if has_totp(user):
        raise Conflict("Your authenticator app is already set up.", fields={"code": ["already set up"]})
    secret = pyotp.random_base32()
    user.totp_secret_encrypted = cipher.encrypt_text(secret)
    user.totp_last_step = None
    session.flush()
    return _enrolment(user, secret)


def pending_enrolment(session: Session, user_id: int, cipher: BankCipher) -> Enrolment | None:
    """The secret being set up (shown again while the person finds their phone), or None."""
    user = get_user(session, user_id)
    if has_totp(user) or not user.totp_secret_encrypted:
        return None
    return _enrolment(user, cipher.decrypt_text(user.totp_secret_encrypted))


def _clean(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def _matching_step(secret: str, code: str, at: float) -> int | None:
    """The time step (this one or either side) whose code this is, or None."""
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp, step = pyotp.TOTP(secret), int(at // STEP_SECONDS)
    for candidate in (step, step - 1, step + 1):
        if secrets.compare_digest(totp.at(candidate * STEP_SECONDS), code):
            return candidate
    return None


def _take_step(session: Session, user_id: int, step: int) -> bool:
    """Move the last accepted step on to ``step``; False when it (or a later one) was accepted already."""
    moved = session.execute(
        update(User).where(User.id == user_id, (User.totp_last_step.is_(None)) | (User.totp_last_step < step))
        .values(totp_last_step=step))
    return cast(CursorResult[Any], moved).rowcount == 1


def confirm_enrolment(session: Session, user_id: int, code: str, cipher: BankCipher, *,
                      now: dt.datetime | None = None) -> list[str]:
    """Turn the second factor on once a code from the app matches; return the recovery codes (shown once)."""
    user = get_user(session, user_id)
    if has_totp(user):
        raise Conflict("Your authenticator app is already set up.", fields={"code": ["already set up"]})
    if not user.totp_secret_encrypted:
        raise Conflict("Start setting up your authenticator app first.", fields={"code": ["not started"]})
    now = now or utcnow()
    step = _matching_step(cipher.decrypt_text(user.totp_secret_encrypted), _clean(code), now.timestamp())
    if step is None or not _take_step(session, user.id, step):
        raise ValidationError("That code does not match. Enter the 6 digits your authenticator app shows now.",
                              fields={"code": ["does not match"]})
    session.refresh(user)
    user.totp_enabled_at = now
    codes = _new_recovery_codes(session, user, now)
    _event(session, user, "enable_totp", user.id, recovery_codes=len(codes))
    return codes


def _new_recovery_codes(session: Session, user: User, now: dt.datetime) -> list[str]:
    session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=hash_one_time_code(_clean(c)), created_at=now)
                    for c in codes)
    session.flush()
    return codes


def check_second_factor(session: Session, user_id: int, code: str, cipher: BankCipher, *,
                        now: dt.datetime | None = None) -> str | None:
    """Check a sign-in's code: ``"totp"`` or ``"recovery_code"`` when it is good (and now used), else None.

    A TOTP code is good once only; a recovery code (``xxxxxxxx-xxxxxxxx``) once only, and using one is an event.
    """
    user = get_user(session, user_id)
    if not has_totp(user) or not user.totp_secret_encrypted:
        return None
    now, cleaned = now or utcnow(), _clean(code)
    step = _matching_step(cipher.decrypt_text(user.totp_secret_encrypted), cleaned, now.timestamp())
    if step is not None:
        return "totp" if _take_step(session, user.id, step) else None
    if len(cleaned) != 16:
        return None
    unused = session.execute(select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                        RecoveryCode.used_at.is_(None))).scalars().all()
    for row in unused:
        if verify_password(row.code_hash, cleaned):
            taken = session.execute(update(RecoveryCode).where(RecoveryCode.id == row.id,
                                                               RecoveryCode.used_at.is_(None)).values(used_at=now))
            if cast(CursorResult[Any], taken).rowcount != 1:
                return None
            _event(session, user, "use_recovery_code", user.id, left=len(unused) - 1)
            return "recovery_code"
    return None


def recovery_codes_left(session: Session, user_id: int) -> int:
    return len(session.execute(select(RecoveryCode.id).where(RecoveryCode.user_id == user_id,
                                                             RecoveryCode.used_at.is_(None))).all())


def reset_second_factor(session: Session, user_id: int, *, actor_user_id: int | None, reason: str | None) -> User:
    """An administrator turns someone's second factor off (a lost phone and no recovery codes left).

    They set it up again at their next sign-in; an administrator cannot reset their own.
    """
    user = get_user(session, user_id)
    if actor_user_id == user.id:
        raise Conflict("You cannot reset your own second factor; ask another administrator.",
                       fields={"user_id": ["self"]})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the second factor is being reset (for example, a lost phone).",
                              fields={"reason": ["required"]})
    if not has_totp(user) and not user.totp_secret_encrypted:
        raise Conflict(f"{user.display_name} has no authenticator app set up.", fields={"user_id": ["no totp"]})
    user.totp_secret_encrypted = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.session_version += 1
    session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
    session.flush()
    record_event(session, NewEvent(subject="user", subject_id=user.id, action="reset_totp",
                                   actor_user_id=actor_user_id, reason=reason[:500],
                                   participant_id=user.participant_id))
    return user
