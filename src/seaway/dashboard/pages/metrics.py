"""An app's metrics, per minute over the last hours (24 at most), from what the router saw and what each
dyno used: requests by status class, service time percentiles, router errors, memory and CPU, with
deploy and rollback markers. Charts are SVG drawn here; the numbers come from Platform.metrics."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from seaway.dashboard.charts import Marker, Series, chart
from seaway.dashboard.web import Web
from seaway.metrics.histogram import PERCENTILES
from seaway.metrics.router import CLASSES
from seaway.platform import Platform


def _time(iso: str, parsed: dict[str, float] = {}) -> float:  # noqa: B006 - a cache: minutes recur in every series
    found = parsed.get(iso)
    if found is None:
        found = parsed[iso] = datetime.fromisoformat(iso).timestamp()
        if len(parsed) > 10_000:
            parsed.clear()
    return found


def _per_key(rows: list[dict[str, Any]], field: str, prefix: str) -> list[Series]:
    """A series per key of `row[field]` (a dict of numbers), in key order."""
    points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for row in rows:
        for key, value in row[field].items():
            if value is not None:
                points[key].append((_time(row["minute"]), float(value)))
    return [Series(key, f"{prefix}-{key.replace('.', '-')}", points[key]) for key in sorted(points)]


def _per_dyno(rows: list[dict[str, Any]], field: str) -> list[Series]:
    points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for row in rows:
        if row.get(field) is not None:
            points[row["dyno"]].append((_time(row["minute"]), float(row[field])))
    return [Series(dyno, f"series-{index % 6}", points[dyno]) for index, dyno in enumerate(sorted(points))]


def _legend(series: list[Series], bars: bool) -> list[tuple[str, str, float | None]]:
    """Each series' name and colour; for counts, its total over the window."""
    return [(one.name, one.css, sum(value for _, value in one.points) if bars else None) for one in series]


def charts(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The page's charts, each {title, svg, legend}."""
    start, end = _time(data["from"]), _time(data["to"])
    markers = [Marker(_time(event["at"]), f"v{event['version']}", event["kind"])
               for event in data["events"] if event["kind"] in ("deploy", "rollback")]
    router = data["router"]
    requests = [Series(name, f"class-{name}", [(_time(row["minute"]), float(row["requests"].get(name, 0)))
                                               for row in router]) for name in CLASSES]
    timings = [Series(name, f"pct-{name}", [(_time(row["minute"]), float(row["service_ms"][name])) for row in router
                                            if row["service_ms"].get(name) is not None]) for name in PERCENTILES]
    drawn = [("Requests per minute", requests, "", True), ("Service time (ms)", timings, "", False),
             ("Router errors per minute", _per_key(router, "errors", "code"), "", True),
             ("Memory per dyno (MB)", _per_dyno(data["dynos"], "memory_mb"), "", False),
             ("CPU per dyno (% of a core)", _per_dyno(data["dynos"], "cpu_percent"), "%", False)]
    return [{"title": title, "svg": chart(title, series, start, end, markers, unit, bars=bars),
             "legend": _legend(series, bars)} for title, series, unit, bars in drawn]


def router(platform: Platform, web: Web) -> APIRouter:
    pages = APIRouter()

    @pages.get("/dashboard/apps/{app}/metrics")
    def metrics(app: str, request: Request, hours: int = Query(24, ge=1, le=24)) -> Response:
        session = web.session(request)
        data = platform.metrics(app, hours)
        total = sum(sum(row["requests"].values()) for row in data["router"])
        return web.page(session, "metrics.html", app=app, tab="metrics", hours=hours, charts=charts(data),
                        total=total, events=data["events"])

    return pages
