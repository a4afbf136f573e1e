"""The evidence pack over the API: a named officer signs it, a National Insurance number is printed on it (and
kept encrypted everywhere else), and bad dates or a bad number are a 400 naming the field, changing nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ledger.auth.models import User
from ledger.context import reload_settings
from ledger.errors import ValidationError
from ledger.events.models import Event
from ledger.people import national_insurance
from ledger.people.models import Participant
from ledger.people.services import national_insurance_number
from tests.documents.pdf import assert_in_order, text
from tests.factories import CIPHER, TODAY, api_token_for, bearer, claims_world, database

PERIOD = "start=2025-06-02&end=2025-06-15"


@pytest.fixture
def siân(app) -> int:
    app.config["LEDGER_TODAY"] = TODAY.isoformat()  # the app takes 5 June 2025 as today
    reload_settings(app)
    with database(app) as session:
        return claims_world(session).carer


@pytest.fixture
def finance(app, siân) -> dict[str, str]:
    with database(app) as session:
        fin = session.execute(select(User.id).where(User.email == "fin@example.org")).scalar_one()  # "Fin"
    return bearer(api_token_for(app, fin))


def _pdf_text(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return text(response.data)


def test_finance_names_who_signs_and_the_letter_has_a_line_to_sign(app, client, siân, finance):
    words = _pdf_text(client.get(f"/api/v1/participants/{siân}/evidence-pack.pdf?{PERIOD}"
                                 "&signed_by=Rhian%20Jones&role=Involvement%20lead", headers=finance))
    assert_in_order(words, ["Confirmation", "Signed: ____", "Name Rhian Jones", "Role Involvement lead",
                            "Date 5 June 2025"])

    default = _pdf_text(client.get(f"/api/v1/participants/{siân}/evidence-pack.pdf?{PERIOD}", headers=finance))
    assert_in_order(default, ["Signed: ____", "Name Fin", "Role Finance officer"])


def test_the_organisation_names_its_signing_officer_in_the_settings(app, client, siân, finance):
    app.config.update(EVIDENCE_SIGNED_BY_NAME="Morgan Price", EVIDENCE_SIGNED_BY_ROLE="Head of involvement")
    reload_settings(app)
    words = _pdf_text(client.get(f"/api/v1/participants/{siân}/evidence-pack.pdf?{PERIOD}", headers=finance))
    assert_in_order(words, ["Signed: ____", "Name Morgan Price", "Role Head of involvement"])


@pytest.mark.parametrize(("query", "field", "message"), [
    ("start=2025-06-15&end=2025-06-02", "end", "Must not be before start."),
    ("start=2025-01-01&end=2026-01-02", "end", "A letter covers at most one year."),
    ("start=9%20June&end=2025-06-15", "start", "Not a valid date."),
    ("end=2025-06-15", "start", "Missing data for required field."),
])
def test_bad_dates_are_a_400_naming_the_field(app, client, siân, finance, query, field, message):
    response = client.get(f"/api/v1/participants/{siân}/evidence-pack.pdf?{query}", headers=finance)
    assert response.status_code == 400
    assert response.json["error"]["fields"] == {field: [message]}


def test_a_national_insurance_number_is_kept_encrypted_shown_masked_and_printed_on_the_letter(app, client, siân,
                                                                                           finance):
    patched = client.patch(f"/api/v1/participants/{siân}", headers=finance,
                           json={"national_insurance_number": " ab123456c "})
    assert patched.status_code == 200, patched.json
    assert patched.json["national_insurance_number"] == "AB •• •• •• C"
    got = client.get(f"/api/v1/participants/{siân}", headers=finance)
    for response in (patched, got):
        assert "123456" not in response.get_data(as_text=True)
    with database(app) as session:
        row = session.get(Participant, siân)
        assert row.national_insurance_number_encrypted and "123456" not in row.national_insurance_number_encrypted
        assert national_insurance_number(session, CIPHER, siân) == "AB 12 34 56 C"
        events = session.execute(select(Event).where(Event.participant_id == siân,
                                                     Event.action == "set_national_insurance_number")).scalars().all()
        assert len(events) == 1 and "123456" not in repr((events[0].details, events[0].note, events[0].reason))

    words = _pdf_text(client.get(f"/api/v1/participants/{siân}/evidence-pack.pdf?{PERIOD}", headers=finance))
    assert_in_order(words, ["Name Siân Evans", "National Insurance number AB 12 34 56 C", "Our reference"])

    removed = client.patch(f"/api/v1/participants/{siân}", headers=finance, json={"national_insurance_number": None})
    assert removed.status_code == 200 and removed.json["national_insurance_number"] is None
    words = _pdf_text(client.get(f"/api/v1/participants/{siân}/evidence-pack.pdf?{PERIOD}", headers=finance))
    assert "National Insurance number" not in words


@pytest.mark.parametrize("bad", ["QQ 12 34 56 C", "AB 12 34 56 E", "AB12345C", "BG 12 34 56 A", "DA 12 34 56 A",
                                 "AO 12 34 56 A", "12 34 56 78 A"])
def test_a_wrong_national_insurance_number_is_a_400_naming_it_and_changes_nothing(app, client, siân, finance, bad):
    client.patch(f"/api/v1/participants/{siân}", headers=finance, json={"national_insurance_number": "AB123456C"})

    response = client.patch(f"/api/v1/participants/{siân}", headers=finance,
                            json={"national_insurance_number": bad, "preferred_name": "Sî"})

    assert response.status_code == 400
    assert set(response.json["error"]["fields"]) == {"national_insurance_number"}
    with database(app) as session:
        row = session.get(Participant, siân)
        assert row.preferred_name is None
        assert national_insurance_number(session, CIPHER, siân) == "AB 12 34 56 C"


def test_hmrc_format_rules():
    assert national_insurance.normalise_national_insurance_number("ab 12-34-56 d") == "AB123456D"
    assert national_insurance.normalise_national_insurance_number("  ") is None
    for bad in ("TN 12 34 56 A", "ZZ 12 34 56 A", "AB 12 34 56", "FA123456A"):
        with pytest.raises(ValidationError):
            national_insurance.normalise_national_insurance_number(bad)
    assert national_insurance.masked("AB123456C") == "AB •• •• •• C"
