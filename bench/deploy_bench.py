"""Redeploy time and the dependency step against pip, measured in one run.

Run from the repository root:  .venv/bin/python -m bench.deploy_bench [--rounds 5]

1. Redeploy: a real daemon (nginx, PostgreSQL, uv, gunicorn); the Flask + Flask-Migrate sample app
   is deployed once (cold), then re-deployed N times with a code-only change. Each round is timed
   from launching `seaway deploy` until the new code answers through the router.
2. Dependency step: for the same requirements.txt, a fresh venv + `pip install -r` (pip's cache
   warm: the buildpack-style baseline) against Seaway's step (fresh relocatable venv + uv install,
   uv cache warm), and Seaway's code-only path (venv reused: nothing installed).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from seaway.slugs.cache import BuildCache
from seaway.slugs.deps import Install, cached_venv, install_dependencies
from seaway.slugs.python import choose_interpreter
from seaway.slugs.slug import remove_tree
from tests.e2e.daemon import Daemon, copy_app


def redeploy_until_serving(daemon: Daemon, source: Path, version: int, app: str = "bench") -> tuple[float, float]:
    """Seconds from launching `seaway deploy` of a code-only change (VERSION = version) until `app`
    answers with it through the router, and until `seaway deploy` returned."""
    app_py = source / "app.py"
    app_py.write_text(app_py.read_text().replace(f'VERSION = "{version - 1}"', f'VERSION = "{version}"'))
    started = time.perf_counter()
    deploy = subprocess.Popen([sys.executable, "-m", "seaway", "deploy"], cwd=source, env=daemon.env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while True:
        try:
            if daemon.get(app).json().get("version") == str(version):
                break
        except Exception:
            pass
        if deploy.poll() not in (None, 0):
            raise RuntimeError(deploy.stderr.read().decode())  # type: ignore[union-attr]
        time.sleep(0.005)
    elapsed = time.perf_counter() - started
    deploy.wait()
    return elapsed, time.perf_counter() - started


def redeploy_times(rounds: int, work: Path) -> tuple[float, list[float]]:
    daemon = Daemon(work / "home", boot_timeout=60)
    daemon.start()
    try:
        source = copy_app("flask_migrate", work)
        daemon.cli("apps:create", "bench", cwd=source)
        daemon.cli("addons:create", "postgresql", cwd=source)
        started = time.perf_counter()
        daemon.cli("deploy", cwd=source)
        cold = time.perf_counter() - started
        times = [redeploy_until_serving(daemon, source, version)[0] for version in range(2, rounds + 2)]
        return cold, times
    finally:
        daemon.stop()


def dependency_times(rounds: int, work: Path) -> dict[str, list[float]]:
    app = copy_app("flask_migrate", work / "deps")
    interpreter = choose_interpreter(app, lambda _text: None)
    shared = BuildCache(work / "cache")
    shared.prepare(None)
    quiet = lambda _line: None  # noqa: E731
    install_dependencies(app, shared.venvs / "warm", interpreter, Install(shared), quiet)  # warm uv's cache
    subprocess.run([interpreter.path, "-m", "venv", str(work / "warm-pip")], check=True)
    subprocess.run([str(work / "warm-pip/bin/pip"), "install", "-q", "-r", str(app / "requirements.txt")], check=True)
    times: dict[str, list[float]] = {"pip": [], "first": [], "change": [], "reuse": []}
    for index in range(rounds):
        venv = work / f"pip-{index}"
        started = time.perf_counter()
        subprocess.run([interpreter.path, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin/pip"), "install", "-q", "-r", str(app / "requirements.txt")], check=True)
        times["pip"].append(time.perf_counter() - started)

        # A host's first build: uv's cache is warm but no earlier venv has compiled anything.
        alone = BuildCache(work / f"alone-{index}")
        alone.builder.mkdir(parents=True)
        alone.uv.symlink_to(shared.uv)
        alone.prepare(None)
        started = time.perf_counter()
        install_dependencies(app, alone.venvs / "new", interpreter, Install(alone), quiet)
        times["first"].append(time.perf_counter() - started)

        # A dependency change: a fresh venv, earlier builds' venvs beside it in the cache.
        started = time.perf_counter()
        install_dependencies(app, shared.venvs / f"new-{index}", interpreter, Install(shared), quiet)
        times["change"].append(time.perf_counter() - started)

        started = time.perf_counter()
        _venv, _key, reused, _digest = cached_venv(app, interpreter, Install(shared), quiet)
        times["reuse"].append(time.perf_counter() - started)
        assert reused or index == 0
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    work = Path(tempfile.mkdtemp(prefix="seaway-bench-"))
    try:
        cold, redeploys = redeploy_times(rounds, work)
        deps = dependency_times(rounds, work)
    finally:
        remove_tree(work)
    med = statistics.median

    def row(label: str, values: list[float]) -> None:
        print(f"{label:<58}{med(values):6.2f} s   (all: {', '.join(f'{v:.2f}' for v in values)})")

    print(f"{'first deploy of the sample app (uv cache cold)':<58}{cold:6.2f} s")
    row("redeploy, code-only change, until the new code answers", redeploys)
    row("deps, baseline: fresh venv + pip install -r (pip cache warm)", deps["pip"])
    row("deps, seaway: first build on the host (uv cache warm)", deps["first"])
    row("deps, seaway: dependency change (earlier builds cached)", deps["change"])
    print(f"{'deps, seaway: code-only change (venv reused)':<58}{med(deps['reuse'][1:]) * 1000:6.1f} ms")
    print(f"speed-up vs pip: first build {med(deps['pip']) / med(deps['first']):.1f}x, "
          f"dependency change {med(deps['pip']) / med(deps['change']):.1f}x")


if __name__ == "__main__":
    main()
