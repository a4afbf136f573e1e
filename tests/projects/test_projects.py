"""Projects with a cost centre and a budget, and the activities planned in them."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.books import queries
from ledger.errors import Conflict, NotFound, ValidationError
from ledger.projects import services
from tests.factories import make_user

START = dt.date(2025, 4, 1)
END = dt.date(2026, 3, 31)


def project(session, code: str = "adv-2025", **kwargs):
    kwargs.setdefault("name", "Advisory group 2025-26")
    kwargs.setdefault("cost_centre", "ASC-104")
    kwargs.setdefault("budget_pence", 1_250_000)
    kwargs.setdefault("starts_on", START)
    kwargs.setdefault("ends_on", END)
    return services.create_project(session, code=code, **kwargs)


def meeting(session, code: str = "ADV-2025", **kwargs):
    kwargs.setdefault("kind", "advisory_meeting")
    kwargs.setdefault("occurs_on", dt.date(2025, 6, 4))
    kwargs.setdefault("duration_minutes", 120)
    kwargs.setdefault("region", "london")
    return services.schedule_activity(session, code, **kwargs)


def _manager(session, email="pm@example.org", roles=("project_manager",)):
    return make_user(session, email, roles, display_name="Pat Manager")


def test_a_new_project_has_its_fees_and_expenses_accounts_opened(session):
    pm = _manager(session)
    created = project(session, project_manager_user_id=pm.id)
    session.commit()
    assert created.code == "ADV-2025"
    assert (created.accounts.fees, created.accounts.expenses) == ("fees:project:ADV-2025", "expenses:project:ADV-2025")
    for code in (created.accounts.fees, created.accounts.expenses):
        info = queries.account_info(session, code)
        assert (info.type, info.unit) == ("expense", "GBP")
    assert services.get_project(session, "adv-2025") == created
    assert services.list_projects(session, project_manager_user_id=pm.id) == [created]


def test_a_project_code_is_used_once(session):
    project(session, "ADV-2025")
    with pytest.raises(Conflict):
        project(session, "adv-2025")


def test_bad_project_details_are_refused_naming_each_field(session):
    finance = _manager(session, "fin@example.org", roles=("finance",))
    with pytest.raises(ValidationError) as caught:
        services.create_project(session, code="has space", name="", cost_centre="", budget_pence=12.5,
                                starts_on=END, ends_on=START, project_manager_user_id=finance.id)
    assert set(caught.value.fields) == {"code", "name", "cost_centre", "budget_pence", "ends_on",
                                        "project_manager_user_id"}
    with pytest.raises(ValidationError) as caught:
        project(session, budget_pence=-1)
    assert set(caught.value.fields) == {"budget_pence"}


def test_updating_a_project_keeps_its_code_and_its_activities_inside_its_dates(session):
    project(session)
    meeting(session, occurs_on=dt.date(2025, 6, 4))
    changed = services.update_project(session, "ADV-2025", {"budget_pence": 1_500_000, "name": "Advisory group"})
    assert (changed.code, changed.budget_pence, changed.name) == ("ADV-2025", 1_500_000, "Advisory group")
    with pytest.raises(ValidationError) as caught:
        services.update_project(session, "ADV-2025", {"code": "NEW"})
    assert "code" in caught.value.fields
    with pytest.raises(ValidationError) as caught:
        services.update_project(session, "ADV-2025", {"ends_on": dt.date(2025, 5, 31)})
    assert "ends_on" in caught.value.fields
    with pytest.raises(NotFound):
        services.update_project(session, "NOPE", {"name": "x"})


def test_an_activity_is_scheduled_with_its_time_place_and_any_flat_fee(session):
    project(session)
    talk = meeting(session, kind="event", title="Conference talk", duration_minutes=45, preparation_minutes=180,
                   region="uk", location="Leeds Town Hall", flat_fee_pence=15_000)
    hourly = meeting(session)
    assert (talk.project_code, talk.kind, talk.flat_fee_pence, talk.preparation_minutes) == (
        "ADV-2025", "event", 15_000, 180)
    assert hourly.title == "Advisory meeting, 2025-06-04"
    assert (hourly.flat_fee_pence, hourly.preparation_minutes) == (None, 0)
    assert services.get_activity(session, talk.id) == talk
    assert services.list_activities(session, "ADV-2025") == [talk, hourly]  # same day: in the order scheduled
    assert services.list_activities(session, "ADV-2025", start=dt.date(2025, 6, 5)) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "party"}, "kind"),
        ({"region": "scotland"}, "region"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": 90.5}, "duration_minutes"),
        ({"duration_minutes": 100 * 60 + 1}, "duration_minutes"),
        ({"preparation_minutes": -5}, "preparation_minutes"),
        ({"flat_fee_pence": 0}, "flat_fee_pence"),
        ({"flat_fee_pence": 5_000_000}, "flat_fee_pence"),
        ({"occurs_on": dt.date(2025, 3, 31)}, "occurs_on"),
        ({"occurs_on": dt.date(2026, 4, 1)}, "occurs_on"),
        ({"occurs_on": "2025-06-04"}, "occurs_on"),
    ],
)
def test_a_wrong_activity_is_refused_naming_the_field(session, changes, field):
    project(session)
    with pytest.raises(ValidationError) as caught:
        meeting(session, **changes)
    assert field in caught.value.fields


def test_activities_belong_to_a_known_project(session):
    with pytest.raises(NotFound):
        meeting(session, "NOPE")
    with pytest.raises(NotFound):
        services.get_activity(session, 999)
