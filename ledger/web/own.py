"""What every page of a participant's own journeys shares: whose record it is, the page in their format, and
one place that commits a change or puts the refusal back on the form.

A view parses its form, then hands ``act`` the one service call; ``act`` commits once on success and, on a
refusal the person can put right, rolls back (nothing half-written) and returns the error for the page to show
beside the field it names.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import TypeVar

from flask import render_template
from flask_wtf import FlaskForm

from ledger.auth.access import signed_in_user
from ledger.context import get_session
from ledger.errors import Conflict, LedgerError, NotFound, ValidationError

T = TypeVar("T")

#: Refusals shown on the form itself; anything else is the error page.
SHOWN_ON_THE_FORM = (ValidationError, Conflict, NotFound)


def own_participant_id() -> int:
    """The signed-in user's participant record, or NotFound when their sign-in is not linked to one."""
    participant_id = signed_in_user().participant_id
    if participant_id is None:
        raise NotFound("Your sign-in is not linked to a participant record. If you take part in projects, ask "
                       "the finance team to link it.")
    return participant_id


def participant_page(template: str, participant, status: int = 200, **context):
    """A participant's page, in large print or easy read when that is their preferred format."""
    return render_template(template, participant=participant,
                           large_print=participant.preferred_format == "large_print",
                           easy_read=participant.preferred_format == "easy_read", **context), status


def act(change: Callable[[], T]) -> tuple[T | None, LedgerError | None]:
    """Run one service call and commit it, or roll it all back and return the refusal."""
    session = get_session()
    try:
        result = change()
    except SHOWN_ON_THE_FORM as error:
        session.rollback()
        return None, error
    session.commit()
    return result, None


def on_the_form(error: LedgerError, names: Mapping[str, str], form: FlaskForm | None = None) -> LedgerError | None:
    """The refusal with the service's field names turned into the form's (``lines.0.amount`` -> ``line1_amount``).

    With ``form``, each message goes on its field, so the error summary links to it; what names no field of the
    form stays on the refusal, and a refusal left with nothing to say beyond its fields is not shown twice.
    """
    fields = {names.get(key, key): found for key, found in error.fields.items()}
    if form is None:
        return type(error)(error.message, fields=fields)
    left = {}
    for name, found in fields.items():
        if name in form:
            form[name].errors = [*form[name].errors, *found]
        else:
            left[name] = found
    return type(error)(error.message, fields=left) if left or not fields else None


def new_request_key() -> str:
    """A key for a form, so that pressing the button twice makes one change."""
    return uuid.uuid4().hex
