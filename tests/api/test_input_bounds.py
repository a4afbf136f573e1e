"""No 500 from any input: each bound at the edge, on SQLite and PostgreSQL (the ``app`` fixture runs on both)."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.books.posting import MAX_POSTINGS_KEY, PostingLine, open_account, post_entry
from ledger.errors import TooManyPostings, ValidationError
from ledger.web.date_inputs import DateProblem, date_from_parts
from tests.factories import add_user, api_token_for, bearer, database

TOO_BIG = 2**31  # one past PostgreSQL's integer


@pytest.fixture
def finance_headers(app) -> dict[str, str]:
    return bearer(api_token_for(app, add_user(app, "fin@example.org", ["finance"])))


def test_an_id_past_postgresql_integer_is_not_found_in_the_api_and_on_a_page(client, finance_headers):
    assert client.get(f"/api/v1/claims/{TOO_BIG}", headers=finance_headers).status_code == 404
    assert client.get(f"/api/v1/participants/{10**30}", headers=finance_headers).status_code == 404
    assert client.get(f"/api/v1/claims/{2**31 - 1}", headers=finance_headers).status_code == 404
    # A page's <int:...> too: the id matches no route, whoever asks.
    assert client.get(f"/finance/participants/{TOO_BIG}/evidence-pack").status_code == 404


def test_an_id_past_the_range_in_a_query_or_body_is_refused_naming_it(client, finance_headers):
    refused = client.get(f"/api/v1/claims?participant_id={TOO_BIG}", headers=finance_headers)
    assert refused.status_code == 400
    assert "participant_id" in refused.json["error"]["fields"]
    body = client.post("/api/v1/payment-runs/1/returns", headers=finance_headers,
                       json={"payee_id": TOO_BIG, "amount": "1.00"})
    assert body.status_code == 400
    assert body.json["error"]["fields"]["payee_id"]


@pytest.mark.parametrize("text", ["a\x00b", "\ud800"])
def test_nul_bytes_and_lone_surrogates_are_refused_in_json_and_forms(client, finance_headers, text):
    refused = client.post("/api/v1/policy/check", json={"benefits": [{"name": text}]})
    assert refused.status_code == 400
    assert refused.json["error"]["code"] == "validation_error"
    assert "benefits.0.name" in refused.json["error"]["fields"]
    if text == "a\x00b":
        form = client.post("/login", data={"email": text, "password": "x"})
        assert form.status_code == 400


def test_deep_json_answers_400_and_large_json_413(client):
    deep = client.post("/api/v1/policy/check", data="[" * 50_000 + "]" * 50_000, content_type="application/json")
    assert deep.status_code == 400
    nested = client.post("/api/v1/policy/check", data="[" * 40 + "]" * 40, content_type="application/json")
    assert nested.status_code == 400
    large = client.post("/api/v1/policy/check", data='{"a": "' + "x" * (1024 * 1024) + '"}',
                        content_type="application/json")
    assert large.status_code == 413
    assert large.json["error"]["code"] == "request_entity_too_large"


def test_too_many_requests_says_when_to_retry(app, client):
    from ledger.context import reload_settings

    app.config["PUBLIC_API_RATE_LIMIT"] = 1
    reload_settings(app)
    client.post("/api/v1/policy/check", json={})
    second = client.post("/api/v1/policy/check", json={})
    assert second.status_code == 429
    assert int(second.headers["Retry-After"]) >= 1
    assert second.json["error"]["code"] == "rate_limited"


def test_dates_outside_2000_to_2100_are_refused(client, finance_headers):
    refused = client.get("/api/v1/entries?from=9999-01-01", headers=finance_headers)
    assert refused.status_code == 400
    assert "from" in refused.json["error"]["fields"]
    with pytest.raises(DateProblem) as problem:
        date_from_parts("1", "1", "1899")
    assert problem.value.parts == ("year",)
    assert date_from_parts("14", "12", "2026") == dt.date(2026, 12, 14)


def test_an_entry_with_more_postings_than_configured_is_refused(session):
    open_account(session, code="assets:bank", name="Bank", type="asset", unit="GBP")
    open_account(session, code="expenses:fees", name="Fees", type="expense", unit="GBP")
    session.info[MAX_POSTINGS_KEY] = 4
    lines = [PostingLine("assets:bank", -1, "GBP"), PostingLine("expenses:fees", 1, "GBP")] * 3
    with pytest.raises(TooManyPostings) as refused:
        post_entry(session, effective_date=dt.date(2026, 1, 5), description="Too many", postings=lines,
                   idempotency_key="too-many")
    assert refused.value.fields == {"postings": ["more than 4"]}
    assert isinstance(refused.value, ValidationError)
    entry = post_entry(session, effective_date=dt.date(2026, 1, 5), description="Enough", postings=lines[:4],
                       idempotency_key="enough")
    assert len(entry.postings) == 4


def test_entries_list_pages_with_next_links(app, client, finance_headers):
    with database(app) as session:
        open_account(session, code="assets:bank", name="Bank", type="asset", unit="GBP")
        open_account(session, code="expenses:fees", name="Fees", type="expense", unit="GBP")
        for n in range(3):
            post_entry(session, effective_date=dt.date(2026, 1, 5 + n), description=f"Fee {n}",
                       postings=[PostingLine("assets:bank", -100, "GBP"), PostingLine("expenses:fees", 100, "GBP")],
                       idempotency_key=f"fee-{n}")
    first = client.get("/api/v1/entries?account=assets:bank&limit=2", headers=finance_headers)
    assert first.status_code == 200
    assert [e["description"] for e in first.json["entries"]] == ["Fee 2", "Fee 1"]
    assert first.json["next"] and first.headers["Link"].endswith('rel="next"')
    second = client.get(first.json["next"], headers=finance_headers)
    assert [e["description"] for e in second.json["entries"]] == ["Fee 0"]
    assert second.json["next_cursor"] is None and "Link" not in second.headers
    dated = client.get("/api/v1/entries?from=2026-01-06&to=2026-01-06", headers=finance_headers)
    assert [e["description"] for e in dated.json["entries"]] == ["Fee 1"]
    wrong = client.get("/api/v1/entries?cursor=nonsense", headers=finance_headers)
    assert wrong.status_code == 400 and "cursor" in wrong.json["error"]["fields"]


def test_the_openapi_document_shows_the_real_error_shape_and_no_422(client):
    spec = client.get("/api/v1/openapi.json").json
    statuses = {status for path in spec["paths"].values() for op in path.values() if isinstance(op, dict)
                for status in op["responses"]}
    assert "422" not in statuses
    assert {"400", "401", "403", "404", "409", "413", "429"} <= statuses
    body = spec["components"]["schemas"]["ErrorBody"]["properties"]
    assert set(body) == {"code", "message", "fields"}
    assert spec["components"]["schemas"]["Claim"]["properties"]["amount"]["type"] == "string"
    # A returned payment's least amount, 0.01 pounds, is written without a float: over 0, exclusive.
    returned = spec["components"]["schemas"]["PaymentReturnIn"]["properties"]["amount"]
    assert (returned["minimum"], returned["exclusiveMinimum"]) == (0, True) and type(returned["minimum"]) is int


def test_the_documentation_page_is_served_from_the_app(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "/assets/api-docs/swagger-ui-bundle.js" in page.get_data(as_text=True)
    assert "<script>" not in page.get_data(as_text=True)


@pytest.mark.postgres_only
def test_postgresql_ends_a_long_statement_and_an_idle_transaction(app):
    from sqlalchemy import text

    with app.extensions["engine"].connect() as connection:
        assert connection.execute(text("SHOW statement_timeout")).scalar() == "30s"
        assert connection.execute(text("SHOW idle_in_transaction_session_timeout")).scalar() == "1min"
