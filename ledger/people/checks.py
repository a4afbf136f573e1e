"""Checks of the meaning of input shared by the people and project services.

A service collects every problem with its input in one ``Problems`` and raises one ``ValidationError``
naming each bad field, so a form or API client can show them all at once.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ledger.errors import Conflict, ValidationError

_PHONE = re.compile(r"^\+?[0-9 ()\-]{6,40}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)


class Problems:
    """Field name -> messages, raised together."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self.fields:
            raise ValidationError(f"Please correct: {', '.join(sorted(self.fields))}.", fields=self.fields)


def text(problems: Problems, field: str, value: Any, *, max_length: int, required: bool = False) -> str | None:
    """Trimmed text, or None when blank; a problem when required and blank, too long, or not text."""
    if value is None:
        if required:
            problems.add(field, "Required.")
        return None
    if not isinstance(value, str):
        problems.add(field, "Must be text.")
        return None
    value = value.strip()
    if not value:
        if required:
            problems.add(field, "Required.")
        return None
    if len(value) > max_length:
        problems.add(field, f"At most {max_length} characters.")
        return None
    if not value.replace("\n", "").replace("\r", "").isprintable():
        problems.add(field, "Contains characters that cannot be printed.")
        return None
    return value


def email(problems: Problems, field: str, value: Any) -> str | None:
    value = text(problems, field, value, max_length=254)
    if value is None:
        return None
    if not _EMAIL.match(value):
        problems.add(field, "Not a valid email address.")
        return None
    local, domain = value.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def phone(problems: Problems, field: str, value: Any) -> str | None:
    value = text(problems, field, value, max_length=40)
    if value is None:
        return None
    if not _PHONE.match(value) or sum(c.isdigit() for c in value) < 6:
        problems.add(field, "Not a valid phone number.")
        return None
    return value


def choice(problems: Problems, field: str, value: Any, values: tuple[str, ...]) -> str | None:
    if value not in values:
        problems.add(field, f"Must be one of {', '.join(values)}.")
        return None
    return value


def date(problems: Problems, field: str, value: Any, *, required: bool = False) -> dt.date | None:
    if value is None:
        if required:
            problems.add(field, "Required.")
        return None
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        problems.add(field, "Must be a date.")
        return None
    return value


def whole_number(
    problems: Problems, field: str, value: Any, *, minimum: int, maximum: int, required: bool = False
) -> int | None:
    """A whole number in range (money in pence, time in minutes); floats and booleans are refused."""
    if value is None:
        if required:
            problems.add(field, "Required.")
        return None
    if type(value) is not int:
        problems.add(field, "Must be a whole number.")
        return None
    if not minimum <= value <= maximum:
        problems.add(field, f"Must be between {minimum} and {maximum}.")
        return None
    return value


def add_unique(session: Session, row: Any, *, message: str, field: str) -> None:
    """Insert a row, turning a unique-constraint clash (a concurrent duplicate) into a Conflict."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(message, fields={field: ["Already exists."]}) from exc
