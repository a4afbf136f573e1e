"""Layouts that hold: every document kind, in every format, with short, long and page-boundary data, read back
from the PDF (the position of each line of text on each page) to check that

- a table's column headings are never the last thing on a page (a heading row always has a row under it),
  and its totals row is never alone at the top of a page (it always has a row of its table above it);
- no heading is the last text on a page;
- each column heading is on one line;
- the footer ("Page X of Y") is inside the page and below everything else;
- the signature block of the benefits evidence letter is on one page.

Each combination is rendered once (a module fixture); "page-boundary" is the smallest size that needs one page
more than the size before it, where a break is most likely to separate a total or a heading from its rows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest

from ledger.benefit_checks import Alternative, BenefitCheck, BenefitEffect
from ledger.budgets.records import BudgetVersionRecord, PricedLine, PricedPlan
from ledger.documents import examples as ex
from ledger.documents import flowables, render
from ledger.documents.budget_plan import render_budget_plan
from ledger.documents.coproduction_report import render_coproduction_report
from ledger.documents.easy_read import EASY_READ
from ledger.documents.layout import LARGE_PRINT, STANDARD, Look
from ledger.reports.benefit_effect_records import BenefitEffectNotice
from ledger.reports.coproduction_records import CoproductionReport, PaymentTimes, ProjectFigures
from ledger.reports.records import BudgetLine
from tests.documents.layout_reader import Line, Page, pages

FORMATS = {"standard": {}, "large print": {"large_print": True}, "easy read": {"easy_read": True}}
LOOKS = {"standard": STANDARD, "large print": LARGE_PRINT, "easy read": EASY_READ}
WEB = "https://ledger.example.org/my/documents/statement?start=2026-01-01&end=2026-06-30"


def _evidence(periods: int):
    pack = ex.evidence_pack()
    carers = pack.benefits[0]
    first = carers.periods[0]
    many = tuple(dataclasses.replace(first, start=first.start + dt.timedelta(weeks=n),
                                     end=first.end + dt.timedelta(weeks=n)) for n in range(periods))
    return dataclasses.replace(pack, benefits=(dataclasses.replace(carers, periods=many), *pack.benefits[1:]))


def _annual(payments: int):
    doc = ex.annual_summary(payments=1)
    line = doc.lines[0]
    return dataclasses.replace(doc, lines=tuple(
        dataclasses.replace(line, date_paid=line.date_paid + dt.timedelta(days=n), fees=4000 + n, taxable_allowances=0)
        for n in range(payments)))


def _budget(lines: int):
    doc = ex.budget_report()
    more = tuple(BudgetLine(f"Cost line {n}: workshops and access", 10000 + n, 500, 2000) for n in range(lines))
    return dataclasses.replace(doc, lines=more)


def _coproduction(projects: int) -> CoproductionReport:
    rows = tuple(ProjectFigures(f"P{n:03d}", f"Carers' strategy group, session series {n}", 4 + n % 5, 3, Decimal(9),
                                12000 + n, 840, 60, 0) for n in range(projects))
    totals = ProjectFigures("", "All projects", sum(r.people for r in rows), sum(r.sessions for r in rows),
                            Decimal(9 * projects), sum(r.fees_pence for r in rows), 840 * projects, 60 * projects, 0)
    times = tuple(PaymentTimes(f"Approver {n}", 10 + n, Decimal("6.5"), 12) for n in range(3))
    return CoproductionReport(
        title="Adult social care", project_code=None, start=dt.date(2025, 4, 1), end=dt.date(2026, 3, 31),
        totals=totals, projects=rows, time_credit_minutes_spent=600, network_size=120, network_taking_part=45,
        by_project=tuple(PaymentTimes(r.code, 5, Decimal(7), 14) for r in rows), by_approver=times,
        overall=PaymentTimes("Everyone", 40, Decimal(7), 14))


def _plan(lines: int) -> BudgetVersionRecord:
    sections = ("fees", "travel", "support", "access", "custom")
    priced = tuple(PricedLine(f"line-{n}", sections[n % 5], "Fees", f"Workshop {n}: planning with carers",
                              dt.date(2026, 5, 31), 6, Decimal(3), "hour", 1260, 3780, 22680, "fee.hourly",
                              dt.date(2026, 4, 1), n % 7 == 0) for n in range(lines))
    plan = PricedPlan(priced, dt.date(2026, 4, 1), "england", Decimal(5), Decimal(12))
    return BudgetVersionRecord(1, "P001", "Respite services redesign", 2, "bid", "draft", plan, {},
                               dt.datetime(2026, 4, 1, 9, 0), None, None)


def _notice(effects: int) -> BenefitEffectNotice:
    effect = BenefitEffect(
        benefit="carers_allowance", effect="reduced", period_start=dt.date(2026, 6, 1), period_end=dt.date(2026, 6, 7),
        counted_pence=21000, limit_pence=19600, headroom_pence=0, reduction_pence=1400, safe_amount_pence=19600,
        hours=None, explanation="This would take you over the Carer's Allowance limit for that week, so it may go "
        "down.", explanation_for_staff="", rule="", source="", confidence="high", caution=True)
    check = BenefitCheck(outcome="warn", required_action="warn", effects=(effect,) * effects,
                         alternatives=(Alternative("decline", 0, "You could decline the fee."),))
    return BenefitEffectNotice(ex.ORGANISATION, ex.payee(0), 7, "Advisory group meeting, 3 hours", 21000,
                               dt.date(2026, 6, 5), check, False, dt.date(2026, 6, 1))


#: kind: (make the data of size n, render it with format options, formats, short, long, the sizes to search).
KINDS: dict[str, tuple[Callable, Callable, tuple[str, ...], int, int, range]] = {
    "statement": (lambda n: ex.statement(lines=n), lambda d, **f: render.render_statement(d, web_address=WEB, **f),
                  tuple(FORMATS), 2, 50, range(2, 40)),
    "remittance": (lambda n: ex.remittance(lines=n),
                   lambda d, **f: render.render_remittance(d, web_address=WEB, **f), tuple(FORMATS), 1, 60,
                   range(1, 40)),
    "annual summary": (_annual,
                       lambda d, **f: render.render_annual_summary(d, web_address=WEB, **f), tuple(FORMATS), 1, 60,
                       range(1, 40)),
    "benefit effect": (_notice, lambda d, **f: render.render_benefit_effect(d, web_address=WEB, **f),
                       tuple(FORMATS), 1, 8, range(1, 8)),
    "evidence pack": (_evidence, render.render_evidence_pack, ("standard", "large print"), 1, 30, range(1, 20)),
    "run report": (lambda n: ex.payment_run(payees=n), render.render_payment_run_report, ("standard",
                   "large print"), 2, 50, range(2, 40)),
    "budget report": (_budget, render.render_budget_report, ("standard", "large print"), 1, 40, range(1, 30)),
    "co-production report": (_coproduction, lambda d, **f: render_coproduction_report(d, organisation=ex.ORGANISATION),
                             ("standard",), 1, 40, range(1, 30)),
    "budget plan": (_plan, lambda d, **f: render_budget_plan(d, organisation=ex.ORGANISATION, **f),
                    ("standard", "large print"), 1, 60, range(1, 40)),
}


class _Columns:
    """The column titles of every table with a heading row drawn while it is watching."""

    def __init__(self):
        self.titles: set[str] = set()
        self._init = flowables.GridTable.__init__

    def __enter__(self):
        watcher, original = self, self._init

        def init(table, columns, *args, **kwargs):
            original(table, columns, *args, **kwargs)
            if table.header is not None:
                watcher.titles.update(c.title for c in columns if c.title)

        flowables.GridTable.__init__ = init
        return self

    def __exit__(self, *exc):
        flowables.GridTable.__init__ = self._init


def _boundary(make, draw, options, sizes: range) -> int:
    """The smallest size needing one page more than the size before it (binary search over ``sizes``)."""
    count = {}

    def pages_of(n: int) -> int:
        if n not in count:
            count[n] = len(pages(draw(make(n), **options)))
        return count[n]

    low, high = sizes.start, sizes.stop - 1
    first = pages_of(low)
    if pages_of(high) == first:
        return high
    while high - low > 1:  # the first size with more pages than the smallest
        middle = (low + high) // 2
        if pages_of(middle) > first:
            high = middle
        else:
            low = middle
    return high


@pytest.fixture(scope="module")
def rendered() -> dict[tuple[str, str, str], tuple[list[Page], set[str], Look]]:
    found = {}
    for kind, (make, draw, formats, short, long, sizes) in KINDS.items():
        for name in formats:
            options = FORMATS[name]
            for size_name, size in (("short", short), ("long", long),
                                    ("page boundary", _boundary(make, draw, options, sizes))):
                with _Columns() as columns:
                    pdf = draw(make(size), **options)
                found[kind, name, size_name] = (pages(pdf), columns.titles, LOOKS[name])
    return found


CASES = [(kind, name, size) for kind, spec in KINDS.items() for name in spec[2]
         for size in ("short", "long", "page boundary")]


def _body(page: Page, look: Look) -> list[Line]:
    """The lines of a page between its running header and its footer (one line, or two: everything in the margin
    at the foot of the page)."""
    lines = list(page.lines)
    if lines and lines[0].size == look.header and lines[0].bold:
        lines = lines[1:]
    return [line for line in lines if (" of " not in line.text or "Page " not in line.text) and line.y >= look.margin]


def _is_column_heading(line: Line, titles: set[str]) -> bool:
    words = line.text
    return line.bold and bool(titles) and sum(title in words for title in titles) >= 2


@pytest.mark.parametrize(("kind", "name", "size"), CASES)
def test_the_layout_holds(rendered, kind, name, size):
    found, titles, look = rendered[kind, name, size]
    where = f"{kind}, {name}, {size}"
    for number, page in enumerate(found, start=1):
        body = _body(page, look)
        assert body, f"{where}: page {number} has nothing on it"
        last = body[-1]
        # No heading is the last text on a page (nor the title).
        assert not (last.bold and last.size in (look.h1, look.h2)), f"{where}: page {number} ends on {last.text!r}"
        # A table's column headings always have a row under them on the same page.
        assert not _is_column_heading(last, titles), f"{where}: page {number} ends on its column headings"
        # A totals row always has a row of its table above it on the same page.
        for above, line in zip([None, *body], body, strict=False):
            if line.text.startswith("Total") and line.pieces[0].bold and line.size == look.cell:
                assert above is not None and not _is_column_heading(above, titles), \
                    f"{where}: page {number} has a totals row without its rows: {line.text!r}"
        # The footer is inside the page, below everything else.
        footer = [line for line in page.lines if f"Page {number} of {len(found)}" in line.text]
        assert footer, f"{where}: page {number} has no footer"
        assert 0 < footer[0].y < min(line.y for line in body), f"{where}: page {number}'s footer overlaps the text"
        for line in page.lines:
            for piece in line.pieces:
                assert 0 <= piece.x < page.width and 0 < piece.y < page.height, f"{where}: {piece.text!r} off page"
        right = max(p.x for p in footer[0].pieces)
        assert right < page.width - look.margin / 2, f"{where}: page {number}'s footer runs off the page"
    # No column heading is broken inside a word, nor wrapped one word per line.
    every_line = [line.text for page in found for line in page.lines]
    tokens = {token for text in every_line for token in text.split()}
    for title in titles:
        words = title.split()
        assert all(word in tokens for word in words), f"{where}: the column heading {title!r} breaks a word"
        if len(words) >= 2:
            assert any(" ".join(words[i:i + 2]) in text for text in every_line for i in range(len(words) - 1)), \
                f"{where}: the column heading {title!r} wraps one word per line"


@pytest.mark.parametrize("name", ["standard", "large print"])
@pytest.mark.parametrize("size", ["short", "long", "page boundary"])
def test_the_signature_block_is_on_one_page(rendered, name, size):
    found, _, _ = rendered["evidence pack", name, size]
    pages_with = {word: [n for n, page in enumerate(found) for line in page.lines if word in line.text]
                  for word in ("I confirm that the figures", "Signed: ____", "Rhian Jones", "Involvement lead")}
    assert all(pages_with.values()), pages_with
    assert len({n for numbers in pages_with.values() for n in numbers}) == 1, pages_with
