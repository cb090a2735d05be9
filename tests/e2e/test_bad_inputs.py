"""Each bad input is a clear error, and the release that was serving keeps serving."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from tests.e2e.daemon import Daemon, copy_app


@pytest.fixture(scope="module")
def serving(daemon: Daemon, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An app serving wsgi_basic v1 (release v1), which every bad deploy below must leave serving."""
    name = "victim"
    source = copy_app("wsgi_basic", tmp_path_factory.mktemp("victim"))
    daemon.cli("apps:create", name, cwd=source)
    daemon.cli("deploy", cwd=source)
    assert daemon.get(name).text == "basic VERSION=1\n"
    return name


def still_serving(daemon: Daemon, app: str) -> None:
    assert daemon.get(app).text == "basic VERSION=1\n"
    releases = json.loads(daemon.cli("releases", "-a", app, "--json").stdout)
    live = json.loads(daemon.cli("apps:info", "-a", app, "--json").stdout)["release"]
    assert live == 1 and any(r["version"] == 1 and r["status"] == "succeeded" for r in releases)


@pytest.mark.parametrize(
    "sample, message",
    [
        ("no_web", "The Procfile declares no `web` process (found: worker)"),
        ("bad_requirement", "seaway-this-package-does-not-exist-4242"),
        ("release_fails", "the release command `echo \"migrating...\" && exit 1` exited with status 1. v1 is still serving"),
        ("never_binds", "Error R10 (Boot timeout) -> web.1 failed to bind to $PORT within 6 seconds"),
        ("boot_import_error", "ModuleNotFoundError: No module named 'flask_not_listed_anywhere'"),
        ("collectstatic_fails", "Unable to generate Django static files"),
        ("hook_fails", "bin/post_compile failed (exit status 7)"),
        ("monorepo", "seaway config:set PROJECT_PATH=backend"),
        ("pm_conflict", "Several package managers' files were found: requirements.txt (pip), uv.lock (uv)."),
        ("pm_conda_only", "conda environments are not supported (environment.yml, conda-requirements.txt found)"),
        ("pm_uv_stale", "uv.lock is out of sync with pyproject.toml: it is never re-locked during a build."),
        ("version_bom", ".python-version starts with a UTF-8 byte order mark (BOM)"),
    ],
)
def test_bad_deploy_fails_clearly_and_keeps_the_old_release(daemon: Daemon, serving: str, workdir: Path,
                                                             sample: str, message: str) -> None:
    source = copy_app(sample, workdir)
    result = daemon.cli("deploy", "-a", serving, str(source), check=False)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr
    still_serving(daemon, serving)


def test_a_boot_failure_shows_the_dynos_last_lines_in_deploy_and_releases_output(daemon: Daemon, serving: str,
                                                                                 workdir: Path) -> None:
    result = daemon.cli("deploy", "-a", serving, str(copy_app("boot_import_error", workdir)), check=False)
    assert result.returncode != 0
    error = result.stderr
    assert "web.1 exited with status 1 before binding to $PORT" in error
    assert "lines of web.1's output:" in error and "  booting on port " in error
    assert "Traceback (most recent call last):" in error
    failed = json.loads(daemon.cli("releases", "-a", serving, "--json").stdout)[0]
    assert failed["status"] == "failed"
    recorded = daemon.cli("releases:output", f"v{failed['version']}", "-a", serving).stdout
    assert "ModuleNotFoundError: No module named 'flask_not_listed_anywhere'" in recorded
    still_serving(daemon, serving)


def test_failed_release_is_recorded_with_its_output(daemon: Daemon, serving: str, workdir: Path) -> None:
    result = daemon.cli("deploy", "-a", serving, str(copy_app("release_fails", workdir)), check=False)
    assert "migrating..." in result.stdout  # the release command's own output is shown live
    assert "Its last 1 lines of output:\n  migrating..." in result.stderr  # and again in the final error
    releases = json.loads(daemon.cli("releases", "-a", serving, "--json").stdout)
    assert releases[0]["status"] == "failed"
    still_serving(daemon, serving)


def test_never_binding_web_dyno_is_killed(daemon: Daemon, serving: str, workdir: Path) -> None:
    daemon.cli("deploy", "-a", serving, str(copy_app("never_binds", workdir)), check=False)
    from tests.e2e.daemon import processes_mentioning
    assert not [p for p in processes_mentioning(str(daemon.home)) if "sleeper.py" in p]
    log = daemon.cli("logs", "-a", serving, "-n", "200").stdout
    assert "Error R10 (Boot timeout)" in log
    still_serving(daemon, serving)


@pytest.mark.parametrize("name", ["My App", "UPPER", "../etc", "a", "x" * 31, "-lead", "trail-"])
def test_invalid_app_names_are_refused(daemon: Daemon, name: str) -> None:
    result = daemon.cli("apps:create", "--", name, check=False)
    assert result.returncode != 0
    assert "Invalid app name" in result.stderr and "lowercase letters, digits and dashes" in result.stderr
    assert name not in [app["name"] for app in daemon.api("GET", "/apps").json()]


