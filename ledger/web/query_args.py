"""Reading optional values from a page's query string, with errors a person can act on."""

from __future__ import annotations

import datetime as dt
from typing import overload

from flask import request

from ledger.errors import ValidationError


@overload
def date_arg(name: str, default: dt.date) -> dt.date: ...


@overload
def date_arg(name: str, default: None) -> dt.date | None: ...


def date_arg(name: str, default: dt.date | None) -> dt.date | None:
    """The ISO date in ``?name=``, or ``default`` when it is absent."""
    raw = request.args.get(name)
    if not raw:
        return default
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(f"{name} must be a date like 2025-06-30.", fields={name: ["invalid"]}) from None
