"""Issue 14: `git push seaway main` against `seaway deploy` of the same kind of change, in one run, and
what a push of one changed file to a large repository sends.

Run from the repository root:  .venv/bin/python -m bench.push_bench [--rounds 7]

(1) One daemon, two copies of tests/apps/flask_migrate on the embedded PostgreSQL, each a git
repository: `push-app` deployed by `git push seaway main`, `deploy-app` by `seaway deploy` (which
uploads HEAD's commit), each round a committed code-only change, in turn; timed from launching the
command until the new code answers through the router.
(2) The same push app with 50 MB of incompressible files committed and pushed once; then one changed
file committed and pushed: the size of the pack git sends ("Writing objects: ..., N bytes").
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from seaway.slugs.slug import remove_tree
from tests.e2e.daemon import Daemon, copy_app


def git(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)


def repository(daemon: Daemon, work: Path, app: str, env: dict[str, str]) -> Path:
    source = copy_app("flask_migrate", work / app)
    git("init", "-q", "-b", "main", cwd=source, env=env)
    git("add", "-A", cwd=source, env=env)
    git("commit", "-qm", "v1", cwd=source, env=env)
    daemon.cli("create", app, cwd=source)
    daemon.cli("addons:create", "postgresql", cwd=source)
    git("push", "-q", "seaway", "main", cwd=source, env=env)
    return source


def until_serving(daemon: Daemon, app: str, version: int, command: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while True:
        try:
            if daemon.get(app).json().get("version") == str(version):
                break
        except Exception:
            pass
        if process.poll() not in (None, 0):
            raise RuntimeError(process.stderr.read().decode())  # type: ignore[union-attr]
        time.sleep(0.005)
    elapsed = time.perf_counter() - started
    process.wait()
    return elapsed


def code_change(source: Path, version: int, env: dict[str, str]) -> None:
    app_py = source / "app.py"
    app_py.write_text(app_py.read_text().replace(f'VERSION = "{version - 1}"', f'VERSION = "{version}"'))
    git("commit", "-qam", f"v{version}", cwd=source, env=env)


def pushed_bytes(source: Path, env: dict[str, str]) -> int:
    pushed = subprocess.run(["git", "push", "--progress", "seaway", "main"], cwd=source, env=env,
                            capture_output=True, text=True, check=True)
    found = re.findall(r"Writing objects: 100% \(\d+/\d+\), ([\d.]+) (bytes|KiB|MiB)", pushed.stderr)
    number, unit = found[-1]
    return int(float(number) * {"bytes": 1, "KiB": 1024, "MiB": 1024 * 1024}[unit])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    work = Path(tempfile.mkdtemp(prefix="seaway-bench-push-"))
    daemon = Daemon(work / "home", boot_timeout=60)
    daemon.start()
    try:
        env = {**daemon.env, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "b",
               "GIT_COMMITTER_EMAIL": "b@b", "GIT_TERMINAL_PROMPT": "0"}
        sources = {app: repository(daemon, work, app, env) for app in ("push-app", "deploy-app")}
        commands = {"push-app": ["git", "push", "-q", "seaway", "main"],
                    "deploy-app": [sys.executable, "-m", "seaway", "deploy"]}
        times: dict[str, list[float]] = {app: [] for app in sources}
        for version in range(2, rounds + 2):
            for app in (sources if version % 2 else reversed(list(sources))):
                code_change(sources[app], version, env)
                times[app].append(until_serving(daemon, app, version, commands[app], sources[app], env))
        for app, spans in times.items():
            print(f"{app}: median {statistics.median(spans):.2f} s ({', '.join(f'{t:.2f}' for t in spans)})")
        push, deploy = (statistics.median(times[a]) for a in ("push-app", "deploy-app"))
        print(f"git push - seaway deploy: {push - deploy:+.2f} s ({push / deploy:.2f}x)")

        source = sources["push-app"]
        (source / "data").mkdir()
        for i in range(50):
            (source / "data" / f"blob{i}.bin").write_bytes(os.urandom(1024 * 1024))
        (source / ".slugignore").write_text("data/\n")
        git("add", "-A", cwd=source, env=env)
        git("commit", "-qm", "50 MB of data", cwd=source, env=env)
        first = pushed_bytes(source, env)
        code_change(source, rounds + 2, env)
        second = pushed_bytes(source, env)
        print(f"push of the 50 MB commit sent {first / 1e6:.1f} MB; then one changed file sent {second} bytes")
    finally:
        daemon.stop()
        remove_tree(work)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
