"""The books over JSON, round trip: open accounts, post, replay, refuse, read balances, reverse."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ledger.books.models import Posting
from tests.factories import add_user, api_token_for, bearer, database, entry_count

CHART = [
    ("bank", "Current account", "asset", "GBP"),
    ("owed:ann", "Owed to Ann", "liability", "GBP"),
    ("fees:guide", "Co-production fees: dementia guide", "expense", "GBP"),
    ("expenses:guide", "Co-production expenses: dementia guide", "expense", "GBP"),
    ("credits:issued", "Time credits issued", "equity", "TIME"),
    ("credits:ann", "Ann's time credits", "liability", "TIME"),
]


class Books:
    """A finance user's API client with the chart above opened."""

    def __init__(self, client, headers):
        self.client = client
        self.headers = headers

    def post(self, path, body):
        return self.client.post(f"/api/v1{path}", json=body, headers=self.headers)

    def get(self, path, **query):
        return self.client.get(f"/api/v1{path}", query_string=query, headers=self.headers)


@pytest.fixture
def books(app, client) -> Books:
    finance = add_user(app, "fin@example.org", ["finance"])
    books = Books(client, bearer(api_token_for(app, finance)))
    for code, name, kind, unit in CHART:
        opened = books.post("/accounts", {"code": code, "name": name, "type": kind, "unit": unit})
        assert opened.status_code == 201, opened.json
    return books


def fee(key="fee-ann-2025-05-06", amount=4500, date="2025-05-06", **changes):
    body = {
        "effective_date": date,
        "description": "Ann: advisory group, 3 hours at the London Living Wage",
        "idempotency_key": key,
        "kind": "fee",
        "reason": "Recorded by hand: the claim form was on paper",
        "postings": [
            {"account": "fees:guide", "amount": amount, "unit": "GBP"},
            {"account": "owed:ann", "amount": -amount, "unit": "GBP", "memo": "fee"},
        ],
    }
    body.update(changes)
    return body


def _posting_count(app) -> int:
    with database(app) as session:
        return session.execute(select(func.count()).select_from(Posting)).scalar_one()


def _unchanged(app, books, entries: int, postings: int) -> None:
    """Nothing was half-written: the same entries and postings, and every unit still sums to zero."""
    assert entry_count(app) == entries
    assert _posting_count(app) == postings
    assert set(books.get("/trial-balance").json["totals"].values()) <= {0}


def test_opening_accounts_lists_them(books):
    listed = books.get("/accounts")
    assert listed.status_code == 200
    assert [a["code"] for a in listed.json] == sorted(code for code, *_ in CHART)
    assert all(a["is_open"] for a in listed.json)


def test_opening_an_account_twice_with_another_type_is_a_conflict(books):
    clash = books.post("/accounts", {"code": "bank", "name": "Bank", "type": "liability", "unit": "GBP"})
    assert clash.status_code == 409
    assert "already exists as asset in GBP" in clash.json["error"]["message"]


def test_posting_an_entry_answers_201_with_its_postings(app, books):
    posted = books.post("/entries", fee())
    assert posted.status_code == 201
    entry = posted.json
    assert entry["effective_date"] == "2025-05-06"
    assert entry["kind"] == "fee"
    assert entry["reverses_entry_id"] is None
    assert [(p["account"], p["amount"], p["unit"]) for p in entry["postings"]] == [
        ("fees:guide", 4500, "GBP"), ("owed:ann", -4500, "GBP")]
    assert all(p["id"] > 0 for p in entry["postings"])
    assert books.get(f"/entries/{entry['id']}").json == entry
    assert entry_count(app) == 1


def test_replaying_the_same_idempotency_key_returns_the_original_entry(app, books):
    first = books.post("/entries", fee()).json
    again = books.post("/entries", fee())
    assert again.status_code == 201  # the view's one success answer, replay or not
    assert again.json["id"] == first["id"]
    _unchanged(app, books, entries=1, postings=2)
    assert books.get("/accounts/owed:ann/balance").json["balance"] == -4500


def test_same_key_with_different_content_is_a_conflict(app, books):
    first = books.post("/entries", fee()).json
    clash = books.post("/entries", fee(amount=4600))
    assert clash.status_code == 409
    error = clash.json["error"]
    assert error["code"] == "idempotency_conflict"
    assert error["message"] == (f"The idempotency key 'fee-ann-2025-05-06' was already used for a different entry "
                                f"(entry {first['id']}); use a new key for a new entry.")
    _unchanged(app, books, entries=1, postings=2)


