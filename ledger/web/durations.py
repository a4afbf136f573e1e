"""Lengths of time typed as hours and minutes (two boxes), as people say them, read in one place.

A page posts ``<name>_hours`` beside ``<name>_minutes``. A client that posts ``<name>_minutes`` alone (the total,
as the forms took before) is still understood: with no hours, the minutes are the whole length. So the one sum
below serves both, and no field is renamed.
"""

from __future__ import annotations

from wtforms import Form, IntegerField
from wtforms.validators import NumberRange, Optional

MAX_HOURS = 24


def total_minutes(hours: int | None, minutes: int | None) -> int | None:
    """Whole minutes from hours and minutes; None when neither was given."""
    if hours is None and minutes is None:
        return None
    return (hours or 0) * 60 + (minutes or 0)


def hours_field(label: str) -> IntegerField:
    return IntegerField(label, validators=[Optional(), NumberRange(min=0, max=MAX_HOURS,
                                                                   message=f"Hours must be 0 to {MAX_HOURS}.")])


def minutes_field(label: str) -> IntegerField:
    """Minutes: the part past the hours on the page, or (alone, from an older client) the whole length."""
    return IntegerField(label, validators=[Optional(), NumberRange(min=0, message="Minutes cannot be below 0.")])


def require_length(form: Form, hours: str, minutes: str, message: str) -> bool:
    """Mark the hours box when the two boxes add up to no time at all; True when there is some."""
    if total_minutes(form[hours].data, form[minutes].data):
        return True
    form[hours].errors = [*form[hours].errors, message]
    return False
