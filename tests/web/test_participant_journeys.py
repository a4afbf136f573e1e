"""A participant's own journeys with the Flask client: their home of tasks, claiming expenses with receipts,
their claims with when each is paid, their details (contact, format, bank, a change in benefits reviewed by
finance) and their time credits. Each refusal names the field and writes nothing."""

from __future__ import annotations

import datetime as dt
import io
import re
from html import unescape

import pytest
from sqlalchemy import select

from ledger.claims import services as claims
from ledger.claims.models import Claim, Receipt
from ledger.events.models import Event
from ledger.organisation import open_organisation_accounts
from ledger.people import services as people
from ledger.people.models import CircumstanceReport
from ledger.projects import services as projects
from tests.factories import (
    CIPHER,
    RECEIPT_PNG,
    TODAY,
    ClaimsWorld,
    PaymentsWorld,
    add_user,
    approve,
    claims_world,
    count_rows,
    database,
    draft_fee,
    make_partner,
    post_time_credits,
    set_today,
    sign_in,
    submitted_fee,
)


def text_of(response) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


@pytest.fixture
def world(app) -> ClaimsWorld:
    set_today(app, TODAY)
    with database(app) as session:
        return claims_world(session)


@pytest.fixture
def sian(client, world):
    """Siân (Carer's Allowance, no bank details yet), signed in."""
    assert sign_in(client, "sian@example.org").status_code == 302
    return client


def _counts(app) -> tuple[int, int, int, int]:
    with database(app) as session:
        return (count_rows(session, Claim), count_rows(session, Receipt), count_rows(session, Event),
                count_rows(session, CircumstanceReport))


def test_the_home_page_lists_the_participants_tasks_and_next_payment(app, sian, world):
    with database(app) as session:
        waiting = draft_fee(session, world, world.carer)
        returned = submitted_fee(session, world, world.carer, world.london_activity_id)
        claims.return_claim(session, returned, reason="Please add the bus receipt.", actor_user_id=world.finance)
        approved = submitted_fee(session, world, world.carer, world.flat_fee_activity_id)
        approve(session, world, approved, override_reason="Checked with Siân")

    page = sian.get("/my")

    assert page.status_code == 200
    text = text_of(page)
    assert "Choose what happens to your fee: Fee for Advisory group on 04 June 2025" in text
    assert f'/my/claims/{waiting}#choice' in page.get_data(as_text=True)
    assert "Give us your bank details" in text
    assert "Your claim was sent back" in text and "Why: Please add the bus receipt." in text
    # approved, in no run yet: the first day a run drafted today (Thursday 5 June 2025) could pay: two banking days on
    assert "£150.00 could arrive on 9 June 2025 at the earliest" in text, text[text.index("Your next"):][:200]


def test_the_next_payment_comes_from_the_drafted_run(app, client):
    set_today(app, TODAY)
    with database(app) as session:
        pw = PaymentsWorld(session)
        ann = pw.participant("Ann Run")
        pw.claim(ann, 4_000)
        pw.draft()
    add_user(app, "ann.run@example.org", ["participant"], participant_id=ann)
    sign_in(client, "ann.run@example.org")

    text = text_of(client.get("/my"))

    assert "£40.00 arrives in your bank account on 12 June 2025" in text
    assert "In the payment run being prepared" in text
    assert "In the payment run arriving on 12 June 2025" in text_of(client.get("/my/claims"))


def _start(client, world) -> str:
    page = client.get(f"/my/expenses/new/lines?activity_id={world.activity_id}&lines=2")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def _line(n: int, **values) -> dict:
    fields = {"category": "public_transport", "description": "Bus to the town hall", "day": "4", "month": "6",
              "year": "2025", "amount": "4.50"}
    fields.update(values)
    return {f"line{n}_{k}": v for k, v in fields.items()}


def test_a_participant_claims_expenses_with_receipts_checks_and_sends_them(app, sian, world):
    assert "Advisory group, 4 June 2025" in text_of(sian.get("/my/expenses/new"))
    html = _start(sian, world)
    assert 'accept="image/*,application/pdf"' in html and 'enctype="multipart/form-data"' in html
    key = re.search(r'name="key"[^>]*value="([^"]+)"', html).group(1)
    data = {"key": key, **_line(1, amount="30.00", line1_receipt=(io.BytesIO(RECEIPT_PNG), "bus.png")),
            **_line(2, category="meals", description="Lunch", amount="6.20")}
    data["line1_receipt"] = (io.BytesIO(RECEIPT_PNG), "bus.png")

    sent = sian.post(f"/my/expenses/new/lines?activity_id={world.activity_id}&lines=2", data=data,
                     content_type="multipart/form-data")

    assert sent.status_code == 302 and "/check" in sent.headers["Location"]
    check = sian.get(sent.headers["Location"])
    text = text_of(check)
    assert "Bus to the town hall, 4 June 2025: £30.00 Receipt: bus.png" in text
    assert "Lunch, 4 June 2025: £6.20 No receipt" in text and "Total £36.20" in text
    done = sian.post(sent.headers["Location"], data={})
    assert done.status_code == 302 and done.headers["Location"].endswith("/submitted")
    panel = text_of(sian.get(done.headers["Location"]))
    assert "Expense claim sent" in panel
    assert "After approval, in the next run on 9 June 2025 at the earliest" in panel
    listed = text_of(sian.get("/my/claims"))
    assert "Expenses for Dementia guide" in listed and "Waiting for approval" in listed


