"""Passwords: hashed with argon2id (argon2-cffi, rehashed when its parameters are raised), and never one of the
commonly used or breached passwords people are most often caught by.

``common-passwords.txt`` beside this module holds the 30,000 passwords most often found in breaches, from the
``passwords`` frequency list of zxcvbn 4.5.0 (Dropbox's password-strength estimator, MIT licence; that list is
drawn from Mark Burnett's and xato.net's breached-password corpora). Every password someone sets (accepting an
invitation, changing it, an administrator's reset, ``ledger create-user``) is checked against it, ignoring
case; a password that only signs in (and is rehashed) is not, so nobody is locked out by a new list.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ledger.errors import ValidationError

_hasher = PasswordHasher()
MIN_LENGTH = 10
MAX_LENGTH = 200


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common and breached passwords, lower-cased."""
    text = files("ledger.auth").joinpath("data/common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def check_new_password(password: str, field: str = "password") -> str:
    """Refuse a password that is too short, too long, or among the common and breached passwords."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise ValidationError(f"A password needs at least {MIN_LENGTH} characters.",
                              fields={field: ["too short"]})
    if len(password) > MAX_LENGTH:
        raise ValidationError(f"A password can be at most {MAX_LENGTH} characters.", fields={field: ["too long"]})
    if password.strip().lower() in common_passwords() or len(set(password)) < 3:
        raise ValidationError(
            "That password is one of the most commonly used or breached passwords, so it would be guessed "
            "quickly. Choose another: three or four random words together are easy to remember and hard to guess.",
            fields={field: ["too common"]})
    return password


def hash_password(password: str) -> str:
    """Check a password someone is setting, then hash it."""
    return _hasher.hash(check_new_password(password))


def rehash_password(password: str) -> str:
    """Hash again a password that has just signed in (its hash's parameters are out of date)."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def hash_one_time_code(code: str) -> str:
    """Hash a machine-made one-time code (a recovery code): random already, so no list to check it against."""
    return _hasher.hash(code)
