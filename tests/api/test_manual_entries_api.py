"""Manual journal entries through the API cannot bypass the rules the claims, runs and time bank keep.

Each refusal names the field and writes nothing: no entry, posting, event or manual-entry row. Above the
configured amount an entry waits for a second finance user; the proposer cannot approve their own.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from ledger.books import posting
from ledger.books.models import JournalEntry, ManualEntry, Posting
from ledger.books.records import PostingLine
from ledger.context import reload_settings
from ledger.events.models import Event
from tests.factories import add_user, api_token_for, bearer, count_rows, database

OWED = "owed:participant:1"
TIME = "time:participant:1"
CHART = [
    ("bank:main", "Current account", "asset", "GBP"),
    ("fees:guide", "Co-production fees: dementia guide", "expense", "GBP"),
    (OWED, "Owed to participant 1", "liability", "GBP"),
    ("time:issued", "Time credits issued", "equity", "TIME"),
    (TIME, "Participant 1's time credits", "liability", "TIME"),
    ("time:partner:1", "Leisure centre: time credits taken", "asset", "TIME"),
]


class Finance:
    """One finance user's API client."""

    def __init__(self, client, headers, user_id):
        self.client, self.headers, self.id = client, headers, user_id

    def post(self, path, body=None):
        return self.client.post(f"/api/v1{path}", json=body if body is not None else {}, headers=self.headers)

    def get(self, path, **query):
        return self.client.get(f"/api/v1{path}", query_string=query, headers=self.headers)


def _finance(app, client, email) -> Finance:
    user = add_user(app, email, ["finance"])
    return Finance(client, bearer(api_token_for(app, user)), user)


@pytest.fixture
def fin(app, client) -> Finance:
    first = _finance(app, client, "fin@example.org")
    for code, name, kind, unit in CHART:
        assert first.post("/accounts", {"code": code, "name": name, "type": kind, "unit": unit}).status_code == 201
    return first


@pytest.fixture
def second(app, client, fin) -> Finance:
    return _finance(app, client, "second@example.org")


def entry(key="manual:cheque-1", *, pence=15_000, **changes) -> dict:
    """A fee paid by cheque, recorded by hand: the fee owed and paid in one entry (nets owed to zero)."""
    body = {
        "effective_date": "2025-06-05",
        "description": "Fee for the film shoot, paid by cheque",
        "reason": "Paid by cheque at the event; the claim was on paper",
        "idempotency_key": key,
        "kind": "manual",
        "postings": [
            {"account": "fees:guide", "amount": pence, "unit": "GBP"},
            {"account": OWED, "amount": -pence, "unit": "GBP", "kind": "fee"},
            {"account": OWED, "amount": pence, "unit": "GBP", "kind": "fee"},
            {"account": "bank:main", "amount": -pence, "unit": "GBP"},
        ],
    }
    body.update(changes)
    return body


def time_entry(key, minutes, *, into=TIME, out_of="time:issued", **changes) -> dict:
    """Time credits moved by hand: ``minutes`` credited to ``into`` from ``out_of``."""
    body = {
        "effective_date": "2025-06-05", "description": "Time credits recorded by hand",
        "reason": "The time bank was down on the day", "idempotency_key": key, "kind": "manual",
        "postings": [{"account": out_of, "amount": minutes, "unit": "TIME",
                      **({"kind": "time_credits"} if out_of.startswith("time:participant:") else {})},
                     {"account": into, "amount": -minutes, "unit": "TIME",
                      **({"kind": "time_credits"} if into.startswith("time:participant:") else {})}],
    }
    body.update(changes)
    return body


def written(app) -> tuple[int, int, int, int]:
    """Entries, postings, events and manual-entry rows: what a refusal must not change."""
    with database(app) as session:
        return (count_rows(session, JournalEntry), count_rows(session, Posting), count_rows(session, Event),
                count_rows(session, ManualEntry))


def balance(fin, code) -> int:
    return fin.get(f"/accounts/{code}/balance").json["balance"]


OWED_CREDIT = [{"account": "fees:guide", "amount": 4500, "unit": "GBP"},
               {"account": OWED, "amount": -4500, "unit": "GBP", "kind": "fee"}]

