"""Closing a month: only ended months, in order, with a reason and who; reopening needs a second person."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.books import periods, posting
from ledger.books.records import PostingLine
from ledger.errors import PeriodLocked
from ledger.events.writer import events_of
from ledger.formatting import long_date
from tests.factories import api_token_for, bearer, database, make_user, sign_in

TODAY = "2025-06-05"


@pytest.fixture
def app(database_url):
    from ledger import create_app

    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "WTF_CSRF_ENABLED": False,
                      "SECRET_KEY": "test-secret-key-test-secret-key-0123456789", "LEDGER_TODAY": TODAY})
    yield app
    app.extensions["engine"].dispose()


@pytest.fixture
def people(app):
    with database(app) as session:
        return {"fin": make_user(session, "fin@example.org", ["finance"], display_name="Fay Finance").id,
                "admin": make_user(session, "admin@example.org", ["admin"], display_name="Ada Admin").id,
                "admin2": make_user(session, "admin2@example.org", ["admin"], display_name="Abe Admin").id}


@pytest.fixture
def api(app, client, people):
    tokens = {who: bearer(api_token_for(app, uid)) for who, uid in people.items()}

    def call(who, path, body=None):
        if body is None:
            return client.get(f"/api/v1{path}", headers=tokens[who])
        return client.post(f"/api/v1{path}", json=body, headers=tokens[who])
    return call


def _locked(app) -> list[str]:
    with database(app) as session:
        return [f"{m:%Y-%m}" for m in posting.locked_months(session)]


def test_a_lock_records_who_when_and_why(app, api, people):
    locked = api("fin", "/periods/locks", {"month": "2025-04", "reason": "April reconciled"})

    assert locked.status_code == 201, locked.json
    assert locked.json["locked_by"] == {"id": people["fin"], "name": "Fay Finance"}
    assert locked.json["reason"] == "April reconciled" and locked.json["locked_at"]
    with database(app) as session:
        (event,) = events_of(session, "period", "2025-04")
    assert (event.kind, event.actor_user_id, event.reason) == ("period.lock", people["fin"], "April reconciled")


@pytest.mark.parametrize(("month", "message"), [
    ("2025-06", "June 2025 has not ended yet: only a month before June 2025 can be locked."),
    ("2025-09", "September 2025 has not ended yet: only a month before June 2025 can be locked."),
])
def test_the_current_or_a_future_month_cannot_be_locked(app, api, month, message):
    refused = api("fin", "/periods/locks", {"month": month, "reason": "Early"})

    assert refused.status_code == 400
    assert refused.json["error"] == {"code": "validation_error", "message": message, "fields": {"month": ["not ended"]}}
    assert _locked(app) == []


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_lock_needs_a_reason(app, api, reason):
    body = {"month": "2025-04"} | ({} if reason is None else {"reason": reason})
    refused = api("fin", "/periods/locks", body)

    assert refused.status_code == 400
    assert refused.json["error"]["fields"] == {"reason": ["required"]}
    assert _locked(app) == []


def test_months_are_locked_in_order_with_no_gaps(app, api):
    assert api("fin", "/periods/locks", {"month": "2025-03", "reason": "March done"}).status_code == 201

    gap = api("fin", "/periods/locks", {"month": "2025-05", "reason": "May done"})
    assert gap.status_code == 400
    assert gap.json["error"]["message"] == "Months are locked in order: lock April 2025 next, not May 2025."
    assert gap.json["error"]["fields"] == {"month": ["out of order"]}
    before = api("fin", "/periods/locks", {"month": "2025-02", "reason": "February"})
    assert before.status_code == 400
    assert api("fin", "/periods/locks", {"month": "2025-04", "reason": "April done"}).status_code == 201
    assert api("fin", "/periods/locks", {"month": "2025-05", "reason": "May done"}).status_code == 201
    assert _locked(app) == ["2025-03", "2025-04", "2025-05"]


def test_posting_into_a_locked_month_says_which_month_is_open(app, api):
    for month in ("2025-03", "2025-04"):
        api("fin", "/periods/locks", {"month": month, "reason": "Done"})
    with database(app) as session:
        posting.open_account(session, code="fees", name="Fees", type="expense", unit="GBP")
        posting.open_account(session, code="owed", name="Owed", type="liability", unit="GBP")
    with database(app) as session, pytest.raises(PeriodLocked) as refused:
        posting.post_entry(session, effective_date=dt.date(2025, 3, 31), description="Late fee",
                           idempotency_key="late", postings=[PostingLine("fees", 100, "GBP"),
                                                             PostingLine("owed", -100, "GBP")])
    assert refused.value.message == ("March 2025 is locked: post into an open month instead; the books are open "
                                     "from May 2025 (for a correction, date the reversal in an open month).")


def _lock_april(api):
    for month in ("2025-03", "2025-04"):
        assert api("fin", "/periods/locks", {"month": month, "reason": "Done"}).status_code == 201


def test_reopening_needs_a_second_person(app, api, people):
    _lock_april(api)
    asked = api("admin", "/periods/reopen-requests", {"month": "2025-04", "reason": "A missed invoice"})
    assert asked.status_code == 201, asked.json
    assert (asked.json["status"], asked.json["requested_by"]["name"]) == ("requested", "Ada Admin")
    assert _locked(app) == ["2025-03", "2025-04"]

    own = api("admin", f"/periods/reopen-requests/{asked.json['id']}/approve", {})
    assert own.status_code == 403
    assert own.json["error"]["message"] == "A second person must decide: you asked for this month to be reopened."
    assert _locked(app) == ["2025-03", "2025-04"]

    approved = api("fin", f"/periods/reopen-requests/{asked.json['id']}/approve", {})
    assert approved.status_code == 200, approved.json
    assert (approved.json["status"], approved.json["decided_by"]["name"]) == ("approved", "Fay Finance")
    assert _locked(app) == ["2025-03"]
    with database(app) as session:
        kinds = [(e.kind, e.actor_user_id) for e in events_of(session, "period", "2025-04")]
    assert kinds == [("period.lock", people["fin"]), ("period.reopen_request", people["admin"]),
                     ("period.reopen_approve", people["fin"])]
    again = api("admin2", f"/periods/reopen-requests/{asked.json['id']}/approve", {})
    assert again.status_code == 409


def test_only_the_latest_locked_month_can_be_reopened_and_only_by_an_admin(app, api):
    _lock_april(api)
    older = api("admin", "/periods/reopen-requests", {"month": "2025-03", "reason": "Oops"})
    assert older.status_code == 400
    assert older.json["error"]["fields"] == {"month": ["not the latest"]}
    assert api("fin", "/periods/reopen-requests", {"month": "2025-04", "reason": "Oops"}).status_code == 403
    no_reason = api("admin", "/periods/reopen-requests", {"month": "2025-04"})
    assert no_reason.json["error"]["fields"] == {"reason": ["required"]}
    assert api("admin", "/periods/reopen-requests", {"month": "2025-04", "reason": "Oops"}).status_code == 201
    twice = api("admin2", "/periods/reopen-requests", {"month": "2025-04", "reason": "Oops"})
    assert twice.status_code == 409


def test_a_rejection_needs_a_reason_and_keeps_the_month_locked(app, api):
    _lock_april(api)
    asked = api("admin", "/periods/reopen-requests", {"month": "2025-04", "reason": "A missed invoice"}).json
    no_reason = api("admin2", f"/periods/reopen-requests/{asked['id']}/reject", {})
    assert no_reason.status_code == 400 and no_reason.json["error"]["fields"] == {"reason": ["required"]}
    rejected = api("admin2", f"/periods/reopen-requests/{asked['id']}/reject", {"reason": "Post it in June"})
    assert rejected.status_code == 200
    assert (rejected.json["status"], rejected.json["decision_reason"]) == ("rejected", "Post it in June")
    assert _locked(app) == ["2025-03", "2025-04"]
    assert [r["status"] for r in api("fin", "/periods/reopen-requests").json] == ["rejected"]


def test_the_page_locks_with_a_reason_and_shows_who(app, client, people):
    sign_in(client, "fin@example.org")
    refused = client.post("/books/periods/lock", data={"month": "2025-06", "reason": "Early"})
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "There is a problem" in html and 'id="month-error"' in html and "has not ended yet" in html
    no_reason = client.post("/books/periods/lock", data={"month": "2025-04", "reason": ""})
    assert no_reason.status_code == 400 and 'id="reason-error"' in no_reason.get_data(as_text=True)

    done = client.post("/books/periods/lock", data={"month": "2025-04", "reason": "Reconciled"}, follow_redirects=True)
    text = done.get_data(as_text=True)
    assert "Locked by Fay Finance" in text and "Reason: Reconciled" in text
    assert "The next month to lock is May 2025" in text
    with database(app) as session:
        (lock,) = periods.locks(session)
    assert f"on {long_date(lock.locked_at)} at {lock.locked_at:%H:%M} UTC." in " ".join(text.split())


def test_the_page_reopens_with_a_second_person(app, client, people):
    with database(app) as session:
        periods.close_month(session, dt.date(2025, 4, 1), reason="Done", actor_user_id=people["fin"],
                            today=dt.date(2025, 6, 5))
    sign_in(client, "admin@example.org")
    asked = client.post("/books/periods/reopen", data={"month": "2025-04", "reason": "Missed invoice"},
                        follow_redirects=True)
    assert "It stays locked until a second person approves." in asked.get_data(as_text=True)
    assert "Waiting for a second person to decide." in asked.get_data(as_text=True)
    with database(app) as session:
        (request,) = periods.reopen_requests(session)
    refused = client.post(f"/books/periods/reopen/{request.id}", data={"approve": "y"})
    assert refused.status_code == 403 or "second person must decide" in refused.get_data(as_text=True)
    assert _locked(app) == ["2025-04"]

    client.post("/logout")
    sign_in(client, "fin@example.org")
    page = client.get("/books/periods").get_data(as_text=True)
    assert "Approve: reopen the month" in page
    done = client.post(f"/books/periods/reopen/{request.id}", data={"approve": "y"}, follow_redirects=True)
    assert "April 2025 is open again" in done.get_data(as_text=True)
    assert _locked(app) == []


def test_the_cli_locks_the_next_month_with_a_reason(app, runner, people):
    result = runner.invoke(args=["ledger", "lock-month", "2025-04", "--reason", "Reconciled", "--by",
                                 "fin@example.org"])
    assert result.exit_code == 0, result.output
    assert "April 2025 is locked." in result.output
    gap = runner.invoke(args=["ledger", "lock-month", "2025-06", "--reason", "x", "--by", "fin@example.org"])
    assert gap.exit_code == 1 and "has not ended yet" in gap.output
    nobody = runner.invoke(args=["ledger", "lock-month", "2025-05", "--reason", "x", "--by", "admin@example.org"])
    assert nobody.exit_code == 2 and "No active finance user" in nobody.output
    assert _locked(app) == ["2025-04"]


def test_the_older_lock_period_command_keeps_its_name_and_applies_the_same_rules(app, runner, people):
    bare = runner.invoke(args=["ledger", "lock-period", "2025-04"])
    assert bare.exit_code == 2 and "--reason" in bare.output
    anonymous = runner.invoke(args=["ledger", "lock-period", "2025-04", "--reason", "Reconciled"])
    assert anonymous.exit_code == 2 and "--as-user" in anonymous.output
    early = runner.invoke(args=["ledger", "lock-period", "2025-06", "--reason", "x", "--as-user", "fin@example.org"])
    assert early.exit_code == 1 and "has not ended yet" in early.output
    assert _locked(app) == []

    done = runner.invoke(args=["ledger", "lock-period", "2025-04", "--reason", "Reconciled", "--as-user",
                               "fin@example.org"])
    assert done.exit_code == 0 and "April 2025 is locked." in done.output, done.output
    with database(app) as session:
        (lock,) = periods.locks(session)
    assert (lock.reason, lock.locked_by_user_id) == ("Reconciled", people["fin"])


def test_the_cli_reopens_a_month_on_an_admins_request_and_a_second_persons_approval(app, runner, people):
    as_fin, as_admin = ["--as-user", "fin@example.org"], ["--as-user", "admin@example.org"]
    runner.invoke(args=["ledger", "lock-period", "2025-04", "--reason", "Reconciled", *as_fin])
    by_finance = runner.invoke(args=["ledger", "reopen-period", "2025-04", "--reason", "Missed invoice", *as_fin])
    assert by_finance.exit_code == 2 and "No active administrator" in by_finance.output

    asked = runner.invoke(args=["ledger", "reopen-period", "2025-04", "--reason", "Missed invoice", *as_admin])
    assert asked.exit_code == 0, asked.output
    with database(app) as session:
        (request,) = periods.reopen_requests(session)
    same = runner.invoke(args=["ledger", "approve-reopen", str(request.id), *as_admin])
    assert same.exit_code == 1 and "second person" in same.output
    assert _locked(app) == ["2025-04"]

    approved = runner.invoke(args=["ledger", "approve-reopen", str(request.id), *as_fin])
    assert approved.exit_code == 0 and "April 2025 is open again" in approved.output, approved.output
    assert _locked(app) == []
