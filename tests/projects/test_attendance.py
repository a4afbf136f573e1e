"""Attendance: who took part in an activity, for how long, and whether they brought a supporter."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.errors import Conflict, NotFound, ValidationError
from ledger.people import services as people
from ledger.projects import services
from tests.factories import TODAY, make_activity, make_participant, make_project

AFTER = TODAY  # the day after the meeting


@pytest.fixture
def activity(session):
    """A two-hour meeting with an hour of preparation."""
    make_project(session)
    return make_activity(session, duration_minutes=120, preparation_minutes=60)


def test_attendance_is_recorded_with_the_time_taken_part(session, activity):
    ann = make_participant(session, "Ann Example", preferred_name="Annie")
    bob = make_participant(session, "Bob Example")
    full = services.record_attendance(session, activity.id, ann.id, with_supporter=True, today=AFTER)
    early = services.record_attendance(session, activity.id, bob.id, actual_minutes=90, today=AFTER)
    session.commit()
    assert (full.minutes_attended, full.actual_minutes, full.preparation_minutes, full.with_supporter) == (
        120, None, 60, True)
    assert (early.minutes_attended, early.actual_minutes, early.with_supporter) == (90, 90, False)
    assert [a.participant_name for a in services.list_attendance(session, activity.id)] == ["Annie", "Bob Example"]
    assert services.get_attendance(session, activity.id, bob.id) == early


def test_the_full_duration_given_as_actual_minutes_is_not_a_difference(session, activity):
    ann = make_participant(session)
    assert services.record_attendance(session, activity.id, ann.id, actual_minutes=120, today=AFTER).actual_minutes \
        is None


def test_attendance_is_recorded_once(session, activity):
    ann = make_participant(session)
    services.record_attendance(session, activity.id, ann.id, today=AFTER)
    with pytest.raises(Conflict):
        services.record_attendance(session, activity.id, ann.id, actual_minutes=60, today=AFTER)
    assert len(services.list_attendance(session, activity.id)) == 1


def test_attendance_before_the_activity_or_by_nobody_is_refused(session, activity):
    ann = make_participant(session)
    with pytest.raises(ValidationError) as caught:
        services.record_attendance(session, activity.id, ann.id, today=activity.occurs_on - dt.timedelta(days=1))
    assert "activity_id" in caught.value.fields
    with pytest.raises(ValidationError) as caught:
        services.record_attendance(session, activity.id, ann.id + 99, actual_minutes=0, today=AFTER)
    assert set(caught.value.fields) == {"participant_id", "actual_minutes"}
    with pytest.raises(NotFound):
        services.record_attendance(session, activity.id + 99, ann.id, today=AFTER)
    with pytest.raises(NotFound):
        services.get_attendance(session, activity.id, ann.id)


def test_an_inactive_participant_cannot_be_recorded(session, activity):
    ann = make_participant(session)
    people.update_participant(session, ann.id, {"is_active": False})
    with pytest.raises(Conflict):
        services.record_attendance(session, activity.id, ann.id, today=AFTER)
