"""Charts drawn on the server as SVG: per-minute series on a time axis, stacked bars or lines, with
release markers. Colours come from the stylesheet through class names, so the page needs no script."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone

from markupsafe import Markup, escape

WIDTH, HEIGHT = 960, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 18, 24
GAP = 1.5  # steps between two points of a line beyond which it is broken (no data in between)
MAX_POINTS = 720  # points per series at most (about one per 1.2 pixels): longer windows are averaged


@dataclass
class Series:
    name: str
    css: str  # the class that colours it (stylesheet)
    points: list[tuple[float, float]] = field(default_factory=list)  # (Unix time, value), oldest first


@dataclass(frozen=True)
class Marker:
    at: float  # Unix time
    label: str  # v3
    kind: str  # deploy / rollback


@dataclass(frozen=True)
class Axis:
    start: float
    end: float
    top: float  # the value at the top of the plot

    def x(self, when: float) -> float:
        return LEFT + (when - self.start) / (self.end - self.start) * (WIDTH - LEFT - RIGHT)

    def y(self, value: float) -> float:
        return TOP + (1 - value / self.top) * (HEIGHT - TOP - BOTTOM)


def nice_top(value: float) -> float:
    """A round number at least `value` (1, 2, 5 times a power of ten) for the top of the y axis."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def _grid(axis: Axis, unit: str) -> list[str]:
    parts = []
    for fraction in (0, 0.5, 1):
        y = axis.y(axis.top * fraction)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                     f'{_number(axis.top * fraction)}{escape(unit)}</text>')
    span = axis.end - axis.start
    step = 3600 * (3 if span > 6 * 3600 else 1 if span > 2 * 3600 else 0.25)
    tick = math.ceil(axis.start / step) * step
    while tick <= axis.end:
        x, label = axis.x(tick), datetime.fromtimestamp(tick, timezone.utc).strftime("%H:%M")
        parts.append(f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{HEIGHT - BOTTOM}"/>'
                     f'<text class="tick" x="{x:.1f}" y="{HEIGHT - 6}" text-anchor="middle">{label}</text>')
        tick += step
    return parts


def _markers(axis: Axis, markers: list[Marker]) -> list[str]:
    """A dashed line per marker in the window, labelled at the top; labels of markers close together are
    stacked rather than drawn over each other, and those near the right edge end at their line."""
    parts, last_x, row = [], -1e9, 0
    for marker in sorted(markers, key=lambda m: m.at):
        if not axis.start <= marker.at <= axis.end:
            continue
        x = axis.x(marker.at)
        row = row + 1 if x - last_x < 28 else 0
        last_x = x
        anchor, text_x = ("end", x - 3) if x > WIDTH - RIGHT - 30 else ("start", x + 3)
        parts.append(f'<g class="marker {escape(marker.kind)}" data-release="{escape(marker.label)}">'
                     f'<title>{escape(marker.kind)} {escape(marker.label)}</title>'
                     f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP - 4}" y2="{HEIGHT - BOTTOM}"/>'
                     f'<text x="{text_x:.1f}" y="{TOP - 6 + 12 * row}" text-anchor="{anchor}">{escape(marker.label)}</text></g>')
    return parts


def _lines(axis: Axis, series: Series, step: float) -> list[str]:
    """A polyline per run of points no more than GAP steps apart; a lone point as a dot."""
    runs: list[list[tuple[float, float]]] = []
    for point in series.points:
        if runs and point[0] - runs[-1][-1][0] <= GAP * step:
            runs[-1].append(point)
        else:
            runs.append([point])
    parts = []
    for run in runs:
        if len(run) == 1:
            parts.append(f'<circle class="{series.css}" cx="{axis.x(run[0][0]):.1f}" cy="{axis.y(run[0][1]):.1f}" r="2.5"/>')
        else:
            points = " ".join(f"{axis.x(t):.1f},{axis.y(v):.1f}" for t, v in run)
            parts.append(f'<polyline class="{series.css}" points="{points}"/>')
    return parts


def _bars(axis: Axis, stacked: list[Series], step: float) -> list[str]:
    """One path per series, a rectangle per minute, each series stacked on those before it."""
    width = max(2.0, axis.x(axis.start + step) - axis.x(axis.start))
    base: dict[float, float] = {}
    parts = []
    for series in stacked:
        shapes = []
        for when, value in series.points:
            if value <= 0:
                continue
            low = base.get(when, 0.0)
            base[when] = high = low + value
            shapes.append(f"M{axis.x(when):.1f} {axis.y(high):.1f}h{width:.1f}V{axis.y(low):.1f}h-{width:.1f}Z")
        if shapes:
            parts.append(f'<path class="{series.css}" data-bars="{len(shapes)}" d="{"".join(shapes)}"/>')
    return parts


def coarsen(points: list[tuple[float, float]], bucket: float, step: float, bars: bool) -> list[tuple[float, float]]:
    """`points` (one per `step`) averaged per `bucket` seconds: bars over every step of the bucket (a step
    without a point counts 0), lines over the points there are."""
    if bucket <= step:
        return points
    sums: dict[float, list[float]] = {}
    for when, value in points:
        totals = sums.setdefault(when - when % bucket, [0.0, 0])
        totals[0] += value
        totals[1] += 1
    per = bucket / step
    return [(when, total / (per if bars else count)) for when, (total, count) in sums.items()]


def chart(title: str, series: list[Series], start: float, end: float, markers: list[Marker], unit: str = "",
          bars: bool = False, step: float = 60) -> Markup:
    """An SVG chart of `series` from `start` to `end` (Unix times): stacked bars or lines, with `markers`.
    A window of more than MAX_POINTS steps is drawn from averages over a few steps each."""
    bucket = step * max(1, math.ceil((end - start) / step / MAX_POINTS))
    series = [Series(one.name, one.css, coarsen(one.points, bucket, step, bars)) for one in series]
    step = bucket
    if bars:
        totals: dict[float, float] = {}
        for one in series:
            for when, value in one.points:
                totals[when] = totals.get(when, 0.0) + value
        highest = max(totals.values(), default=0.0)
    else:
        highest = max((value for one in series for _, value in one.points), default=0.0)
    axis = Axis(start, max(end, start + 60), nice_top(highest))
    body = _grid(axis, unit) + (_bars(axis, series, step) if bars else
                                [part for one in series for part in _lines(axis, one, step)]) + _markers(axis, markers)
    return Markup(f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
                  f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{"".join(body)}</svg>')
