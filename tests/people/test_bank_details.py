"""Bank details: checked, encrypted at rest, masked everywhere except for the bank file."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from ledger.errors import ConfigurationError, NotFound, ValidationError
from ledger.people import services
from ledger.people.bank import BankCipher, BankDetails, check_bank_details
from tests.factories import make_group, make_participant, throwaway_cipher

WHEN = dt.datetime(2025, 6, 4, 10, 0, tzinfo=dt.UTC)


def test_bank_details_are_stored_encrypted_and_shown_masked(session):
    key = throwaway_cipher()
    ann = make_participant(session)
    record = services.set_bank_details(session, key, ann.id, sort_code="12-34-56", account_number="8765 4321",
                                       account_name="Ann Example", now=WHEN)
    session.commit()
    assert record.bank_details.sort_code == "**-**-56"
    assert record.bank_details.account_number == "****4321"
    assert record.bank_details.set_at is not None
    row = session.execute(text("SELECT * FROM participants WHERE id = :id"), {"id": ann.id}).mappings().one()
    stored = " ".join(str(value) for value in row.values())
    assert "87654321" not in stored
    assert "123456" not in stored
    assert "Ann Example" not in row["bank_details_encrypted"]


def test_only_the_bank_file_function_reveals_the_details(session):
    key = throwaway_cipher()
    ann, bob = make_participant(session), make_participant(session, "Bob Nobank")
    voices = make_group(session)
    services.set_bank_details(session, key, ann.id, sort_code="123456", account_number="87654321",
                              account_name="A Example", roll_number="ROLL 12/3")
    services.set_group_bank_details(session, key, voices.id, sort_code="20-00-00", account_number="11112222",
                                    account_name="Voices Together")
    session.commit()
    found = services.bank_details_for_bank_file(session, key, participant_ids=[ann.id, bob.id], group_ids=[voices.id])
    assert found == {
        ("participant", ann.id): BankDetails("123456", "87654321", "A Example", "ROLL 12/3"),
        ("group", voices.id): BankDetails("200000", "11112222", "Voices Together", None),
    }
    assert services.get_group(session, voices.id).bank_details.account_number == "****2222"


def test_each_change_of_bank_details_is_recorded_with_who_made_it(session):
    key = throwaway_cipher()
    ann = make_participant(session)
    services.set_bank_details(session, key, ann.id, sort_code="123456", account_number="87654321",
                              account_name="Ann Example", actor_user_id=None, now=WHEN)
    services.set_bank_details(session, key, ann.id, sort_code="654321", account_number="11223344",
                              account_name="Ann Example", now=WHEN + dt.timedelta(days=1))
    changes = services.bank_detail_changes(session, participant_id=ann.id)
    assert [(c.sort_code, c.account_number) for c in changes] == [("**-**-21", "****3344"), ("**-**-56", "****4321")]


@pytest.mark.parametrize(
    ("sort_code", "account_number", "account_name", "bad"),
    [
        ("12345", "87654321", "Ann", {"sort_code"}),
        ("12-34-5x", "87654321", "Ann", {"sort_code"}),
        ("123456", "7654321", "Ann", {"account_number"}),
        ("123456", "876543210", "Ann", {"account_number"}),
        ("123456", "87654321", "  ", {"account_name"}),
        ("", "", "", {"sort_code", "account_number", "account_name"}),
    ],
)
def test_malformed_bank_details_are_refused_naming_the_field(sort_code, account_number, account_name, bad):
    with pytest.raises(ValidationError) as caught:
        check_bank_details(sort_code, account_number, account_name)
    assert set(caught.value.fields) == bad


def test_a_seven_digit_account_number_gets_a_hint():
    with pytest.raises(ValidationError) as caught:
        check_bank_details("123456", "7654321", "Ann")
    assert "add a 0" in caught.value.fields["account_number"][0]


def test_setting_bank_details_changes_nothing_when_they_are_wrong(session):
    key = throwaway_cipher()
    ann = make_participant(session)
    with pytest.raises(ValidationError):
        services.set_bank_details(session, key, ann.id, sort_code="1", account_number="2", account_name="Ann")
    assert services.get_participant(session, ann.id).bank_details is None
    with pytest.raises(NotFound):
        services.set_bank_details(session, key, ann.id + 99, sort_code="123456", account_number="87654321",
                                  account_name="Ann")


def test_a_changed_key_cannot_read_old_details_but_a_rotation_list_can():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    details = BankDetails("123456", "87654321", "Ann", None)
    token = BankCipher(old).encrypt(details)
    with pytest.raises(ConfigurationError):
        BankCipher(new).decrypt(token)
    assert BankCipher(f"{new},{old}").decrypt(token) == details
    with pytest.raises(ConfigurationError):
        BankCipher("not a key")