REFUSALS = {
    "a system entry kind": ({"kind": "fee_approved"}, "kind"),
    "a reversal kind": ({"kind": "reversal:payment"}, "kind"),
    "a claim's key": ({"idempotency_key": "claim:7:accrual"}, "idempotency_key"),
    "the time bank's key": ({"idempotency_key": "time-credits:gift-1"}, "idempotency_key"),
    "a blank reason": ({"reason": "   "}, "reason"),
    "an empty reason": ({"reason": ""}, "reason"),
    "owed money no run will pay": ({"postings": OWED_CREDIT}, "postings.1.account"),
    "the kind of a run's payment": ({"kind": "payment"}, "kind"),
    "a payment run kind": ({"kind": "payment_run"}, "kind"),
    "a run's key": ({"idempotency_key": "manual:payment-run-7"}, "idempotency_key"),
    "a run's description": ({"description": "Payment run PR-7: paid to participant 1"}, "description"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_a_manual_entry_that_bypasses_the_rules_is_refused_naming_the_field(app, fin, case):
    change, field = REFUSALS[case]
    before = written(app)

    refused = fin.post("/entries", entry(**change))

    assert refused.status_code == 400, refused.json
    assert list(refused.json["error"]["fields"]) == [field]
    if field == "postings.1.account":
        assert refused.json["error"]["message"].startswith(
            "Posting 2 makes owed:participant:1 owed £45.00 more, which no payment run would pay.")
    assert written(app) == before
    assert balance(fin, OWED) == 0


def test_a_missing_reason_is_refused_naming_it(app, fin):
    body = entry()
    del body["reason"]
    before = written(app)

    refused = fin.post("/entries", body)

    assert refused.status_code == 400
    assert refused.json["error"]["fields"] == {"reason": ["Missing data for required field."]}
    assert written(app) == before


def test_a_payment_by_hand_that_nets_owed_to_zero_is_posted_with_its_reason(app, fin):
    posted = fin.post("/entries", entry())

    assert posted.status_code == 201, posted.json
    assert [(p["account"], p["amount"], p["kind"]) for p in posted.json["postings"]] == [
        ("fees:guide", 15_000, None), (OWED, -15_000, "fee"), (OWED, 15_000, "fee"), ("bank:main", -15_000, None)]
    [kept] = fin.get("/manual-entries").json
    assert (kept["status"], kept["entry_id"], kept["reason"], kept["proposed_by"], kept["needs_second_user"]) == (
        "posted", posted.json["id"], "Paid by cheque at the event; the claim was on paper", fin.id, False)
    assert balance(fin, OWED) == 0 and balance(fin, "bank:main") == -15_000


def test_a_manual_entry_may_not_pay_what_a_claim_owes_so_the_claim_is_never_paid_twice(app, fin):
    before = written(app)
    paid = fin.post("/entries", entry(postings=[{"account": OWED, "amount": 4500, "unit": "GBP", "kind": "fee"},
                                                {"account": "bank:main", "amount": -4500, "unit": "GBP"}]))
    assert paid.status_code == 400, paid.json
    assert paid.json["error"]["fields"] == {"postings.0.account": ["pays what a claim owes outside the claim"]}
    assert "paid again by the next payment run" in paid.json["error"]["message"]
    assert balance(fin, OWED) == 0 and written(app) == before


def test_replaying_a_manual_entry_returns_it_and_a_changed_one_is_a_conflict(app, fin):
    first = fin.post("/entries", entry()).json
    again = fin.post("/entries", entry())
    assert (again.status_code, again.json["id"]) == (201, first["id"])
    before = written(app)

    clash = fin.post("/entries", entry(reason="Another reason"))

    assert clash.status_code == 409
    assert clash.json["error"]["code"] == "idempotency_conflict"
    assert clash.json["error"]["fields"] == {"idempotency_key": ["reused with different content"]}
    assert written(app) == before


# ---------------------------------------------------------------- a second finance user


def test_above_the_amount_an_entry_waits_and_only_another_finance_user_can_post_it(app, fin, second):
    before = written(app)

    proposed = fin.post("/entries", entry(pence=60_000))

    assert proposed.status_code == 202, proposed.json
    proposal = proposed.json
    assert (proposal["status"], proposal["proposed_by"], proposal["entry_id"], proposal["gbp_debits_pence"]) == (
        "waiting_for_approval", fin.id, None, 120_000)
    assert proposal["reason"] == "Paid by cheque at the event; the claim was on paper"
    assert len(proposal["postings"]) == 4
    entries, postings, events, rows = before
    assert written(app) == (entries, postings, events + 1, rows + 1)  # nothing in the books yet
    assert [p["id"] for p in fin.get("/manual-entries", status="waiting_for_approval").json] == [proposal["id"]]

    own = fin.post(f"/manual-entries/{proposal['id']}/approve")
    assert own.status_code == 403
    assert own.json["error"]["message"] == (
        "You proposed this entry, so you cannot approve it: a different finance user must.")
    assert written(app) == (entries, postings, events + 1, rows + 1)

    approved = second.post(f"/manual-entries/{proposal['id']}/approve")

    assert approved.status_code == 200, approved.json
    assert (approved.json["status"], approved.json["decided_by"]) == ("posted", second.id)
    posted = fin.get(f"/entries/{approved.json['entry_id']}").json
    assert (posted["idempotency_key"], posted["actor_user_id"]) == ("manual:cheque-1", second.id)
    assert balance(fin, "bank:main") == -60_000
    assert written(app) == (entries + 1, postings + 4, events + 2, rows + 1)
    with database(app) as session:
        history = session.execute(select(Event.action, Event.actor_user_id, Event.from_status, Event.to_status)
                                  .where(Event.subject_type == "manual_entry").order_by(Event.id)).all()
    assert [tuple(h) for h in history] == [("propose", fin.id, None, "waiting_for_approval"),
                                          ("approve", second.id, "waiting_for_approval", "posted")]
    assert fin.get("/manual-entries", status="waiting_for_approval").json == []

    twice = second.post(f"/manual-entries/{proposal['id']}/approve")
    assert twice.status_code == 409
    assert "already posted" in twice.json["error"]["message"]


def test_replaying_a_proposal_returns_it_and_a_changed_one_is_a_conflict(app, fin):
    first = fin.post("/entries", entry(pence=60_000)).json
    again = fin.post("/entries", entry(pence=60_000))
    assert (again.status_code, again.json["id"], again.json["status"]) == (202, first["id"], "waiting_for_approval")
    before = written(app)

    clash = fin.post("/entries", entry(pence=70_000))

    assert clash.status_code == 409
    assert clash.json["error"]["message"] == (
        f"The idempotency key 'manual:cheque-1' was already used for a different entry (manual entry proposal "
        f"{first['id']}); use a new key for a new entry.")
    assert written(app) == before


def test_a_rejected_proposal_never_reaches_the_books(app, fin, second):
    proposal = fin.post("/entries", entry(pence=60_000)).json
    before = written(app)

    no_reason = second.post(f"/manual-entries/{proposal['id']}/reject", {"reason": "  "})
    assert no_reason.status_code == 400
    assert no_reason.json["error"]["fields"] == {"reason": ["required"]}
    assert written(app) == before

    rejected = second.post(f"/manual-entries/{proposal['id']}/reject", {"reason": "The cheque bounced"})

    assert rejected.status_code == 200
    assert (rejected.json["status"], rejected.json["rejection_reason"]) == ("rejected", "The cheque bounced")
    late = second.post(f"/manual-entries/{proposal['id']}/approve")
    assert late.status_code == 409
    entries, postings, events, rows = before
    assert written(app) == (entries, postings, events + 1, rows)


def test_a_proposal_that_could_not_be_posted_is_refused_at_once(app, fin):
    before = written(app)
    body = entry(pence=60_000)
    body["postings"][3]["account"] = "bank:nowhere"

    refused = fin.post("/entries", body)

    assert refused.status_code == 400
    assert refused.json["error"]["fields"] == {"postings.3.account": ["unknown"]}
    assert written(app) == before


def test_the_amount_is_the_organisations_setting(app, fin):
    app.config["MANUAL_ENTRY_SECOND_APPROVAL_ABOVE_PENCE"] = 1000
    reload_settings(app)
    assert fin.post("/entries", entry(pence=600)).status_code == 202
    assert fin.post("/entries", entry("manual:cheque-2", pence=500)).status_code == 201


def test_an_unknown_manual_entry_is_not_found(fin):
    assert fin.get("/manual-entries/999").status_code == 404
    assert fin.post("/manual-entries/999/approve").status_code == 404


# ---------------------------------------------------------------- time credits never go below zero


def test_a_manual_entry_cannot_take_time_credits_below_zero(app, fin):
    assert fin.post("/entries", time_entry("manual:award-1", 60)).status_code == 201
    before = written(app)

    refused = fin.post("/entries", time_entry("manual:spend-1", 90, into="time:partner:1", out_of=TIME))

    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "insufficient_time_credits"
    assert refused.json["error"]["fields"] == {"postings": ["more time credits than are held"]}
    assert written(app) == before
    assert balance(fin, TIME) == -60


def test_the_configured_overdraft_applies_to_manual_entries(app, fin):
    app.config["TIME_CREDIT_OVERDRAFT_MINUTES"] = 30
    reload_settings(app)
    assert fin.post("/entries", time_entry("manual:award-1", 60)).status_code == 201
    assert fin.post("/entries", time_entry("manual:spend-1", 90, into="time:partner:1", out_of=TIME)
                    ).status_code == 201
    refused = fin.post("/entries", time_entry("manual:spend-2", 1, into="time:partner:1", out_of=TIME))
    assert refused.status_code == 409
    assert balance(fin, TIME) == 30


def test_a_reversal_cannot_take_time_credits_below_zero(app, fin):
    award = fin.post("/entries", time_entry("manual:award-1", 60)).json
    assert fin.post("/entries", time_entry("manual:spend-1", 40, into="time:partner:1", out_of=TIME)
                    ).status_code == 201
    before = written(app)

    refused = fin.post(f"/entries/{award['id']}/reversal", {"effective_date": "2025-06-06"})

    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "insufficient_time_credits"
    assert written(app) == before
    assert balance(fin, TIME) == -20


# ---------------------------------------------------------------- reversing by hand


def test_reversing_a_payment_by_hand_that_would_leave_a_person_owed_is_refused(app, fin):
    with database(app) as session:  # a payment by hand from before manual entries were refused it
        paid = {"id": posting.post_entry(
            session, effective_date=dt.date(2025, 6, 5), description="Fee paid by cheque",
            idempotency_key="manual:old-cheque", kind="manual",
            postings=[PostingLine(OWED, 4500, "GBP", kind="fee"), PostingLine("bank:main", -4500, "GBP")]).id}
    before = written(app)

    refused = fin.post(f"/entries/{paid['id']}/reversal", {"effective_date": "2025-06-06"})

    assert refused.status_code == 400
    assert refused.json["error"]["fields"] == {"entry_id": ["leaves a person owed money"]}
    assert written(app) == before


def test_an_entry_the_system_posted_cannot_be_reversed_by_hand(app, fin):
    with database(app) as session:
        accrual = posting.post_entry(
            session, effective_date=dt.date(2025, 6, 5), description="Fee for the advisory group",
            idempotency_key="claim:1:accrual", kind="fee_approved",
            postings=[PostingLine("fees:guide", 4500, "GBP"), PostingLine(OWED, -4500, "GBP", kind="fee")])
    before = written(app)

    refused = fin.post(f"/entries/{accrual.id}/reversal", {"effective_date": "2025-06-06"})

    assert refused.status_code == 409
    assert refused.json["error"]["fields"] == {"entry_id": ["posted by the system"]}
    assert written(app) == before


def test_a_reversal_may_not_use_a_system_key(app, fin):
    posted = fin.post("/entries", entry()).json
    before = written(app)

    refused = fin.post(f"/entries/{posted['id']}/reversal",
                       {"effective_date": "2025-06-06", "idempotency_key": "payment-run:3:participant:1"})

    assert refused.status_code == 400
    assert refused.json["error"]["fields"] == {"idempotency_key": ["reserved for the system"]}
    assert written(app) == before
    with database(app) as session:
        assert session.execute(select(func.count()).select_from(JournalEntry)
                               .where(JournalEntry.reverses_entry_id == posted["id"])).scalar_one() == 0
