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
    """The ISO date in ``?name=`` or in the three fields ``?name-day=&name-month=&name-year=`` (the design
    system's date input), or ``default`` when it is absent."""
    raw = request.args.get(name)
    parts = [request.args.get(f"{name}-{part}", "").strip() for part in ("year", "month", "day")]
    if not raw and any(parts):
        if not all(p.isdigit() for p in parts):
            raise ValidationError(f"The {name} date must have a day, a month and a year in numbers, like 14 12 2026.",
                                  fields={name: ["invalid"]})
        raw = f"{int(parts[0]):04d}-{int(parts[1]):02d}-{int(parts[2]):02d}"
    if not raw:
        return default
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(f"{name} must be a date like 2025-06-30.", fields={name: ["invalid"]}) from None
