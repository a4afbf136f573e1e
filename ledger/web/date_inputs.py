"""A date asked for as three fields, day, month and year: the design system's date input, read by WTForms.

People find a three-field date easier than a calendar or a typed ISO date, and each part can be checked and
named: "The date must include a year". The form posts ``<name>-day``, ``<name>-month`` and ``<name>-year``;
an ISO date under ``<name>`` itself (``2026-12-14``, as an API client, a hidden field or an older page
sends) is read too. ``data`` is a ``datetime.date`` or None; ``parts`` keeps what was typed, to show again.

``date_from_parts`` is the one reader of three typed parts: the field uses it, and so does
``ledger.web.query_args.date_arg`` for a date in a page's query string, so every date a person types is
refused with the same message naming the part to put right.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from wtforms import Field
from wtforms.validators import StopValidation

from ledger.bounds import EARLIEST_DATE, LATEST_DATE

PARTS = ("day", "month", "year")


class DateProblem(ValueError):
    """Raised when three typed parts do not make a date; ``parts`` are the ones to put right."""

    def __init__(self, message: str, parts: tuple[str, ...]) -> None:
        super().__init__(message)
        self.parts = parts


def date_from_parts(day: str, month: str, year: str, *, what: str = "The date") -> dt.date:
    """The date the three parts say, or DateProblem naming the part to fix (``what`` starts "must include")."""
    typed = {"day": day.strip(), "month": month.strip(), "year": year.strip()}
    missing = tuple(p for p in PARTS if not typed[p])
    if missing:
        raise DateProblem(f"{what} must include a {' and a '.join(missing)}.", missing)
    not_numbers = tuple(p for p in PARTS if not typed[p].isdigit())
    if not_numbers:
        raise DateProblem("Write the date in numbers, like 14 12 2026.", not_numbers)
    if len(typed["year"]) != 4:
        raise DateProblem("The year must have 4 numbers, like 2026.", ("year",))
    try:
        found = dt.date(int(typed["year"]), int(typed["month"]), int(typed["day"]))
    except (ValueError, OverflowError):
        raise DateProblem("Enter a real date, like 14 12 2026.", PARTS) from None
    return plausible(found)


def plausible(day: dt.date) -> dt.date:
    """The date, or DateProblem on the year when it falls outside ``ledger.bounds``' range (2000 to 2100)."""
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise DateProblem(f"The year must be between {EARLIEST_DATE.year} and {LATEST_DATE.year}.", ("year",))
    return day


def parts_typed(formdata: Mapping[str, str], name: str, old_prefix: str | None = None) -> dict[str, str]:
    """What was typed in ``<name>-day`` and so on (or, for a page from before, ``<old_prefix>day``)."""
    parts = {p: str(formdata.get(f"{name}-{p}") or "").strip() for p in PARTS}
    if old_prefix and not any(parts.values()):
        parts = {p: str(formdata.get(f"{old_prefix}{p}") or "").strip() for p in PARTS}
    return parts


class DateInputsField(Field):
    """A date from three inputs; empty is None (add ``DataRequired`` or check it yourself when it is needed).

    ``old_prefix`` reads the parts a page posted before it used this field (``line1_day`` for
    ``old_prefix="line1_"``), so a form kept open in a browser across an upgrade still sends.
    """

    def __init__(self, label: str | None = None, validators=None, *, old_prefix: str | None = None,
                 **kwargs) -> None:
        super().__init__(label, validators, **kwargs)
        self.old_prefix = old_prefix
        self.parts: dict[str, str] = {}
        self.error_parts: tuple[str, ...] = ()  # the inputs to outline in red
        self.error_part: str | None = None  # the first of them: where the error summary's link goes
        self._problem: str | None = None
        self.data: dt.date | None = None

    def process(self, formdata, data=None, extra_filters=None):
        super().process(None, data, extra_filters)
        self.parts = {}
        if isinstance(self.data, dt.date):
            self.parts = {"day": str(self.data.day), "month": str(self.data.month), "year": str(self.data.year)}
        if formdata is None:
            return
        parts = parts_typed(formdata, self.name, self.old_prefix)
        whole = (formdata.get(self.name) or "").strip()
        if not any(parts.values()) and whole:
            self.raw_data = [whole]
            self._read_iso(whole)
            return
        self.raw_data = [parts[p] for p in PARTS]
        self.parts = parts
        self._read_parts(parts)

    def _read_iso(self, whole: str) -> None:
        try:
            self.data = plausible(dt.date.fromisoformat(whole))
        except DateProblem as problem:
            self.data = None
            self._fail(str(problem), problem.parts)
            return
        except ValueError:
            self.data = None
            self._fail("Enter a real date, like 14 12 2026.", PARTS)
            return
        self.parts = {"day": str(self.data.day), "month": str(self.data.month), "year": str(self.data.year)}

    def _read_parts(self, parts: dict[str, str]) -> None:
        self.data = None
        if not any(parts.values()):
            return
        try:
            self.data = date_from_parts(parts["day"], parts["month"], parts["year"])
        except DateProblem as problem:
            self._fail(str(problem), problem.parts)

    def _fail(self, message: str, parts: tuple[str, ...]) -> None:
        self._problem = message
        self.error_parts = parts
        self.error_part = parts[0]

    def pre_validate(self, form):
        if self._problem:
            raise StopValidation(self._problem)

    @property
    def given(self) -> dt.date:
        """The date of a field its validators made required, once the form has validated."""
        if self.data is None:
            raise LookupError(f"{self.name} has no date: read it only after the form validated")
        return self.data

    def _value(self) -> str:
        """The date as ISO (for a hidden field re-posting it), or what was typed when it is not a date."""
        return self.data.isoformat() if isinstance(self.data, dt.date) else ""
