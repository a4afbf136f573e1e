"""Special-category personal data encrypted at rest: one column type for every such field.

Benefit declarations and circumstances, dates of birth, access needs and receipt files are health and
benefit data (UK GDPR article 9): a copy of the database, a backup or a log of SQL must not show them. Each
is stored as a Fernet token (AES-128-CBC with HMAC-SHA256, the same keyed encryption as bank details) by the
column types below, so no service can forget to encrypt and no query returns clear text by accident.

The key is ``PERSONAL_DATA_KEY`` (``BANK_DETAILS_KEY`` when unset): several Fernet keys separated by commas,
the first encrypting and every one decrypting, so a new key is put first, ``ledger rotate-keys`` re-encrypts
every token with it in small batches while the app keeps running, and only then is the old key removed.

A column type sees only the dialect, never the app, so the key is installed once for the process by
``create_app`` (``use_personal_data_key``). Until then (a script or a test without an app) the development
key is used; production refuses to start without real keys (``ledger.config.check_production``).

Nothing encrypted here is ever compared in SQL: the one lookup on such a field (a second record with the
same name and date of birth) reads the few records with that name and compares in Python, so no keyed
blind index is needed.

Nothing here imports Flask.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import JSON, Dialect, LargeBinary, Text
from sqlalchemy.types import TypeDecorator

from ledger.errors import ConfigurationError

#: The development key (the same as ``ledger.config.DEV_BANK_DETAILS_KEY``; not imported, to keep this low).
DEV_KEY = "ZGV2ZWxvcG1lbnQtb25seS1rZXktMzItYnl0ZXMhISE="


class PersonalDataCipher:
    """Encrypts with the first of several Fernet keys and decrypts with any of them."""

    def __init__(self, keys: str, *, setting: str = "PERSONAL_DATA_KEY"):
        parts = [k.strip() for k in keys.split(",") if k.strip()] if isinstance(keys, str) else []
        try:
            self._fernets = [Fernet(k) for k in parts]
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(f"{setting} is not a valid Fernet key (32 url-safe base64-encoded bytes); "
                                     "several keys are separated by commas.") from exc
        if not self._fernets:
            raise ConfigurationError(f"{setting} needs at least one Fernet key.")
        self._multi = MultiFernet(self._fernets)
        self._setting = setting

    def encrypt(self, data: bytes) -> bytes:
        return self._multi.encrypt(data)

    def decrypt(self, token: bytes) -> bytes:
        try:
            return self._multi.decrypt(token)
        except InvalidToken as exc:
            raise ConfigurationError(
                f"Stored personal data cannot be decrypted with {self._setting}: the key has changed. "
                "Add the old key after the new one, separated by a comma.") from exc

    def is_current(self, token: bytes) -> bool:
        """True when the first (newest) key already encrypts this token: rotation can skip it."""
        try:
            self._fernets[0].decrypt(token)
        except InvalidToken:
            return False
        return True

    def rotate(self, token: bytes) -> bytes:
        """The same data encrypted with the first key (its original timestamp kept)."""
        try:
            return self._multi.rotate(token)
        except InvalidToken as exc:
            raise ConfigurationError(
                f"A stored token cannot be decrypted with any key in {self._setting}: rotation stopped.") from exc


_cipher: PersonalDataCipher | None = None


def use_personal_data_key(keys: str) -> PersonalDataCipher:
    """Install the keys every encrypted column of this process uses (``create_app`` calls it once)."""
    global _cipher
    _cipher = PersonalDataCipher(keys)
    return _cipher


def personal_data_cipher() -> PersonalDataCipher:
    """The installed cipher; the development key until ``use_personal_data_key`` is called."""
    global _cipher
    if _cipher is None:
        _cipher = PersonalDataCipher(DEV_KEY)
    return _cipher


class EncryptedText(TypeDecorator[str]):
    """Text kept as a Fernet token."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else personal_data_cipher().encrypt(value.encode()).decode("ascii")

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else personal_data_cipher().decrypt(value.encode("ascii")).decode()


class EncryptedDate(TypeDecorator[dt.date]):
    """A date (of birth) kept as a Fernet token of its ISO form."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: dt.date | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return personal_data_cipher().encrypt(value.isoformat().encode()).decode("ascii")

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.date | None:
        if value is None:
            return None
        return dt.date.fromisoformat(personal_data_cipher().decrypt(value.encode("ascii")).decode())


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON value kept as a Fernet token, itself stored as a JSON string (the column stays JSON)."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return personal_data_cipher().encrypt(json.dumps(value, sort_keys=True).encode()).decode("ascii")

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return json.loads(personal_data_cipher().decrypt(str(value).encode("ascii")))


class EncryptedBytes(TypeDecorator[bytes]):
    """A file (a receipt) kept as the bytes of a Fernet token."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        return None if value is None else personal_data_cipher().encrypt(bytes(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> bytes | None:
        return None if value is None else personal_data_cipher().decrypt(bytes(value))


ENCRYPTED_TYPES = (EncryptedText, EncryptedDate, EncryptedJSON, EncryptedBytes)
