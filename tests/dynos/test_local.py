"""LocalBackend / LocalDyno: dynos as real child process groups run from a slug folder."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from seaway.dynos.local import SYSTEM_PATH, LocalBackend, port_open
from seaway.host import process_alive, process_identity
from tests.dynos.conftest import DIGEST, GUARD, NOT_WAITED, dead_soon, group_gone_soon, make_spec, returns_within

pytestmark = pytest.mark.timeout(30)

HTTP_SERVER = "exec python3 -m http.server $PORT --bind 127.0.0.1"
# Where a test shows that a call did not wait for a time-out, that time-out is NOT_WAITED and the call must return
# within GUARD: far above what the slowest machine needs, far below the time-out. No test depends on the machine's speed.




# -- output ---------------------------------------------------------------------

def test_output_lines_reach_on_line_in_order(start):
    dyno, out = start(make_spec("for i in $(seq 1 500); do echo line $i; done; echo to-stderr >&2; echo last",
                                process_type="worker"))
    assert dyno.wait(10) == 0
    assert out.lines == [f"line {i}" for i in range(1, 501)] + ["to-stderr", "last"]


def test_line_endings_are_stripped_and_bad_bytes_replaced(start):
    dyno, out = start(make_spec(r"printf 'crlf\r\n'; printf 'bad \377 byte\n'; printf 'no newline at end'",
                                process_type="worker"))
    assert dyno.wait(10) == 0
    assert out.lines == ["crlf", "bad \ufffd byte", "no newline at end"]


# -- environment ----------------------------------------------------------------

ENV_REPORT = ('echo "DYNO=$DYNO"; echo "PORT=${PORT-unset}"; echo "HOME=$HOME"; echo "TMPDIR=$TMPDIR"; '
              'echo "PATH=$PATH"; echo "LANG=$LANG"; echo "CWD=$(pwd)"; echo "GREETING=$GREETING"; '
              'echo "SECRET=${SEAWAY_TEST_OUTER-unset}"; '
              'touch "$HOME/written" && echo "HOME_WRITABLE=yes"; '
              'mktemp > /dev/null && echo "TMP_WRITABLE=yes"; '
              'read -t 5 line; echo "STDIN=$?"')


def test_web_dyno_environment(start, app_dir: Path, run_dir: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SEAWAY_TEST_OUTER", "the daemon's own environment must not leak")
    dyno, out = start(make_spec(ENV_REPORT, env={"GREETING": "hello world"}))
    assert dyno.wait(10) == 0, out.lines
    assert dyno.address is not None and dyno.address[0] == "127.0.0.1"
    assert out.value("DYNO") == "web.1"
    assert out.value("PORT") == str(dyno.address[1])
    home = Path(out.value("HOME"))
    assert home.parent == run_dir / "dynos" / "homes"
    assert home.name.startswith("demo.web.1.")
    assert out.value("TMPDIR") == str(home)
    assert out.value("HOME_WRITABLE") == "yes"
    assert out.value("TMP_WRITABLE") == "yes"
    assert out.value("PATH") == f"{app_dir / '.venv' / 'bin'}:{SYSTEM_PATH}"
    assert out.value("LANG") == "C.UTF-8"
    assert out.value("CWD") == str(app_dir)
    assert out.value("GREETING") == "hello world"
    assert out.value("SECRET") == "unset"
    assert out.value("STDIN") == "1"  # stdin is /dev/null: `read` hits end of file at once


def test_worker_dyno_gets_no_port(start):
    dyno, out = start(make_spec(ENV_REPORT, process_type="worker", index=3))
    assert dyno.wait(10) == 0, out.lines
    assert dyno.address is None
    assert out.value("DYNO") == "worker.3"
    assert out.value("PORT") == "unset"


def test_config_cannot_override_dyno_or_port(start):
    dyno, out = start(make_spec(ENV_REPORT, env={"DYNO": "fake.9", "PORT": "1", "GREETING": "hi"}))
    assert dyno.wait(10) == 0, out.lines
    assert out.value("DYNO") == "web.1"
    assert out.value("PORT") == str(dyno.address[1])
    assert out.value("GREETING") == "hi"


def test_each_dyno_has_its_own_home_removed_after_exit(start, run_dir: Path, tmp_path: Path):
    go = tmp_path / "go"  # the dynos run until the test has looked at their homes
    command = f'echo "HOME=$HOME"; touch "$HOME/state"; mkdir -p "$HOME/.cache/x"; until [ -e "{go}" ]; do sleep 0.02; done'
    first, out1 = start(make_spec(command, index=1))
    second, out2 = start(make_spec(command, index=2))
    home1, home2 = Path(out1.value("HOME")), Path(out2.value("HOME"))
    assert home1 != home2
    assert home1.is_dir() and home2.is_dir()  # there while the dynos run
    assert first.exit_code() is None and second.exit_code() is None
    go.touch()
    assert first.wait(10) == 0 and second.wait(10) == 0
    assert not home1.exists() and not home2.exists()
    assert list((run_dir / "dynos" / "homes").iterdir()) == []
    assert list((run_dir / "dynos" / "pids").iterdir()) == []


def test_pid_file_exists_while_running(start, run_dir: Path):
    dyno, out = start(make_spec("echo started; exec sleep 100", process_type="worker"))
    out.wait_for_line("started")
    pid_file = run_dir / "dynos" / "pids" / f"demo.worker.1.{dyno.process.pid}.pid"
    pid, identity = pid_file.read_text().split()
    assert int(pid) == dyno.process.pid and identity == process_identity(dyno.process.pid)
    dyno.stop(5)
    assert not pid_file.exists()


# -- binding --------------------------------------------------------------------

def test_wait_until_bound_true_once_listening(start):
    dyno, out = start(make_spec(HTTP_SERVER))
    assert dyno.wait_until_bound(15), out.lines
    assert port_open(dyno.address)
    assert dyno.exit_code() is None
    dyno.stop(5)


@pytest.mark.timeout(2 * GUARD)
def test_wait_until_bound_false_when_never_bound(start):
    dyno, _ = start(make_spec(f"exec sleep {NOT_WAITED}"))
    began = time.monotonic()
    # it gives up at its own 0.5 s time-out: neither never nor only when the process ends
    assert returns_within(GUARD, lambda: dyno.wait_until_bound(0.5)) is False
    assert time.monotonic() - began >= 0.5
    assert dyno.exit_code() is None  # still running: it just never bound
    dyno.stop(5)


@pytest.mark.timeout(2 * GUARD)
def test_wait_until_bound_false_quickly_when_process_exits(start):
    dyno, _ = start(make_spec("exit 1"))
    assert returns_within(GUARD, lambda: dyno.wait_until_bound(NOT_WAITED)) is False  # no waiting for the time-out
    assert dyno.wait(5) == 1


def test_binding_another_port_does_not_count(start):
    # A process listening, but not on $PORT, has not bound.
    dyno, out = start(make_spec("exec python3 -u -m http.server 0 --bind 127.0.0.1"))
    out.wait_for_line("Serving HTTP on 127.0.0.1 port")
    assert dyno.wait_until_bound(0.3) is False
    dyno.stop(5)


# -- exit codes and stopping ----------------------------------------------------

@pytest.mark.parametrize("code", [0, 1, 7, 255])
def test_exit_codes(start, code: int):
    dyno, out = start(make_spec(f"echo bye; exit {code}", process_type="worker"))
    assert dyno.wait(10) == code
    assert dyno.exit_code() == code
    assert out.exited.wait(5)
    assert out.exit_codes == [code]
    assert out.lines_at_exit == ["bye"]  # on_exit comes after every line was delivered


def test_exit_code_is_none_while_running(start):
    dyno, _ = start(make_spec("exec sleep 100", process_type="worker"))
    assert dyno.exit_code() is None
    assert dyno.wait(0.2) is None
    dyno.stop(5)


@pytest.mark.timeout(2 * GUARD)
def test_stop_terminates_the_whole_process_group(start):
    dyno, out = start(make_spec("sleep 100 & echo child=$!; wait", process_type="worker"))
    child = int(out.value("child"))
    assert process_alive(child)
    code = returns_within(GUARD, lambda: dyno.stop(NOT_WAITED))  # SIGTERM was enough: no wait for the time-out
    assert code == -15  # and it was SIGTERM that ended it
    assert dead_soon(child)
    assert group_gone_soon(dyno.process.pid)
    assert out.exited.wait(5) and out.exit_codes == [-15]


@pytest.mark.timeout(2 * GUARD)
def test_stop_escalates_to_sigkill_for_a_process_ignoring_term(start):
    # Left alone (SIGTERM is ignored, by its child too), it would run for NOT_WAITED seconds.
    dyno, out = start(make_spec(f"trap '' TERM; sleep {NOT_WAITED} & echo child=$!; echo ready; wait; wait",
                                process_type="worker"))
    out.wait_for_line("ready")
    child = int(out.value("child"))
    began = time.monotonic()
    code = returns_within(GUARD, lambda: dyno.stop(1.0))  # SIGKILL at the 1 s time-out, not at the process's end
    assert code == -9
    assert time.monotonic() - began >= 1.0  # SIGTERM was given its time-out first
    assert dead_soon(child)
    assert group_gone_soon(dyno.process.pid)


def test_stop_after_exit_returns_the_exit_code(start):
    dyno, _ = start(make_spec("exit 3", process_type="worker"))
    assert dyno.wait(10) == 3
    assert dyno.stop(5) == 3


def test_an_exited_dyno_takes_what_it_left_in_its_group_with_it(start):
    # The shell exits; its background jobs go with it, as on Heroku, where the dyno is its main process.
    dyno, out = start(make_spec("sleep 100 > /dev/null 2>&1 & echo child=$!", process_type="worker"))
    child = int(out.value("child"))
    assert dyno.wait(10) == 0
    assert dead_soon(child)
    assert dyno.stop(5) == 0


def test_a_background_job_holding_the_output_does_not_keep_an_exited_dyno_alive(start):
    dyno, _ = start(make_spec("sleep 100 & exit 3", process_type="worker"))
    assert dyno.wait(10) == 3


# -- orphans --------------------------------------------------------------------

def test_reap_orphans_kills_dynos_left_by_a_dead_daemon(start, slugs_dir: Path, run_dir: Path):
    # The first backend "dies" without stopping its dynos; a new one over the same run_dir cleans up.
    first = LocalBackend(slugs_dir, run_dir)
    dyno, out = start(make_spec("sleep 100 & echo child=$!; wait", process_type="worker"), on_backend=first)
    web, web_out = start(make_spec(HTTP_SERVER), on_backend=first)
    child = int(out.value("child"))
    assert web.wait_until_bound(15), web_out.lines
    assert len(list((run_dir / "dynos" / "pids").iterdir())) == 2

    second = LocalBackend(slugs_dir, run_dir)
    assert second.reap_orphans() == 2
    assert dyno.wait(5) == -9 and web.wait(5) == -9
    assert dead_soon(child)
    assert group_gone_soon(dyno.process.pid)
    assert group_gone_soon(web.process.pid)
    assert not port_open(web.address)
    assert list((run_dir / "dynos" / "pids").iterdir()) == []
    assert list((run_dir / "dynos" / "homes").iterdir()) == []


def test_reap_orphans_spares_a_process_that_took_a_dead_dynos_pid(backend: LocalBackend, run_dir: Path):
    # As after a reboot: the pid file names a pid that another process (a group leader) now has.
    bystander = subprocess.Popen(["sleep", "100"], start_new_session=True)
    try:
        pids = run_dir / "dynos" / "pids"
        (pids / f"demo.web.1.{bystander.pid}.pid").write_text(f"{bystander.pid} another-boot/12345\n")
        (pids / f"demo.web.2.{bystander.pid}.pid").write_text(f"{bystander.pid}\n")  # no identity recorded
        assert backend.reap_orphans() == 0
        assert bystander.poll() is None and list(pids.iterdir()) == []
    finally:
        bystander.kill()
        bystander.wait()


def test_reap_orphans_skips_stale_pid_files(backend: LocalBackend, run_dir: Path):
    gone = subprocess.Popen(["true"])
    gone.wait()
    pids = run_dir / "dynos" / "pids"
    (pids / f"demo.web.1.{gone.pid}.pid").write_text(str(gone.pid))
    (pids / "demo.web.2.0.pid").write_text("")
    (run_dir / "dynos" / "homes" / "demo.web.1.leftover").mkdir()
    assert backend.reap_orphans() == 0
    assert list(pids.iterdir()) == []
    assert list((run_dir / "dynos" / "homes").iterdir()) == []


def test_slug_is_found_by_digest(start, slugs_dir: Path):
    (slugs_dir / DIGEST / "app" / "marker.txt").write_text("from the slug\n")
    dyno, out = start(make_spec("cat marker.txt", process_type="worker"))
    assert dyno.wait(10) == 0
    assert out.lines == ["from the slug"]


def test_run_dirs_are_created(tmp_path: Path):
    LocalBackend(tmp_path / "slugs", tmp_path / "run")
    assert (tmp_path / "run" / "dynos" / "pids").is_dir()
    assert (tmp_path / "run" / "dynos" / "homes").is_dir()


# -- which slugs this host can run (a promotion asks before it releases one) -----------------

def test_cannot_run_names_the_python_a_slug_was_built_for_when_its_interpreter_is_gone(backend: LocalBackend,
                                                                                     app_dir: Path, tmp_path: Path):
    gone = tmp_path / "pythons" / "3.11.4" / "bin" / "python3.11"  # as a pyenv version removed since the build
    (app_dir / ".venv" / "bin" / "python").symlink_to(gone)
    why = backend.cannot_run(DIGEST, "3.11.4")
    assert why is not None and "Python 3.11.4" in why and str(gone) in why and DIGEST[:12] in why


def test_cannot_run_is_none_for_a_slug_whose_interpreter_is_there(backend: LocalBackend, app_dir: Path):
    (app_dir / ".venv" / "bin" / "python").symlink_to(sys.executable)
    assert backend.cannot_run(DIGEST, "{}.{}.{}".format(*sys.version_info[:3])) is None


def test_cannot_run_says_when_the_slug_folder_is_missing(backend: LocalBackend, slugs_dir: Path):
    missing = "f" * 64
    assert not (slugs_dir / missing).exists()
    why = backend.cannot_run(missing, "3.12.7")
    assert why is not None and missing[:12] in why and "not on this host" in why



@pytest.fixture
def outside_tmp() -> Iterator[Path]:
    """A folder outside pytest's base temp folder: pytest resets that one to mode 0700 whenever a session starts,
    which takes away the ACL entries that let another user through it."""
    path = Path(tempfile.mkdtemp(prefix="seaway-test-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="running a dyno as another user needs root")
def test_dyno_running_as_another_user(start, outside_tmp: Path):
    app_dir = outside_tmp / "slugs" / DIGEST / "app"
    (app_dir / ".venv" / "bin").mkdir(parents=True)
    (app_dir / "marker.txt").write_text("from the slug\n")
    backend = LocalBackend(outside_tmp / "slugs", outside_tmp / "run")
    command = ('echo "USER=$(id -un)"; echo "HOME=$HOME"; cat marker.txt; '
               'touch "$HOME/x" && mktemp > /dev/null && echo WRITABLE=yes')
    dyno, out = start(dataclasses.replace(make_spec(command, process_type="worker"), user="nobody"), on_backend=backend)
    assert dyno.wait(10) == 0, out.lines
    assert out.value("USER") == "nobody"
    assert "from the slug" in out.lines
    assert out.value("WRITABLE") == "yes"
    assert not Path(out.value("HOME")).exists()
