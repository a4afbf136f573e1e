"""The finance queue keeps its benefit checks between requests, and shows the new answer after every change.

Issue 12: the queue ran the policy engine over every waiting claim on every look. The checks are now kept per
process while the keyed chain's head (moved on by every commit that writes an entry or an event) stays where it
was (``ledger.claims.preview_cache``). These tests show that a second look does not run the engine, that each
kind of change a check depends on shows at once, and that writes elsewhere on the server do not matter.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from sqlalchemy import text

from ledger.claims import preview_cache, services
from ledger.people import services as people
from tests.factories import (
    MEETING_DAY,
    RULES,
    TODAY,
    ClaimsWorld,
    approve,
    claims_world,
    database,
    sign_in,
    submitted_fee,
)


@pytest.fixture
def world(app) -> ClaimsWorld:
    with database(app) as session:
        return claims_world(session)


@pytest.fixture
def engine_runs(monkeypatch) -> list[list[int]]:
    """The claim ids each run of the policy engine over the queue was asked for."""
    runs: list[list[int]] = []
    real = preview_cache.preview_approvals

    def counted(session, claim_ids, **kwargs):
        runs.append(sorted(claim_ids))
        return real(session, claim_ids, **kwargs)

    monkeypatch.setattr(preview_cache, "preview_approvals", counted)
    return runs


def queue(client) -> str:
    page = client.get("/finance/claims")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def row_of(page: str, claim_id: int) -> str:
    """The queue's table row for one claim."""
    found = re.search(rf'<tr class="govuk-table__row">\s*<td class="govuk-table__cell"><a class="govuk-link" '
                      rf'href="/finance/claims/{claim_id}">.*?</tr>', page, re.S)
    assert found, f"claim {claim_id} is not in the queue"
    return found.group(0)


def test_a_second_look_with_nothing_changed_shows_the_same_page_without_running_the_checks(
        app, client, world, engine_runs):
    with database(app) as session:
        ids = [submitted_fee(session, world, p) for p in (world.ann, world.carer, world.teen)]
    assert sign_in(client, "fin@example.org").status_code == 302

    first = queue(client)
    second = queue(client)

    assert engine_runs == [sorted(ids)]
    assert second == first
    assert "Within the limits" in row_of(first, ids[1]) and "No benefits declared" in row_of(first, ids[0])


def test_a_new_claim_shows_with_its_check(app, client, world, engine_runs):
    with database(app) as session:
        first_id = submitted_fee(session, world, world.ann)
    assert sign_in(client, "fin@example.org").status_code == 302
    queue(client)

    with database(app) as session:
        new_id = submitted_fee(session, world, world.carer)
    page = queue(client)

    assert "Within the limits" in row_of(page, new_id)
    assert new_id in engine_runs[-1]
    assert len(engine_runs) == 2
    assert "No benefits declared" in row_of(page, first_id)


def test_a_changed_benefit_declaration_shows_at_once(app, client, world, engine_runs):
    with database(app) as session:
        claim_id = submitted_fee(session, world, world.ann)
    assert sign_in(client, "fin@example.org").status_code == 302
    assert "No benefits declared" in row_of(queue(client), claim_id)

    with database(app) as session:
        people.declare_benefits(session, world.ann, benefits=[{"name": "carers_allowance", "week_start": "monday"}],
                                declared_on=dt.date(2025, 4, 1), today=MEETING_DAY)
    row = row_of(queue(client), claim_id)

    assert "No benefits declared" not in row and "Within the limits" in row
    assert len(engine_runs) == 2


def test_an_approval_shows_at_once_in_the_other_claims_of_the_same_person(app, client, world, engine_runs):
    """Approved and not yet paid, a claim counts as received: the carer's £150 and £55.40 fees approved take
    her other fee, waiting, over Carer's Allowance's weekly limit (£204 from April 2026), and the queue says so
    at once."""
    with database(app) as session:
        others = [submitted_fee(session, world, world.carer, a) for a in (world.flat_fee_activity_id,
                                                                           world.london_activity_id)]
        waiting = submitted_fee(session, world, world.carer)
    assert sign_in(client, "fin@example.org").status_code == 302
    assert "Within the limits" in row_of(queue(client), waiting)

    with database(app) as session:
        for claim_id in others:  # the second goes over the limit in 2025's week: approved with a reason
            approve(session, world, claim_id, override_reason="She knows, and has chosen to be paid.")
    row = row_of(queue(client), waiting)

    assert "Within the limits" not in row
    assert len(engine_runs) == 2


def test_a_payment_in_the_books_is_counted_at_once(app, world, engine_runs):
    """An approved claim of the same person counts as received: its accrual (an entry and an event) moves the
    stamp, and the waiting claim is checked again with it."""
    cache = preview_cache.PreviewCache()
    with database(app) as session:
        waiting = submitted_fee(session, world, world.carer)
    with database(app) as session:
        before = cache.previews(session, [waiting], rules=RULES, today=TODAY)[waiting]
        again = cache.previews(session, [waiting], rules=RULES, today=TODAY)[waiting]
    with database(app) as session:
        approve(session, world, submitted_fee(session, world, world.carer, world.flat_fee_activity_id))
    with database(app) as session:
        after = cache.previews(session, [waiting], rules=RULES, today=TODAY)[waiting]
        fresh = services.preview_approvals(session, [waiting], rules=RULES, today=TODAY)[waiting]

    assert again is before
    assert after == fresh != before


