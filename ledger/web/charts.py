"""Bar charts drawn on the server as plain SVG: the geometry worked out here, the markup in a template macro.

A chart is a picture of a table the page shows beside it, so it needs no script and no library: each bar is a
``<rect>`` whose width is its value's share of the largest value, with the figure written at its end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

ROW_HEIGHT = 28
LABEL_WIDTH = 140
BAR_SPACE = 320  # the longest bar; the figure is written after it
WIDTH = LABEL_WIDTH + BAR_SPACE + 200


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    text: str  # the figure as the table shows it
    y: int
    width: int
    series: int  # 0 or 1: which colour


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    description: str
    bars: tuple[Bar, ...]
    height: int
    width: int = WIDTH
    label_width: int = LABEL_WIDTH


def bar_chart(title: str, description: str, rows: Sequence[tuple[str, Sequence[tuple[Decimal | int, str]]]]) -> Chart:
    """A chart of rows, each a label and one or two (value, text) bars, scaled to the largest value."""
    largest = max((value for _label, values in rows for value, _text in values), default=0) or 1
    bars: list[Bar] = []
    y = 0
    for label, values in rows:
        for series, (value, text) in enumerate(values):
            bars.append(Bar(label if series == 0 else "", text, y, int(Decimal(value) * BAR_SPACE / largest), series))
            y += ROW_HEIGHT
        y += 8
    return Chart(title=title, description=description, bars=tuple(bars), height=max(y, ROW_HEIGHT))
