"""The buildpack's behaviour through a real daemon: Django static files served from the slug, apps
in a subfolder, and the traps a build warned of repeated when the release then fails."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.daemon import Daemon, copy_app


def test_a_django_app_with_manifest_storage_serves_its_static_files(daemon: Daemon, app_name: str,
                                                                     workdir: Path) -> None:
    source = copy_app("django_static", workdir)
    daemon.cli("apps:create", app_name, cwd=source)
    deployed = daemon.cli("deploy", "-a", app_name, str(source))
    assert "-----> $ python manage.py collectstatic --noinput" in deployed.stdout
    page = daemon.get(app_name)
    assert page.status_code == 200 and "hello from django_static" in page.text
    (stylesheet,) = re.findall(r'href="(/static/pages/site\.[0-9a-f]{12}\.css)"', page.text)
    css = daemon.get(app_name, stylesheet)
    assert css.status_code == 200 and "logo." in css.text  # the manifest rewrote its url() too
    assert daemon.get(app_name, "/admin/login/").status_code == 200
    admin_css = re.findall(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"',
                           daemon.get(app_name, "/admin/login/").text)
    assert admin_css and daemon.get(app_name, admin_css[0]).status_code == 200


def test_project_path_builds_and_runs_the_subfolder(daemon: Daemon, app_name: str, workdir: Path) -> None:
    source = copy_app("monorepo", workdir)
    daemon.cli("apps:create", app_name, cwd=source)
    hint = daemon.cli("deploy", "-a", app_name, str(source), check=False)
    assert hint.returncode != 0 and "seaway config:set PROJECT_PATH=backend" in hint.stdout + hint.stderr
    daemon.cli("config:set", "PROJECT_PATH=backend", "-a", app_name)
    daemon.cli("deploy", "-a", app_name, str(source))
    assert daemon.get(app_name).text == "backend here; the slug holds Procfile, app.py, requirements.txt\n"


def test_deploying_the_subfolder_itself_works_too(daemon: Daemon, app_name: str, workdir: Path) -> None:
    source = copy_app("monorepo", workdir)
    daemon.cli("apps:create", app_name, cwd=source)
    daemon.cli("deploy", "-a", app_name, "backend", cwd=source)
    assert daemon.get(app_name).text.startswith("backend here")


def test_the_psycopg_trap_is_named_again_when_the_release_fails_on_it(daemon: Daemon, app_name: str,
                                                                       workdir: Path) -> None:
    source = copy_app("psycopg_trap", workdir)
    daemon.cli("apps:create", app_name, cwd=source)
    result = daemon.cli("deploy", "-a", app_name, str(source), check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "No module named 'psycopg'" in output
    final = [line for line in output.splitlines() if "This is likely why" in line]
    assert final and "Pin `SQLAlchemy<2.1`" in final[-1]


@pytest.mark.parametrize("sample", ["pm_uv", "pm_poetry", "pm_pipenv"])
def test_each_package_manager_deploys_its_locked_set(daemon: Daemon, app_name: str, workdir: Path,
                                                     sample: str) -> None:
    source = copy_app(sample, workdir)
    daemon.cli("apps:create", app_name, cwd=source)
    daemon.cli("deploy", "-a", app_name, str(source))
    page = daemon.get(app_name).text
    assert page.startswith("six 1.16.0; installed: ") and "gunicorn" in page and "iniconfig" not in page


def test_local_packages_build_in_the_sandbox_and_run_from_the_slug(daemon: Daemon, app_name: str,
                                                                   workdir: Path) -> None:
    source = copy_app("pm_local_package", workdir)
    daemon.cli("apps:create", app_name, cwd=source)
    daemon.cli("deploy", "-a", app_name, str(source))
    assert daemon.get(app_name).text == "localapp from /app/localapp/web.py with envprobe 1.2.0 from the venv\n"


def test_a_dependency_that_fails_to_build_on_the_default_python_says_both(daemon: Daemon, app_name: str,
                                                                          workdir: Path) -> None:
    # A new app: with no earlier build, the default Python is used (an app built before keeps its version).
    source = copy_app("dep_fails_to_build", workdir)
    daemon.cli("apps:create", app_name, cwd=source)
    result = daemon.cli("deploy", "-a", app_name, str(source), check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Could not install the dependencies with pip: greenlet==3.0.1 failed to build." in output
    assert re.search(r"Built with Python 3\.\d+\.\d+ \(no \.python-version: 3\.\d+ is the default; pin one", output)
