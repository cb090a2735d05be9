"""Issue 13, in one run: (1) redeploy-to-serving and `deploy`'s own duration with the release watch on
against off; (2) the release phase's safety steps with the lint reading only the SQL the migration
tool renders (this tree) against the lint before it (the commit before b77ea23, in a git worktree).

Run from the repository root:  .venv/bin/python -m bench.watch_bench [--rounds 7]

(1) One daemon, two copies of tests/apps/flask_migrate on the embedded PostgreSQL: `watch-on`
(apps:settings release_watch=30) and `watch-off` (0), redeployed in turn with a code-only change,
timed as issue 2's benchmark (bench/deploy_bench.py): from launching `seaway deploy` until the new
code answers through the router, and until `seaway deploy` exits.
(2) Two daemons, one per version of the code, each deploying the app with one new pending Alembic
revision per round, in turn; from the release's "created" log line until `flask db upgrade` starts
(the status probe, the backup and its verification, the offline SQL and squawk).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.deploy_bench import redeploy_until_serving
from bench.safety_bench import REVISION, stamp
from seaway.slugs.slug import remove_tree
from tests.e2e.daemon import Daemon, copy_app

ROOT = Path(__file__).resolve().parent.parent
BEFORE_SQL_ONLY_LINT = "b77ea23^"


@contextmanager
def daemon_of(work: Path, name: str, source_tree: Path | None = None) -> Iterator[Daemon]:
    daemon = Daemon(work / name, boot_timeout=60)
    if source_tree is not None:  # that tree's code, ahead of the installed one
        daemon.env["PYTHONPATH"] = str(source_tree / "src")
    daemon.start()
    try:
        yield daemon
    finally:
        daemon.stop()


def deployed(daemon: Daemon, work: Path, app: str, *settings: str) -> Path:
    source = copy_app("flask_migrate", work / app)
    daemon.cli("apps:create", app, cwd=source)
    daemon.cli("addons:create", "postgresql", cwd=source)
    for setting in settings:
        daemon.cli("apps:settings", setting, cwd=source)
    daemon.cli("deploy", cwd=source)
    return source


def watch_times(rounds: int, work: Path) -> dict[str, list[tuple[float, float]]]:
    with daemon_of(work, "watch-home") as daemon:
        sources = {app: deployed(daemon, work, app, f"release_watch={window}")
                   for app, window in (("watch-on", 30), ("watch-off", 0))}
        times: dict[str, list[tuple[float, float]]] = {app: [] for app in sources}
        for version in range(2, rounds + 2):
            order = list(sources) if version % 2 else list(reversed(sources))
            for app in order:
                times[app].append(redeploy_until_serving(daemon, sources[app], version, app))
        return times


def safety_span(daemon: Daemon, source: Path, n: int, down: str) -> float:
    rev = f"{n:012x}"
    (source / "migrations" / "versions" / f"{rev}_r{n}.py").write_text(REVISION.format(n=n, rev=rev, down=down))
    daemon.cli("deploy", cwd=source)
    lines = daemon.cli("logs", "-n", "400", cwd=source).stdout.splitlines()
    created = max(i for i, line in enumerate(lines) if "Release v" in line and "created by" in line)
    upgrade = next(line for line in lines[created:] if "Starting process with command `flask db upgrade`" in line)
    return (stamp(upgrade) - stamp(lines[created])).total_seconds()


def lint_times(rounds: int, work: Path) -> dict[str, list[float]]:
    old_tree = work / "before"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old_tree), BEFORE_SQL_ONLY_LINT],
                   check=True, capture_output=True)
    try:
        with daemon_of(work, "lint-new") as new, daemon_of(work, "lint-old", old_tree) as old:
            daemons = {"SQL only (this tree)": new, "before (app output mixed in)": old}
            sources = {label: deployed(d, work, f"lint-{i}") for i, (label, d) in enumerate(daemons.items())}
            times: dict[str, list[float]] = {label: [] for label in daemons}
            down = "5d31038af84e"
            for n in range(1, rounds + 1):
                for label, daemon in daemons.items():
                    times[label].append(safety_span(daemon, sources[label], n, down))
                down = f"{n:012x}"
            return times
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old_tree)], capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    work = Path(tempfile.mkdtemp(prefix="seaway-bench-watch-"))
    med = statistics.median
    try:
        watch = watch_times(rounds, work)
        for app, pairs in watch.items():
            serving, done = [p[0] for p in pairs], [p[1] for p in pairs]
            print(f"{app}: until serving median {med(serving):.2f} s ({', '.join(f'{t:.2f}' for t in serving)}); "
                  f"deploy returned median {med(done):.2f} s ({', '.join(f'{t:.2f}' for t in done)})")
        on, off = (med([p[0] for p in watch[a]]) for a in ("watch-on", "watch-off"))
        print(f"until serving, watch on / off: {on / off:.2f}x")
        lint = lint_times(rounds, work)
        for label, spans in lint.items():
            print(f"safety steps, lint {label}: median {med(spans):.2f} s ({', '.join(f'{t:.2f}' for t in spans)})")
        new, old = (med(spans) for spans in lint.values())
        print(f"safety steps, SQL-only lint / before: {new / old:.2f}x")
    finally:
        remove_tree(work)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
