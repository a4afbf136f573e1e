"""National Insurance numbers: checked against HMRC's format, normalised, shown masked.

A participant may choose to have their National Insurance number printed on their benefits evidence pack,
so a work coach can match it to their claim. It is stored only encrypted (with the same key as bank
details), shown to staff and in the API only masked (``QQ •• •• •• C``), and printed in full only on the
letter itself. Nothing else, not even the event recording that it changed, holds it in clear.

HMRC's rules (National Insurance Manual NIM39110): two prefix letters, six digits, a suffix A, B, C or D.
Neither prefix letter is D, F, I, Q, U or V; the second is not O; the prefixes BG, GB, KN, NK, NT, TN and ZZ
are never issued. Temporary numbers (TN...) and the ``QQ 12 34 56 C`` of HMRC's examples are refused.
"""

from __future__ import annotations

import re

from ledger.errors import ValidationError

FIELD = "national_insurance_number"
_SHAPE = re.compile(r"^([A-Z]{2})(\d{6})([A-D])$")
_NOT_FIRST = set("DFIQUV")
_NOT_SECOND = set("DFIQUVO")
_NEVER_ISSUED = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}
_HOW = "A National Insurance number is 2 letters, 6 numbers and A, B, C or D, for example AB 12 34 56 C."


def normalise_national_insurance_number(value: object) -> str | None:
    """The number as HMRC writes it without spaces (``AB123456C``), or None for an empty value.

    Raises ValidationError naming the field when it is not a number HMRC could have issued.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(_HOW, fields={FIELD: [_HOW]})
    compact = re.sub(r"[\s-]", "", value).upper()
    if not compact:
        return None
    match = _SHAPE.fullmatch(compact)
    if match is None:
        raise ValidationError(_HOW, fields={FIELD: [_HOW]})
    prefix = match.group(1)
    if prefix[0] in _NOT_FIRST or prefix[1] in _NOT_SECOND or prefix in _NEVER_ISSUED:
        message = f"{prefix} is not a prefix HMRC issues: check the first two letters on the letter from HMRC."
        raise ValidationError(message, fields={FIELD: [message]})
    return compact


def spaced(number: str) -> str:
    """``AB123456C`` as printed on HMRC's letters: ``AB 12 34 56 C``."""
    return f"{number[:2]} {number[2:4]} {number[4:6]} {number[6:8]} {number[8]}"


def masked(number: str) -> str:
    """All that screens and the API show: the prefix and suffix letters, ``AB •• •• •• C``."""
    return f"{number[:2]} •• •• •• {number[8]}"
