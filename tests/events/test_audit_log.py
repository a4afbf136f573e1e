"""The audit log: the same filters, pages and CSV through the API, the page and the CLI, with names not ids."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select

from ledger.events.models import Event
from ledger.events.records import NewEvent
from ledger.events.writer import record_event
from tests.factories import add_user, api_token_for, bearer, database, make_group, make_participant, make_user, sign_in

DAY = dt.datetime(2025, 5, 10, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def log(app):
    """Seven events on three days: four about Ann by Fay (finance), three about nobody by the system."""
    with database(app) as session:
        ann = make_participant(session, "Ann Example").id
        fay = make_user(session, "fay@example.org", ["finance"], display_name="Fay Finance").id
        for n in range(4):
            record_event(session, NewEvent(subject="participant", subject_id=ann, action="bank_details_change",
                                           actor_user_id=fay, participant_id=ann, reason=f"change {n}"),
                         at=DAY + dt.timedelta(days=n % 2))
        for n in range(3):
            record_event(session, NewEvent(subject="period", subject_id=f"2025-0{n + 1}", action="lock",
                                           actor_user_id=None, before="open", after="locked"),
                         at=DAY + dt.timedelta(days=2))
    return {"ann": ann, "fay": fay}


@pytest.fixture
def auditor(app, client):
    return bearer(api_token_for(app, add_user(app, "audit@example.org", ["admin"])))


def _all_ids(app, **where) -> list[int]:
    with database(app) as session:
        query = select(Event.id).order_by(Event.id.desc())
        for name, value in where.items():
            query = query.where(getattr(Event, name) == value)
        return list(session.execute(query).scalars())


def test_pages_run_newest_first_with_no_gaps_or_repeats(app, client, log, auditor):
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        answer = client.get("/api/v1/events", query_string=query, headers=auditor)
        assert answer.status_code == 200, answer.json
        assert len(answer.json["events"]) <= 3
        seen += [e["id"] for e in answer.json["events"]]
        pages += 1
        cursor = answer.json["next_cursor"]
        if cursor is None:
            break
    assert seen == _all_ids(app)
    assert pages == -(-len(seen) // 3)


def test_an_event_names_the_person_and_the_user(client, log, auditor):
    answer = client.get("/api/v1/events", query_string={"participant_id": log["ann"]}, headers=auditor)

    events = answer.json["events"]
    assert [e["reason"] for e in events] == ["change 3", "change 2", "change 1", "change 0"]
    assert events[0]["actor"] == {"id": log["fay"], "name": "Fay Finance"}
    assert events[0]["participant"] == {"id": log["ann"], "name": "Ann Example"}
    assert (events[0]["subject"], events[0]["action"], events[0]["kind"]) == (
        "participant", "bank_details_change", "participant.bank_details_change")
    assert answer.json["next_cursor"] is None


def test_a_user_group_or_token_the_event_is_about_is_named_on_the_page_the_api_and_the_csv(app, client, log,
                                                                                            auditor):
    with database(app) as session:
        pat = make_user(session, "pat@example.org", ["project_manager"], display_name="Pat Manager").id
        group = make_group(session, "Voices Together").id
        for subject, subject_id in (("user", pat), ("group", group), ("period", "2025-06")):
            record_event(session, NewEvent(subject=subject, subject_id=subject_id, action="look_at",
                                           actor_user_id=log["fay"]))
        record_event(session, NewEvent(subject="user", subject_id=pat, action="assign_project", actor_user_id=None,
                                       details={"project_id": 1, "project_code": "GUIDE"}))
    token = client.get("/api/v1/events", query_string={"kind": "api_token"}, headers=auditor).json["events"]

    events = client.get("/api/v1/events", query_string={"kind": "user.look_at"}, headers=auditor).json["events"]
    assert [(e["subject_id"], e["subject_name"]) for e in events] == [(str(pat), "Pat Manager")]
    assert [e["subject_name"] for e in token] == ["test script"]  # the auditor's own token, issued
    rows = list(csv.DictReader(io.StringIO(client.get("/api/v1/events.csv", query_string={"user_id": log["fay"]},
                                                      headers=auditor).get_data(as_text=True))))
    assert [r["record name"] for r in rows[:3]] == ["", "Voices Together", "Pat Manager"]  # newest first
    sign_in(client, "fay@example.org")
    html = client.get("/finance/audit-log", query_string={"user_id": log["fay"]}).get_data(as_text=True)
    assert "User Pat Manager: look at" in html and "Group Voices Together: look at" in html
    assert "Period 2025-06: look at" in html and f"User {pat}:" not in html
    assert "Participant Ann Example: bank details change" in html
    assigned = client.get("/finance/audit-log", query_string={"kind": "user.assign_project"}).get_data(as_text=True)
    assert "User Pat Manager: assign project" in assigned and ">Project</dt>" in assigned and ">GUIDE</dd>" in assigned


@pytest.mark.parametrize(("query", "count"), [
    ({"kind": "period"}, 3),
    ({"kind": "period.lock"}, 3),
    ({"kind": "participant.bank_details_change", "from": "2025-05-11", "to": "2025-05-11"}, 2),
    ({"from": "2025-05-12", "to": "2025-05-31"}, 3),
    ({"to": "2025-05-10", "kind": "participant"}, 2),
    ({"kind": "claim.approve"}, 0),
])
def test_filters_by_kind_and_inclusive_dates(client, log, auditor, query, count):
    answer = client.get("/api/v1/events", query_string=query, headers=auditor)

    assert answer.status_code == 200, answer.json
    assert len(answer.json["events"]) == count


def test_filters_by_the_user_who_did_it(app, client, log, auditor):
    answer = client.get("/api/v1/events", query_string={"user_id": log["fay"]}, headers=auditor)

    assert [e["id"] for e in answer.json["events"]] == _all_ids(app, actor_user_id=log["fay"])
    assert {e["actor"]["name"] for e in answer.json["events"]} == {"Fay Finance"}


@pytest.mark.parametrize(("query", "field"), [
    ({"from": "10/05/2025"}, "from"),
    ({"to": "tomorrow"}, "to"),
    ({"from": "2025-05-12", "to": "2025-05-10"}, "from"),
    ({"cursor": "not-a-cursor"}, "cursor"),
    ({"kind": "spaceship"}, "kind"),
    ({"kind": "claim.Approve!"}, "kind"),
    ({"limit": "500"}, "limit"),
    ({"participant_id": "ann"}, "participant_id"),
])
def test_a_bad_filter_is_a_400_naming_the_field(client, log, auditor, query, field):
    for path in ("/api/v1/events", "/api/v1/events.csv"):
        if path.endswith(".csv") and field in ("limit", "cursor"):  # the CSV has every row: no pages
            continue
        answer = client.get(path, query_string=query, headers=auditor)
        assert answer.status_code == 400, (path, answer.data)
        assert list(answer.json["error"]["fields"]) == [field]


def test_only_finance_and_admins_read_the_log(app, client, log):
    manager = bearer(api_token_for(app, add_user(app, "pm@example.org", ["project_manager"])))
    assert client.get("/api/v1/events", headers=manager).status_code == 403
    assert client.get("/api/v1/events.csv", headers=manager).status_code == 403
    assert client.get("/api/v1/events").status_code == 401


def test_the_csv_has_every_matching_event_with_names(app, client, log, auditor):
    answer = client.get("/api/v1/events.csv", query_string={"participant_id": log["ann"]}, headers=auditor)

    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert [r["reason"] for r in rows] == ["change 3", "change 2", "change 1", "change 0"]
    assert {r["by"] for r in rows} == {"Fay Finance"}
    assert {r["person"] for r in rows} == {"Ann Example"}
    assert rows[0]["what"] == "participant.bank_details_change"


def test_a_formula_in_a_reason_is_written_as_text(app, client, log, auditor):
    with database(app) as session:
        record_event(session, NewEvent(subject="period", subject_id="2025-04", action="lock", actor_user_id=None,
                                       reason="=HYPERLINK(\"http://evil\")"))
    answer = client.get("/api/v1/events.csv", query_string={"kind": "period"}, headers=auditor)

    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert rows[0]["reason"] == "'=HYPERLINK(\"http://evil\")"
    assert rows[1]["by"] == "system"


def test_the_cli_writes_the_same_csv(app, runner, log, client, auditor):
    result = runner.invoke(args=["ledger", "events-csv", "--from", "2025-05-11", "--to", "2025-05-11"])

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["reason"] for r in rows] == ["change 3", "change 1"]
    api = client.get("/api/v1/events.csv", query_string={"from": "2025-05-11", "to": "2025-05-11"}, headers=auditor)
    assert api.get_data(as_text=True).replace("\r\n", "\n") == result.output.replace("\r\n", "\n")


def test_the_cli_refuses_a_bad_date_naming_it(runner, log):
    result = runner.invoke(args=["ledger", "events-csv", "--from", "May"])

    assert result.exit_code == 2
    assert "from must be a date like 2025-06-30" in result.output


def test_the_page_lists_filters_and_pages_on(app, client, log):
    add_user(app, "fin@example.org", ["finance"])
    sign_in(client, "fin@example.org")

    home = client.get("/", follow_redirects=True)
    assert 'href="/finance/audit-log"' in home.get_data(as_text=True)
    page = client.get("/finance/audit-log", query_string={"participant_id": log["ann"]})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count("Bank details change") == 0 and html.count("bank details change") == 4
    assert "Fay Finance" in html and "Ann Example" in html
    assert f'href="/finance/audit-log.csv?participant_id={log["ann"]}"' in html
    assert "Next page" not in html

    first = client.get("/finance/audit-log").get_data(as_text=True)
    assert "Next page" not in first  # eight events or so fit on one page of 50
    csv_answer = client.get("/finance/audit-log.csv", query_string={"participant_id": log["ann"]})
    assert len(list(csv.DictReader(io.StringIO(csv_answer.get_data(as_text=True))))) == 4


def test_the_page_pages_on_with_the_cursor(app, client, log):
    with database(app) as session:
        for n in range(55):
            record_event(session, NewEvent(subject="period", subject_id=f"x{n}", action="lock", actor_user_id=None))
    add_user(app, "fin@example.org", ["finance"])
    sign_in(client, "fin@example.org")

    html = client.get("/finance/audit-log", query_string={"kind": "period"}).get_data(as_text=True)
    assert html.count("<li>") >= 50
    assert 'rel="next"' in html and "kind=period" in html.split('rel="next"')[0].rsplit("<a", 1)[1]
    link = html.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    second = client.get(link).get_data(as_text=True)
    assert html.count('<h2 class="govuk-heading-s">Period ') == 50
    assert second.count('<h2 class="govuk-heading-s">Period ') == 58 - 50  # 55 + 3 period events, 50 on the first page
    assert "Period x4:" in second and "Period x5:" not in second and 'rel="next"' not in second


def test_the_page_shows_a_bad_filter_beside_the_field(app, client, log):
    add_user(app, "fin@example.org", ["finance"])
    sign_in(client, "fin@example.org")

    page = client.get("/finance/audit-log", query_string={"from": "2025-05-12", "to": "2025-05-10"})

    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert "There is a problem" in html
    assert 'id="from-error"' in html and "from must be on or before to." in html


def _exports(app) -> list[tuple]:
    with database(app) as session:
        return [(e.subject_id, e.actor_user_id, e.details["via"], e.details["rows"], e.details["filters"])
                for e in session.execute(select(Event).where(Event.subject_type == "export")
                                         .order_by(Event.id)).scalars()]


def test_taking_the_audit_csv_or_the_journal_is_itself_an_event_with_who_what_filter_and_rows(app, client, runner,
                                                                                             log):
    admin = add_user(app, "audit@example.org", ["admin"])
    api = client.get("/api/v1/events.csv", query_string={"participant_id": log["ann"]},
                     headers=bearer(api_token_for(app, admin)))
    assert len(api.get_data(as_text=True).splitlines()) == 5  # header and Ann's four events
    assert sign_in(client, "fay@example.org").status_code == 302
    page = client.get("/finance/audit-log.csv", query_string={"kind": "period"})
    assert page.status_code == 200 and len(page.get_data(as_text=True).splitlines()) == 4
    journal = runner.invoke(args=["ledger", "export", "--format", "hledger", "--as-user", "fay@example.org"])
    assert journal.exit_code == 0, journal.output

    assert _exports(app) == [
        ("audit_csv", admin, "api", 4, {"participant_id": log["ann"]}),
        ("audit_csv", log["fay"], "page", 3, {"subject": "period"}),
        ("journal_hledger", log["fay"], "cli", 0, {"format": "hledger"}),
    ]
    listed = client.get("/api/v1/events", query_string={"kind": "export"}, headers=bearer(api_token_for(app, admin)))
    assert [e["kind"] for e in listed.get_json()["events"]] == ["export.download"] * 3
