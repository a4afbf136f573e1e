"""A date asked for as three fields, day, month and year: the design system's date input, read by WTForms.

People find a three-field date easier than a calendar or a typed ISO date, and each part can be checked and
named: "The date must include a year". The form posts ``<name>-day``, ``<name>-month`` and ``<name>-year``;
an ISO date under ``<name>`` itself (``2026-12-14``, as an API client, a hidden field or an older page
sends) is read too. ``data`` is a ``datetime.date`` or None; ``parts`` keeps what was typed, to show again.
"""

from __future__ import annotations

import datetime as dt

from wtforms import Field
from wtforms.validators import StopValidation

PARTS = ("day", "month", "year")


class DateInputsField(Field):
    """A date from three inputs; empty is None (add ``DataRequired`` or check it yourself when it is needed)."""

    def __init__(self, label: str | None = None, validators=None, **kwargs) -> None:
        super().__init__(label, validators, **kwargs)
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
        parts = {p: (formdata.get(f"{self.name}-{p}") or "").strip() for p in PARTS}
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
            self.data = dt.date.fromisoformat(whole)
        except ValueError:
            self.data = None
            self._fail("Enter a real date, like 14 12 2026.", PARTS)
            return
        self.parts = {"day": str(self.data.day), "month": str(self.data.month), "year": str(self.data.year)}

    def _read_parts(self, parts: dict[str, str]) -> None:
        self.data = None
        missing = tuple(p for p in PARTS if not parts[p])
        if len(missing) == len(PARTS):
            return
        if missing:
            self._fail(f"The date must include a {' and a '.join(missing)}.", missing)
            return
        not_numbers = tuple(p for p in PARTS if not parts[p].isdigit())
        if not_numbers:
            self._fail("Write the date in numbers, like 14 12 2026.", not_numbers)
            return
        if len(parts["year"]) != 4:
            self._fail("The year must have 4 numbers, like 2026.", ("year",))
            return
        try:
            self.data = dt.date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
        except ValueError:
            self._fail("Enter a real date, like 14 12 2026.", PARTS)

    def _fail(self, message: str, parts: tuple[str, ...]) -> None:
        self._problem = message
        self.error_parts = parts
        self.error_part = parts[0]

    def pre_validate(self, form):
        if self._problem:
            raise StopValidation(self._problem)

    def _value(self) -> str:
        """The date as ISO (for a hidden field re-posting it), or what was typed when it is not a date."""
        return self.data.isoformat() if isinstance(self.data, dt.date) else ""
