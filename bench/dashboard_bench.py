"""Dashboard pages' server time: the apps page with 50 apps, and the metrics page over 24 h of per-minute data.

Run from the repository root:  .venv/bin/python -m bench.dashboard_bench [--apps 50] [--rounds 30]

The daemon's own code serves each page (create_api on a Platform with the in-memory runtime, so that no
dyno or nginx is needed; the store is the real SQLite one), called in-process through Starlette's
TestClient: the time is the server's, from the request to the last byte of the page, with no network.
Seeded: `--apps` apps, each with three releases and a formation of web=2 (dynos "up" in the in-memory
runtime); for one app, 1440 minutes of router metrics (a histogram of service times per minute, a few
4xx/5xx and H12s) and of two dynos' memory and CPU, and ten deploys and a rollback in the window.
Baseline in the same run: `GET /health` (the framework's own cost per request), and the API's JSON
`GET /apps` over the same apps. Figures are medians (min-max) over the rounds.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from seaway.api.app import create_api
from seaway.dynos.inmemory import InMemoryRuntime
from seaway.metrics.router import RouterMinute, minute_of
from seaway.platform import Platform
from seaway.settings import Settings
from seaway.store.models import DynoMetric, Slug
from seaway.tokens import token_hash

TOKEN = "bench-token"


def seeded_platform(home: Path, apps: int) -> Platform:
    settings = Settings(home=home, sandbox=False, release_watch=0, router_port=1, router_https_port=0)
    platform = Platform(settings, runtime=InMemoryRuntime())
    platform.store.add_token(token_hash(TOKEN), "bench")
    slugs = [platform.store.save_slug(Slug(digest=f"{n:064x}", size=1, python_version="3.12.7",
                                           process_types={"web": "gunicorn app:app"}, deps_key="d", app_json={}))
             for n in range(3)]
    for index in range(apps):
        name = f"bench-app-{index:03d}"
        platform.create_app(name)
        for slug in slugs:
            platform.releaser.create(platform.store.app(name), slug, f"Deploy {slug.digest[:7]}", lambda _line: None)
        platform.scale(name, {"web": 2}, lambda _line: None)
    return platform


def seed_metrics(platform: Platform, name: str) -> None:
    """A day of minutes for `name`: router minutes with histograms, two dynos' usage, deploys and a rollback."""
    app, rng, now = platform.store.app(name), random.Random(7), minute_of(time.time())
    rows: list[object] = []
    for minute in range(now - 1440, now):
        counted = RouterMinute()
        for _ in range(60):
            counted.add("200", "", int(rng.lognormvariate(3, 0.8)), 10)
        counted.add("404", "", 4, 2)
        counted.add("503", "H12", 30_000, 1)
        rows.append(counted.row(app.id, minute))
        rows += [DynoMetric(app_id=app.id, minute=minute, dyno=f"web.{n}", memory_mb=120 + rng.random() * 30,
                            cpu_percent=rng.random() * 40) for n in (1, 2)]
    platform.store.metrics.save(rows)  # type: ignore[arg-type]
    slug = platform.store.last_slug(app) or platform.store.slug(f"{0:064x}")
    for _ in range(10):
        platform.releaser.create(app, slug, "Deploy again", lambda _line: None)
    platform.rollback(name, 3, "bench", lambda _line: None)


def signed_in(client: TestClient) -> None:
    nonce = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/login").text)
    assert nonce is not None
    answer = client.post("/login", data={"token": TOKEN, "login_csrf": nonce.group(1), "next": "/"},
                         follow_redirects=False)
    assert answer.status_code == 303, answer.text


def timed(get: Callable[[], object], rounds: int) -> list[float]:
    get()  # warm: templates compiled, caches filled
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        get()
        times.append((time.perf_counter() - started) * 1000)
    return times


def row(label: str, times: list[float]) -> str:
    return f"| {label} | {statistics.median(times):.1f} ms | {min(times):.1f}–{max(times):.1f} ms |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--apps", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        platform = seeded_platform(Path(folder) / "home", args.apps)
        seed_metrics(platform, "bench-app-000")
        client = TestClient(create_api(platform))
        signed_in(client)
        api = {"Authorization": f"Bearer {TOKEN}"}

        def page(path: str) -> Callable[[], object]:
            def get() -> object:
                answer = client.get(path)
                assert answer.status_code == 200, answer.text[:300]
                return answer
            return get

        metrics = client.get("/dashboard/apps/bench-app-000/metrics").text
        bars = re.search(r'data-bars="(\d+)"', metrics)
        assert bars and int(bars[1]) >= 720 and 'data-release="v14"' in metrics, "the metrics page lacks its data"
        results = [
            ("baseline: `GET /health`", timed(page("/health"), args.rounds)),
            (f"baseline: API `GET /apps` (JSON, {args.apps} apps)",
             timed(lambda: client.get("/apps", headers=api), args.rounds)),
            (f"apps page `/` ({args.apps} apps)", timed(page("/"), args.rounds)),
            ("metrics page, 24 h of minutes", timed(page("/dashboard/apps/bench-app-000/metrics"), args.rounds)),
            ("metrics page, last 1 h", timed(page("/dashboard/apps/bench-app-000/metrics?hours=1"), args.rounds)),
            ("app overview page", timed(page("/dashboard/apps/bench-app-000"), args.rounds)),
            ("releases page (14 releases)", timed(page("/dashboard/apps/bench-app-000/releases"), args.rounds)),
        ]
        platform.store.engine.dispose()
    print(f"Server time per page, {args.rounds} rounds, in-process (median, min–max):\n")
    print("| Request | Median | Range |\n|---|---|---|")
    for label, times in results:
        print(row(label, times))
    base = statistics.median(results[0][1])
    print(f"\nRatios to `/health`: apps page {statistics.median(results[2][1]) / base:.1f}×, "
          f"metrics 24 h {statistics.median(results[3][1]) / base:.1f}×")


if __name__ == "__main__":
    main()
