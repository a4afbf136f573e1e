"""Recording participants: contact details, preferred format, default reward, and their accounts in the books."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.books import queries
from ledger.errors import Conflict, NotFound, ValidationError
from ledger.people import services
from ledger.people.accounts import participant_accounts
from tests.factories import TODAY, make_group, make_participant


def test_a_new_participant_has_their_accounts_opened_in_the_books(session):
    ann = make_participant(session, preferred_name="Annie", phone="020 7946 0000", date_of_birth=dt.date(1990, 3, 1))
    session.commit()
    assert ann.accounts == participant_accounts(ann.id)
    assert ann.accounts.owed == f"owed:participant:{ann.id}"
    shapes = {code: (queries.account_info(session, code).type, queries.account_info(session, code).unit)
              for code in (ann.accounts.owed, ann.accounts.advance, ann.accounts.time_credits)}
    assert shapes == {
        f"owed:participant:{ann.id}": ("liability", "GBP"),
        f"advance:participant:{ann.id}": ("asset", "GBP"),
        f"time:participant:{ann.id}": ("liability", "TIME"),
    }
    assert queries.balance(session, ann.accounts.owed) == 0
    assert services.get_participant(session, ann.id) == ann


def test_preferred_format_follows_the_contact_details_given(session):
    by_email = make_participant(session, "Ann Email")
    by_post = services.create_participant(session, name="Bob Post", postal_address="1 High St\nLeeds LS1 1AA",
                                          today=TODAY)
    easy_read = make_participant(session, "Cat Easy", preferred_format="easy_read")
    assert (by_email.preferred_format, by_post.preferred_format, easy_read.preferred_format) == (
        "email", "post", "easy_read")


def test_bad_details_are_refused_naming_each_field(session):
    with pytest.raises(ValidationError) as caught:
        services.create_participant(session, name="  ", email="not-an-email", phone="call me",
                                    preferred_format="braille", date_of_birth=dt.date(2030, 1, 1), today=TODAY)
    assert set(caught.value.fields) >= {"name", "email", "phone", "preferred_format", "date_of_birth"}


def test_someone_with_no_way_to_receive_remittance_advice_is_refused(session):
    with pytest.raises(ValidationError) as caught:
        services.create_participant(session, name="Dee Nocontact", today=TODAY)
    assert "email" in caught.value.fields
    with pytest.raises(ValidationError) as caught:
        make_participant(session, "Eve Postal", preferred_format="post")
    assert "postal_address" in caught.value.fields


def test_a_fee_can_go_to_a_group_by_default_only_when_the_group_is_named(session):
    voices = make_group(session)
    ann = make_participant(session, default_reward="paid_to_group", default_group_id=voices.id)
    assert (ann.default_reward, ann.default_group_id) == ("paid_to_group", voices.id)
    with pytest.raises(ValidationError) as caught:
        make_participant(session, "Bob Nogroup", default_reward="paid_to_group")
    assert "default_group_id" in caught.value.fields
    with pytest.raises(ValidationError) as caught:
        make_participant(session, "Cat Unknown", default_reward="paid_to_group", default_group_id=voices.id + 99)
    assert "default_group_id" in caught.value.fields
    with pytest.raises(ValidationError) as caught:
        make_participant(session, "Dan Mixed", default_reward="time_credits", default_group_id=voices.id)
    assert "default_group_id" in caught.value.fields


def test_the_same_name_and_birth_date_twice_is_a_duplicate(session):
    make_participant(session, "Ann Example", date_of_birth=dt.date(1980, 5, 17))
    with pytest.raises(Conflict):
        make_participant(session, "ann example", date_of_birth=dt.date(1980, 5, 17))
    # Without a birth date, or with another one, two people may share a name.
    make_participant(session, "Ann Example", date_of_birth=dt.date(1981, 5, 17))
    make_participant(session, "Ann Example")


def test_updating_changes_only_what_is_named(session):
    voices = make_group(session)
    ann = make_participant(session, default_reward="paid_to_group", default_group_id=voices.id)
    changed = services.update_participant(session, ann.id, {"preferred_name": "Annie", "default_reward": "decline"},
                                          today=TODAY)
    assert changed.preferred_name == "Annie"
    assert changed.email == ann.email
    assert (changed.default_reward, changed.default_group_id) == ("decline", None)
    assert changed.updated_at is not None
    inactive = services.update_participant(session, ann.id, {"is_active": False}, today=TODAY)
    assert inactive.is_active is False


def test_updating_refuses_unknown_fields_bad_values_and_unknown_participants(session):
    ann = make_participant(session)
    with pytest.raises(ValidationError) as caught:
        services.update_participant(session, ann.id, {"bank_details_encrypted": "x"}, today=TODAY)
    assert "bank_details_encrypted" in caught.value.fields
    with pytest.raises(ValidationError) as caught:
        services.update_participant(session, ann.id, {"email": None}, today=TODAY)
    assert "email" in caught.value.fields
    with pytest.raises(NotFound):
        services.update_participant(session, ann.id + 99, {"name": "X"}, today=TODAY)


def test_the_directory_lists_active_participants_by_name(session):
    make_participant(session, "Zoe Last")
    bob = make_participant(session, "bob first", preferred_name="Bobby")
    gone = make_participant(session, "Max Gone")
    services.update_participant(session, gone.id, {"is_active": False}, today=TODAY)
    assert [p.name for p in services.list_participants(session)] == ["bob first", "Zoe Last"]
    assert len(services.list_participants(session, include_inactive=True)) == 3
    assert [p.id for p in services.list_participants(session, search="bobb")] == [bob.id]


@pytest.mark.parametrize(
    ("born", "day", "age"),
    [
        (dt.date(2004, 6, 4), dt.date(2025, 6, 4), 21),
        (dt.date(2004, 6, 5), dt.date(2025, 6, 4), 20),
        (dt.date(2004, 2, 29), dt.date(2025, 2, 28), 20),
        (dt.date(2004, 2, 29), dt.date(2025, 3, 1), 21),
    ],
)
def test_age_on_a_day_for_the_minimum_wage_band(born, day, age):
    assert services.age_on(born, day) == age
