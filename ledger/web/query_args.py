"""Reading optional values from a page's query string, with errors a person can act on."""

from __future__ import annotations

import datetime as dt
from typing import overload

from flask import request

from ledger.bounds import check_plausible_date
from ledger.errors import ValidationError
from ledger.web.date_inputs import DateProblem, date_from_parts, parts_typed


@overload
def date_arg(name: str, default: dt.date) -> dt.date: ...


@overload
def date_arg(name: str, default: None) -> dt.date | None: ...


def date_arg(name: str, default: dt.date | None) -> dt.date | None:
    """The date in ``?name-day=&name-month=&name-year=`` (the three boxes) or the ISO date in ``?name=``;
    ``default`` when it is absent."""
    typed = parts_typed(request.args, name)
    if any(typed.values()):
        try:
            return date_from_parts(typed["day"], typed["month"], typed["year"])
        except DateProblem as error:
            raise ValidationError(str(error), fields={name: [str(error)]}) from None
    raw = request.args.get(name)
    if not raw:
        return default
    try:
        return check_plausible_date(dt.date.fromisoformat(raw), name)
    except ValueError:
        raise ValidationError(f"{name} must be a date like 2025-06-30.", fields={name: ["invalid"]}) from None


def page_arg(name: str = "page") -> int:
    """The page number in ``?page=`` (1 when absent): a long list is shown a page at a time."""
    raw = request.args.get(name)
    if not raw:
        return 1
    if not raw.isdigit() or int(raw) < 1:
        raise ValidationError(f"{name} must be a whole number from 1.", fields={name: ["invalid"]})
    return int(raw)
