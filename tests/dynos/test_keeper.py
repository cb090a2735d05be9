"""Keepers: a dyno outlives its daemon, keeps printing, and a new daemon takes it back (issue 16, item 6)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from seaway.dynos import kept
from seaway.dynos.keeper import LIMIT
from seaway.dynos.local import LocalBackend, port_open
from seaway.dynos.output import LineOutput
from seaway.host import process_alive
from tests.dynos.conftest import Output, dead_soon, make_spec
from tests.dynos.test_local import HTTP_SERVER


def die(backend: LocalBackend, dyno) -> None:
    """What a daemon's kill -9 does to its side of a dyno: the connection to the keeper goes, nothing else."""
    dyno.detach()


def test_a_dyno_runs_under_its_keeper_not_the_daemon(start):
    dyno, out = start(make_spec("echo ppid=$PPID; sleep 100", process_type="worker"))
    keeper = int(out.value("ppid"))
    assert keeper != os.getpid() and keeper == dyno.link.keeper_pid
    record = json.loads((dyno.link.folder / "dyno.json").read_text())
    assert record["pid"] == dyno.process.pid and record["process_type"] == "worker"
    assert "env" not in record  # config vars stay in the store
    assert (dyno.link.folder.stat().st_mode & 0o777) == 0o700
    assert ((dyno.link.folder / "dyno.json").stat().st_mode & 0o777) == 0o600
    assert dyno.stop(5) == -signal.SIGTERM
    assert dead_soon(keeper)
    assert not dyno.link.folder.exists()


def test_a_dyno_outlives_its_daemon_and_is_taken_back(start, slugs_dir: Path, run_dir: Path, cleanup):
    first = LocalBackend(slugs_dir, run_dir)
    command = "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.05; done"
    dyno, out = start(make_spec(command, process_type="worker"), on_backend=first)
    out.wait_for_line("tick 3")
    die(first, dyno)
    time.sleep(0.5)  # it keeps printing meanwhile, into its keeper
    assert process_alive(dyno.process.pid)

    second = LocalBackend(slugs_dir, run_dir)
    found = second.survivors()
    assert [s.name for s in found] == ["worker.1"]
    assert second.reap_orphans(keep=found) == 0
    assert process_alive(dyno.process.pid)
    again = Output()
    taken = second.attach(found[0], make_spec(command, process_type="worker"), LineOutput(again.on_line), again.on_exit)
    assert taken.process.pid == dyno.process.pid
    first_tick = int(again.wait_for_line("tick ").split()[1])
    assert first_tick > 3  # what it printed while no daemon read, then on
    again.wait_for_line(f"tick {first_tick + 5}")
    assert taken.stop(5) == -signal.SIGTERM
    assert again.exit_codes == [-signal.SIGTERM]
    assert second.survivors() == []


def test_a_web_dyno_serves_throughout_and_its_address_is_kept(start, slugs_dir: Path, run_dir: Path):
    first = LocalBackend(slugs_dir, run_dir)
    web, out = start(make_spec(HTTP_SERVER), on_backend=first)
    assert web.wait_until_bound(15), out.lines
    die(first, web)
    assert port_open(web.address)
    second = LocalBackend(slugs_dir, run_dir)
    [survivor] = second.survivors()
    taken = second.attach(survivor, make_spec(HTTP_SERVER), LineOutput(lambda _line: None))
    assert taken.address == web.address and taken.wait_until_bound(1)
    assert taken.stop(5) is not None
    assert not port_open(web.address)


def test_an_exit_while_no_daemon_runs_leaves_no_survivor(start, slugs_dir: Path, run_dir: Path):
    first = LocalBackend(slugs_dir, run_dir)
    dyno, out = start(make_spec("echo up; read -t 0.3 x; exit 7", process_type="worker"), on_backend=first)
    out.wait_for_line("up")
    keeper = dyno.link.keeper_pid
    die(first, dyno)
    assert dead_soon(keeper, timeout=10)  # exit recorded, nobody to tell: the keeper ends
    assert LocalBackend(slugs_dir, run_dir).survivors() == []


def test_output_held_for_no_daemon_is_bounded_and_the_loss_counted(start, slugs_dir: Path, run_dir: Path):
    first = LocalBackend(slugs_dir, run_dir)
    line = "x" * 1000
    lines = 3 * LIMIT // 1000
    command = f"echo up; sleep 0.5; for i in $(seq {lines}); do echo {line}; done; echo done; sleep 100"
    dyno, out = start(make_spec(command, process_type="worker"), on_backend=first)
    out.wait_for_line("up")
    die(first, dyno)
    time.sleep(3)  # it printed 3 x the bound meanwhile, and never waited for anyone
    second = LocalBackend(slugs_dir, run_dir)
    [survivor] = second.survivors()
    notices: list[str] = []
    again = Output()
    taken = second.attach(survivor, make_spec(command, process_type="worker"), LineOutput(again.on_line),
                          on_notice=notices.append)
    assert any("lines of output dropped while the platform was restarting" in n for n in notices), notices
    time.sleep(1)
    assert len(again.lines) <= LIMIT // 1000 + 1
    assert taken.stop(5) is not None


def test_a_recycled_keeper_pid_is_never_believed(start, slugs_dir: Path, run_dir: Path):
    first = LocalBackend(slugs_dir, run_dir)
    dyno, _out = start(make_spec("sleep 100", process_type="worker"), on_backend=first)
    folder = dyno.link.folder
    bystander = subprocess.Popen(["sleep", "100"], start_new_session=True)
    try:
        lines = (folder / "keeper").read_text().splitlines()
        (folder / "keeper").write_text(f"{bystander.pid} another-boot/1\n{lines[1]}\n")
        assert LocalBackend(slugs_dir, run_dir).survivors() == []
        assert bystander.poll() is None  # not signalled
        assert not folder.exists()
    finally:
        bystander.kill()
        bystander.wait()


def test_a_keeper_without_a_record_is_stopped_with_its_dyno(start, slugs_dir: Path, run_dir: Path):
    first = LocalBackend(slugs_dir, run_dir)
    dyno, _out = start(make_spec("sleep 100", process_type="worker"), on_backend=first)
    (dyno.link.folder / "dyno.json").unlink()  # as when the daemon died before writing it
    keeper = dyno.link.keeper_pid
    assert LocalBackend(slugs_dir, run_dir).survivors() == []
    assert dead_soon(dyno.process.pid) and dead_soon(keeper)


def test_start_fails_cleanly_for_a_command_that_cannot_run(backend: LocalBackend, run_dir: Path):
    from seaway.dynos.kept import Command

    folder = run_dir / "dynos" / "kept" / "broken"
    try:
        kept.spawn(folder, Command(["/nonexistent/binary"], "/", {}))
    except OSError as error:
        assert error.errno == 2
    else:
        raise AssertionError("no error")
    assert not folder.exists()


def test_start_latency_with_and_without_keeper(slugs_dir: Path, run_dir: Path, tmp_path: Path):
    """Shown, not asserted against a threshold (see bench/daemon_restart_bench.py for figures)."""
    for keepers in (True, False):
        backend = LocalBackend(slugs_dir, tmp_path / f"run-{keepers}", keepers=keepers)
        dyno = backend.start(make_spec("exit 0", process_type="worker"), LineOutput(lambda _line: None))
        assert dyno.wait(10) == 0
