"""Dates typed as three boxes (day, month, year), as the GOV.UK date input asks for them, read in one place.

A page posts ``<name>-day``, ``<name>-month`` and ``<name>-year``; a client that posts ``<name>`` as an ISO date
(``2026-10-31``, as the forms took before) is still understood, so no existing field is renamed. A date that is
incomplete or not real is refused with a message saying which part to put right.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from werkzeug.datastructures import MultiDict
from wtforms import DateField
from wtforms.utils import unset_value
from wtforms.validators import StopValidation

PARTS = ("day", "month", "year")


def date_from_parts(day: str, month: str, year: str, *, what: str = "The date") -> dt.date:
    """The date the three boxes say, or ValueError with a message naming the part to put right."""
    typed = {"day": day.strip(), "month": month.strip(), "year": year.strip()}
    missing = [part for part in PARTS if not typed[part]]
    if missing:
        raise ValueError(f"{what} must include a {' and a '.join(missing)}.")
    if not all(value.isdigit() for value in typed.values()):
        raise ValueError(f"{what} must be numbers only, for example 27 3 2026.")
    if len(typed["year"]) != 4:
        raise ValueError(f"{what}'s year must have 4 numbers, for example 2026.")
    try:
        return dt.date(int(typed["year"]), int(typed["month"]), int(typed["day"]))
    except ValueError:
        raise ValueError(f"{what} must be a real date, for example 27 3 2026.") from None


def parts_typed(formdata: Mapping[str, str], name: str) -> tuple[str, str, str] | None:
    """What was typed in the three boxes of ``name``; None when the page posted none of them."""
    if not any(f"{name}-{part}" in formdata for part in PARTS):
        return None
    day, month, year = (str(formdata.get(f"{name}-{part}") or "") for part in PARTS)
    return day, month, year


class DayMonthYearField(DateField):
    """A date field typed as day, month and year; an ISO date under the field's own name still works."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.parts: tuple[str, str, str] | None = None

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.parts = parts_typed(formdata, self.name) if formdata is not None else None
        if self.parts is not None:
            # The boxes stand in for the one ISO value the field reads; parsing them is process_formdata's.
            formdata = MultiDict({self.name: "-".join(self.parts)})
        super().process(formdata, data, extra_filters)

    def process_formdata(self, valuelist):
        if self.parts is None:
            super().process_formdata(valuelist)
            return
        if not any(part.strip() for part in self.parts):
            self.data = None
            return
        self.data = None
        self.data = date_from_parts(*self.parts, what=self.label.text if self.label else "The date")

    def pre_validate(self, form):
        # A date typed wrong keeps its own message: DataRequired would otherwise replace it with "enter a date".
        if self.parts is not None and self.process_errors:
            raise StopValidation()

    def shown_parts(self) -> tuple[str, str, str]:
        """What the three boxes show: what was typed, or the field's date, or nothing."""
        if self.parts is not None:
            return self.parts
        if isinstance(self.data, dt.date):
            return str(self.data.day), str(self.data.month), str(self.data.year)
        return "", "", ""
