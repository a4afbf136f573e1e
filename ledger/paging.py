"""Keyset cursors, the one way every list in the ledger is read a page at a time.

A cursor is the sort key of the last row a page showed, wrapped so a client treats it as opaque: the next
page is the rows after that key, so rows written while someone pages through are never skipped or shown
twice (as an offset would). Each list names its own ``prefix`` and key shape, so a cursor from one list is
refused by another, naming ``cursor``. The claims, participants, payment runs, entries and events lists
(``GET /api/v1/...``) all page through here; the API adds a ``next`` link beside each ``next_cursor``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ledger.errors import ValidationError

T = TypeVar("T")


def encode_cursor(prefix: str, *key: int | str) -> str:
    """The cursor after a row with this sort key (``prefix`` names the list)."""
    body = str(key[0]) if len(key) == 1 and isinstance(key[0], int) else json.dumps(list(key), separators=(",", ":"))
    return base64.urlsafe_b64encode(f"{prefix}{body}".encode()).decode().rstrip("=")


def _refused() -> ValidationError:
    return ValidationError("cursor is not one this list gave out: start again from the first page.",
                           fields={"cursor": ["invalid"]})


def decode_cursor(prefix: str, cursor: str | None, shape: Sequence[type]) -> tuple | None:
    """The sort key a cursor carries, each part of the type ``shape`` says; None for the first page."""
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _refused() from None
    if not text.startswith(prefix):
        raise _refused()
    try:
        key: Any = json.loads(text.removeprefix(prefix))
    except (ValueError, RecursionError):
        raise _refused() from None
    key = [key] if not isinstance(key, list) else key
    if len(key) != len(shape) or any(type(part) is not kind for part, kind in zip(key, shape, strict=True)):
        raise _refused()
    if any(isinstance(part, int) and not 0 <= part <= 2**63 - 1 for part in key):
        raise _refused()
    return tuple(key)


def parse_limit(raw: str | int | None, *, default: int, maximum: int) -> int:
    """A page size from a query string: a whole number from 1 to ``maximum``, naming ``limit`` if not."""
    if raw is None or raw == "":
        return default
    text = str(raw)
    if not (text.isascii() and text.isdigit()) or len(text) > 8 or not 1 <= int(text) <= maximum:
        raise ValidationError(f"limit must be a whole number from 1 to {maximum}.", fields={"limit": ["invalid"]})
    return int(text)


def page_of(rows: Sequence[T], limit: int, prefix: str, key: Callable[[T], tuple]) -> tuple[list[T], str | None]:
    """The first ``limit`` of rows read as ``limit + 1``, and the cursor after them (None on the last page)."""
    shown = list(rows[:limit])
    more = len(rows) > limit
    return shown, (encode_cursor(prefix, *key(shown[-1])) if more and shown else None)