def _claim_and_check(client, world, amount: str) -> str:
    """Claim one bus fare through the form; the address of its check-your-answers page."""
    key = re.search(r'name="key"[^>]*value="([^"]+)"', _start(client, world)).group(1)
    sent = client.post(f"/my/expenses/new/lines?activity_id={world.activity_id}&lines=1",
                       data={"key": key, **_line(1, amount=amount)}, content_type="multipart/form-data")
    assert sent.status_code == 302, text_of(sent)
    return sent.headers["Location"]


def test_a_claim_like_one_already_sent_goes_only_when_the_participant_says_why_it_is_different(app, sian, world):
    first = _claim_and_check(sian, world, "4.50")
    assert sian.post(first, data={}).status_code == 302
    second = _claim_and_check(sian, world, "4.50")
    claim_id = int(second.split("/")[-2])
    before = _counts(app)

    asked = sian.post(second, data={})
    no_reason = sian.post(second, data={"confirm_duplicate": "y"})

    assert asked.status_code == 409
    assert "You have already sent us a claim for the same day and the same amount." in text_of(asked)
    assert 'name="confirm_duplicate"' in asked.get_data(as_text=True)
    assert no_reason.status_code == 400
    assert "Required to confirm a likely duplicate." in text_of(no_reason)
    assert _counts(app) == before
    with database(app) as session:
        assert session.get(Claim, claim_id).status == "draft"

    sent = sian.post(second, data={"confirm_duplicate": "y", "duplicate_reason": "Two buses: there and back"})

    assert sent.status_code == 302 and sent.headers["Location"].endswith("/submitted")
    with database(app) as session:
        event = session.execute(select(Event).where(Event.claim_id == claim_id, Event.action == "submit")).scalar_one()
        assert session.get(Claim, claim_id).status == "submitted" and event.reason == "Two buses: there and back"


def test_a_participant_claims_mileage_by_the_miles_and_the_rates_price_it(app, sian, world):
    html = _start(sian, world)
    assert 'value="mileage"' in html and "Miles, if you drove or rode (expense 1)" in html
    key = re.search(r'name="key"[^>]*value="([^"]+)"', html).group(1)
    before = _counts(app)
    no_miles = {"key": key, **_line(1, category="mileage", description="Drove to the town hall", amount=""),
                **_line(2, category="meals", description="Lunch", amount="6.20")}
    refused = sian.post(f"/my/expenses/new/lines?activity_id={world.activity_id}&lines=2", data=no_miles,
                        content_type="multipart/form-data")
    assert refused.status_code == 400
    assert "Say how many miles you drove or rode, like 12." in text_of(refused)
    assert 'href="#line1_miles"' in refused.get_data(as_text=True) and _counts(app) == before

    sent = sian.post(f"/my/expenses/new/lines?activity_id={world.activity_id}&lines=2",
                     data={**no_miles, "line1_miles": "20", "line1_vehicle": "car"},
                     content_type="multipart/form-data")

    assert sent.status_code == 302
    text = text_of(sian.get(sent.headers["Location"]))
    # 20 miles by car at the HMRC approved rate of 45p a mile, with no receipt asked for.
    assert "Drove to the town hall, 4 June 2025: £9.00 20 miles by car, at the mileage rates" in text
    assert "Total £15.20" in text


