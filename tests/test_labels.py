"""Every code people can meet has words in ``ledger.labels``, and the pages and documents read the same words."""

from __future__ import annotations

from ledger import labels
from ledger.claims.models import CHOICES, CLAIM_KINDS, EXPENSE_CATEGORIES, STATUSES
from ledger.projects.models import ACTIVITY_KINDS, REGIONS
from ledger.reports.records import EntryKind, EvidenceKind, FlagOutcome
from policies.benefits import DISPLAY_NAMES
from policies.settings import ACTIONS


def test_every_claim_code_has_words_for_the_participant():
    assert set(labels.CLAIM_STATUS_FOR_YOU) == set(STATUSES)
    assert set(labels.CLAIM_KIND_FOR_YOU) == set(CLAIM_KINDS)
    assert list(labels.CHOICE_FOR_YOU) == list(CHOICES)  # offered in this order


def test_every_code_on_the_staff_pages_has_words():
    assert set(labels.EXPENSE_CATEGORY_LABELS) == set(EXPENSE_CATEGORIES)
    assert set(labels.ACTION_LABELS) == {"none", *ACTIONS}
    assert set(labels.ACTIVITY_KIND_LABELS) == set(ACTIVITY_KINDS)
    assert set(labels.REGION_LABELS) == set(REGIONS)


def test_expense_categories_read_as_they_did_when_the_page_made_them_from_the_code():
    for code, words in labels.EXPENSE_CATEGORY_LABELS.items():
        assert words == code.replace("_", " ").capitalize()


def test_every_document_code_has_words():
    assert set(labels.ENTRY_LABELS) == set(labels.ENTRY_MEANINGS) == set(EntryKind)
    assert set(labels.EVIDENCE_KIND_LABELS) == set(EvidenceKind)
    assert set(labels.FLAG_OUTCOME_LABELS) == set(FlagOutcome)
    assert labels.ENTRY_LABELS[EntryKind.DECLINED] == "Offer declined"  # an enum member looks up as its code


def test_benefit_names_are_the_policy_engines_own():
    assert labels.BENEFIT_NAMES is DISPLAY_NAMES


def test_the_pages_reach_the_labels(app):
    for name, table in (("claim_status_for_you", labels.CLAIM_STATUS_FOR_YOU), ("benefit_names", DISPLAY_NAMES),
                        ("action_labels", labels.ACTION_LABELS), ("region_labels", labels.REGION_LABELS)):
        assert app.jinja_env.globals[name] is table


def test_every_posting_kind_in_the_books_has_words():
    from ledger.books.kinds import POSTING_KINDS

    assert set(labels.POSTING_KIND_LABELS) == set(POSTING_KINDS)
def test_every_part_of_a_fee_and_every_rest_has_words():
    from ledger.claims.models import RESTS
    assert list(labels.REST_FOR_YOU) == list(RESTS)  # offered in this order
    parts = {"take", *RESTS}
    assert set(labels.PART_FOR_YOU) == parts and set(labels.PART_LABELS) == parts