def test_unbalanced_entry_is_refused_saying_by_how_much(app, books):
    body = fee()
    body["postings"][1]["amount"] = -4000
    refused = books.post("/entries", body)
    assert refused.status_code == 400
    assert refused.json["error"]["code"] == "unbalanced_entry"
    assert refused.json["error"]["message"] == "The postings do not balance: GBP is off by 500."
    _unchanged(app, books, entries=0, postings=0)


def test_entry_balanced_in_pounds_but_not_in_time_credits_is_refused(app, books):
    body = fee()
    body["postings"].append({"account": "credits:ann", "amount": -180, "unit": "TIME"})
    refused = books.post("/entries", body)
    assert refused.status_code == 400
    assert "TIME is off by -180" in refused.json["error"]["message"]
    _unchanged(app, books, entries=0, postings=0)


def test_posting_to_an_unknown_account_is_refused_naming_it(app, books):
    body = fee()
    body["postings"][1]["account"] = "owed:nobody"
    refused = books.post("/entries", body)
    assert refused.status_code == 400
    assert refused.json["error"]["code"] == "invalid_posting"
    assert "there is no account with code 'owed:nobody'" in refused.json["error"]["message"]
    assert refused.json["error"]["fields"] == {"postings.1.account": ["unknown"]}
    _unchanged(app, books, entries=0, postings=0)


def test_posting_in_the_wrong_unit_for_the_account_is_refused(app, books):
    body = fee()
    body["postings"] = [{"account": "credits:ann", "amount": 100, "unit": "GBP"},
                        {"account": "bank", "amount": -100, "unit": "GBP"}]
    refused = books.post("/entries", body)
    assert refused.status_code == 400
    assert "credits:ann is kept in TIME, not GBP" in refused.json["error"]["message"]
    _unchanged(app, books, entries=0, postings=0)


def test_posting_into_a_locked_month_is_refused(app, books):
    locked = books.post("/periods/locks", {"month": "2025-04", "reason": "Reconciled"})
    assert locked.status_code == 201
    assert [(m["month"], m["reason"]) for m in books.get("/periods/locks").json] == [("2025-04", "Reconciled")]
    refused = books.post("/entries", fee(key="late-fee", date="2025-04-30"))
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "period_locked"
    assert refused.json["error"]["message"].startswith("April 2025 is locked: post into an open month instead; "
                                                       "the books are open from May 2025")
    _unchanged(app, books, entries=0, postings=0)
    assert books.post("/entries", fee(key="on-time-fee", date="2025-05-01")).status_code == 201


def test_replay_of_an_entry_posted_before_its_month_was_locked_still_returns_it(app, books):
    first = books.post("/entries", fee(date="2025-04-30")).json
    books.post("/periods/locks", {"month": "2025-04", "reason": "Reconciled"})
    again = books.post("/entries", fee(date="2025-04-30"))
    assert again.json["id"] == first["id"]
    _unchanged(app, books, entries=1, postings=2)


@pytest.mark.parametrize("month", ["2025-4", "April 2025", "2025-13", ""])
def test_locking_needs_a_month_like_2025_04(books, month):
    refused = books.post("/periods/locks", {"month": month})
    assert refused.status_code == 400
    assert refused.json["error"]["fields"] == {"month": ["Use the form YYYY-MM."]}


def test_malformed_fields_are_each_named(app, books):
    body = fee()
    del body["effective_date"]
    body["postings"] = [
        {"account": "fees:guide", "amount": "4500", "unit": "GBP"},
        {"account": "owed:ann", "amount": -45.0, "unit": "GBP"},
        {"account": "bank", "amount": True, "unit": "EUR"},
    ]
    refused = books.post("/entries", body)
    assert refused.status_code == 400
    error = refused.json["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"effective_date", "postings.0.amount", "postings.1.amount", "postings.2.amount",
                                    "postings.2.unit"}
    assert error["fields"]["effective_date"] == ["Missing data for required field."]
    assert error["fields"]["postings.2.unit"] == ["Must be one of: GBP, TIME."]
    for name in error["fields"]:
        assert name in error["message"]
    _unchanged(app, books, entries=0, postings=0)


