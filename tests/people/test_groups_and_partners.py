"""User-led groups (payees of redirected fees) and partner organisations (where time credits are spent)."""

from __future__ import annotations

import pytest

from ledger.books import queries
from ledger.errors import Conflict, NotFound, ValidationError
from ledger.people import services
from tests.factories import make_group


def test_a_new_group_has_an_account_for_what_it_is_owed(session):
    voices = make_group(session, email="hello@voices.example.org", charity_number="1234567")
    session.commit()
    assert voices.accounts.owed == f"owed:group:{voices.id}"
    info = queries.account_info(session, voices.accounts.owed)
    assert (info.type, info.unit) == ("liability", "GBP")
    assert voices.bank_details is None
    assert services.list_groups(session) == [voices]


def test_a_group_name_is_used_once(session):
    make_group(session, "Voices Together")
    with pytest.raises(Conflict):
        make_group(session, "voices together")


def test_a_group_needs_a_name(session):
    with pytest.raises(ValidationError) as caught:
        services.create_group(session, name="", email="nope")
    assert set(caught.value.fields) == {"name", "email"}


def test_a_new_partner_has_a_time_credit_account(session):
    leisure = services.create_partner(session, name="Northside Leisure Centre", description="Swimming and gym")
    session.commit()
    info = queries.account_info(session, leisure.accounts.time_credits)
    assert (info.code, info.type, info.unit) == (f"time:partner:{leisure.id}", "liability", "TIME")
    assert services.get_partner(session, leisure.id) == leisure
    assert services.list_partners(session) == [leisure]
    with pytest.raises(Conflict):
        services.create_partner(session, name="NORTHSIDE LEISURE CENTRE")
    with pytest.raises(NotFound):
        services.get_partner(session, leisure.id + 99)
