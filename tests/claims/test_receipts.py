"""Receipt files: PDF, JPEG or PNG judged by their content, size-limited, kept in the database."""

from __future__ import annotations

import hashlib

import pytest

from ledger.claims import services
from ledger.claims.models import Receipt
from ledger.errors import Conflict, NotFound, ValidationError
from tests.factories import RECEIPT_JPEG, RECEIPT_PDF, RECEIPT_PNG, TODAY, count_rows

LIMIT = 1024


@pytest.fixture
def claim(session, world, rules):
    record, _ = services.create_expense_claim(
        session, participant_id=world.ann, activity_id=world.activity_id, idempotency_key="with-receipts",
        lines=[{"category": "taxi", "description": "Taxi home", "amount": "18.40"}], actor_user_id=world.manager,
        rules=rules)
    return record


def attach(session, world, claim, data: bytes, filename: str = "receipt.pdf", max_bytes: int = LIMIT):
    return services.add_receipt(session, claim.id, claim.lines[0].id, filename=filename, data=data,
                                actor_user_id=world.manager, max_bytes=max_bytes)


@pytest.mark.parametrize(("data", "name", "kind"), [
    (RECEIPT_PDF, "taxi.pdf", "application/pdf"),
    (RECEIPT_JPEG, "photo of receipt.JPG", "image/jpeg"),
    (RECEIPT_PNG, "scan.png", "image/png"),
    (RECEIPT_PDF, "misnamed.png", "application/pdf"),
])
def test_a_receipt_is_accepted_by_its_content_and_served_back_byte_for_byte(session, world, claim, data, name, kind):
    receipt = attach(session, world, claim, data, name)

    record, body = services.receipt_file(session, claim.id, receipt.id)

    assert receipt.content_type == kind and record.filename == name
    assert body == data and record.sha256 == hashlib.sha256(data).hexdigest() and record.size_bytes == len(data)
    assert services.get_claim(session, claim.id).lines[0].receipts == (record,)


def test_a_text_file_named_pdf_is_refused(session, world, claim):
    with pytest.raises(ValidationError) as refused:
        attach(session, world, claim, b"Taxi: 18.40, thanks!\n", "receipt.pdf")

    assert "file" in refused.value.fields and count_rows(session, Receipt) == 0


def test_a_file_over_the_size_limit_is_refused(session, world, claim):
    with pytest.raises(ValidationError, match="the most a receipt may be") as refused:
        attach(session, world, claim, RECEIPT_PDF + b"0" * LIMIT)

    assert refused.value.fields == {"file": ["At most 1 KB."]} and count_rows(session, Receipt) == 0


def test_an_empty_file_is_refused(session, world, claim):
    with pytest.raises(ValidationError):
        attach(session, world, claim, b"")


def test_a_file_name_cannot_break_out_of_its_header(session, world, claim):
    receipt = attach(session, world, claim, RECEIPT_PDF, 'a"b/../c\\d\r\n.pdf')

    assert receipt.filename == "ab..cd.pdf"


def test_another_participants_receipt_is_not_found(session, world, claim):
    receipt = attach(session, world, claim, RECEIPT_PDF)

    with pytest.raises(NotFound):
        services.receipt_file(session, claim.id, receipt.id, for_participant_id=world.carer)
    assert services.receipt_file(session, claim.id, receipt.id, for_participant_id=world.ann)[1] == RECEIPT_PDF


def test_receipts_cannot_be_added_once_the_claim_is_decided(session, world, rules, claim):
    services.submit_claim(session, claim.id, actor_user_id=world.manager)
    services.approve_claim(session, claim.id, actor_user_id=world.finance, actor_participant_id=None, rules=rules,
                           today=TODAY)

    with pytest.raises(Conflict):
        attach(session, world, claim, RECEIPT_PDF)


def test_a_line_of_another_claim_is_not_found(session, world, rules, claim):
    other, _ = services.create_expense_claim(
        session, participant_id=world.carer, activity_id=world.activity_id, idempotency_key="other",
        lines=[{"category": "meals", "description": "Lunch", "amount": "6.00"}], actor_user_id=world.manager,
        rules=rules)

    with pytest.raises(NotFound):
        services.add_receipt(session, claim.id, other.lines[0].id, filename="x.pdf", data=RECEIPT_PDF,
                             actor_user_id=world.manager, max_bytes=LIMIT)
