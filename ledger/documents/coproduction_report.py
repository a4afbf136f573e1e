"""The co-production report as a PDF for a board or a funder: data in, bytes out, no database and no Flask.

Each chart is drawn (reportlab graphics: bars, not a picture) and followed by a table of the same figures, so
a reader who cannot see the chart, or a screen reader, has every number.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors

from ledger.documents.flowables import Column, Text
from ledger.documents.layout import Meta, Writer, build_pdf, frame_width, look
from ledger.formatting import long_date, money
from ledger.reports.coproduction_records import NETWORK_TARGETS, CoproductionReport, PaymentTimes
from ledger.reports.organisation import Organisation

_BLUE, _GREEN = colors.HexColor("#1d70b8"), colors.HexColor("#00703c")


#: The tallest a chart is drawn (points): it must fit on a landscape page under its heading, however many
#: projects or approvers there are (its bars get thinner; the table under it has every figure).
MAX_CHART_HEIGHT = 380.0


def _bars(width: float, title: str, labels: list[str], series: list[list[int]],
          fills: list[colors.Color]) -> Drawing:
    """A horizontal bar chart: one row per label, one bar per series."""
    height = min(40 + 11 * max(len(labels), 1) * max(len(series), 1), MAX_CHART_HEIGHT)
    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 110, 20, width - 130, height - 40
    # reportlab draws the first category at the bottom: reversed, the chart reads top-down like its table.
    chart.data = [list(reversed(values)) for values in series] or [[0]]
    chart.categoryAxis.categoryNames = list(reversed(labels)) or ["(none)"]
    chart.categoryAxis.labels.fontName = "Helvetica"
    chart.categoryAxis.labels.fontSize = min(10.0, max(4.0, (height - 40) / max(len(labels), 1) * 0.9))
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontName = "Helvetica"
    for index, fill in enumerate(fills):
        chart.bars[index].fillColor = fill
    drawing.add(chart)
    drawing.add(String(0, height - 12, title, fontName="Helvetica-Bold", fontSize=10))
    return drawing


def _whole_days(days: Decimal | None) -> int:
    """A median in days (it may end in .5) as the whole number of days its bar is drawn to."""
    return int((days or Decimal(0)).to_integral_value(ROUND_HALF_UP))


def _times_rows(times: tuple[PaymentTimes, ...]) -> list[list]:
    return [[t.name, str(t.claims), "" if t.median_days is None else f"{t.median_days}",
             "" if t.p90_days is None else str(t.p90_days)] for t in times]


def render_coproduction_report(report: CoproductionReport, *, organisation: Organisation) -> bytes:
    """Render the report: the figures, a chart of the money by project and of claim-to-payment times."""
    the_look = look(False)
    width = frame_width(the_look, wide=True)
    w = Writer(the_look, width)
    totals = report.totals
    w.title(f"Co-production report: {report.title}")
    facts = [("Period", f"{long_date(report.start)} to {long_date(report.end)}"),
             ("People involved", str(totals.people)), ("Sessions", str(totals.sessions)),
             ("Hours at sessions", f"{totals.hours}"), ("Fees", money(totals.fees_pence)),
             ("Expenses", money(totals.expenses_pence)),
             ("Time credits issued", f"{Decimal(totals.time_credit_minutes_issued) / 60:.2f} hours"),
             ("Fees given to user-led groups", money(totals.to_groups_pence))]
    if report.time_credit_minutes_spent is not None:
        facts.append(("Time credits spent", f"{Decimal(report.time_credit_minutes_spent) / 60:.2f} hours"))
    if report.network_size is not None:
        facts.append(("Network who took part", f"{report.network_taking_part} of {report.network_size} "
                      f"({report.network_share_percent or 0}%); targets "
                      f"{' then '.join(f'{t}%' for t in NETWORK_TARGETS)}"))
    w.facts(facts, label_share=0.35)
    rows = report.projects
    w.heading("Fees and expenses by project")
    # The bars are drawn in whole pounds (integers: money is never a float); the table below has the pence.
    w.add(_bars(width, "Fees (blue) and expenses (green), in whole pounds", [r.code for r in rows],
                [[r.fees_pence // 100 for r in rows], [r.expenses_pence // 100 for r in rows]], [_BLUE, _GREEN]))
    w.table([Column("Project"), Column("People", numeric=True), Column("Sessions", numeric=True),
             Column("Fees", numeric=True), Column("Expenses", numeric=True)],
            [[f"{r.code}: {r.name}", str(r.people), str(r.sessions), money(r.fees_pence), money(r.expenses_pence)]
             for r in rows],
            totals=[Text("Total", bold=True), str(totals.people), str(totals.sessions), money(totals.fees_pence),
                    money(totals.expenses_pence)])
    w.heading("Days from a claim submitted to paid")
    times = (*report.by_approver, report.overall)
    w.add(_bars(width, "Median (blue) and 90th percentile (green), in days, by approver",
                [t.name for t in times], [[_whole_days(t.median_days) for t in times],
                                          [t.p90_days or 0 for t in times]], [_BLUE, _GREEN]))
    columns = [Column("By", 1.6), Column("Claims paid", numeric=True), Column("Median days", numeric=True),
               Column("90th percentile days", numeric=True)]
    w.table(columns, _times_rows(report.by_project) + _times_rows(times))
    w.para("Fees and expenses are the postings to each project's accounts dated in the period, reversals "
           "included. The network is the active participants on the register. The median is the middle value "
           "(or the mean of the two middle values); the 90th percentile is the nearest rank.")
    meta = Meta(title=f"Co-production report: {report.title}", author=organisation.name,
                subject=f"{long_date(report.start)} to {long_date(report.end)}", header=organisation.name,
                footer=f"Co-production report, {long_date(report.start)} to {long_date(report.end)}")
    return build_pdf(w.story, w.look, meta, wide=True)
