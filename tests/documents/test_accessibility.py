"""Every document is accessible: metadata and language, real text, embedded fonts, large print, any name."""

from __future__ import annotations

import dataclasses

import pytest

from ledger.documents import examples, render
from ledger.reports.records import Payee
from tests.documents.pdf import font_sizes, fonts, reader, text

PARTICIPANT_DOCUMENTS = {
    "remittance": (render.render_remittance, examples.remittance),
    "statement": (render.render_statement, examples.statement),
    "annual summary": (render.render_annual_summary, examples.annual_summary),
    "evidence pack": (render.render_evidence_pack, examples.evidence_pack),
}
FINANCE_DOCUMENTS = {
    "payment run": (render.render_payment_run_report, examples.payment_run),
    "budget": (render.render_budget_report, examples.budget_report),
}
ALL_DOCUMENTS = PARTICIPANT_DOCUMENTS | FINANCE_DOCUMENTS

HARD_NAMES = [
    "Siân O'Brien",  # accent and apostrophe
    "Gwenllïan ap Dafydd",
    "Ŵyn Ŷr Âble",  # Welsh circumflexes on w and y
    "José Núñez-Müller",
    "Αλέξανδρος Παπαδόπουλος",
    "Анна Кузнецова",
    "王秀英",
    "山田 さくら",
]
MARKUP_NAMES = [
    "<b>Bob</b> & Co",
    '<font size=40 color="red">Big</font>',
    "&amp; &lt; &#169; <br/> <para>",
    "Smith & Sons <i>Ltd</i>",
]


def _with_participant(document, participant: Payee):
    field = "participant" if hasattr(document, "participant") else "payee"
    return dataclasses.replace(document, **{field: participant})


@pytest.mark.parametrize("kind", ALL_DOCUMENTS)
def test_metadata_has_title_author_subject_and_language(kind):
    renderer, example = ALL_DOCUMENTS[kind]
    document = example()
    pdf = reader(renderer(document))
    meta = pdf.metadata
    assert meta.author == examples.ORGANISATION.name
    assert meta.title and meta.subject
    assert pdf.trailer["/Root"]["/Lang"] == "en-GB"
    assert pdf.trailer["/Root"]["/ViewerPreferences"]["/DisplayDocTitle"]


def test_titles_name_the_document_and_the_person():
    pdf = reader(render.render_statement(examples.statement(4, index=6)))
    assert pdf.metadata.title == "Statement for 王秀英, 1 April 2025 to 31 March 2026"
    pdf = reader(render.render_remittance(examples.remittance(2)))
    assert pdf.metadata.title == "Remittance advice PR-2025-06: Ŵyn Ŷr Âble"
    assert pdf.metadata.subject.startswith("Payment of £")


@pytest.mark.parametrize("kind", ALL_DOCUMENTS)
def test_every_font_is_embedded_truetype(kind):
    renderer, example = ALL_DOCUMENTS[kind]
    used = fonts(renderer(example()))
    assert used
    for name, font in used.items():
        assert font["/Subtype"] == "/TrueType", name
        assert "/FontFile2" in font["/FontDescriptor"], name
        assert "/ToUnicode" in font, name  # so the text can be searched and copied


@pytest.mark.parametrize("kind", ALL_DOCUMENTS)
@pytest.mark.parametrize("large_print", [False, True])
def test_every_page_is_numbered_page_x_of_y_under_the_organisation_name(kind, large_print):
    renderer, example = ALL_DOCUMENTS[kind]
    pdf = reader(renderer(example(), large_print=large_print))
    total = len(pdf.pages)
    for number, page in enumerate(pdf.pages, start=1):
        words = " ".join(page.extract_text().split())
        assert f"Page {number} of {total}" in words
        assert examples.ORGANISATION.name in words


@pytest.mark.parametrize("kind", ALL_DOCUMENTS)
def test_large_print_has_nothing_below_16_points(kind):
    renderer, example = ALL_DOCUMENTS[kind]
    document = example()
    large = font_sizes(renderer(document, large_print=True))
    standard = font_sizes(renderer(document))
    assert min(large) >= 16
    assert min(standard) < 16  # the check can tell the two apart


def test_large_print_is_spaced_generously():
    from ledger.documents.layout import LARGE_PRINT, STANDARD

    assert LARGE_PRINT.body >= 16 and LARGE_PRINT.leading >= 1.4 * LARGE_PRINT.body
    assert LARGE_PRINT.cell_leading >= 1.3 * LARGE_PRINT.cell
    assert LARGE_PRINT.space > STANDARD.space


@pytest.mark.parametrize("kind", PARTICIPANT_DOCUMENTS)
@pytest.mark.parametrize("name", HARD_NAMES)
def test_any_name_renders_as_real_text(kind, name):
    renderer, example = PARTICIPANT_DOCUMENTS[kind]
    document = _with_participant(example(), Payee(name, "P1", ("1 Ffordd y Môr",)))
    for large_print in (False, True):
        words = text(renderer(document, large_print=large_print))
        assert name in words
        assert "Ffordd y Môr" in words


def test_names_outside_dejavu_use_the_embedded_fallback_font():
    document = _with_participant(examples.remittance(), Payee("王秀英", "P1"))
    used = fonts(render.render_remittance(document))
    assert any("DroidSansFallback" in name for name in used)
    latin = fonts(render.render_remittance(_with_participant(examples.remittance(), Payee("Siân", "P1"))))
    assert not any("DroidSansFallback" in name for name in latin)  # only embedded when needed


@pytest.mark.parametrize("kind", ALL_DOCUMENTS)
@pytest.mark.parametrize("name", MARKUP_NAMES)
def test_a_name_that_looks_like_markup_is_printed_literally(kind, name):
    renderer, example = ALL_DOCUMENTS[kind]
    document = example()
    if kind in PARTICIPANT_DOCUMENTS:
        document = _with_participant(document, Payee(name, "P1"))
    elif kind == "payment run":
        first = dataclasses.replace(document.payees[0], payee=Payee(name, "P1"))
        document = dataclasses.replace(document, payees=(first, *document.payees[1:]))
    else:
        document = dataclasses.replace(document, project=name)
    pdf = renderer(document)
    assert name in text(pdf)
    assert max(font_sizes(pdf)) <= 26  # nothing in the name changed the type


@pytest.mark.parametrize("kind", ALL_DOCUMENTS)
def test_rendering_is_deterministic(kind):
    renderer, example = ALL_DOCUMENTS[kind]
    assert renderer(example()) == renderer(example())
