"""The choice pages are safe: nothing is chosen for a participant whose fee would affect their benefits; an amount
that cannot be taken is refused next to its field; the check page runs the benefit check on what was chosen and
says what it does before they confirm; an unverified figure is named, with who to ask, on their page and on
finance's."""

from __future__ import annotations

import re
from html import unescape

import pytest

from ledger.claims import services
from ledger.context import reload_settings
from ledger.projects.services import record_attendance
from tests.factories import TODAY, ClaimsWorld, claims_world, database, draft_fee, make_activity, sign_in

UNVERIFIED_LIMIT = """[sources]
org = { title = "Our payment policy" }

[[param]]
key = "carers_allowance.earnings_limit"
value = 196.00
unit = "GBP_per_week_net"
effective_from = 2025-04-07
effective_to = 2026-04-05
status = "unverified"
source = ["org"]
confidence = "medium"
"""
WHO_TO_ASK = "Free, independent advice on benefits: Citizens Advice, 0800 144 8848, citizensadvice.org.uk."


def text_of(response) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def checked_radios(response, name: str) -> list[str]:
    html = response.get_data(as_text=True)
    return [m.group(1) for m in re.finditer(rf'<input checked[^>]*name="{name}"[^>]*value="([^"]+)"', html)] + [
        m.group(1) for m in re.finditer(rf'<input[^>]*name="{name}"[^>]*value="([^"]+)"[^>]*checked', html)]


@pytest.fixture(autouse=True)
def _today(app):
    app.config["LEDGER_TODAY"] = TODAY.isoformat()
    reload_settings(app)


@pytest.fixture
def world(app) -> ClaimsWorld:
    with database(app) as session:
        return claims_world(session)


@pytest.fixture
def fees(app, world) -> dict[str, int]:
    """Siân's £50.40 fee for the advisory group, and a £250 flat fee that takes her over the Carer's Allowance
    limit of £196 a week."""
    with database(app) as session:
        big = make_activity(session, title="Filming day", flat_fee_pence=25_000).id
        record_attendance(session, big, world.carer, today=TODAY)
        return {"small": draft_fee(session, world, world.carer), "big": draft_fee(session, world, world.carer, big)}


@pytest.fixture
def carer(client, world):
    assert sign_in(client, "sian@example.org").status_code == 302
    return client


def test_nothing_is_chosen_for_her_when_the_check_finds_an_effect(carer, fees):
    big = carer.get(f"/my/claims/{fees['big']}")
    small = carer.get(f"/my/claims/{fees['small']}")

    assert big.status_code == 200 and checked_radios(big, "choice") == []
    assert "Nothing is chosen for you: the check above found this fee would affect your benefits" in text_of(big)
    assert checked_radios(small, "choice") == ["take"]  # no effect: her standing choice stands


@pytest.mark.parametrize(("amount", "message"), [
    ("60.00", 'Error: The amount must be less than the fee of £50.40. To have all of it, choose "Take the fee".'),
    ("50.40", 'Error: The amount must be less than the fee of £50.40.'),
    ("0", "Error: The amount must be more than £0."),
    ("-5.00", "Error: The amount must be more than £0."),
    ("twenty", "Error: Write the amount in pounds, like 20 or 20.00."),
])
def test_an_amount_she_cannot_take_is_refused_next_to_the_field(app, carer, fees, amount, message):
    response = carer.post(f"/my/claims/{fees['small']}/choice", data={"choice": "take_less", "amount": amount})

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    error = re.search(r'<p id="amount-error" class="govuk-error-message">(.*?)</p>', html, re.S)
    assert error is not None and message in unescape(" ".join(re.sub(r"<[^>]+>", "", error.group(1)).split()))
    assert 'href="#amount"' in html and "There is a problem" in text_of(response)
    assert 'aria-describedby="amount-hint amount-error"' in html
    with database(app) as session:
        assert services.get_claim(session, fees["small"]).choice == "take"


def test_a_day_for_the_rest_in_the_same_benefit_week_is_refused_next_to_the_field(carer, fees):
    response = carer.post(f"/my/claims/{fees['small']}/choice", data={
        "choice": "take_less", "amount": "20.00", "rest": "later", "later_on": "2025-06-12"})

    assert response.status_code == 400
    html = unescape(response.get_data(as_text=True))
    error = re.search(r'<p id="later_on-error" class="govuk-error-message">(.*?)</p>', html, re.S)
    assert error is not None and "Must be after 15 June 2025" in error.group(1)


