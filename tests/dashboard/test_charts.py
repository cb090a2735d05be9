"""SVG charts: bars stack, lines break at gaps, markers sit at their release's time, text is escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

from seaway.dashboard.charts import HEIGHT, Axis, Marker, Series, chart, nice_top

START = 1_800_000_000.0
SVG = "{http://www.w3.org/2000/svg}"


def parsed(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)


def test_the_y_axis_tops_at_a_round_number() -> None:
    assert [nice_top(v) for v in (0, 0.3, 1, 7, 12, 180, 999)] == [1, 0.5, 1, 10, 20, 200, 1000]


def test_stacked_bars_add_up_per_minute() -> None:
    ok = Series("2xx", "class-2xx", [(START, 3), (START + 60, 1)])
    bad = Series("5xx", "class-5xx", [(START, 1)])
    svg = parsed(chart("Requests", [ok, bad], START, START + 3600, [], bars=True))
    rects = svg.findall(f"{SVG}rect")
    assert [r.get("class") for r in rects] == ["class-2xx", "class-2xx", "class-5xx"]
    axis = Axis(START, START + 3600, 5)  # 4 requests in the busiest minute: the top is 5
    first_ok, _, first_bad = rects
    assert float(first_bad.get("y")) + float(first_bad.get("height")) == round(axis.y(3), 1)  # on top of the 3
    assert float(first_ok.get("y")) == round(axis.y(3), 1)


def test_lines_break_where_minutes_are_missing_and_a_lone_point_is_a_dot() -> None:
    series = Series("p50", "pct-p50", [(START, 10), (START + 60, 12), (START + 600, 30)])
    svg = parsed(chart("Service time", [series], START, START + 3600, []))
    assert len(svg.findall(f"{SVG}polyline")) == 1 and len(svg.findall(f"{SVG}circle")) == 1


def test_markers_are_drawn_inside_the_window_only() -> None:
    markers = [Marker(START + 120, "v3", "deploy"), Marker(START + 240, "v4", "rollback"), Marker(START - 60, "v2", "deploy")]
    svg = chart("Requests", [], START, START + 3600, markers)
    assert re.findall(r'class="marker (\w+)" data-release="(v\d)"', svg) == [("deploy", "v3"), ("rollback", "v4")]
    line = parsed(svg).find(f"{SVG}g/{SVG}line")
    assert line is not None and float(line.get("y2")) < HEIGHT


def test_titles_and_labels_are_escaped() -> None:
    svg = chart("<script>", [Series("<b>", "x", [(START, 1)])], START, START + 60, [Marker(START, "<v>", "deploy")])
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "<v>" not in svg
    parsed(svg)  # still well-formed