def test_a_bad_receipt_or_a_missing_one_is_named_beside_its_line_and_nothing_is_kept(app, sian, world):
    html = _start(sian, world)
    key = re.search(r'name="key"[^>]*value="([^"]+)"', html).group(1)
    before = _counts(app)
    data = {"key": key, **_line(1, amount="30.00"), **_line(2, amount="3.00")}
    data["line2_receipt"] = (io.BytesIO(b"not a picture at all"), "bus.png")

    refused = sian.post(f"/my/expenses/new/lines?activity_id={world.activity_id}&lines=2", data=data,
                        content_type="multipart/form-data")

    assert refused.status_code == 400
    text = text_of(refused)
    assert "Error: Add a photo or PDF of the receipt: amounts over £25.00 need one." in text
    assert 'href="#line1_receipt"' in refused.get_data(as_text=True)
    assert _counts(app) == before

    data = {"key": key, **_line(1, amount="3.00"), **_line(2, amount="3.00", day="31", month="2")}
    data["line1_receipt"] = (io.BytesIO(b"not a picture at all"), "bus.png")
    refused = sian.post(f"/my/expenses/new/lines?activity_id={world.activity_id}&lines=2", data=data,
                        content_type="multipart/form-data")
    assert refused.status_code == 400
    assert "Enter a real date, like 14 12 2026." in text_of(refused)
    data["line2_day"] = "4"
    data["line1_receipt"] = (io.BytesIO(b"not a picture at all"), "bus.png")
    refused = sian.post(f"/my/expenses/new/lines?activity_id={world.activity_id}&lines=2", data=data,
                        content_type="multipart/form-data")
    assert refused.status_code == 400
    assert "Error: Not a PDF, JPEG or PNG file." in text_of(refused)
    assert 'href="#line1_receipt"' in refused.get_data(as_text=True)
    assert _counts(app) == before


def test_an_activity_they_did_not_attend_is_refused(app, sian, world):
    with database(app) as session:
        other = projects.schedule_activity(session, world.project_code, kind="advisory_meeting",
                                           occurs_on=dt.date(2025, 6, 3), duration_minutes=60,
                                           preparation_minutes=0, region="uk", title="Not Siân's").id
    refused = sian.get(f"/my/expenses/new/lines?activity_id={other}&lines=1")
    assert refused.status_code == 400
    assert "Error: Choose one of the activities listed: you can claim for the ones you came to" in text_of(refused)
    assert "Not a valid choice" not in text_of(refused)


def test_bank_details_are_checked_then_confirmed_and_the_change_date_shown(app, sian, world):
    bad = sian.post("/my/details/bank", data={"account_name": "S Evans", "sort_code": "12-34",
                                              "account_number": "1234567"})
    assert bad.status_code == 400
    assert "A sort code is 6 digits" in text_of(bad) and "add a 0 at the front" in text_of(bad)

    check = sian.post("/my/details/bank", data={"account_name": "S Evans", "sort_code": "12-34-56",
                                                "account_number": "12345678"})
    assert check.status_code == 200
    assert "Check your new bank details" in text_of(check) and "12-34-56" in text_of(check)
    with database(app) as session:
        assert people.get_participant(session, world.carer).bank_details is None  # not stored yet

    done = sian.post("/my/details/bank", data={"account_name": "S Evans", "sort_code": "123456",
                                               "account_number": "12345678", "confirmed": "yes"})
    assert done.status_code == 302
    details = text_of(sian.get("/my/details"))
    with database(app) as session:
        stored = people.get_participant(session, world.carer).bank_details
    changed_on = f"{stored.set_at.day} {stored.set_at:%B %Y}"
    assert f"Sort code **-**-56, account ****5678 Changed on {changed_on}" in details
    assert f"Your bank details were changed on {changed_on}" in details
    with database(app) as session:
        events = session.query(Event).filter_by(participant_id=world.carer, action="set_bank_details").all()
        assert len(events) == 1 and events[0].actor_user_id == world.carer_user
        assert CIPHER.decrypt(session.get(people.Participant, world.carer).bank_details_encrypted
                              ).account_number == "12345678"


def test_contact_details_and_format_are_changed_and_recorded(app, sian, world):
    bad = sian.post("/my/details/contact", data={"email": "not an email", "phone": "", "postal_address": ""})
    assert bad.status_code == 400 and "email" in text_of(bad).lower()
    assert "Error:" in text_of(bad)

    ok = sian.post("/my/details/contact", data={"email": "sian.new@example.org", "phone": "07700 900123",
                                                "postal_address": "1 High Street\nCardiff"})
    assert ok.status_code == 302
    assert sian.post("/my/details/format", data={"preferred_format": "large_print"}).status_code == 302
    details = sian.get("/my/details")
    assert "sian.new@example.org" in text_of(details) and "1 High Street, Cardiff" in text_of(details)
    assert 'app-large-print' in details.get_data(as_text=True)
    with database(app) as session:
        changes = session.query(Event).filter_by(participant_id=world.carer, action="change_contact_details").all()
        assert [e.details["fields"] for e in changes] == [["email", "phone", "postal_address"], ["preferred_format"]]


