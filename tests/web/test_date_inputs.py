"""A date asked for as day, month and year: what a person types is read, or refused naming the part to fix."""

from __future__ import annotations

import datetime as dt

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form
from wtforms.validators import Optional

from ledger.web.date_inputs import DateInputsField


class Asked(Form):
    later_on = DateInputsField("From which day?", validators=[Optional()])


def read(**data) -> Asked:
    form = Asked(MultiDict(data))
    form.validate()
    return form


def test_three_fields_make_a_date_and_are_shown_again():
    form = read(**{"later_on-day": "23", "later_on-month": "6", "later_on-year": "2025"})
    assert form.later_on.data == dt.date(2025, 6, 23) and not form.later_on.errors
    assert form.later_on.parts == {"day": "23", "month": "6", "year": "2025"}
    assert form.later_on._value() == "2025-06-23"  # what a hidden field re-posts


def test_an_iso_date_under_the_name_itself_is_read_too():
    assert read(later_on="2025-06-23").later_on.data == dt.date(2025, 6, 23)


@pytest.mark.parametrize(("day", "month", "year", "message", "parts"), [
    ("23", "", "2025", "The date must include a month.", ("month",)),
    ("", "", "2025", "The date must include a day and a month.", ("day", "month")),
    ("23", "six", "2025", "Write the date in numbers, like 14 12 2026.", ("month",)),
    ("23", "6", "25", "The year must have 4 numbers, like 2026.", ("year",)),
    ("31", "2", "2025", "Enter a real date, like 14 12 2026.", ("day", "month", "year")),
])
def test_a_date_that_is_not_whole_is_refused_naming_the_part(day, month, year, message, parts):
    form = read(**{"later_on-day": day, "later_on-month": month, "later_on-year": year})
    assert form.later_on.data is None
    assert form.later_on.errors == [message]
    assert form.later_on.error_parts == parts and form.later_on.error_part == parts[0]
    assert form.later_on.parts == {"day": day, "month": month, "year": year}  # kept to show again


def test_nothing_typed_is_no_date_and_no_error():
    form = read(**{"later_on-day": "", "later_on-month": "", "later_on-year": ""})
    assert form.later_on.data is None and form.later_on.errors == []