@pytest.mark.parametrize(("change", "field"), [
    ({"effective_date": "2025-02-30"}, "effective_date"),
    ({"effective_date": "6 May 2025"}, "effective_date"),
    ({"description": ""}, "description"),
    ({"idempotency_key": None}, "idempotency_key"),
    ({"postings": []}, "postings"),
    ({"surprise": 1}, "surprise"),
])
def test_each_malformed_entry_field_is_named(app, books, change, field):
    refused = books.post("/entries", fee(**change))
    assert refused.status_code == 400
    assert field in refused.json["error"]["fields"]
    _unchanged(app, books, entries=0, postings=0)


def test_a_body_that_is_not_json_is_refused_saying_so(app, books):
    refused = books.client.post("/api/v1/entries", data="{not json", content_type="application/json",
                                headers=books.headers)
    assert refused.status_code == 400
    assert refused.json["error"]["message"] == "Invalid JSON body."
    _unchanged(app, books, entries=0, postings=0)


def test_zero_posting_is_refused(app, books):
    body = fee()
    body["postings"].append({"account": "bank", "amount": 0, "unit": "GBP"})
    refused = books.post("/entries", body)
    assert refused.status_code == 400
    assert refused.json["error"]["fields"] == {"postings.2.amount": ["zero"]}
    _unchanged(app, books, entries=0, postings=0)


@pytest.fixture
def may_and_june(books) -> Books:
    """A fee, a travel expense and time credits in May; Ann paid in June."""
    entries = [
        fee(),
        fee(key="travel-ann-2025-05-06", kind="expense", description="Ann: bus fares", postings=[
            {"account": "expenses:guide", "amount": 1250, "unit": "GBP"},
            {"account": "owed:ann", "amount": -1250, "unit": "GBP"}]),
        fee(key="credits-ann-2025-05-07", date="2025-05-07", kind="time_credits", description="Ann: 2 hours",
            postings=[{"account": "credits:issued", "amount": 120, "unit": "TIME"},
                      {"account": "credits:ann", "amount": -120, "unit": "TIME"}]),
        fee(key="cheque-ann-7", date="2025-06-02", kind="manual", description="Ann paid by cheque", postings=[
            {"account": "owed:ann", "amount": 5750, "unit": "GBP"},
            {"account": "bank", "amount": -5750, "unit": "GBP"}]),
    ]
    for body in entries:
        assert books.post("/entries", body).status_code == 201
    return books


def test_balance_now_and_as_of_a_date(may_and_june):
    books = may_and_june
    assert books.get("/accounts/owed:ann/balance").json == {
        "account": "owed:ann", "unit": "GBP", "as_of": None, "balance": 0}
    assert books.get("/accounts/owed:ann/balance", as_of="2025-05-31").json["balance"] == -5750
    assert books.get("/accounts/owed:ann/balance", as_of="2025-05-05").json["balance"] == 0
    assert books.get("/accounts/bank/balance").json["balance"] == -5750
    assert books.get("/accounts/credits:ann/balance").json == {
        "account": "credits:ann", "unit": "TIME", "as_of": None, "balance": -120}


def test_balance_of_an_unknown_account_is_not_found(may_and_june):
    missing = may_and_june.get("/accounts/owed:nobody/balance")
    assert missing.status_code == 404
    assert missing.json["error"]["message"] == "There is no account with code 'owed:nobody'."


def test_balance_with_a_bad_date_names_the_field(may_and_june):
    refused = may_and_june.get("/accounts/bank/balance", as_of="last Tuesday")
    assert refused.status_code == 400
    assert "as_of" in refused.json["error"]["fields"]


def test_trial_balance_shows_every_account_and_zero_per_unit(may_and_june):
    tb = may_and_june.get("/trial-balance").json
    assert tb["totals"] == {"GBP": 0, "TIME": 0}
    assert {row["account"]["code"]: row["balance"] for row in tb["rows"]} == {
        "bank": -5750, "owed:ann": 0, "fees:guide": 4500, "expenses:guide": 1250,
        "credits:issued": 120, "credits:ann": -120}
    may = may_and_june.get("/trial-balance", as_of="2025-05-31").json
    assert may["as_of"] == "2025-05-31"
    assert {row["account"]["code"]: row["balance"] for row in may["rows"]}["owed:ann"] == -5750
    assert may["totals"] == {"GBP": 0, "TIME": 0}