def test_deploy_to_unknown_app(daemon: Daemon, workdir: Path) -> None:
    result = daemon.cli("deploy", "-a", "no-such-app", str(copy_app("wsgi_basic", workdir)), check=False)
    assert result.returncode != 0
    assert "Couldn't find that app: 'no-such-app'" in result.stderr


def _tarball(*members: tuple[str, str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for kind, name, payload in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                data = payload if isinstance(payload, bytes) else payload.encode()
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
            else:
                info.type = tarfile.SYMTYPE
                info.linkname = str(payload)
                archive.addfile(info)
    return buffer.getvalue()


BASICS = [("file", "Procfile", "web: gunicorn app:app\n"), ("file", "requirements.txt", "gunicorn\n")]


@pytest.mark.parametrize(
    "members, message",
    [
        (BASICS + [("file", "../../escaped.txt", "x")], "unsafe path '../../escaped.txt'"),
        (BASICS + [("file", "/tmp/seaway-escaped.txt", "x")], "unsafe path '/tmp/seaway-escaped.txt'"),
        (BASICS + [("link", "evil", "/etc"), ("file", "evil/escaped.txt", "x")], "link 'evil' -> '/etc'"),
        (BASICS + [("link", "up", "../../.."), ("file", "up/escaped.txt", "x")], "link 'up' -> '../../..'"),
    ],
)
def test_unsafe_tarballs_are_refused_and_write_nothing_outside(daemon: Daemon, serving: str,
                                                               members: list, message: str) -> None:
    response = daemon.api("POST", f"/apps/{serving}/builds", content=_tarball(*members))
    outcome = json.loads(response.text.strip().splitlines()[-1])
    assert message in outcome["error"]
    for place in (daemon.home.parent, daemon.home, daemon.home / "builds", Path("/tmp"), Path("/etc")):
        assert not (place / "escaped.txt").exists()
    assert not Path("/tmp/seaway-escaped.txt").exists()
    still_serving(daemon, serving)


def test_unknown_python_version_lists_installed(daemon: Daemon, serving: str, workdir: Path) -> None:
    source = copy_app("wsgi_basic", workdir)
    (source / ".python-version").write_text("3.99\n")
    result = daemon.cli("deploy", "-a", serving, str(source), check=False)
    assert result.returncode != 0
    assert "no Python 3.99 is installed on this host. Installed: 3." in result.stdout + result.stderr
    still_serving(daemon, serving)


@pytest.mark.parametrize("changes, message", [
    ({"BINARY": "a\u0000b"}, "The value of BINARY holds a NUL byte"),
    ({"BIG": "x" * 40_000}, "The app's config vars would total "),
    ({"A": "x" * 20_000, "B": "y" * 20_000}, "over the 32 kB limit"),
])
def test_config_values_no_dyno_could_take_are_refused_at_the_door(daemon: Daemon, serving: str,
                                                                  changes: dict[str, str], message: str) -> None:
    before = daemon.api("GET", f"/apps/{serving}/config").json()
    response = daemon.api("PATCH", f"/apps/{serving}/config", json=changes)
    assert response.status_code == 422 and message in response.json()["detail"]
    assert daemon.api("GET", f"/apps/{serving}/config").json() == before  # nothing stored
    still_serving(daemon, serving)  # and no release made


def test_the_cli_shows_the_refusal_and_fails(daemon: Daemon, serving: str) -> None:
    result = daemon.cli("config:set", f"BIG={'x' * 40_000}", "-a", serving, check=False)
    assert result.returncode != 0 and "over the 32 kB limit" in result.stderr


@pytest.mark.parametrize("method, path, body, message", [
    ("GET", "/releases/v99999999999999999999", None, "There is no release v99999999999999999999"),
    ("GET", "/releases/v0", None, "There is no release v0: versions run from v1"),
    ("GET", "/releases/v²", None, "is not a release version like v3"),
    ("GET", "/logs?num=99999999999999999999", None, "less than or equal to 2147483647"),
    ("GET", "/logs?num=-1", None, "greater than or equal to 0"),
    ("POST", "/releases/rollback", {"version": 1e20}, "exceeded maximum size"),
    ("POST", "/releases/rollback", {"version": 0}, "greater than or equal to 1"),
])
def test_numbers_out_of_range_are_refused_not_crashed_on(daemon: Daemon, serving: str, method: str, path: str,
                                                         body: object, message: str) -> None:
    response = daemon.api(method, f"/apps/{serving}{path}", json=body)
    assert response.status_code == 422 and message in json.dumps(response.json()), response.text
    still_serving(daemon, serving)


@pytest.mark.parametrize("quantities, message", [
    ({"web": 101}, "Cannot scale 'web' to 101: use TYPE=N with N from 0 to 100."),
    ({"web": -1}, "Cannot scale 'web' to -1"),
    ({"Bad Type": 1}, "Cannot scale 'Bad Type' to 1"),
])
def test_a_formation_out_of_bounds_is_a_422_before_any_stream(daemon: Daemon, serving: str,
                                                              quantities: dict[str, int], message: str) -> None:
    response = daemon.api("PATCH", f"/apps/{serving}/formation", json=quantities)
    assert response.status_code == 422 and message in response.json()["detail"]
    still_serving(daemon, serving)
