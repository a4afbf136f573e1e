"""The limits on what a request may carry, so that no input, however odd, reaches the database as a 500.

PostgreSQL is production: its ``integer`` columns (every record id) hold up to 2,147,483,647, its ``bigint``
columns (amounts in pence) up to 9,223,372,036,854,775,807, and its text columns no NUL byte. Python's JSON
reader accepts a lone surrogate (``"\\ud800"``), which no UTF-8 column can store, and any nesting depth, which
ends in a ``RecursionError``. These checks refuse each of those at the edge, naming the field, before a
service runs; SQLite would store some of them and PostgreSQL would refuse them mid-transaction.

Dates a person or a client types are held to a plausible range (``EARLIEST_DATE`` to ``LATEST_DATE``): a
year 9999 is a slip of the keyboard, not a payment date, and beyond it ``date + timedelta`` overflows.

Pure functions on plain values: the web layer's request hook (``ledger.web.request_limits``) applies them
to query strings, forms, JSON bodies and path values; the API's date field and the page's date input use
``check_plausible_date``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from ledger.errors import ValidationError

#: The largest value of PostgreSQL's ``integer``: every record id is one.
INT_MAX = 2**31 - 1
#: The largest value of PostgreSQL's ``bigint``: amounts in pence and minutes are at most this.
BIGINT_MAX = 2**63 - 1
#: How deeply a JSON body may nest objects and lists (the deepest real body, a budget plan, needs 5).
MAX_JSON_DEPTH = 32
EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
#: A date of birth is the one date a person gives from before 2000.
EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)


def is_id_name(name: str) -> bool:
    """Whether a field names a record by its id (``id``, ``claim_id``, ``participant_ids``)."""
    return name == "id" or name.endswith(("_id", "_ids"))


def unstorable_text(text: str) -> str | None:
    """Why this text cannot be stored (a NUL byte or a lone surrogate), or None when it can."""
    if "\x00" in text:
        return "must not contain a NUL character (a zero byte)."
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a broken character (a lone surrogate): send it as UTF-8 text."
    return None


def integer_problem(name: str, value: int) -> str | None:
    """Why this whole number cannot be stored under this field name, or None when it can."""
    if is_id_name(name) and abs(value) > INT_MAX:
        return f"must be a record number no larger than {INT_MAX}."
    if abs(value) > BIGINT_MAX:
        return f"must be between -{BIGINT_MAX} and {BIGINT_MAX}."
    return None


def text_value_problems(name: str, value: str) -> str | None:
    """Why a text value from a query string, a form or a path cannot be used (an id too large included)."""
    why = unstorable_text(value)
    if why is None and value.strip().isdigit() and value.strip().isascii():
        digits = value.strip()
        # A number too long to be read at all is refused before Python is asked to read it.
        why = "is too large a number." if len(digits) > 40 else integer_problem(name, int(digits))
    return why


def _walk(value: Any, path: str, depth: int) -> Iterator[tuple[str, str]]:
    """Every (field, problem) in a JSON value; iterative over siblings, bounded in depth by the caller."""
    stack: list[tuple[Any, str, int, str]] = [(value, path, depth, path.rsplit(".", 1)[-1])]
    while stack:
        item, where, level, name = stack.pop()
        if level > MAX_JSON_DEPTH:
            yield where or "_schema", f"nests deeper than {MAX_JSON_DEPTH} levels."
            return
        if isinstance(item, str):
            why = unstorable_text(item)
            if why:
                yield where or "_schema", why
        elif isinstance(item, bool) or item is None or isinstance(item, float):
            continue
        elif isinstance(item, int):
            why = integer_problem(name, item)
            if why:
                yield where or "_schema", why
        elif isinstance(item, dict):
            for key, inner in item.items():
                key_problem = unstorable_text(key)
                child = f"{where}.{key}" if where else key
                if key_problem:
                    yield where or "_schema", f"has a field name that {key_problem}"
                    continue
                stack.append((inner, child, level + 1, key))
        elif isinstance(item, list):
            for index, inner in enumerate(item):
                # A list's items take the list's name: the ids in ``participant_ids`` are ids.
                stack.append((inner, f"{where}.{index}" if where else str(index), level + 1, name))


def json_problems(value: Any) -> dict[str, list[str]]:
    """The fields of a parsed JSON body that cannot be stored, with why; empty when all can."""
    found: dict[str, list[str]] = {}
    for where, why in _walk(value, "", 0):
        found.setdefault(where, []).append(why)
        if len(found) >= 20:
            break
    return found


def check_plausible_date(value: dt.date, field: str = "date") -> dt.date:
    """The date, or ValidationError naming ``field`` when it falls outside 2000 to 2100."""
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValidationError(
            f"{field} must be between {EARLIEST_DATE.year} and {LATEST_DATE.year}.",
            fields={field: [f"must be between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}"]})
    return value
