"""Every name can be printed: the fallback font takes what DejaVu lacks, and markup is escaped."""

from __future__ import annotations

from ledger.documents import fonts


def test_latin_welsh_greek_and_cyrillic_stay_in_dejavu():
    for text in ("Siân O'Brien", "Ŵyn Ŷr Âble", "Αλέξανδρος", "Анна"):
        assert fonts.runs(text) == ((fonts.REGULAR, text),)


def test_chinese_and_japanese_use_the_fallback_font():
    assert fonts.runs("Li 王秀英 Jones") == (
        (fonts.REGULAR, "Li "),
        (fonts.FALLBACK, "王秀英"),
        (fonts.REGULAR, " Jones"),
    )
    assert fonts.runs("さくら", bold=True) == ((fonts.FALLBACK, "さくら"),)


def test_text_is_normalised_and_control_characters_become_spaces():
    decomposed = "Sia\u0302n"  # a + combining circumflex
    assert fonts.clean(decomposed) == "Siân"
    assert fonts.clean("a\nb\tc\x00d") == "a b c d"


def test_markup_escapes_everything_and_marks_fallback_runs():
    assert fonts.markup("<b>Bob</b> & Co") == "&lt;b&gt;Bob&lt;/b&gt; &amp; Co"
    assert fonts.markup("&amp;") == "&amp;amp;"
    assert fonts.markup("王 <i>", bold=True) == f'<b><font name="{fonts.FALLBACK}">王</font> &lt;i&gt;</b>'


def test_markup_prints_literally_in_a_reportlab_paragraph():
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    fonts.register_fonts()
    paragraph = Paragraph(
        fonts.markup("<font size=40>Big</font> & <b>x</b>"), ParagraphStyle("t", fontName=fonts.REGULAR)
    )
    words = [word for frag in paragraph.frags for word in [frag.text]]
    assert "".join(words) == "<font size=40>Big</font> & <b>x</b>"
    assert {frag.fontSize for frag in paragraph.frags} == {10}


def test_text_width_adds_up_runs_in_each_font():
    assert fonts.text_width("ab王", 10) == fonts.width("ab", fonts.REGULAR, 10) + fonts.width("王", fonts.FALLBACK, 10)
    assert fonts.fits("abc", fonts.text_width("abc", 10), 10)
    assert not fonts.fits("abc", fonts.text_width("abc", 10) - 0.1, 10)
    assert not fonts.fits("王", 1000, 10)  # not in DejaVu: needs the fallback, so not one plain string


def test_reused_font_subsets_widths_and_character_maps_give_the_same_bytes_as_reportlab():
    from reportlab.pdfbase import pdfmetrics

    from ledger.documents import examples, render

    def documents() -> list[bytes]:
        return [render.render_remittance(examples.remittance(n)) for n in range(4)] + [
            render.render_statement(examples.statement(12, index=6))  # Chinese: the fallback font too
        ]

    ours = documents()
    assert documents() == ours  # the second time from what the first made
    used = [pdfmetrics.getFont(name) for name in (fonts.REGULAR, fonts.BOLD, fonts.FALLBACK)]
    saved = [(font.face.__dict__.pop("addSubsetObjects"), font.__dict__.pop("addObjects")) for font in used]
    try:
        assert documents() == ours  # reportlab's own
    finally:
        for font, (subset_objects, font_objects) in zip(used, saved, strict=True):
            font.face.addSubsetObjects = subset_objects
            font.addObjects = font_objects
