"""Refuse, before any view or permission check runs, a request the database could not store or Python could
not read: the limits are ``ledger.bounds``'s, applied here to the path, the query string, the form, the
JSON body and the headers that reach the database (the bearer token and the idempotency key).

Every page and every API route goes through this one hook, so a NUL byte, a lone surrogate, an id beyond
PostgreSQL's ``integer``, a JSON body nested 100,000 deep or larger than ``JSON_MAX_BYTES`` answers 400 or
413 naming the field, never a 500 and never a half write. Record ids in a path are bounded by the
``int`` converter itself (``RecordNumberConverter``), so an id too large simply matches no route: 404.
"""

from __future__ import annotations

import json

from flask import Flask, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import IntegerConverter

from ledger import bounds
from ledger.errors import ValidationError

#: The headers whose values are looked up in the database.
_STORED_HEADERS = ("Authorization", "Idempotency-Key")


class RecordNumberConverter(IntegerConverter):
    """``<int:claim_id>``, bounded to PostgreSQL's ``integer``: a larger id matches no route (404)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = bounds.INT_MAX, signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _refuse(found: dict[str, list[str]]) -> None:
    if found:
        names = ", ".join(sorted(found))
        raise ValidationError(f"Please correct: {names}.", fields=found)


def _check_pairs(pairs, where: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in pairs:
        if not isinstance(value, str):
            continue
        why = bounds.unstorable_text(name) or bounds.text_value_problems(name, value)
        if why:
            found.setdefault(name, []).append(f"{where}: {why}" if where else why)
    return found


def _check_json() -> dict[str, list[str]]:
    limit = int(current_app.config.get("JSON_MAX_BYTES") or 0)
    if request.content_length is not None and limit and request.content_length > limit:
        raise RequestEntityTooLarge(f"A JSON body may be at most {limit} bytes.")
    data = request.get_data(cache=True)
    if limit and len(data) > limit:
        raise RequestEntityTooLarge(f"A JSON body may be at most {limit} bytes.")
    if not data:
        return {}
    try:
        parsed = json.loads(data)
    except RecursionError:
        return {"_schema": [f"The JSON nests deeper than {bounds.MAX_JSON_DEPTH} levels."]}
    except ValueError:
        return {}  # not JSON at all: the API's parser answers that, naming the body
    return bounds.json_problems(parsed)


def check_request() -> None:
    """The ``before_request`` hook: refuse what cannot be stored, naming each field, with 400 (or 413)."""
    found = _check_pairs((request.view_args or {}).items(), "")
    found |= _check_pairs(request.args.items(multi=True), "")
    found |= _check_pairs(((name, request.headers.get(name)) for name in _STORED_HEADERS
                           if name in request.headers), "header")
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.is_json:
            found |= _check_json()
        elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            found |= _check_pairs(request.form.items(multi=True), "")
    _refuse(found)


def init_app(app: Flask) -> None:
    """Bound ``<int:...>`` path values and check every request first (before sign-in and CSRF)."""
    app.url_map.converters["int"] = RecordNumberConverter
    app.before_request(check_request)
