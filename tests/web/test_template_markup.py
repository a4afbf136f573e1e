"""Every page template is written in the design system's markup, so every page looks and behaves as one product.

Several people built pages side by side; a plain ``<table>`` or ``<button>`` added in a hurry shows as an
unstyled prototype (grey browser buttons, 13-pixel text). This reads each template under
ledger/web/templates with the standard library's HTML parser (Jinja tags are left as text) and names every
element that is not in GOV.UK Frontend markup, every class the old stylesheet had, and every ``style=""``
attribute (the content security policy will forbid inline style).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "ledger" / "web" / "templates"
#: The classes of the old stylesheet (static/site.css, removed): they style nothing now.
LEGACY_CLASSES = frozenset({"facts", "note", "flag", "warning", "scroll", "safe", "visually-hidden", "field",
                            "has-error", "hint", "field-error", "error-summary", "panel", "figure", "num", "flash",
                            "reveal", "option", "decision", "inline-form", "proposal", "entries", "secret-link"})
#: Headings the design system styles by their component's own class (a card's title, a panel's title…).
HEADING_CLASS = re.compile(r"^govuk-(heading-[a-z]+|[a-z-]+__(title|heading)|visually-hidden)$")
#: Links a component styles itself: the back link, a button-link, the header's and footer's links…
LINK_CLASS = re.compile(r"^govuk-(link|back-link|skip-link|button|[a-z-]+__link|[a-z-]+__title)$")
#: Containers whose links the design system styles (navigation, the error summary's list, pagination).
LINK_CONTAINERS = re.compile(r"^govuk-(error-summary|pagination|service-navigation|header|footer)\b")
#: ``form.submit(class_="govuk-button")``: a WTForms button rendered by a call, seen only as Jinja text.
WTFORMS_BUTTON = re.compile(r"\{\{\s*[\w.\[\]'\"]*\.(submit|[a-z_]*_button|approve|reject|download)\(([^)]*)\)")
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                  "wbr"})


class MarkupCheck(HTMLParser):
    """Collect what is not in the design system's markup, with its line, while reading one template."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, set[str]]] = []
        self.problems: list[str] = []

    def _inside_link_container(self) -> bool:
        return any(tag in ("nav", "header", "footer") or any(LINK_CONTAINERS.match(c) for c in classes)
                   for tag, classes in self.open)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        classes = set(JINJA.sub(" ", found.get("class") or "").split())
        where = f"line {self.getpos()[0]}: <{tag}"
        if "style" in found:
            self.problems.append(f"{where} style=\"{found['style']}\"> (inline style: use a class)")
        if classes & LEGACY_CLASSES:
            self.problems.append(f"{where} class=\"{' '.join(sorted(classes & LEGACY_CLASSES))}\"> (old stylesheet)")
        self._check_component(tag, found, classes, where)
        if tag not in VOID:
            self.open.append((tag, classes))

    def _check_component(self, tag: str, found: dict[str, str | None], classes: set[str], where: str) -> None:
        if tag == "table" and "govuk-table" not in classes:
            self.problems.append(f"{where}> without govuk-table")
        elif (tag == "button" or (tag == "input" and found.get("type") == "submit")) and not any(
                c.startswith("govuk-button") or c.endswith(("__button", "__link", "__toggle")) for c in classes):
            self.problems.append(f"{where}> without govuk-button")
        elif tag in ("h1", "h2") and not any(HEADING_CLASS.match(c) for c in classes):
            self.problems.append(f"{where}> without a govuk-heading-* class")
        elif tag == "a" and not any(LINK_CLASS.match(c) for c in classes) and not self._inside_link_container():
            self.problems.append(f"{where} href=\"{found.get('href')}\"> without govuk-link")

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i][0] == tag:
                del self.open[i:]
                return


def problems_in(path: Path) -> list[str]:
    """What in this template is not design-system markup, each with its line."""
    text = path.read_text(encoding="utf-8")
    # Jinja comments may show markup as an example; they are not rendered.
    text = re.sub(r"\{#.*?#\}", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    check = MarkupCheck()
    check.feed(text)
    check.close()
    for match in WTFORMS_BUTTON.finditer(text):
        if "govuk-button" not in match.group(2):
            line = text.count("\n", 0, match.start()) + 1
            check.problems.append(f"line {line}: {match.group(0)} without govuk-button")
    return check.problems


TEMPLATE_FILES = sorted(TEMPLATES.rglob("*.html"))


def test_the_templates_are_found():
    assert len(TEMPLATE_FILES) > 50 and TEMPLATES / "base.html" in TEMPLATE_FILES


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_a_template_uses_only_the_design_systems_markup(path):
    assert problems_in(path) == []


def test_the_check_names_each_kind_of_plain_markup(tmp_path):
    plain = tmp_path / "plain.html"
    plain.write_text('<table><tr><td>1</td></tr></table>\n<button>Go</button>\n<h2>Hi</h2>\n'
                     '<p><a href="/x">x</a></p>\n<div class="note" style="color: red"></div>\n'
                     '{{ form.submit() }}\n<nav><a href="/y">y</a></nav>\n'
                     '<h2 class="govuk-summary-card__title">Card</h2><a class="govuk-link" href="/z">z</a>\n',
                     encoding="utf-8")
    assert problems_in(plain) == [
        "line 1: <table> without govuk-table", "line 2: <button> without govuk-button",
        "line 3: <h2> without a govuk-heading-* class", 'line 4: <a href="/x"> without govuk-link',
        'line 5: <div style="color: red"> (inline style: use a class)', 'line 5: <div class="note"> (old stylesheet)',
        "line 6: {{ form.submit() without govuk-button"]


def test_every_cell_of_a_participant_table_is_labelled_for_a_phone():
    """On a phone a participant's table stacks each row (``app-table--stacked``) and shows each cell's column
    heading beside it, from the cell's ``data-label``: a cell without one would show a figure with no name."""
    unlabelled = []
    for path in sorted((TEMPLATES / "participant").glob("*.html")):
        text = path.read_text(encoding="utf-8")
        for table in re.findall(r'<table class="govuk-table app-table--stacked".*?</table>', text, flags=re.S):
            for cell in re.findall(r"<td\b[^>]*>", table):
                if "data-label=" not in cell and "colspan=" not in cell:
                    unlabelled.append(f"{path.name}: {cell}")
    stacked = sum(t.read_text(encoding="utf-8").count("app-table--stacked")
                  for t in (TEMPLATES / "participant").glob("*.html"))
    assert stacked >= 5 and not unlabelled, unlabelled
