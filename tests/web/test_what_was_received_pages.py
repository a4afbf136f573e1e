"""The participant's own page counts what the books say she received, however it was paid.

Siân (Carer's Allowance, 2025-26 weekly limit £196) was paid £150 on Monday 9 June 2025 by finance by hand,
and a £60 fee waits for approval on Thursday 5 June, for the earliest payment date, 9 June: her page warns
that the week would be lost before anyone approves it.
"""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

from ledger.books.kinds import PostingKind
from ledger.books.posting import post_entry
from ledger.books.records import PostingLine
from ledger.context import reload_settings
from ledger.organisation import BANK, open_organisation_accounts
from ledger.people.accounts import participant_accounts
from ledger.projects.accounts import project_accounts
from ledger.projects.services import record_attendance
from tests.factories import PROJECT, TODAY, claims_world, database, make_activity, sign_in, submitted_fee


def text_of(response) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def test_a_fee_paid_by_hand_counts_on_her_page(app, client):
    app.config["LEDGER_TODAY"] = TODAY.isoformat()  # the app takes 5 June 2025 as today
    reload_settings(app)
    with database(app) as session:
        world = claims_world(session)
        panel = make_activity(session, title="Reading panel", flat_fee_pence=6_000).id
        record_attendance(session, panel, world.carer, today=TODAY)
        second = submitted_fee(session, world, world.carer, panel)
    assert sign_in(client, "sian@example.org").status_code == 302
    assert "£210.00" not in text_of(client.get(f"/my/claims/{second}"))  # £60 alone is within the limit
    with database(app) as session:
        open_organisation_accounts(session)
        owed = participant_accounts(world.carer).owed
        post_entry(session, effective_date=dt.date(2025, 6, 9), description="Fee for the film shoot, paid by cheque",
                   idempotency_key="manual:cheque-1", postings=[
                       PostingLine(project_accounts(PROJECT).fees, 15_000, "GBP"),
                       PostingLine(owed, -15_000, "GBP", kind=PostingKind.FEE),
                       PostingLine(owed, 15_000, "GBP", kind=PostingKind.FEE),
                       PostingLine(BANK, -15_000, "GBP")])

    page = text_of(client.get(f"/my/claims/{second}"))

    assert "What this means for your benefits" in page
    assert "£210.00" in page and "Carer's Allowance" in page
