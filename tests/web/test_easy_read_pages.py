"""Easy read on a participant's pages: their home, a fee and its choice, My money and the benefit check, with
a picture beside each idea, when (and only when) easy read is their preferred format."""

from __future__ import annotations

import re

import pytest

from ledger.people.services import update_participant
from tests.factories import ClaimsWorld, claims_world, database, draft_fee, sign_in
from tests.web.test_front_end import fetch
from tests.web.test_participant_pages import text_of

PICTURE = re.compile(r'<img class="app-easy-read-idea__picture" src="/assets/icons/([a-z-]+\.svg)" alt=""')


@pytest.fixture
def world(app) -> ClaimsWorld:
    with database(app) as session:
        return claims_world(session)


@pytest.fixture
def fee(app, world) -> int:
    with database(app) as session:
        return draft_fee(session, world, world.carer)


def _signed_in_as_carer(client, app, world, preferred_format: str):
    with database(app) as session:
        update_participant(session, world.carer, {"preferred_format": preferred_format})
    assert sign_in(client, "sian@example.org").status_code == 302
    return client


def words(page) -> str:
    """The page's text, without the space a tag leaves before a full stop or colon."""
    return re.sub(r" ([.,:])", r"\1", text_of(page))


def pictures(page) -> list[str]:
    return PICTURE.findall(page.get_data(as_text=True))


def test_an_easy_read_reader_gets_her_home_in_easy_read(app, client, world, fee):
    carer = _signed_in_as_carer(client, app, world, "easy_read")

    home = carer.get("/my")

    text = words(home)
    assert home.status_code == 200
    assert "We have no money on its way to you now." in text
    assert "Choose what happens to your fee for Fee for Advisory group on 04 June 2025. £50.40" in text
    assert "Tell us your bank details. We need them to pay you." in text
    assert pictures(home)[:3] == ["hourglass.svg", "list-checks.svg", "landmark.svg"]
    assert "Take it, take less, give it to a group" not in text  # the standard task list


def test_an_easy_read_reader_gets_her_fee_and_its_benefit_check_in_easy_read(app, client, world, fee):
    carer = _signed_in_as_carer(client, app, world, "easy_read")

    page = carer.get(f"/my/claims/{fee}")

    text = words(page)
    assert page.status_code == 200
    assert "We offer you a fee for 4 hours of work: £50.40" in text
    assert "You chose: Take the fee." in text and "Where it is now: Being prepared." in text
    assert "This money is OK for your Carer's Allowance." in text
    assert pictures(page) == ["banknote.svg", "list-checks.svg", "hourglass.svg", "hand-coins.svg",
                              "circle-check.svg"]
    assert "Take the fee: £50.40" in text  # the choice form is still there


def test_an_easy_read_reader_checks_her_choice_in_easy_read(app, client, world, fee):
    carer = _signed_in_as_carer(client, app, world, "easy_read")

    check = carer.post(f"/my/claims/{fee}/choice", data={"choice": "take_less", "amount": "40.00",
                                                          "rest": "decline"})

    text = words(check)
    assert check.status_code == 200
    assert "We will pay you: £40.00 We will not pay the rest to anyone." in text
    assert "We checked. This choice is OK for your benefits." in text
    assert "This money is OK for your Carer's Allowance." in text
    assert pictures(check)[:3] == ["hand-coins.svg", "circle-x.svg", "circle-check.svg"]


def test_an_easy_read_reader_sees_her_statement_one_idea_a_line(app, client, world, fee):
    carer = _signed_in_as_carer(client, app, world, "easy_read")

    page = carer.get("/my/money")

    text = words(page)
    assert page.status_code == 200
    assert "We owe you nothing now. We have paid you everything. We did not pay you in this time." in text
    assert "Your time credits: 0 hours" in text
    assert "We have not checked your benefits for this yet." in text  # the claims table, in easy read too
    assert "Owed to you now" not in text
    assert pictures(page) == ["file-text.svg", "circle-check.svg", "circle-x.svg", "clock.svg", "info.svg"]


def test_everyone_else_gets_the_standard_pages(app, client, world, fee):
    carer = _signed_in_as_carer(client, app, world, "email")

    for url in ("/my", "/my/money", f"/my/claims/{fee}"):
        html = carer.get(url).get_data(as_text=True)
        assert "app-easy-read-idea" not in html, url
    assert "Owed to you now £0.00" in text_of(carer.get("/my/money"))
    assert "Your next payment" in text_of(carer.get("/my"))


def test_the_icons_and_their_licence_are_served(app, client, world):
    carer = _signed_in_as_carer(client, app, world, "easy_read")
    home = carer.get("/my").get_data(as_text=True)
    assert 'href="/assets/icons/LICENSE.txt">Lucide icons, ISC licence</a>' in home

    status, licence = fetch(carer, "/assets/icons/LICENSE.txt")
    assert status == 200 and "ISC License" in licence and "Lucide" in licence
    status, icon = fetch(carer, "/assets/icons/banknote.svg")
    assert status == 200 and icon.lstrip().startswith("<!-- @license lucide-static")
