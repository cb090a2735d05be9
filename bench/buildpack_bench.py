"""Building a Django app with collectstatic: Seaway's build against the buildpack's steps done by hand,
measured in one run, rounds alternating which goes first.

Run from the repository root:  .venv/bin/python -m bench.buildpack_bench [--rounds 5]

The app is tests/apps/django_static (Django, WhiteNoise's compressed manifest storage, gunicorn).
- Seaway, first build: a new app cache each round (uv downloads into it), a fresh slug.
- Seaway, code-only rebuild: the same app after a change to one view (its venv and collectstatic's
  output are reused).
- By hand, first build (the buildpack's way): `python -m venv`, `pip install -r requirements.txt`
  (pip's own cache warm after the first round, which favours it), `python manage.py collectstatic
  --noinput`.
- By hand, code-only rebuild (the buildpack's rebuild: its cached site-packages): `pip install -r
  requirements.txt` into the existing venv, then collectstatic again.
As root the Seaway builds run as they do in the daemon: in a build sandbox, as an app user.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from seaway.cli.upload import pack_source
from seaway.host import RunAs, ensure_system_user
from seaway.sandbox import Sandbox, home_tag
from seaway.slugs.builder import Builder, BuildRequest
from seaway.slugs.python import choose_python
from seaway.slugs.slug import remove_tree
from tests.e2e.daemon import dyno_network

APP = Path(__file__).resolve().parents[1] / "tests" / "apps" / "django_static"


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def change_code(source: Path, round_number: int) -> None:
    views = source / "pages" / "views.py"
    views.write_text(views.read_text().split("\n# round")[0] + f"\n# round {round_number}\n")


class SeawayBuilds:
    def __init__(self, work: Path, sandbox: Sandbox | None, user: RunAs | None) -> None:
        self.work, self.user = work, user
        self.builder = Builder(work / "slugs", work / "builds", work / "cache", sandbox)

    def build(self, source: Path, cache: Path) -> None:
        lines: list[str] = []
        self.builder.build(pack_source(source), lines.append, BuildRequest("bench", self.user, cache))


class ByHand:
    """The buildpack's steps, run directly: a venv, pip, collectstatic."""

    def __init__(self, python: str) -> None:
        self.python = python

    def first(self, source: Path) -> None:
        shutil.rmtree(source / ".venv", ignore_errors=True)
        subprocess.run([self.python, "-m", "venv", str(source / ".venv")], check=True)
        self.again(source)

    def again(self, source: Path) -> None:
        bin_dir = source / ".venv" / "bin"
        subprocess.run([str(bin_dir / "pip"), "install", "-q", "--disable-pip-version-check", "-r",
                        "requirements.txt"], cwd=source, check=True)
        subprocess.run([str(bin_dir / "python"), "manage.py", "collectstatic", "--noinput", "-v0"], cwd=source,
                       check=True, env={**os.environ, "PYTHONPATH": "."})


def run(rounds: int) -> dict[str, list[float]]:
    python = choose_python(APP, lambda _w: None).interpreter.path
    with tempfile.TemporaryDirectory(prefix="seaway-buildpack-bench-") as scratch:
        work = Path(scratch)
        sandbox = Sandbox(work / "sandbox", dyno_network(), home_tag(work), allowed_ports=()) if os.geteuid() == 0 else None
        user = ensure_system_user("s-buildpack-bench", "Seaway buildpack benchmark") if sandbox else None
        if sandbox:
            sandbox.start()
        seaway, by_hand = SeawayBuilds(work, sandbox, user), ByHand(python)
        source, manual = work / "source", work / "manual"
        shutil.copytree(APP, source)
        shutil.copytree(APP, manual)
        times: dict[str, list[float]] = {"seaway first": [], "seaway rebuild": [], "hand first": [],
                                         "hand rebuild": []}
        try:
            for number in range(rounds):
                cache = work / "cache" / f"round{number}"
                steps = [("seaway first", lambda c=cache: seaway.slugs(source, c)),
                         ("hand first", lambda: by_hand.first(manual))]
                for name, step in steps if number % 2 == 0 else reversed(steps):
                    times[name].append(timed(step))
                change_code(source, number)
                change_code(manual, number)
                times["seaway rebuild"].append(timed(lambda c=cache: seaway.slugs(source, c)))
                times["hand rebuild"].append(timed(lambda: by_hand.again(manual)))
                remove_tree(cache)
        finally:
            if sandbox:
                sandbox.stop()
            remove_tree(work / "slugs")
    return times


def report(times: dict[str, list[float]], rounds: int) -> str:
    median = {name: statistics.median(values) for name, values in times.items()}
    rows = [
        f"## Issue 12: building a Django app with collectstatic ({datetime.date.today()})",
        "",
        f"`.venv/bin/python -m bench.buildpack_bench --rounds {rounds}` (tests/apps/django_static; "
        f"{'as root: Seaway builds in the build sandbox' if os.geteuid() == 0 else 'not root: no sandbox'}).",
        "",
        "| build | Seaway (median s) | by hand, the buildpack's steps (median s) | ratio |",
        "|---|---|---|---|",
        f"| first build | {median['seaway first']:.2f} | {median['hand first']:.2f} | "
        f"{median['seaway first'] / median['hand first']:.2f} |",
        f"| code-only rebuild | {median['seaway rebuild']:.2f} | {median['hand rebuild']:.2f} | "
        f"{median['seaway rebuild'] / median['hand rebuild']:.2f} |",
        "",
        "Every round: " + "; ".join(f"{name} " + ", ".join(f"{v:.2f}" for v in values)
                                    for name, values in times.items()),
    ]
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(report(run(args.rounds), args.rounds))


if __name__ == "__main__":
    main()
