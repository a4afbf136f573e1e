"""A participant's own pages: what they are owed, their claims and benefit checks, time credits, their choice."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import update

from ledger.claims import services
from ledger.events.writer import events_of
from ledger.people.models import UserLedGroup
from ledger.people.services import get_participant, update_participant
from tests.factories import ClaimsWorld, add_user, claims_world, csrf_token_in, database, draft_fee, sign_in


def text_of(response) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


@pytest.fixture
def world(app) -> ClaimsWorld:
    with database(app) as session:
        return claims_world(session)


@pytest.fixture
def fees(app, world) -> dict[str, int]:
    """Siân's fee for the advisory group and Ann's for the film shoot, drafted by the project manager."""
    with database(app) as session:
        return {"carer": draft_fee(session, world, world.carer),
                "ann": draft_fee(session, world, world.ann, world.flat_fee_activity_id)}


@pytest.fixture
def carer(client, world):
    response = sign_in(client, "sian@example.org")
    assert response.status_code == 302
    return client


def test_a_participant_sees_only_their_own_money_and_claims(carer, fees, world):
    page = carer.get("/my/money")

    assert page.status_code == 200
    text = text_of(page)
    assert "Owed to you now £0.00" in text
    assert "Fee for Advisory group on 04 June 2025" in text and "Waiting" not in text and "Being prepared" in text
    assert "Film shoot" not in text  # Ann's claim
    assert f'href="/my/claims/{fees["carer"]}"' in page.get_data(as_text=True)
    assert "You have 0 hours of time credits" in text
    assert carer.get(f"/my/claims/{fees['ann']}").status_code == 404
    assert carer.post(f"/my/claims/{fees['ann']}/choice", data={"choice": "decline", "confirmed": "yes"}
                      ).status_code == 404


def test_the_claim_page_explains_the_benefit_check_in_the_participants_words(carer, fees):
    page = carer.get(f"/my/claims/{fees['carer']}")

    assert page.status_code == 200
    text = text_of(page)
    assert "What this means for your benefits" in text
    assert "Carer's Allowance:" in text
    assert "Choose what happens to this fee" in text and "Take the fee: £50.40" in text


def test_a_participant_records_a_choice_after_checking_it(app, carer, fees):
    claim_id = fees["carer"]
    check = carer.post(f"/my/claims/{claim_id}/choice", data={"choice": "take_less", "amount": "40.00"})

    assert check.status_code == 200
    assert "You will be paid £40.00 instead of the £50.40 offered." in text_of(check)
    with database(app) as session:
        assert services.get_claim(session, claim_id).choice == "take"  # nothing recorded before confirming

    done = carer.post(f"/my/claims/{claim_id}/choice",
                      data={"choice": "take_less", "amount": "40.00", "confirmed": "yes"}, follow_redirects=True)

    assert done.status_code == 200
    text = text_of(done)
    assert "Your choice is recorded: take less." in text
    assert "Your choice Take less" in text and "To be paid to you £40.00" in text
    assert "Take less" in text_of(carer.get("/my/money"))
    with database(app) as session:
        assert services.get_claim(session, claim_id).amount_pence == 4000


def test_the_choice_forms_carry_csrf_tokens(app, carer, fees):
    app.config["WTF_CSRF_ENABLED"] = True
    claim_id = fees["carer"]
    choice = {"choice": "decline"}

    assert carer.post(f"/my/claims/{claim_id}/choice", data=choice).status_code == 400  # no token
    check = carer.post(f"/my/claims/{claim_id}/choice",
                       data={**choice, "csrf_token": csrf_token_in(carer.get(f"/my/claims/{claim_id}").text)})
    assert check.status_code == 200 and "You will not be paid for this." in text_of(check)
    confirmed = carer.post(f"/my/claims/{claim_id}/choice",
                           data={**choice, "confirmed": "yes", "csrf_token": csrf_token_in(check.text)})

    assert confirmed.status_code == 302
    with database(app) as session:
        assert services.get_claim(session, claim_id).choice == "decline"


def test_a_participant_gives_a_fee_to_a_user_led_group(carer, fees, world):
    claim_id = fees["carer"]
    chosen = {"choice": "redirect", "group_id": str(world.group_id)}

    check = text_of(carer.post(f"/my/claims/{claim_id}/choice", data=chosen))
    assert "£50.40 will be paid to Voices Together instead of you." in check
    done = carer.post(f"/my/claims/{claim_id}/choice", data={**chosen, "confirmed": "yes"}, follow_redirects=True)

    assert "Your choice Give it to a user-led group: Voices Together" in text_of(done)


def test_my_money_names_the_group_a_fee_is_given_to_even_once_the_group_is_inactive(app, carer, fees, world):
    """The page names each listed claim's group from the claims' own statement (no list of every group)."""
    claim_id = fees["carer"]
    chosen = {"choice": "redirect", "group_id": str(world.group_id), "confirmed": "yes"}
    assert carer.post(f"/my/claims/{claim_id}/choice", data=chosen).status_code == 302
    assert ": Voices Together" in text_of(carer.get("/my/money"))
    with database(app) as session:
        session.execute(update(UserLedGroup).where(UserLedGroup.id == world.group_id).values(is_active=False))
        listed = services.own_claims(session, world.carer, limit=10, offset=0)
        assert listed.group_names == {world.group_id: "Voices Together"}
        assert [c.id for c in listed.claims] == [c.id for c in services.own_claims_page(
            session, world.carer, limit=10, offset=0)] == [claim_id]

    assert ": Voices Together" in text_of(carer.get("/my/money"))


def test_a_choice_the_service_refuses_is_shown_on_the_form(carer, fees):
    response = carer.post(f"/my/claims/{fees['carer']}/choice",
                          data={"choice": "take_less", "amount": "60.00", "confirmed": "yes"})

    assert response.status_code == 400
    text = text_of(response)
    assert "There is a problem" in text and "£50.40" in text


def test_taking_less_without_an_amount_asks_for_one(carer, fees):
    response = carer.post(f"/my/claims/{fees['carer']}/choice", data={"choice": "take_less"})

    assert response.status_code == 400
    assert "Error: Say how much you would like, in pounds." in text_of(response)


def test_large_print_participants_get_large_print_pages(app, carer, world):
    with database(app) as session:
        update_participant(session, world.carer, {"preferred_format": "large_print"})

    html = carer.get("/my/money").get_data(as_text=True)
    assert '<html lang="en-GB" class="govuk-template app-large-print">' in html  # the design system's rem sizes x1.5
    assert '<body class="govuk-template__body large-print">' in html


def test_a_participant_switches_her_pages_to_easy_read_herself(app, carer, fees, world):
    page = carer.get(f"/my/claims/{fees['carer']}").get_data(as_text=True)
    # the switch is on her page, set to what she has now (email)
    assert re.search(r'<input[^>]*name="format-preferred_format"[^>]*value="email" checked', page)
    switch = page[page.index('id="format-switch"'):]
    radios = re.findall(r'<input class="govuk-radios__input" id="([^"]+)" name="format-preferred_format"', switch)
    assert len(radios) == 4 and re.findall(r'<label class="govuk-label govuk-radios__label" for="([^"]+)"',
                                           switch) == radios  # each label names its own radio

    response = carer.post("/me/format", data={
        "format-csrf_token": csrf_token_in(page), "format-preferred_format": "easy_read",
        "format-next": f"/my/claims/{fees['carer']}"})

    assert response.status_code == 302 and response.headers["Location"] == f"/my/claims/{fees['carer']}"
    again = carer.get(f"/my/claims/{fees['carer']}").get_data(as_text=True)
    assert 'class="govuk-template app-easy-read"' in again and "Saved: easy read." in again
    with database(app) as session:
        assert get_participant(session, world.carer).preferred_format == "easy_read"
        changes = [(e.action, e.before, e.after, e.actor_user_id)
                   for e in events_of(session, "participant", world.carer) if e.action == "change_preferred_format"]
        assert changes == [("change_preferred_format", "email", "easy_read", world.carer_user)]


def test_a_format_that_does_not_exist_is_refused_naming_the_field(carer, fees):
    page = carer.get("/my/money").get_data(as_text=True)
    response = carer.post("/me/format", data={"format-csrf_token": csrf_token_in(page),
                                              "format-preferred_format": "braille", "format-next": "/my/money"})

    assert response.status_code == 400
    assert "Choose how you would like your pages and letters (preferred format)" in text_of(response)


def test_a_participant_downloads_their_statement(carer, fees):
    response = carer.get("/my/statement.pdf?start=2025-04-01&end=2025-06-30")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")


def test_staff_without_a_participant_record_are_told_so(app, client):
    add_user(app, "fin@example.org", ["finance"])
    sign_in(client, "fin@example.org")

    response = client.get("/my/money")

    assert response.status_code == 404
    assert "not linked to a participant record" in text_of(response)
