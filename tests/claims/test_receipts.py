"""Receipt files: PDF, JPEG or PNG opened to check them, size-limited, photos kept without their metadata."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from ledger.claims import services
from ledger.claims.models import Receipt
from ledger.errors import Conflict, NotFound, ValidationError
from tests.factories import RECEIPT_JPEG, RECEIPT_PDF, RECEIPT_PDF_ENCRYPTED, RECEIPT_PNG, TODAY, count_rows

LIMIT = 1024
NO_PAGES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


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


@pytest.mark.parametrize(("data", "name", "kind", "kept_as"), [
    (RECEIPT_PDF, "taxi.pdf", "application/pdf", "taxi.pdf"),
    (RECEIPT_JPEG, "photo of receipt.JPG", "image/jpeg", "photo of receipt.jpg"),
    (RECEIPT_PNG, "scan.png", "image/png", "scan.png"),
    (RECEIPT_PDF, "misnamed.png", "application/pdf", "misnamed.pdf"),
])
def test_a_receipt_is_accepted_by_its_content_and_kept_under_its_real_type(session, world, claim, data, name, kind,
                                                                          kept_as):
    receipt = attach(session, world, claim, data, name)

    record, body = services.receipt_file(session, claim.id, receipt.id)

    assert receipt.content_type == kind and record.filename == kept_as
    assert record.sha256 == hashlib.sha256(body).hexdigest() and record.size_bytes == len(body)
    assert services.get_claim(session, claim.id).lines[0].receipts == (record,)


def test_a_pdf_is_kept_byte_for_byte(session, world, claim):
    receipt = attach(session, world, claim, RECEIPT_PDF)

    assert services.receipt_file(session, claim.id, receipt.id)[1] == RECEIPT_PDF


def test_a_phone_photo_is_kept_upright_without_its_location_or_camera(session, world, claim):
    assert Image.open(io.BytesIO(RECEIPT_JPEG)).getexif().get_ifd(0x8825)  # the upload carries GPS
    receipt = attach(session, world, claim, RECEIPT_JPEG, "IMG_0042.jpeg")

    body = services.receipt_file(session, claim.id, receipt.id)[1]

    kept = Image.open(io.BytesIO(body))
    assert kept.format == "JPEG" and dict(kept.getexif()) == {} and "exif" not in kept.info
    assert b"Phonemaker" not in body and b"Phone 12" not in body
    assert kept.size == (8, 12)  # the 12 × 8 photo was taken on its side (orientation 6), now turned upright


@pytest.mark.parametrize(("data", "field"), [
    (RECEIPT_PDF_ENCRYPTED, "The PDF is password-protected."),
    (RECEIPT_PDF[: len(RECEIPT_PDF) // 2], "The PDF could not be opened."),
    (NO_PAGES, "The PDF could not be opened."),
    (RECEIPT_JPEG[: len(RECEIPT_JPEG) // 2], "The image could not be opened."),
    (b"\xff\xd8\xff\xe0" + b"JFIF but not really" * 10, "The image could not be opened."),
    (RECEIPT_PNG[:40], "The image could not be opened."),
])
def test_a_file_that_only_starts_like_a_receipt_is_refused(session, world, claim, data, field):
    with pytest.raises(ValidationError) as refused:
        attach(session, world, claim, data)

    assert refused.value.fields == {"file": [field]} and count_rows(session, Receipt) == 0


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
    receipt = attach(session, world, claim, RECEIPT_PDF, 'a"b/../c\\d\r\n;x.exe')

    assert receipt.filename == "dx.pdf"
    assert attach(session, world, claim, RECEIPT_PNG, "..\u202e").filename == "receipt.png"


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
