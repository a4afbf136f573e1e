"""Documents over HTTP: each participant reaches their own (anyone else's is 404), finance reaches everyone's,
large print follows the participant's preferred format, and the figures are the ledger's."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ledger.auth.users import issue_token
from ledger.books import queries
from ledger.db import unit_of_work
from ledger.formatting import pounds
from ledger.payments.models import PaymentRun
from ledger.people.accounts import participant_accounts
from ledger.projects import services as projects
from ledger.projects.budget import BudgetPlanLine
from tests.documents.pdf import assert_in_order, font_sizes, text
from tests.factories import JUNE, JUNE_PAY_DAY, PROJECT, MonthOfBooks, assign_project, month_of_books

PERIOD = f"start={JUNE[0]}&end={JUNE[1]}"


@dataclass
class Api:
    books: MonthOfBooks
    tokens: dict[str, str]
    run_reference: str

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture
def api(app) -> Api:
    with unit_of_work(app.extensions["session_factory"]) as session:
        books = month_of_books(session)
        projects.set_budget_plan(session, PROJECT, [BudgetPlanLine("fees", "Fees", 30_000)], books.manager)
        tokens = {who: issue_token(session, user_id, "documents tests").token for who, user_id in (
            ("finance", books.finance), ("manager", books.manager), ("ann", books.ann_user), ("bea", books.bea_user))}
        reference = session.get(PaymentRun, books.run_id).reference
    assign_project(app, PROJECT, books.manager, by=books.finance)  # a manager sees only projects assigned to them
    return Api(books, tokens, reference)


def _pdf(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    return text(response.data)


def test_a_participant_fetches_their_own_documents_and_no_one_elses(client, api):
    def urls(who: int) -> list[str]:
        return [f"/api/v1/participants/{who}/statement.pdf?{PERIOD}", f"/api/v1/participants/{who}/statement?{PERIOD}",
                f"/api/v1/participants/{who}/annual-summary/2025.pdf",
                f"/api/v1/participants/{who}/evidence-pack.pdf?{PERIOD}",
                f"/api/v1/payment-runs/{api.books.run_id}/remittances/participant/{who}.pdf"]

    ann, bea = api.books.ann, api.books.bea
    own = urls(ann)
    for url, other in zip(own, urls(bea), strict=True):
        response = client.get(url, headers=api.headers("ann"))
        assert response.status_code == 200, (url, response.get_data(as_text=True)[:300])
        assert client.get(other, headers=api.headers("bea")).status_code == 200, other  # it exists: Bea gets it
        assert client.get(other, headers=api.headers("ann")).status_code == 404, other
        assert client.get(url, headers=api.headers("bea")).status_code == 404, url
        assert client.get(url, headers=api.headers("manager")).status_code == 404, url
        assert client.get(url).status_code == 401
        assert client.get(url, headers=api.headers("finance")).status_code == 200
    assert "Siân O'Brien" in _pdf(client.get(own[0], headers=api.headers("ann")))
    # A group's advice is not a participant's, even when the ids are alike.
    group = f"/api/v1/payment-runs/{api.books.run_id}/remittances/group/{ann}.pdf"
    assert client.get(group, headers=api.headers("ann")).status_code == 404


def test_large_print_follows_the_preferred_format_unless_asked(client, api):
    def smallest(who: str, participant: int, extra: str = "") -> float:
        response = client.get(f"/api/v1/participants/{participant}/statement.pdf?{PERIOD}{extra}",
                              headers=api.headers(who))
        assert response.status_code == 200
        return min(font_sizes(response.data))

    assert smallest("bea", api.books.bea) >= 16  # Bea's preferred format is large print
    assert smallest("bea", api.books.bea, "&large_print=false") < 16
    assert smallest("ann", api.books.ann) < 16
    assert smallest("ann", api.books.ann, "&large_print=true") >= 16
    remittance = client.get(f"/api/v1/payment-runs/{api.books.run_id}/remittances/participant/{api.books.bea}.pdf",
                            headers=api.headers("bea"))
    assert min(font_sizes(remittance.data)) >= 16


def test_statement_json_is_the_books_with_the_sign_flipped(app, client, api):
    response = client.get(f"/api/v1/participants/{api.books.ann}/statement?{PERIOD}", headers=api.headers("ann"))
    assert response.status_code == 200, response.json
    body = response.json
    with unit_of_work(app.extensions["session_factory"]) as session:
        book = queries.statement(session, participant_accounts(api.books.ann).owed, *JUNE)
    money = body["money"]
    opening, closing = -int(book.opening_balance), -int(book.closing_balance)
    assert money["opening"] == {"pounds": pounds(opening), "pence": opening}
    assert money["closing"]["pounds"] == pounds(closing) == body["owed_to_you"]["pounds"]
    posted = [line for line in money["lines"] if line["memo_amount"] is None]
    per_entry: dict[int, list] = {}  # a payment posts fees and expenses apart; the statement shows one payment
    for b in book.lines:
        per_entry.setdefault(b.entry_id, []).append(b)
    assert [(line["amount"]["pounds"], line["balance"]["pounds"]) for line in posted] == [
        (pounds(-sum(int(b.amount) for b in lines)), pounds(-int(lines[-1].running_balance)))
        for lines in per_entry.values()]
    declined = [line for line in money["lines"] if line["kind"] == "declined"]
    assert [(d["memo_amount"]["pounds"], d["amount"]["pence"]) for d in declined] == [("30.40", 0)]
    assert body["time_credits"]["closing"] == {"hours": "1.50", "minutes": 90}
    assert [line["kind"] for line in body["advances"]["lines"]] == ["advance", "advance_settled", "advance_settled"]


def test_bea_sees_her_declined_and_redirected_offers(client, api):
    words = _pdf(client.get(f"/api/v1/participants/{api.books.bea}/statement.pdf?{PERIOD}&large_print=false",
                            headers=api.headers("bea")))
    assert_in_order(words, ["Offer declined:", "£50.40 not paid", "Given to a group at your request:",
                            "paid to Voices Together at your request", "£50.40 not paid"])
    body = client.get(f"/api/v1/participants/{api.books.bea}/statement?{PERIOD}", headers=api.headers("bea")).json
    assert [line["kind"] for line in body["money"]["lines"] if line["memo_amount"]] == ["declined", "donation"]


def test_remittance_and_tax_year_summary_print_the_ledgers_figures(client, api):
    words = _pdf(client.get(f"/api/v1/payment-runs/{api.books.run_id}/remittances/participant/{api.books.ann}.pdf",
                            headers=api.headers("ann")))
    assert_in_order(words, ["We paid you £78.80 on 25 June 2025", api.run_reference, "account ending 2222",
                            "4 hours at £12.60 an hour"])
    group = _pdf(client.get(f"/api/v1/payment-runs/{api.books.run_id}/remittances/group/{api.books.group}.pdf",
                            headers=api.headers("finance")))
    assert "We paid your group £50.40" in group
    summary = _pdf(client.get(f"/api/v1/participants/{api.books.bea}/annual-summary/2025.pdf?large_print=false",
                              headers=api.headers("bea")))
    assert_in_order(summary, ["Fees (taxable income)", "£50.40", "Expenses paid back (not taxable)", "£4.20",
                              "Fees paid to a group at your request (not paid to you)", "£50.40"])
    assert client.get(f"/api/v1/participants/{api.books.bea}/annual-summary/1899.pdf",
                      headers=api.headers("bea")).status_code == 404
    pack = _pdf(client.get(f"/api/v1/participants/{api.books.ann}/evidence-pack.pdf?{PERIOD}",
                           headers=api.headers("finance")))
    assert_in_order(pack, ["Carer's Allowance: payments in each week", "23 June 2025 to 29 June 2025", "£70.40",
                           "Fran Finance", "Finance officer"])
    assert JUNE_PAY_DAY.isoformat() == "2025-06-25"


def test_finance_reports_are_for_finance_and_budget_reports_for_managers(client, api):
    url = f"/api/v1/payment-runs/{api.books.run_id}/report.pdf"
    assert_in_order(_pdf(client.get(url, headers=api.headers("finance"))),
                    [f"Payment run {api.run_reference}", "Total to pay", "£183.80"])
    assert client.get(url, headers=api.headers("ann")).status_code == 403
    assert client.get(url, headers=api.headers("manager")).status_code == 403
    pack = f"/api/v1/payment-runs/{api.books.run_id}/print-pack.pdf"
    assert_in_order(_pdf(client.get(pack, headers=api.headers("finance"))),
                    [f"Letters to post: payment run {api.run_reference}", "Told by email instead"])
    assert client.get(pack, headers=api.headers("ann")).status_code == 403
    budget = f"/api/v1/projects/{PROJECT}/budget-report.pdf?as_at=2025-06-30"
    assert_in_order(_pdf(client.get(budget, headers=api.headers("manager"))),
                    ["Project budget: Dementia guide", "By cost line", "Fees", "£300.00"])
    assert client.get(budget, headers=api.headers("ann")).status_code == 403


def test_bad_dates_and_unknown_records_get_clear_errors(client, api):
    ann = api.books.ann
    backwards = client.get(f"/api/v1/participants/{ann}/statement.pdf?start=2025-06-30&end=2025-06-01",
                           headers=api.headers("ann"))
    assert backwards.status_code == 400 and "end" in str(backwards.json)
    assert client.get(f"/api/v1/participants/{ann}/statement.pdf", headers=api.headers("ann")).status_code == 400
    assert client.get(f"/api/v1/participants/9999/statement.pdf?{PERIOD}",
                      headers=api.headers("finance")).status_code == 404
    assert client.get("/api/v1/payment-runs/9999/report.pdf", headers=api.headers("finance")).status_code == 404
    assert client.get("/api/v1/projects/NOPE/budget-report.pdf", headers=api.headers("finance")).status_code == 404