def test_a_reported_change_waits_for_finance_who_accepts_it_into_a_declaration(app, client, world):
    sign_in(client, "sian@example.org")
    refused = client.post("/my/details/benefits", data={"change": "started", "changed_on_day": "1",
                                                        "changed_on_month": "6", "changed_on_year": "2025"})
    assert refused.status_code == 400 and "Error: Choose the benefit that started or stopped." in text_of(refused)
    sent = client.post("/my/details/benefits", data={"change": "started", "benefit": "universal_credit",
                                                     "changed_on_day": "1", "changed_on_month": "6",
                                                     "changed_on_year": "2025", "details": "My letter came"})
    assert sent.status_code == 200
    assert "Started getting Universal Credit on 1 June 2025" in text_of(sent)
    assert "Priya Shah" in text_of(sent) and "Citizens Advice" in text_of(sent)
    assert "Waiting for the finance team" in text_of(client.get("/my/details"))
    with database(app) as session:
        assert [b["name"] for b in people.current_benefits(session, world.carer).benefits] == ["carers_allowance"]
        report_id = session.query(CircumstanceReport).one().id
    client.post("/logout")

    sign_in(client, "fin@example.org")
    listed = text_of(client.get("/finance/circumstance-reports"))
    assert "Siân Evans: Started getting Universal Credit on 1 June 2025" in listed
    missing = client.post(f"/finance/circumstance-reports/{report_id}/review", data={f"r{report_id}-accepted": "yes"})
    assert missing.status_code == 400
    assert "Universal Credit work allowance: Required." in text_of(missing)
    assert "Universal Credit assessment period starts on day: Required." in text_of(missing)
    accepted = client.post(f"/finance/circumstance-reports/{report_id}/review", data={
        f"r{report_id}-accepted": "yes", f"r{report_id}-work_allowance": "none",
        f"r{report_id}-assessment_period_start_day": "14"})
    assert accepted.status_code == 302
    with database(app) as session:
        declared = people.current_benefits(session, world.carer)
        assert declared.declared_on == dt.date(2025, 6, 1)
        assert sorted(b["name"] for b in declared.benefits) == ["carers_allowance", "universal_credit"]
        assert session.query(CircumstanceReport).one().status == "accepted"
    assert "No changes are waiting for review." in text_of(client.get("/finance/circumstance-reports"))


def test_time_credits_are_spent_at_a_partner_and_given_to_a_person(app, sian, world):
    with database(app) as session:
        open_organisation_accounts(session)
        post_time_credits(session, world.carer, 180)
        partner = make_partner(session, "Leisure Centre").id
    assert "You have 3 hours of time credits" in text_of(sian.get("/my/time-credits"))
    page = sian.get("/my/time-credits/spend").get_data(as_text=True)
    key = re.search(r'name="key"[^>]*value="([^"]+)"', page).group(1)

    too_many = sian.post("/my/time-credits/spend", data={"partner_id": partner, "hours": "5", "key": key})
    assert too_many.status_code == 409
    assert 'href="#hours"' in too_many.get_data(as_text=True)
    assert "How many hours of time credits?: more than the balance allows" in text_of(too_many)
    spent = sian.post("/my/time-credits/spend", data={"partner_id": partner, "hours": "1.5", "key": key})
    assert spent.status_code == 302
    unknown = sian.post("/my/time-credits/give", data={"to": "person", "email": "nobody@example.org",
                                                       "hours": "1", "key": "k2"})
    assert unknown.status_code == 404 and "Error: Not found: check the address." in text_of(unknown)
    given = sian.post("/my/time-credits/give", data={"to": "person", "email": "ANN@example.org", "hours": "0.5",
                                                     "key": "k2"})
    assert given.status_code == 302
    assert "You have 1 hour of time credits" in text_of(sian.get("/my/time-credits"))


def test_every_benefit_warning_a_participant_sees_names_who_to_contact(app, sian, world):
    with database(app) as session:
        paid = submitted_fee(session, world, world.carer, world.flat_fee_activity_id)
        approve(session, world, paid, override_reason="Checked with Siân")
        fee = draft_fee(session, world, world.carer)

    page = sian.get(f"/my/claims/{fee}")

    text = text_of(page)
    assert "Carer's Allowance" in text
    said = text[text.index("You would lose all of your Carer's Allowance"):].replace(" ,", ",").replace(" .", ".")
    assert ("Who to contact about your benefits At Demo Council Adult Social Care: Priya Shah, Co-production "
            "payments officer, phone 020 7946 0000, email payments@council.example.") in said
    assert 'href="tel:02079460000"' in page.get_data(as_text=True)
    assert "Free, independent advice on benefits: Citizens Advice, 0800 144 8848, citizensadvice.org.uk." in text
    # no warning, no box: the approved £150 alone is under the limit
    assert "Who to contact about your benefits" not in text_of(sian.get(f"/my/claims/{paid}"))
