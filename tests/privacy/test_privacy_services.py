"""Special-category data at rest, key rotation, subject access and erasure, at the service layer, on both backends."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from ledger import encryption
from ledger.auth.models import IdempotentRequest
from ledger.books.queries import trial_balance
from ledger.books.verify import verify_books
from ledger.documents.subject_access import render_subject_access
from ledger.encryption import PersonalDataCipher
from ledger.errors import Conflict
from ledger.events.views import record_view, views_of
from ledger.payments import runs
from ledger.people import services as people
from ledger.people.bank import BankCipher
from ledger.people.models import Participant
from ledger.privacy import erasure, rotation
from ledger.privacy.subject_access import subject_access, subject_access_document, subject_access_json
from tests.factories import CIPHER, TODAY, PaymentsWorld, make_user
from tests.privacy.test_encryption_migration import FERNET_TOKEN

KEY_A, KEY_B = Fernet.generate_key().decode(), Fernet.generate_key().decode()
CARER = [{"name": "carers_allowance", "week_start": "monday"}]
NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _development_key_afterwards():
    """Each test may install keys of its own; the next test starts from the development key again."""
    yield
    encryption.use_personal_data_key(encryption.DEV_KEY)


def _ann(session, **extra) -> int:
    ann = people.create_participant(session, name="Ann Example", email="ann@example.org",
                                    date_of_birth=dt.date(1961, 2, 3), access_needs="Needs a hearing loop",
                                    today=TODAY, **extra)
    people.declare_benefits(session, ann.id, benefits=CARER, declared_on=dt.date(2025, 5, 1),
                            circumstances="Cares for her mother", today=TODAY)
    session.flush()
    return ann.id


def _raw(session, sql: str, **params) -> list[str]:
    return [str(v) for row in session.execute(text(sql), params) for v in row]


def test_special_category_fields_are_tokens_in_the_database_and_clear_to_the_app(session):
    ann = _ann(session)
    session.commit()
    stored = _raw(session, "SELECT date_of_birth_encrypted, access_needs FROM participants WHERE id = :id", id=ann)
    stored += _raw(session, "SELECT benefits, circumstances FROM benefit_declarations WHERE participant_id = :id",
                   id=ann)
    assert len(stored) == 4
    for value in stored:  # each a whole Fernet token: nothing left in clear
        assert FERNET_TOKEN.fullmatch(value), value
    session.expire_all()
    record = people.get_participant(session, ann)
    assert (record.date_of_birth, record.access_needs) == (dt.date(1961, 2, 3), "Needs a hearing loop")
    assert people.current_benefits(session, ann).circumstances == "Cares for her mother"


def test_the_same_name_and_date_of_birth_is_still_refused_though_dates_are_encrypted(session):
    _ann(session)
    with pytest.raises(Conflict):
        people.create_participant(session, name="ann example", email="other@example.org",
                                  date_of_birth=dt.date(1961, 2, 3), today=TODAY)
    people.create_participant(session, name="Ann Example", email="b@example.org", date_of_birth=dt.date(1970, 1, 1),
                              today=TODAY)


def test_rotation_re_encrypts_every_token_so_the_old_key_can_be_removed(session_factory):
    encryption.use_personal_data_key(KEY_A)
    old_bank = BankCipher(KEY_A)
    with session_factory() as session:
        ann = _ann(session)
        people.set_bank_details(session, old_bank, ann, sort_code="12-34-56", account_number="12345678",
                                account_name="Ann Example")
        people.update_participant(session, ann, {"national_insurance_number": "AB123456C"}, cipher=old_bank,
                                  today=TODAY)
        session.commit()
    both = f"{KEY_B},{KEY_A}"
    encryption.use_personal_data_key(both)
    done = rotation.rotate_keys(session_factory, personal=PersonalDataCipher(both),
                                bank=PersonalDataCipher(both), batch_size=1)
    rotated = {(c.table, c.column): c.rotated for c in done if c.rotated}
    assert rotated == {("participants", "date_of_birth_encrypted"): 1, ("participants", "access_needs"): 1,
                       ("benefit_declarations", "benefits"): 1, ("benefit_declarations", "circumstances"): 1,
                       ("participants", "bank_details_encrypted"): 1,
                       ("participants", "national_insurance_number_encrypted"): 1}
    again = rotation.rotate_keys(session_factory, personal=PersonalDataCipher(both), bank=PersonalDataCipher(both))
    assert sum(c.rotated for c in again) == 0  # stopped and run again: nothing left to do

    encryption.use_personal_data_key(KEY_B)  # the old key is gone
    new_bank = BankCipher(KEY_B)
    with session_factory() as session:
        assert people.get_participant(session, ann).date_of_birth == dt.date(1961, 2, 3)
        assert people.current_benefits(session, ann).circumstances == "Cares for her mother"
        row = session.get(Participant, ann)
        assert new_bank.decrypt(row.bank_details_encrypted).account_number == "12345678"
        assert people.national_insurance_number(session, new_bank, ann) == "AB 12 34 56 C"


def _paid_world(session):
    world = PaymentsWorld(session)
    ann = world.participant("Ann Smith")
    people.declare_benefits(session, ann, benefits=CARER, declared_on=dt.date(2025, 5, 1),
                            circumstances="Cares for her mother", today=TODAY)
    make_user(session, "ann@example.org", ["participant"], participant_id=ann)
    claim = world.claim(ann, 4000)
    return world, ann, claim


def test_erasure_is_refused_while_money_is_owed_and_within_retention_then_keeps_the_books(session):
    world, ann, _ = _paid_world(session)
    check = erasure.check_erasure(session, ann, today=TODAY, retention_years=6)
    assert not check.allowed
    assert any("owe them money" in r for r in check.reasons)
    with pytest.raises(Conflict) as refused:
        erasure.erase_participant(session, ann, actor_user_id=None, today=TODAY, retention_years=6)
    assert "participant_id" in refused.value.fields
    assert session.get(Participant, ann).name == "Ann Smith"  # nothing changed

    run = world.draft()
    world.confirm(run.id)
    check = erasure.check_erasure(session, ann, today=dt.date(2031, 4, 5), retention_years=6)
    # The last entry (12 June 2025) is in tax year 2025-26, which ends on 5 April 2026: kept until 5 April 2032.
    assert check.retained_until == dt.date(2032, 4, 5)
    assert check.reasons == ("Financial records are kept until the end of 5 April 2032 (6 years after the tax "
                             "year of their last entry, on 12 June 2025).",)
    assert erasure.check_erasure(session, ann, today=dt.date(2032, 4, 6), retention_years=6).allowed

    balances = trial_balance(session)
    erasure.erase_participant(session, ann, actor_user_id=world.finance_id, today=dt.date(2032, 4, 6),
                              retention_years=6)
    session.expire_all()
    person = people.get_participant(session, ann)
    assert (person.name, person.email, person.date_of_birth, person.bank_details, person.access_needs) == (
        f"Person {ann}", None, None, None, None)
    assert person.erased_at is not None and not person.is_active
    assert people.current_benefits(session, ann).benefits == ()
    assert trial_balance(session) == balances
    assert verify_books(session).ok
    held = json.loads(subject_access_json(subject_access(session, ann, bank_cipher=CIPHER,
                                                         now=dt.datetime.now(dt.UTC))))["records"]
    # Events are append-only and never rewritten, so none carries personal details: not the name, not the
    # benefits, not the email address (the user's creation names the user by id).
    kept_in_events = json.dumps(held.pop("events"))
    for gone in ("Ann Smith", "carers_allowance", "ann@example.org"):
        assert gone not in kept_in_events
    dump = json.dumps(held)
    for gone in ("Ann Smith", "carers_allowance", "mother", "ann@example.org"):
        assert gone not in dump
    with pytest.raises(Conflict):
        people.update_participant(session, ann, {"name": "Ann Smith"}, today=TODAY)


def test_erase_expired_erases_only_those_past_the_retention_period(session):
    world, ann, _ = _paid_world(session)
    world.confirm(world.draft().id)
    never_paid = people.create_participant(session, name="Bob Jones", email="bob@example.org", today=TODAY).id
    owed = world.participant("Cat Owed")
    world.claim(owed, 1000)
    erased = erasure.erase_expired(session, actor_user_id=None, today=dt.date(2030, 1, 1), retention_years=6)
    assert erased == [never_paid]  # Ann's records are kept until 2032, Cat is still owed money
    assert erasure.erase_expired(session, actor_user_id=None, today=dt.date(2032, 4, 6), retention_years=6) == [ann]


def test_subject_access_holds_everything_about_the_person_and_the_views_of_it(session):
    world, ann, claim = _paid_world(session)
    people.update_participant(session, ann, {"national_insurance_number": "AB123456C"}, cipher=CIPHER, today=TODAY)
    record_view(session, participant_id=ann, what="benefits", channel="api", actor_user_id=world.finance_id)
    report = subject_access(session, ann, bank_cipher=CIPHER, now=dt.datetime(2025, 6, 6, tzinfo=dt.UTC))
    data = json.loads(subject_access_json(report))["records"]
    profile = data["participants"][0]
    assert profile["name"] == "Ann Smith" and profile["national_insurance_number"] == "AB123456C"
    assert profile["bank_details"]["sort_code"] == "200000"
    assert data["benefit_declarations"][0]["circumstances"] == "Cares for her mother"
    assert [c["id"] for c in data["claims"]] == [claim]
    assert {e["account"] for e in data["entries"]} == {f"owed:participant:{ann}"}
    assert data["views"][0]["details"] == {"what": "benefits", "channel": "api"}
    assert data["users"][0]["email"] == "ann@example.org" and "password_hash" not in data["users"][0]
    assert views_of(session, ann)[0].viewer_name == "Fran"
    pdf = render_subject_access(subject_access_document(report, "Demo Council"))
    assert pdf.startswith(b"%PDF")


def test_taking_a_bank_file_is_a_look_at_each_participants_bank_details(session):
    world, ann, _ = _paid_world(session)
    run = world.draft()
    runs.bank_csv(session, run.id, CIPHER, actor_user_id=world.finance_id)
    look = views_of(session, ann)[0]
    assert (look.viewer_name, look.what, look.channel) == ("Fran", "bank_details", "bank_file")
    assert look.channel_words == "in a file of payments for the bank"


def test_erasure_empties_the_answers_kept_for_replays_that_are_about_the_person(session):
    ann = people.create_participant(session, name="Zoë Example", email="zoe@example.org", today=TODAY).id
    bob = people.create_participant(session, name="Bob Jones", email="bob@example.org", today=TODAY).id
    user = make_user(session, "finance@example.org", ("finance",))
    kept = [IdempotentRequest(user_id=user.id, key=f"k{n}", method="POST", path=path, request_hash="0" * 64,
                              response_status=201, response_body=body, created_at=NOW)
            for n, (path, body) in enumerate((
                ("/api/v1/participants", json.dumps({"id": ann, "name": "Zoë Example"})),  # as JSON writes it
                (f"/api/v1/participants/{ann}/benefits", json.dumps({"participant_id": ann})),
                ("/api/v1/participants", json.dumps({"id": bob, "name": "Bob Jones"})),
                (f"/api/v1/participants/{ann}1/benefits", json.dumps({"participant_id": int(f"{ann}1")}))))]
    session.add_all(kept)
    session.flush()

    erasure.erase_participant(session, ann, actor_user_id=None, today=TODAY, retention_years=6)

    bodies = [session.get(IdempotentRequest, row.id).response_body for row in kept]
    assert bodies[:2] == [erasure.ERASED_ANSWER] * 2
    assert "Zo" not in " ".join(bodies) and bodies[2:] == [kept[2].response_body, kept[3].response_body]
