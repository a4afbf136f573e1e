"""The rights of the person through the API, the pages and the command line: one round trip each."""

from __future__ import annotations

import datetime as dt
import json

from ledger.context import reload_settings
from ledger.people import services as people
from tests.factories import TODAY, PaymentsWorld, add_user, api_token_for, bearer, database, sign_in, text_of

CARER = [{"name": "carers_allowance", "week_start": "monday"}]


def _world(app):
    """Ann, paid in a confirmed run, with benefits and a sign-in of her own; Fran in finance; Ada the admin."""
    with database(app) as session:
        world = PaymentsWorld(session)
        ann = world.participant("Ann Smith")
        people.declare_benefits(session, ann, benefits=CARER, declared_on=dt.date(2025, 5, 1),
                                circumstances="Cares for her mother", today=TODAY)
        world.claim(ann, 4000)
        world.confirm(world.draft().id)
        fran = world.finance_id
    add_user(app, "ann@example.org", ["participant"], participant_id=ann)
    admin = add_user(app, "ada@example.org", ["admin"])
    return ann, fran, admin


def _today(app, day: dt.date) -> None:
    app.config["LEDGER_TODAY"] = day.isoformat()
    reload_settings(app)


def test_each_look_at_benefits_is_logged_and_the_person_sees_who_looked(app, client):
    ann, fran, admin = _world(app)
    finance = bearer(api_token_for(app, fran))
    assert client.get(f"/api/v1/participants/{ann}/benefits", headers=finance).status_code == 200
    assert client.get(f"/api/v1/participants/{ann}", headers=finance).status_code == 200

    views = client.get(f"/api/v1/participants/{ann}/views", headers=bearer(api_token_for(app, admin)))
    assert views.status_code == 200
    assert [(v["viewer_name"], v["what"], v["channel"]) for v in views.json] == [
        ("Fran", "bank_details", "api"), ("Fran", "benefits", "api")]
    assert client.get(f"/api/v1/participants/{ann}/views", headers=finance).status_code == 404  # admins only

    assert sign_in(client, "ann@example.org").status_code == 302
    page = client.get("/my/details")
    assert page.status_code == 200
    words = text_of(page)
    assert "Who looked at your details" in words
    assert "Fran Benefits and circumstances, through the API" in words
    assert "You Benefits and circumstances, on a web page" in words  # this very page


def test_subject_access_through_the_api_is_json_and_pdf_and_is_itself_logged(app, client):
    ann, _, admin = _world(app)
    headers = bearer(api_token_for(app, admin))
    copy = client.get(f"/api/v1/participants/{ann}/subject-access", headers=headers)
    assert copy.status_code == 200 and copy.headers["Cache-Control"] == "private, no-store"
    records = json.loads(copy.get_data(as_text=True))["records"]
    assert records["participants"][0]["name"] == "Ann Smith"
    assert records["benefit_declarations"][0]["benefits"] == CARER
    pdf = client.get(f"/api/v1/participants/{ann}/subject-access.pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    views = client.get(f"/api/v1/participants/{ann}/views", headers=headers).json
    assert [v["what"] for v in views] == ["subject_access", "subject_access"]
    assert client.get("/api/v1/participants/999999/subject-access", headers=headers).status_code == 404


def test_erasure_through_the_api_is_refused_with_reasons_then_done_past_retention(app, client):
    ann, _, admin = _world(app)
    headers = bearer(api_token_for(app, admin))
    _today(app, dt.date(2026, 12, 1))
    refused = client.post(f"/api/v1/participants/{ann}/erasure", headers={**headers, "Idempotency-Key": "e-1"})
    assert refused.status_code == 409
    error = refused.json["error"]
    assert error["code"] == "conflict" and "5 April 2032" in error["fields"]["participant_id"][0]
    _today(app, dt.date(2032, 4, 6))
    assert client.get(f"/api/v1/participants/{ann}/erasure", headers=headers).json["allowed"] is True
    done = client.post(f"/api/v1/participants/{ann}/erasure", headers={**headers, "Idempotency-Key": "e-2"})
    assert done.status_code == 200, done.json
    assert done.json["already_erased"] is True
    erased = client.get(f"/api/v1/participants/{ann}", headers=headers).json
    assert (erased["name"], erased["email"], erased["bank_details"]) == (f"Person {ann}", None, None)
    assert erased["erased_at"] is not None


def test_the_admin_page_gives_a_copy_and_erases_once_the_rules_allow(app, client):
    ann, _, _ = _world(app)
    assert sign_in(client, "ada@example.org").status_code == 302
    listing = client.get("/admin/people?q=ann")
    assert "Ann Smith" in text_of(listing)
    page = client.get(f"/admin/people/{ann}")
    assert page.status_code == 200
    assert "Their details cannot be erased yet" in text_of(page)
    refused = client.post(f"/admin/people/{ann}/erase", data={"confirm": "y"})
    assert refused.status_code == 409 and "Financial records are kept until" in text_of(refused)
    assert client.get(f"/admin/people/{ann}/subject-access.pdf").data.startswith(b"%PDF")
    _today(app, dt.date(2032, 4, 6))
    unconfirmed = client.post(f"/admin/people/{ann}/erase", data={})
    assert unconfirmed.status_code == 400 and "Confirm that this person" in text_of(unconfirmed)
    done = client.post(f"/admin/people/{ann}/erase", data={"confirm": "y"}, follow_redirects=True)
    assert done.status_code == 200
    words = text_of(done)
    assert f"Person {ann}: their data" in words and "Their details were erased" in words
    assert "Ada A copy of everything held about you, as a PDF" in words


def test_the_commands_rotate_keys_copy_and_erase(app, runner, tmp_path):
    ann, _, _ = _world(app)
    with database(app) as session:
        bob = people.create_participant(session, name="Bob Jones", email="bob@example.org", today=TODAY).id
    rotated = runner.invoke(args=["ledger", "rotate-keys"])
    assert rotated.exit_code == 0, rotated.output
    assert "0 re-encrypted with the first key" in rotated.output  # one key only: everything is current

    copy = runner.invoke(args=["ledger", "subject-access", str(ann), "--as-user", "ada@example.org"])
    assert copy.exit_code == 0, copy.output
    assert json.loads(copy.output)["records"]["participants"][0]["name"] == "Ann Smith"
    pdf = tmp_path / "ann.pdf"
    assert runner.invoke(args=["ledger", "subject-access", str(ann), "--pdf", str(pdf),
                               "--as-user", "ada@example.org"]).exit_code == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    assert runner.invoke(args=["ledger", "subject-access", str(ann), "--as-user", "ann@example.org"]).exit_code == 2

    refused = runner.invoke(args=["ledger", "erase", str(ann), "--as-user", "ada@example.org"])
    assert refused.exit_code == 1 and "kept until the end of 5 April 2032" in refused.output
    dry = runner.invoke(args=["ledger", "erase-expired", "--dry-run", "--as-user", "ada@example.org"])
    assert dry.output.strip() == f"Would erase: {bob}"
    done = runner.invoke(args=["ledger", "erase-expired", "--as-user", "ada@example.org"])
    assert done.output.strip() == f"Erased: {bob}"
    verify = runner.invoke(args=["ledger", "verify"])
    assert verify.exit_code == 0, verify.output
