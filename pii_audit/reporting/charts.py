"""Geometry of the report's SVG charts, computed here so templates only print numbers."""

from __future__ import annotations

from dataclasses import dataclass

TREND_WIDTH = 360
TREND_HEIGHT = 140
TREND_PAD = 28  # room for value labels around the plot


@dataclass(frozen=True)
class Bar:
    """One bar of a horizontal bar chart: its label, value and length in percent of the longest."""

    key: str
    label: str
    value: int
    percent: float


@dataclass(frozen=True)
class Point:
    """One point of a line chart, in SVG user units, with its value and x-axis label."""

    x: float
    y: float
    value: int
    label: str


@dataclass(frozen=True)
class LineChart:
    """A line chart over the recent scans: its points and the SVG ``points`` attribute."""

    title: str
    points: tuple[Point, ...]
    width: int = TREND_WIDTH
    height: int = TREND_HEIGHT

    @property
    def polyline(self) -> str:
        """Return the points as an SVG ``points`` attribute."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def baseline(self) -> float:
        """Return the y of the zero line."""
        return self.height - TREND_PAD


def bars(counts: list[tuple[str, str, int]]) -> tuple[Bar, ...]:
    """Return bars for ``(key, label, value)`` triples, scaled to the largest value.

    >>> [b.percent for b in bars([("a", "A", 4), ("b", "B", 1)])]
    [100.0, 25.0]
    """
    top = max((value for _, _, value in counts), default=0) or 1
    return tuple(Bar(key, label, value, round(100.0 * value / top, 1)) for key, label, value in counts)


def line_chart(title: str, series: list[tuple[str, int]]) -> LineChart:
    """Return a line chart of ``(x label, value)`` pairs, left to right, scaled to fit.

    >>> [(p.x, p.y) for p in line_chart("t", [("1", 0), ("2", 10)]).points]
    [(28.0, 112.0), (332.0, 28.0)]
    """
    top = max((value for _, value in series), default=0) or 1
    span_x = TREND_WIDTH - 2 * TREND_PAD
    span_y = TREND_HEIGHT - 2 * TREND_PAD
    step = span_x / (len(series) - 1) if len(series) > 1 else 0.0
    points = tuple(
        Point(x=TREND_PAD + i * step if len(series) > 1 else TREND_WIDTH / 2,
              y=TREND_HEIGHT - TREND_PAD - span_y * value / top, value=value, label=label)
        for i, (label, value) in enumerate(series))
    return LineChart(title, points)