def test_statement_has_running_balances_and_pages(may_and_june):
    whole = may_and_june.get("/accounts/owed:ann/statement", start="2025-05-01", end="2025-06-30").json
    assert whole["opening_balance"] == 0
    assert [(line["amount"], line["running_balance"]) for line in whole["lines"]] == [
        (-4500, -4500), (-1250, -5750), (5750, 0)]
    assert whole["closing_balance"] == 0
    assert whole["next_cursor"] is None

    first = may_and_june.get("/accounts/owed:ann/statement", start="2025-05-01", end="2025-06-30", limit=2).json
    assert [line["amount"] for line in first["lines"]] == [-4500, -1250]
    assert first["closing_balance"] == -5750
    second = may_and_june.get("/accounts/owed:ann/statement", start="2025-05-01", end="2025-06-30", limit=2,
                              after=first["next_cursor"]).json
    assert second["opening_balance"] == -5750
    assert [line["amount"] for line in second["lines"]] == [5750]
    assert second["closing_balance"] == 0
    assert second["next_cursor"] is None

    june = may_and_june.get("/accounts/owed:ann/statement", start="2025-06-01", end="2025-06-30").json
    assert june["opening_balance"] == -5750
    assert len(june["lines"]) == 1


@pytest.mark.parametrize(("query", "field"), [
    ({"start": "2025-06-30", "end": "2025-05-01"}, "end"),
    ({"start": "2025-05-01"}, "end"),
    ({"start": "2025-05-01", "end": "2025-06-30", "limit": 0}, "limit"),
    ({"start": "2025-05-01", "end": "2025-06-30", "after": "garbage"}, "after"),
])
def test_statement_refuses_a_bad_request_naming_the_field(may_and_june, query, field):
    refused = may_and_june.get("/accounts/owed:ann/statement", **query)
    assert refused.status_code == 400
    assert field in refused.json["error"]["fields"]


def test_reversal_posts_the_mirror_once(app, may_and_june):
    books = may_and_june
    original = books.get("/accounts/owed:ann/statement", start="2025-05-01", end="2025-05-31").json["lines"][0]
    reversal = books.post(f"/entries/{original['entry_id']}/reversal", {"effective_date": "2025-06-10"})
    assert reversal.status_code == 201
    assert reversal.json["reverses_entry_id"] == original["entry_id"]
    assert reversal.json["effective_date"] == "2025-06-10"
    assert sorted((p["account"], p["amount"]) for p in reversal.json["postings"]) == [
        ("fees:guide", -4500), ("owed:ann", 4500)]
    assert books.get("/accounts/fees:guide/balance").json["balance"] == 0
    assert books.get("/accounts/fees:guide/balance", as_of="2025-06-09").json["balance"] == 4500
    entries, postings = entry_count(app), _posting_count(app)

    second = books.post(f"/entries/{original['entry_id']}/reversal",
                        {"effective_date": "2025-06-11", "idempotency_key": "another-reversal"})
    assert second.status_code == 409
    assert second.json["error"]["code"] == "already_reversed"
    assert second.json["error"]["message"] == (
        f"Entry {original['entry_id']} has already been reversed by entry {reversal.json['id']}.")
    _unchanged(app, books, entries=entries, postings=postings)

    retried = books.post(f"/entries/{original['entry_id']}/reversal", {"effective_date": "2025-06-10"})
    assert retried.json["id"] == reversal.json["id"]
    _unchanged(app, books, entries=entries, postings=postings)


def test_reversing_a_reversal_is_refused(app, may_and_june):
    books = may_and_june
    first_id = books.get("/accounts/bank/statement", start="2025-06-01", end="2025-06-30").json["lines"][0]["entry_id"]
    reversal = books.post(f"/entries/{first_id}/reversal", {"effective_date": "2025-06-10"}).json
    refused = books.post(f"/entries/{reversal['id']}/reversal", {"effective_date": "2025-06-11"})
    assert refused.status_code == 409
    assert "is itself a reversal" in refused.json["error"]["message"]


def test_reversing_an_unknown_entry_is_not_found(books):
    missing = books.post("/entries/999/reversal", {"effective_date": "2025-06-10"})
    assert missing.status_code == 404
    assert missing.json["error"]["message"] == "There is no journal entry 999."


def test_reversal_into_a_locked_month_is_refused(app, may_and_june):
    books = may_and_june
    books.post("/periods/locks", {"month": "2025-06", "reason": "Reconciled"})
    entry_id = books.get("/accounts/bank/statement", start="2025-06-01", end="2025-06-30").json["lines"][0]["entry_id"]
    entries = entry_count(app)
    refused = books.post(f"/entries/{entry_id}/reversal", {"effective_date": "2025-06-20"})
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "period_locked"
    assert entry_count(app) == entries
    assert books.post(f"/entries/{entry_id}/reversal", {"effective_date": "2025-07-01"}).status_code == 201