def test_a_new_day_or_other_rules_check_again(app, world, engine_runs):
    cache = preview_cache.PreviewCache()
    with database(app) as session:
        claim_id = submitted_fee(session, world, world.carer)
    with database(app) as session:
        cache.previews(session, [claim_id], rules=RULES, today=TODAY)
        cache.previews(session, [claim_id], rules=RULES, today=TODAY)
        assert len(engine_runs) == 1
        runs = len(engine_runs)
        tomorrow = cache.previews(session, [claim_id], rules=RULES, today=TODAY + dt.timedelta(days=7))
        assert len(engine_runs) == runs + 1
        cache.previews(session, [claim_id], rules=dataclasses.replace(RULES), today=TODAY + dt.timedelta(days=7))
        assert len(engine_runs) == runs + 2
        expected = services.preview_approvals(session, [claim_id], rules=RULES, today=TODAY + dt.timedelta(days=7))

    assert tomorrow == expected


def test_a_changed_date_of_birth_checks_again(app, world, engine_runs):
    """``update_participant`` records an event naming the fields changed: the pay rate by age is worked out
    again."""
    cache = preview_cache.PreviewCache()
    with database(app) as session:
        claim_id = submitted_fee(session, world, world.teen)
        cache.previews(session, [claim_id], rules=RULES, today=TODAY)
    with database(app) as session:
        people.update_participant(session, world.teen, {"date_of_birth": dt.date(1990, 1, 15)}, today=MEETING_DAY)
    with database(app) as session:
        after = cache.previews(session, [claim_id], rules=RULES, today=TODAY)[claim_id]
        fresh = services.preview_approvals(session, [claim_id], rules=RULES, today=TODAY)[claim_id]
    assert len(engine_runs) == 2
    assert after == fresh


def test_filtering_reuses_the_checks_of_the_claims_already_checked(app, world, engine_runs):
    cache = preview_cache.PreviewCache()
    with database(app) as session:
        ids = [submitted_fee(session, world, p) for p in (world.ann, world.carer, world.teen)]
    with database(app) as session:
        whole = cache.previews(session, ids, rules=RULES, today=TODAY)
        part = cache.previews(session, ids[:2], rules=RULES, today=TODAY)
    assert part == {i: whole[i] for i in ids[:2]}
    assert engine_runs == [sorted(ids)]


def test_the_cache_is_bounded(app, world, engine_runs):
    cache = preview_cache.PreviewCache(max_claims=2)
    with database(app) as session:
        ids = [submitted_fee(session, world, p) for p in (world.ann, world.carer, world.teen)]
        cache.previews(session, ids[:2], rules=RULES, today=TODAY)
        cache.previews(session, ids[2:], rules=RULES, today=TODAY)
        cache.previews(session, ids[:1], rules=RULES, today=TODAY)
    assert engine_runs == [sorted(ids[:2]), ids[2:], ids[:1]]


def test_a_generation_serves_only_while_the_chain_head_has_not_moved():
    stamp = preview_cache.Stamp(seq=7, link="a" * 64)
    kept = preview_cache._Generation(stamp=stamp, rules=RULES, today=TODAY)
    assert kept.serves(dataclasses.replace(stamp), RULES, TODAY)
    assert not kept.serves(dataclasses.replace(stamp, seq=8), RULES, TODAY)
    assert not kept.serves(dataclasses.replace(stamp, link="b" * 64), RULES, TODAY)  # emptied and filled again
    assert not kept.serves(stamp, RULES, TODAY + dt.timedelta(days=1))
    assert not kept.serves(stamp, dataclasses.replace(RULES), TODAY)


def test_writes_that_are_neither_entries_nor_events_keep_the_checks(app, world, engine_runs):
    """A write to a table outside the chain (as a sign-in attempt or a token's use is) leaves the head, and so
    the kept checks, alone (a write in another database cannot reach this one's head at all)."""
    cache = preview_cache.PreviewCache()
    with database(app) as session:
        claim_id = submitted_fee(session, world, world.ann)
    with database(app) as session:
        cache.previews(session, [claim_id], rules=RULES, today=TODAY)
    with database(app) as session:
        session.execute(text("CREATE TABLE IF NOT EXISTS scratch_writes (n INTEGER)"))
        session.execute(text("INSERT INTO scratch_writes VALUES (1)"))
    with database(app) as session:
        cache.previews(session, [claim_id], rules=RULES, today=TODAY)
        session.execute(text("DROP TABLE scratch_writes"))
    assert len(engine_runs) == 1


@pytest.mark.postgres_only
def test_a_change_committed_after_a_newer_one_is_not_hidden(app, world, engine_runs):
    """On PostgreSQL a transaction holding a lower event id can commit after one with a higher id has: here a
    benefit declaration, still being written while another claim is submitted and the queue is looked at. When
    it commits, the head moves, and the next look shows the declaration."""
    cache = preview_cache.PreviewCache()
    with database(app) as session:
        claim_id = submitted_fee(session, world, world.ann)
    slow = app.extensions["session_factory"]()
    try:
        people.declare_benefits(slow, world.ann, benefits=[{"name": "carers_allowance", "week_start": "monday"}],
                                declared_on=dt.date(2025, 4, 1), today=MEETING_DAY)
        slow.flush()  # its event has its id now, lower than the next one's
        with database(app) as session:
            submitted_fee(session, world, world.carer)
        with database(app) as session:
            before = cache.previews(session, [claim_id], rules=RULES, today=TODAY)[claim_id]
        slow.commit()
    finally:
        slow.close()
    with database(app) as session:
        after = cache.previews(session, [claim_id], rules=RULES, today=TODAY)[claim_id]
        fresh = services.preview_approvals(session, [claim_id], rules=RULES, today=TODAY)[claim_id]
    assert len(engine_runs) == 2
    assert after == fresh != before
