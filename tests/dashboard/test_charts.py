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
    paths = {path.get("class"): path for path in svg.findall(f"{SVG}path")}
    assert sorted(paths) == ["class-2xx", "class-5xx"] and paths["class-2xx"].get("data-bars") == "2"
    axis = Axis(START, START + 3600, 5)  # 4 requests in the busiest minute: the top is 5
    first_ok = re.match(r"M([\d.]+) ([\d.]+)h([\d.]+)V([\d.]+)", paths["class-2xx"].get("d", ""))
    first_bad = re.match(r"M([\d.]+) ([\d.]+)h([\d.]+)V([\d.]+)", paths["class-5xx"].get("d", ""))
    assert first_ok and first_bad
    assert float(first_ok[2]) == round(axis.y(3), 1) and float(first_ok[4]) == round(axis.y(0), 1)
    assert float(first_bad[2]) == round(axis.y(4), 1) and float(first_bad[4]) == round(axis.y(3), 1)  # on top


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


def test_a_long_window_is_drawn_from_averages_of_a_few_minutes() -> None:
    minutes = [(START + 60 * n, float(n % 2)) for n in range(1440)]  # 0, 1, 0, 1, ...: half a request a minute
    svg = parsed(chart("Requests", [Series("2xx", "class-2xx", minutes)], START, START + 86400, [], bars=True))
    path = svg.find(f"{SVG}path")
    assert path is not None and int(path.get("data-bars", 0)) == 720  # two minutes a bar
    lines = parsed(chart("p50", [Series("p50", "pct-p50", minutes)], START, START + 86400, []))
    polyline = lines.find(f"{SVG}polyline")
    assert polyline is not None and len(polyline.get("points", "").split()) == 720


def test_averages_count_a_minute_without_requests_as_none_for_bars_but_skip_it_for_lines() -> None:
    from seaway.dashboard.charts import coarsen
    points = [(START, 4.0)]  # START is a multiple of 120
    assert coarsen(points, 120, 60, bars=True) == [(START, 2.0)]
    assert coarsen(points, 120, 60, bars=False) == [(START, 4.0)]
    assert coarsen(points, 60, 60, bars=True) == points