def test_the_check_page_says_taking_less_keeps_her_within_the_limit(carer, fees):
    response = carer.post(f"/my/claims/{fees['big']}/choice", data={"choice": "take_less", "amount": "100.00",
                                                                    "rest": "time_credits"})

    assert response.status_code == 200
    text = text_of(response)
    assert "You will be paid £100.00 instead of the £250.00 offered." in text
    assert "We checked your choice: it does not affect your benefits." in text
    assert "Taking £100.00 keeps you within your Carer's Allowance limit for 9 June 2025 to 15 June 2025." in text
    assert 'class="app-choice-check app-choice-check--safe" id="choice-check"' in response.get_data(as_text=True)


def test_the_check_page_warns_when_the_choice_still_breaks_a_rule(app, carer, fees):
    response = carer.post(f"/my/claims/{fees['big']}/choice", data={"choice": "take"})

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'class="app-choice-check app-choice-check--affects-benefits" id="choice-check" role="alert"' in html
    assert "Warning: this choice would still affect your benefits. Read this before you confirm." in text_of(response)
    with database(app) as session:
        assert services.get_claim(session, fees["big"]).choice == "take"
        assert services.get_claim(session, fees["big"]).choice_recorded_by_user_id != services.get_claim(
            session, fees["big"]).participant_id  # nothing recorded by looking


def test_she_takes_part_and_gives_the_rest_to_a_group_through_the_pages(app, carer, fees, world):
    chosen = {"choice": "take_less", "amount": "20.00", "rest": "redirect", "rest_group_id": str(world.group_id)}

    check = carer.post(f"/my/claims/{fees['small']}/choice", data=chosen)
    assert "The rest, £30.40, will be paid to Voices Together instead of you." in text_of(check)
    done = carer.post(f"/my/claims/{fees['small']}/choice", data={**chosen, "confirmed": "yes"},
                      follow_redirects=True)

    assert done.status_code == 200
    text = text_of(done)
    assert "Paid to you: £20.00" in text and "Given to a group: £30.40 to Voices Together" in text
    with database(app) as session:
        record = services.get_claim(session, fees["small"])
        assert (record.choice, record.rest, record.group_id, record.amount_pence) == ("take_less", "redirect",
                                                                                      world.group_id, 2000)


def test_she_takes_part_now_and_the_rest_later_through_the_pages(app, carer, fees):
    chosen = {"choice": "take_less", "amount": "20.00", "rest": "later", "later_on": "2025-06-23"}

    check = carer.post(f"/my/claims/{fees['small']}/choice", data=chosen)
    assert "The rest, £30.40, will be paid to you on or after 23 June 2025." in text_of(check)
    assert "The rest, paid on or after 23 June 2025:" in text_of(check)
    carer.post(f"/my/claims/{fees['small']}/choice", data={**chosen, "confirmed": "yes"})

    with database(app) as session:
        record = services.get_claim(session, fees["small"])
        assert (record.rest, record.later_on.isoformat(), record.rest_pence) == ("later", "2025-06-23", 3040)


def test_an_unverified_figure_is_named_with_who_to_ask_on_her_page_and_finances(app, client, world, tmp_path):
    (tmp_path / "org.toml").write_text(UNVERIFIED_LIMIT, encoding="utf-8")
    app.config["POLICY_OVERRIDE_FILES"] = [str(tmp_path / "org.toml")]
    reload_settings(app)
    with database(app) as session:
        claim_id = draft_fee(session, world, world.carer)
        services.submit_claim(session, claim_id, actor_user_id=world.manager)

    sign_in(client, "sian@example.org")
    hers = text_of(client.get(f"/my/claims/{claim_id}"))
    check = text_of(client.post(f"/my/claims/{claim_id}/choice", data={"choice": "take"}))
    client.post("/logout")
    sign_in(client, "fin@example.org")
    finances = text_of(client.get(f"/finance/claims/{claim_id}"))

    warning = ("Warning: this check is not certain. It relied on a figure that is not verified for Carer's "
               "Allowance, so the effect on benefits may be different.")
    for page in (hers, check, finances):
        assert warning in page and WHO_TO_ASK in page
