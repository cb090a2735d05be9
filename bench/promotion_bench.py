"""Issue 17: `pipelines:promote` to production against `seaway deploy` of the same code to production, in one run.

Run from the repository root:  .venv/bin/python -m bench.promotion_bench [--rounds 5] [--kind code|deps|both]

One real daemon (nginx, PostgreSQL, uv, gunicorn), two apps of tests/apps/pipeline_app, `staging`
(APP_SETTINGS=config.StagingConfig) and `production` (config.ProductionConfig), each with its own
postgresql add-on, in one pipeline. Warm-up: the sample deployed to staging (cold), to production, and
staging promoted to production once. Then rounds of two kinds (with `both`, the code-only rounds first):

  code   each round makes a code-only change (VERSION = N in app.py);
  deps   each round makes the same change and also adds to requirements.txt one small pure-Python
         package, pinned, that neither app has installed before (a different one each round, from
         PACKAGES; they accumulate): a deploy to production must download it and build a new venv in
         production's own build cache (per app, the daemon running as root), a promotion copies nothing.

and deploys it to staging (not timed), then in alternating order (odd rounds A then B, even rounds B
then A), production rolled back in between to the release it ran before the round (not timed):

  (A) `seaway pipelines:promote -a staging`, timed from its launch until production answers with
      VERSION N through the router (Host: production.localhost to 127.0.0.1);
  (B) `seaway deploy -a production` of the same directory, timed the same way.

In a deps round B is the first build of production that sees the new package whichever runs first
(A builds nothing, and the rollback only changes the release): checked before B by looking for the
package in production's uv cache, and after it in B's output (dependencies installed, not reused).

Each command's output lines are timestamped as the CLI prints them (it prints the daemon's NDJSON lines
as they arrive), which splits both into: before the release phase (CLI start, upload and build for the
deploy; CLI start and the promotion's checks for the promotion), the release phase (from "Promoting to
production" or "Build finished": migration check, lint, `flask db upgrade` in a one-off dyno; up to
"Starting N dyno(s)"), the switch (the new web dyno up, the router reloaded, the old one retired: up to
"Switched to vN") and after it (until the router answers with the new code). The polls' own timings
show the first request answered with the new code and the one after it.
Per round also, alone: `seaway run -a production -- flask db upgrade` and `seaway releases:info`
(a CLI command's own cost), launch to exit.
Checks: no promotion printed build output, and production then runs staging's slug.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from seaway.slugs.slug import remove_tree
from tests.e2e.daemon import Daemon, copy_app

STAGING, PRODUCTION, PIPELINE = "staging", "production", "bench"
# What a build prints (src/seaway/slugs/builder.py, the deploy CLI and the git deploy): never in a promotion.
BUILD_MARKERS = ("Uploading", "Building", "Python app detected", "Using Python", "Installing dependencies",
                 "Discovering process types", "Assembling the slug", "Build finished", "uv ", "pip ")
# Small pure-Python wheels without dependencies, none of them in the sample's own set (Flask, Flask-SQLAlchemy,
# Flask-Migrate, SQLAlchemy, psycopg2-binary, gunicorn and theirs: 16 packages); each installs in ~0.2 s with
# uv and an empty cache here. One per deps round.
PACKAGES = ("six==1.17.0", "idna==3.10", "toml==0.10.2", "tomli==2.2.1", "pyparsing==3.2.3", "packaging==25.0",
            "attrs==25.3.0", "iniconfig==2.1.0", "pluggy==1.6.0", "wheel==0.45.1", "sniffio==1.3.1", "zipp==3.23.0",
            "tabulate==0.9.0", "termcolor==3.1.0")
KINDS = {"code": ("code",), "deps": ("deps",), "both": ("code", "deps")}
TITLES = {"code": "code-only change", "deps": "dependency change (one new package a round)"}


class Timed:
    """A CLI command launched now; each output line with the seconds since launch when it was printed."""

    def __init__(self, daemon: Daemon, *args: str, cwd: Path) -> None:
        self.started = time.perf_counter()
        self.process = subprocess.Popen([sys.executable, "-m", "seaway", *args], cwd=cwd,
                                        env={**daemon.env, "PYTHONUNBUFFERED": "1"}, text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines: list[tuple[float, str]] = []
        self.polls: list[tuple[float, float, bool]] = []
        self.next_request = self.returned = float("nan")
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:  # type: ignore[union-attr]
            self.lines.append((time.perf_counter() - self.started, line.rstrip("\n")))
        self.returned = time.perf_counter() - self.started  # its output ended: it is exiting

    def failed(self) -> str | None:
        code = self.process.poll()
        if code in (None, 0):
            return None
        self._reader.join()
        return f"exit {code}:\n" + "\n".join(line for _t, line in self.lines) + self.process.stderr.read()  # type: ignore[union-attr]

    def finish(self) -> float:
        """Wait for the command to exit; the seconds from launch until its output ended."""
        self.process.wait()
        self._reader.join()
        if self.process.returncode != 0:
            raise RuntimeError(self.failed())
        return self.returned

    def at(self, prefix: str) -> float:
        """When the first line starting with `prefix` was printed."""
        for moment, line in self.lines:
            if line.startswith(prefix):
                return moment
        raise RuntimeError(f"no line starting {prefix!r} in:\n" + "\n".join(line for _t, line in self.lines))

    def has(self, text: str) -> bool:
        return any(text in line for _t, line in self.lines)

    def when(self, text: str) -> tuple[float, str]:
        """When the first line containing `text` was printed, and that line."""
        for moment, line in self.lines:
            if text in line:
                return moment, line
        raise RuntimeError(f"no line with {text!r} in:\n" + "\n".join(line for _t, line in self.lines))


def serves(daemon: Daemon, app: str, version: str) -> bool:
    try:
        return daemon.get(app).json().get("version") == version
    except Exception:
        return False


def until_serving(daemon: Daemon, app: str, version: str, command: Timed) -> float:
    """Poll the app through the router until it answers with `version`; each request's start and end
    (seconds since the command's launch) and whether it had the new code go to command.polls."""
    while True:
        began = time.perf_counter() - command.started
        new = serves(daemon, app, version)
        ended = time.perf_counter() - command.started
        command.polls.append((began, ended, new))
        if new:
            again = time.perf_counter()
            assert serves(daemon, app, version)
            command.next_request = time.perf_counter() - again  # the new dyno's second request, for comparison
            return ended
        error = command.failed()
        if error:
            raise RuntimeError(error)
        time.sleep(0.005)


def set_version(source: Path, version: str) -> None:
    app_py = source / "app.py"
    lines = [f'VERSION = "{version}"' if line.startswith("VERSION = ") else line
             for line in app_py.read_text().splitlines()]
    app_py.write_text("\n".join(lines) + "\n")


def add_requirement(source: Path, pin: str) -> None:
    requirements = source / "requirements.txt"
    requirements.write_text(requirements.read_text().rstrip("\n") + f"\n{pin}\n")


def in_build_cache(daemon: Daemon, app: str, pin: str) -> bool:
    """Whether the app's own uv cache holds a wheel of the package (uv's layout: wheels-vN/pypi/NAME)."""
    name = re.sub(r"[-_.]+", "-", pin.partition("==")[0]).lower()
    return any((daemon.home / "cache" / "apps" / app / "builder" / "uv").glob(f"wheels-v*/pypi/{name}"))


def current(daemon: Daemon, app: str) -> dict[str, object]:
    return json.loads(daemon.cli("releases:info", "-a", app, "--json").stdout)


def split(command: Timed, serving: float, release_begins: str) -> dict[str, float]:
    """The command's time until serving, split at its output lines."""
    begin, start, switched = command.at(release_begins), command.at("-----> Starting"), command.at("-----> Switched")
    began, ended, _new = command.polls[-1]  # the first request answered with the new code
    return {"total": serving, "first_line": command.lines[0][0], "before": begin, "release": start - begin,
            "switch": switched - start, "after": serving - switched,
            "release_command": start - command.at("-----> Running release command"),
            "first_new_sent": began - switched, "first_new_took": ended - began, "next_took": command.next_request,
            "returned": command.returned}


def same_slug(daemon: Daemon) -> bool:
    return current(daemon, STAGING)["slug"] == current(daemon, PRODUCTION)["slug"]


def promote(daemon: Daemon, source: Path, version: str) -> tuple[dict[str, float], Timed, list[str]]:
    """Time a promotion; what it printed that a build prints (and a slug mismatch), which must be nothing."""
    command = Timed(daemon, "pipelines:promote", "-a", STAGING, cwd=source)
    serving = until_serving(daemon, PRODUCTION, version, command)
    command.finish()
    built = [line for _t, line in command.lines if any(marker in line for marker in BUILD_MARKERS)]
    if not same_slug(daemon):
        built.append("production does not run staging's slug after the promotion")
    return split(command, serving, "-----> Promoting to "), command, built


def deploy(daemon: Daemon, source: Path, version: str) -> tuple[dict[str, float], Timed]:
    command = Timed(daemon, "deploy", "-a", PRODUCTION, cwd=source)
    serving = until_serving(daemon, PRODUCTION, version, command)
    command.finish()
    times = split(command, serving, "-----> Build finished")
    times["same_slug"] = float(same_slug(daemon))  # content-addressed: the same code builds staging's slug
    times["install"] = command.at("-----> Discovering process types") - command.at("-----> Installing dependencies")
    times["installed"] = float(not command.has("Dependencies unchanged"))  # a new venv, not a cached one
    finished = [line for _t, line in command.lines if line.startswith("-----> Build finished in ")]
    times["build_reported"] = float(re.findall(r"[\d.]+", finished[0])[0])  # the daemon's own "Build finished in Xs"
    if times["installed"]:  # uv's part (resolve, download, link), then the bytecode of the new venv
        installing = command.at("-----> Installing dependencies")
        installed, _line = command.when(" Installed ")
        compiled, line = command.when(" Bytecode: compiled ")
        times["uv"], times["bytecode"] = installed - installing, compiled - installed
        times["compiled"], times["reused"] = (float(n) for n in re.findall(r"\d+", line)[:2])
    return times, command


def release_command_alone(daemon: Daemon, source: Path) -> float:
    command = Timed(daemon, "run", "-a", PRODUCTION, "--", "flask", "db", "upgrade", cwd=source)
    return command.finish()


def cli_alone(daemon: Daemon, source: Path) -> float:
    """A CLI command that asks the API one thing, launch to exit: what any command costs before its work."""
    return Timed(daemon, "releases:info", "-a", PRODUCTION, "--json", cwd=source).finish()


def rounds_of(kind: str, rounds: int, daemon: Daemon, source: Path, work: Path, first: int) -> dict[str, object]:
    """`rounds` rounds of one kind; the versions they deploy are first, first + 1, ..."""
    promotions: list[dict[str, float]] = []
    deploys: list[dict[str, float]] = []
    alone: list[float] = []
    cli: list[float] = []
    build_output: list[str] = []
    orders: list[str] = []
    packages: list[str] = []
    timeline: dict[str, Timed] = {}
    for index in range(rounds):
        version = str(first + index)
        set_version(source, version)
        if kind == "deps":
            pin = PACKAGES[index]
            assert not in_build_cache(daemon, PRODUCTION, pin) and not in_build_cache(daemon, STAGING, pin), pin
            add_requirement(source, pin)
            packages.append(pin)
        daemon.cli("deploy", str(source), "-a", STAGING, cwd=work)
        assert serves(daemon, STAGING, version)
        before = current(daemon, PRODUCTION)["version"]
        previous = daemon.get(PRODUCTION).json()["version"]
        order = "AB" if index % 2 == 0 else "BA"
        orders.append(order)
        for position, method in enumerate(order):
            if position:  # production back on the code it served before this round, the way it was
                daemon.cli("rollback", f"v{before}", "-a", PRODUCTION, cwd=work)
                assert serves(daemon, PRODUCTION, previous)
            if method == "A":
                times, timeline["promotion"], built = promote(daemon, source, version)
                promotions.append(times)
                build_output += built
            else:
                if kind == "deps":  # production's build has never seen this package: B must download it
                    assert not in_build_cache(daemon, PRODUCTION, packages[-1]), packages[-1]
                times, timeline["deploy"] = deploy(daemon, source, version)
                if kind == "deps":
                    assert times["installed"] and in_build_cache(daemon, PRODUCTION, packages[-1]), packages[-1]
                deploys.append(times)
        alone.append(release_command_alone(daemon, source))
        cli.append(cli_alone(daemon, source))
        assert daemon.get(PRODUCTION).json()["stage"] == "production"
    return {"promotions": promotions, "deploys": deploys, "alone": alone, "cli": cli, "build_output": build_output,
            "orders": orders, "packages": packages, "timeline": timeline,
            "last_output": daemon.cli("releases:output", "-a", PRODUCTION, cwd=work).stdout}


def run(rounds: int, kinds: tuple[str, ...], work: Path) -> dict[str, object]:
    daemon = Daemon(work / "home", boot_timeout=60)
    daemon.start()
    try:
        source = copy_app("pipeline_app", work)
        for app, settings in ((STAGING, "config.StagingConfig"), (PRODUCTION, "config.ProductionConfig")):
            daemon.cli("apps:create", app, cwd=work)
            daemon.cli("addons:create", "postgresql", "-a", app, cwd=work)
            daemon.cli("config:set", f"APP_SETTINGS={settings}", "-a", app, cwd=work)
        daemon.cli("pipelines:create", PIPELINE, "-a", STAGING, "-s", "staging", cwd=work)
        daemon.cli("pipelines:add", PIPELINE, "-a", PRODUCTION, "-s", "production", cwd=work)

        started = time.perf_counter()
        daemon.cli("deploy", str(source), "-a", STAGING, cwd=work)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        daemon.cli("deploy", str(source), "-a", PRODUCTION, cwd=work)
        first_production = time.perf_counter() - started
        daemon.cli("pipelines:promote", "-a", STAGING, cwd=work)  # warm-up of the promotion path
        assert serves(daemon, PRODUCTION, "1") and daemon.get(PRODUCTION).json()["stage"] == "production"

        result: dict[str, object] = {"cold": cold, "first_production": first_production}
        first = 2
        for kind in kinds:
            result[kind] = rounds_of(kind, rounds, daemon, source, work, first)
            first += rounds
        return result
    finally:
        daemon.stop()


def report(kind: str, result: dict[str, object]) -> None:
    med = statistics.median
    promotions: list[dict[str, float]] = result["promotions"]  # type: ignore[assignment]
    deploys: list[dict[str, float]] = result["deploys"]  # type: ignore[assignment]

    def values(runs: list[dict[str, float]], key: str) -> list[float]:
        return [r[key] for r in runs]

    def row(label: str, runs: list[float]) -> None:
        print(f"  {label:<54}{med(runs):6.2f} s   (every round: {', '.join(f'{v:.2f}' for v in runs)})")

    print(f"\n===== {TITLES[kind]}: {len(promotions)} rounds, orders {' '.join(result['orders'])}")  # type: ignore[arg-type]
    if result["packages"]:
        print(f"packages added, one a round: {', '.join(result['packages'])}")  # type: ignore[arg-type]
    for label, runs in (("promotion (pipelines:promote -a staging)", promotions),
                        ("deploy of the same code (deploy -a production)", deploys)):
        print(label)
        row("launched -> production serves the new VERSION", values(runs, "total"))
        row("launched -> its output ended (the command returns)", values(runs, "returned"))
        row("launched -> its first output line", values(runs, "first_line"))
        row("launched -> release phase begins", values(runs, "before"))
        row("  first line -> release phase begins", [r["before"] - r["first_line"] for r in runs])
        if runs is deploys:
            row("    of which installing dependencies", values(runs, "install"))
            row("    the daemon's 'Build finished in Xs'", values(runs, "build_reported"))
            if all("uv" in r for r in runs):
                row("      uv (resolve, download, install): to 'Installed N'", values(runs, "uv"))
                row("      then bytecode: to 'Bytecode: compiled N'", values(runs, "bytecode"))
                print("      modules compiled / .pyc reused from earlier venvs: "
                      + ", ".join(f"{r['compiled']:.0f}/{r['reused']:.0f}" for r in runs))
        row("release phase (to 'Starting N dyno(s)')", values(runs, "release"))
        row("  of which the release command (flask db upgrade)", values(runs, "release_command"))
        row("switch (to 'Switched to vN')", values(runs, "switch"))
        row("'Switched' printed -> the router serves it", values(runs, "after"))
        row("  the first new answer's request: sent, from 'Switched'", values(runs, "first_new_sent"))
        row("  ... it took", values(runs, "first_new_took"))
        row("  ... the next request took", values(runs, "next_took"))
        row("release phase + switch", [r["release"] + r["switch"] for r in runs])
    print(f"the deploy built staging's slug (same digest) in {sum(int(d['same_slug']) for d in deploys)} of "
          f"{len(deploys)} rounds; it installed dependencies (a new venv) in {sum(int(d['installed']) for d in deploys)}")
    print("alone, each round after A and B")
    row("seaway run -a production -- flask db upgrade (launch->exit)", result["alone"])  # type: ignore[arg-type]
    row("seaway releases:info -a production --json (launch->exit)", result["cli"])  # type: ignore[arg-type]
    ratios = [p["total"] / d["total"] for p, d in zip(promotions, deploys, strict=True)]
    print(f"promotion / deploy: {med(values(promotions, 'total')) / med(values(deploys, 'total')):.2f}x of the "
          f"medians; per round {', '.join(f'{r:.2f}' for r in ratios)}")
    over = [p["total"] - p["release"] - p["switch"] for p in promotions]
    print("promotion minus its own release phase + switch: " + ", ".join(f"{v:+.2f}" for v in over) + " s")
    over_deploy = [p["total"] - d["release"] - d["switch"] for p, d in zip(promotions, deploys, strict=True)]
    print("promotion minus the same round's deploy's release phase + switch: "
          + ", ".join(f"{v:+.2f}" for v in over_deploy) + " s")
    print(f"build output in promotions: {result['build_output'] or 'none'}")
    timeline: dict[str, Timed] = result["timeline"]  # type: ignore[assignment]
    for name, command in timeline.items():
        print(f"the last round's {name}, as printed (seconds since launch):")
        for moment, line in command.lines:
            print(f"  {moment:6.3f}  {line}")
        starting = command.at("-----> Starting")
        for began, end, new in command.polls:
            if end >= starting:
                print(f"  {began:6.3f}  request sent; answered at {end:.3f} with the {'new' if new else 'old'} VERSION")
    print("production's last release output (releases:output):\n" + str(result["last_output"]).rstrip())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--kind", choices=sorted(KINDS), default="both",
                        help="code: code-only changes; deps: each round also adds a package; both (default)")
    arguments = parser.parse_args()
    kinds = KINDS[arguments.kind]
    if "deps" in kinds and arguments.rounds > len(PACKAGES):
        parser.error(f"--rounds: at most {len(PACKAGES)} with deps rounds (one new package each)")
    work = Path(tempfile.mkdtemp(prefix="seaway-bench-"))
    try:
        result = run(arguments.rounds, kinds, work)
    finally:
        remove_tree(work)
    print(f"first deploy to staging (uv cache cold): {result['cold']:.2f} s; first deploy to production: "
          f"{result['first_production']:.2f} s")
    for kind in kinds:
        report(kind, result[kind])  # type: ignore[arg-type]
    if len(kinds) > 1:
        med = statistics.median
        print("\nsummary (medians, s): kind, promotion, deploy, promotion / deploy")
        for kind in kinds:
            runs: dict[str, list[dict[str, float]]] = result[kind]  # type: ignore[assignment]
            promotion = med(r["total"] for r in runs["promotions"])
            deployed = med(r["total"] for r in runs["deploys"])
            print(f"  {TITLES[kind]:<46}{promotion:6.2f}{deployed:8.2f}{promotion / deployed:8.2f}x")


if __name__ == "__main__":
    main()
