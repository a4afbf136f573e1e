"""UK bank details: checked for format, encrypted at rest with Fernet, shown only masked.

The key comes from the caller (the app passes ``BANK_DETAILS_KEY``); nothing here reads Flask. Several
keys may be given, separated by commas: the first encrypts, any of them decrypts, so the key can be
rotated without re-entering everyone's details at once.

Only the format is checked (a sort code of 6 digits, an account number of 8). A modulus check needs
Vocalink's weight table, which changes several times a year; checking against a stale copy would refuse
real accounts, so it is left to the bank (and to the payee confirming their details).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from ledger.errors import ConfigurationError, ValidationError

_SEPARATORS = re.compile(r"[\s-]")
_ROLL = re.compile(r"^[A-Za-z0-9 .\-/]+$")


@dataclass(frozen=True, slots=True)
class BankDetails:
    """A payee's full bank details, in clear: for the bank file only."""

    sort_code: str  # six digits, no separators
    account_number: str  # eight digits
    account_name: str
    roll_number: str | None = None  # some building societies need one


@dataclass(frozen=True, slots=True)
class MaskedBankDetails:
    """What anyone is shown of bank details: ``**-**-56`` and ``****1234``."""

    sort_code: str
    account_number: str
    set_at: dt.datetime | None = None
    # A payment to these details came back from the bank on this day (account closed, details wrong, other).
    returned_on: dt.date | None = None
    returned_reason: str | None = None


def mask_sort_code(last2: str) -> str:
    return f"**-**-{last2}"


def mask_account_number(last4: str) -> str:
    return f"****{last4}"


def check_bank_details(
    sort_code: str, account_number: str, account_name: str, roll_number: str | None = None
) -> BankDetails:
    """Normalise and check bank details, naming every field that is wrong."""
    problems: dict[str, list[str]] = {}
    sort = _SEPARATORS.sub("", sort_code or "") if isinstance(sort_code, str) else ""
    if not re.fullmatch(r"\d{6}", sort):
        problems["sort_code"] = ["A sort code is 6 digits, for example 12-34-56."]
    number = _SEPARATORS.sub("", account_number or "") if isinstance(account_number, str) else ""
    if not re.fullmatch(r"\d{8}", number):
        hint = " Some banks use 7 digits: add a 0 at the front." if re.fullmatch(r"\d{7}", number) else ""
        problems["account_number"] = ["A UK account number is 8 digits." + hint]
    name = " ".join(account_name.split()) if isinstance(account_name, str) else ""
    # Any printable name is kept as given; the bank file reduces it to the characters Bacs allows.
    if not name or len(name) > 70 or not name.isprintable():
        problems["account_name"] = ["Give the name on the account, up to 70 characters."]
    roll = None
    if roll_number is not None:
        roll = " ".join(roll_number.split()) if isinstance(roll_number, str) else ""
        if not roll:
            roll = None
        elif len(roll) > 18 or not _ROLL.match(roll):
            problems["roll_number"] = ["A building society roll number is up to 18 letters and digits."]
    if problems:
        raise ValidationError("Please check the bank details: " + ", ".join(sorted(problems)) + ".",
                              fields=problems)
    return BankDetails(sort_code=sort, account_number=number, account_name=name, roll_number=roll)


class BankCipher:
    """Encrypts and decrypts bank details with Fernet (AES-128-CBC with HMAC-SHA256)."""

    def __init__(self, key: str | bytes):
        keys = key.split(",") if isinstance(key, str) else [key]
        try:
            self._fernet = MultiFernet([Fernet(k.strip() if isinstance(k, str) else k) for k in keys if k])
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(
                "BANK_DETAILS_KEY is not a valid Fernet key (32 url-safe base64-encoded bytes)."
            ) from exc

    def encrypt(self, details: BankDetails) -> str:
        body = {"sort_code": details.sort_code, "account_number": details.account_number,
                "account_name": details.account_name, "roll_number": details.roll_number}
        return self._fernet.encrypt(json.dumps(body, sort_keys=True).encode()).decode("ascii")

    def encrypt_text(self, text: str) -> str:
        """Encrypt a short piece of personal data other than bank details (a National Insurance number)."""
        return self._fernet.encrypt(text.encode()).decode("ascii")

    def decrypt_text(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except InvalidToken as exc:
            raise ConfigurationError(
                "Stored personal details cannot be decrypted with BANK_DETAILS_KEY: the key has changed. "
                "Add the old key after the new one, separated by a comma."
            ) from exc

    def decrypt(self, token: str) -> BankDetails:
        try:
            body = json.loads(self._fernet.decrypt(token.encode("ascii")))
        except InvalidToken as exc:
            raise ConfigurationError(
                "Stored bank details cannot be decrypted with BANK_DETAILS_KEY: the key has changed. "
                "Add the old key after the new one, separated by a comma."
            ) from exc
        return BankDetails(sort_code=body["sort_code"], account_number=body["account_number"],
                           account_name=body["account_name"], roll_number=body.get("roll_number"))
