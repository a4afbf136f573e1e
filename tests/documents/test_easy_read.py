"""Easy-read statement and remittance advice: nothing below 16 pt, the money large, one idea a line with its
picture to the left, the ledger's own figures, and chosen by default for a person who prefers easy read."""

from __future__ import annotations

from dataclasses import replace

from ledger.db import unit_of_work
from ledger.documents import examples, render
from ledger.documents.easy_read import EASY_READ, FIGURE_SIZE, GAP, PICTURE_SIZE, picture
from ledger.easy_read import remittance_ideas, statement_ideas
from ledger.formatting import money
from ledger.people.services import update_participant
from tests.documents.pdf import assert_in_order, figures, font_sizes, reader, text
from tests.documents.test_documents_api import PERIOD, Api, api  # noqa: F401 (the fixture)


def _text_positions(pdf: bytes) -> list[tuple[str, float, float]]:
    """Each piece of text drawn, with its x position on the page and its size (pypdf's text visitor)."""
    found: list[tuple[str, float, float]] = []
    for page in reader(pdf).pages:
        page.extract_text(visitor_text=lambda words, cm, tm, font, size: found.append(
            (words, cm[4] + tm[4], tm[0] * size)) if words.strip() else None)
    return found


def test_the_easy_read_statement_is_large_with_the_money_larger():
    doc = examples.statement()

    pdf = render.render_statement(doc, easy_read=True)

    sizes = font_sizes(pdf)
    assert min(sizes) >= 16
    assert FIGURE_SIZE in sizes and max(sizes) == FIGURE_SIZE
    payments = doc.payments
    expected = [money(doc.amount_owed), money(-sum(p.amount for p in payments)),
                *(money(-p.amount) for p in payments[-5:])]
    assert figures(pdf) == expected == ["£52.86", "£120.00", "£30.00", "£30.00", "£30.00", "£30.00"]
    words = text(pdf)
    assert_in_order(words, ["Your statement", "This is your statement from 1 April 2025 to 31 March 2026.",
                            "We still owe you this money:", "£52.86", "We paid you 4 times. In all:", "£120.00",
                            "Your time credits:", "Please talk to us if something looks wrong"])
    assert reader(pdf).metadata.title.endswith("(easy read)")


def test_each_idea_has_its_picture_on_the_left_and_its_words_beside_it():
    pdf = render.render_statement(examples.statement(), easy_read=True)

    beside = EASY_READ.margin + 6 + PICTURE_SIZE + GAP  # the frame pads its flowables by 6 pt
    ideas = [idea.before for idea in statement_ideas(examples.statement())]
    placed = {words.strip(): x for words, x, _ in _text_positions(pdf)}
    for before in ideas:
        assert abs(placed[before] - beside) < 0.5, before
    drawn = picture("money")
    assert (drawn.width, drawn.height) == (PICTURE_SIZE, PICTURE_SIZE)
    strokes = [shape.strokeColor for group in drawn.contents for shape in group.contents
               if hasattr(shape, "strokeColor")]
    assert strokes and all(colour is not None for colour in strokes)  # Lucide's currentColor is inked in


def test_the_easy_read_remittance_shows_what_was_paid_and_what_for():
    doc = examples.remittance()

    pdf = render.render_remittance(doc, easy_read=True, large_print=True)

    assert min(font_sizes(pdf)) >= 16
    words = text(pdf)
    assert_in_order(words, ["We have paid you", f"Payment number: {doc.run_reference}", "We paid you this money:",
                            money(doc.total_paid), "We paid it on 27 June 2025.", "It went into the account ending",
                            f"{money(doc.fees)} of it is fees for your time.",
                            f"{money(doc.expenses)} of it is expenses to pay you back.", "Please talk to us"])
    assert len(reader(pdf).pages) == 1
    assert doc.total_paid == doc.fees + doc.expenses + doc.donations_received + doc.adjustments
    assert [i.figure for i in remittance_ideas(doc) if i.figure] == [money(doc.total_paid)]


def test_a_group_is_told_its_group_was_paid():
    doc = examples.remittance()
    group = replace(doc, payee=replace(doc.payee, is_group=True))
    assert "We paid your group this money:" in text(render.render_remittance(group, easy_read=True))


def test_easy_read_is_the_default_for_a_person_who_prefers_it(app, client, api):  # noqa: F811
    with unit_of_work(app.extensions["session_factory"]) as session:
        update_participant(session, api.books.bea, {"preferred_format": "easy_read"})
    bea, headers = api.books.bea, api.headers("bea")

    def title(url: str) -> str:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return reader(response.data).metadata.title

    statement = f"/api/v1/participants/{bea}/statement.pdf?{PERIOD}"
    remittance = f"/api/v1/payment-runs/{api.books.run_id}/remittances/participant/{bea}.pdf"
    assert title(statement).endswith("(easy read)") and title(remittance).endswith("(easy read)")
    assert not title(statement + "&easy_read=false").endswith("(easy read)")
    assert not title(statement + "&large_print=true").endswith("(easy read)")  # asked for large print
    finance = {"Authorization": api.headers("finance")["Authorization"]}
    ann = client.get(f"/api/v1/participants/{api.books.ann}/statement.pdf?{PERIOD}", headers=finance)
    assert not reader(ann.data).metadata.title.endswith("(easy read)")  # Ann prefers standard print
