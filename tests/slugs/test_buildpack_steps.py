"""The buildpack's steps around the install, with real uv and real Django: collectstatic (and reusing
its output), bin/pre_compile and bin/post_compile, apps in a subfolder, a writable source tree."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from seaway.cli.upload import pack_source
from seaway.slugs import slug as slug_module
from seaway.slugs.builder import Builder, BuildRequest, BuiltSlug
from seaway.slugs.errors import BuildError
from seaway.slugs.python import installed_interpreters

APPS = Path(__file__).resolve().parents[1] / "apps"
pytestmark = pytest.mark.timeout(600)


def sample(name: str, dest: Path) -> Path:
    """A copy of a sample app, its .python-version changed to an installed minor when needs be."""
    shutil.copytree(APPS / name, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for version_file in dest.rglob(".python-version"):
        wanted = version_file.read_text().strip()
        if not any(i.version_text.startswith(wanted + ".") for i in installed_interpreters()):
            version_file.write_text("%d.%d\n" % installed_interpreters()[0].version[:2])
    return dest


@dataclass
class Run:
    built: BuiltSlug
    lines: list[str]

    @property
    def app(self) -> Path:
        return self.built.path / "app"

    @property
    def output(self) -> str:
        return "\n".join(self.lines)


def build(builder: Builder, source: Path, config: dict[str, str] | None = None) -> Run:
    lines: list[str] = []
    built = builder.build(pack_source(source), lines.append, BuildRequest(config=config or {}))
    return Run(built, lines)


def failure(builder: Builder, source: Path, config: dict[str, str] | None = None) -> tuple[str, str]:
    lines: list[str] = []
    with pytest.raises(BuildError) as info:
        builder.build(pack_source(source), lines.append, BuildRequest(config=config or {}))
    return str(info.value), "\n".join(lines)


@pytest.fixture(scope="module")
def builder(tmp_path_factory: pytest.TempPathFactory) -> Builder:
    home = tmp_path_factory.mktemp("buildpack-home")
    yield Builder(home / "slugs", home / "builds", home / "cache")
    slug_module.remove_tree(home)


@dataclass
class DjangoBuilds:
    first: Run
    code_only: Run
    static_changed: Run


@pytest.fixture(scope="module")
def django(builder: Builder, tmp_path_factory: pytest.TempPathFactory) -> DjangoBuilds:
    folder = tmp_path_factory.mktemp("django")
    source = sample("django_static", folder / "v1")
    first = build(builder, source)
    views = source / "pages" / "views.py"
    views.write_text(views.read_text().replace("hello from django_static", "hello again"))
    code_only = build(builder, source)
    css = source / "pages" / "static" / "pages" / "site.css"
    css.write_text(css.read_text() + "p { color: teal; }\n")
    static_changed = build(builder, source)
    return DjangoBuilds(first, code_only, static_changed)


def manifest(run: Run) -> dict[str, str]:
    return json.loads((run.app / "staticfiles" / "staticfiles.json").read_text())["paths"]


def test_collectstatic_runs_at_build_time_into_the_slug(django: DjangoBuilds) -> None:
    run = django.first
    assert "-----> $ python manage.py collectstatic --noinput" in run.lines
    assert any("static files copied" in line for line in run.lines), run.output
    paths = manifest(run)
    hashed = paths["pages/site.css"]
    assert hashed != "pages/site.css" and (run.app / "staticfiles" / hashed).is_file()
    assert (run.app / "staticfiles" / paths["admin/css/base.css"]).is_file()
    assert (run.app / "staticfiles" / (paths["admin/css/base.css"] + ".gz")).is_file()  # WhiteNoise compressed


def test_a_code_only_rebuild_reuses_collectstatics_output(django: DjangoBuilds) -> None:
    run = django.code_only
    assert any("Static files unchanged since an earlier build: reused its output" in line for line in run.lines)
    assert run.built.digest != django.first.built.digest
    assert manifest(run) == manifest(django.first)
    hashed = manifest(run)["pages/site.css"]
    assert (run.app / "staticfiles" / hashed).read_bytes() == (django.first.app / "staticfiles" / hashed).read_bytes()


def test_a_changed_static_file_runs_collectstatic_again(django: DjangoBuilds) -> None:
    run = django.static_changed
    assert not any("reused its output" in line for line in run.lines)
    assert manifest(run)["pages/site.css"] != manifest(django.first)["pages/site.css"]


def test_output_names_the_steps_like_the_buildpack(django: DjangoBuilds) -> None:
    lines = django.first.lines
    assert lines[0] == "-----> Python app detected"
    assert "-----> Discovering process types" in lines
    assert "       Procfile declares types -> web" in lines
    assert not any("Failed to hardlink" in line for line in lines)


def test_disable_collectstatic_skips_it(builder: Builder, tmp_path: Path) -> None:
    run = build(builder, sample("django_static", tmp_path / "src"), {"DISABLE_COLLECTSTATIC": "1"})
    assert "-----> Skipping Django collectstatic since the config var DISABLE_COLLECTSTATIC is set" in run.lines
    assert not (run.app / "staticfiles").exists()


def test_disable_collectstatic_0_does_not_disable_it(builder: Builder, tmp_path: Path) -> None:
    run = build(builder, sample("django_static", tmp_path / "src"), {"DISABLE_COLLECTSTATIC": "0"})
    assert (run.app / "staticfiles" / "staticfiles.json").is_file()


def test_a_django_app_without_staticfiles_skips_collectstatic(builder: Builder, tmp_path: Path) -> None:
    # INSTALLED_APPS lacks django.contrib.staticfiles; its settings need DATABASE_URL, a config var at build time too
    run = build(builder, sample("django_app", tmp_path / "src"), {"DATABASE_URL": "postgres://u:p@127.0.0.1:1/db"})
    assert "-----> Skipping Django collectstatic: django.contrib.staticfiles is not in INSTALLED_APPS" in run.lines


def test_a_failing_collectstatic_fails_the_build_and_says_how_to_disable_it(builder: Builder, tmp_path: Path) -> None:
    message, _output = failure(builder, sample("collectstatic_fails", tmp_path / "src"),
                               {"DEBUG_COLLECTSTATIC": "1", "SECRET_TOKEN": "s3cr3t-value"})
    assert "Unable to generate Django static files" in message
    assert "missing-background.png" in message  # the command's own output
    assert "seaway config:set DISABLE_COLLECTSTATIC=1" in message
    assert "SECRET_TOKEN" in message and "s3cr3t-value" not in message  # names, never values
    assert list(builder.builds_dir.iterdir()) == []


def test_build_hooks_run_in_order_with_the_config_vars(builder: Builder, tmp_path: Path) -> None:
    run = build(builder, sample("build_hooks", tmp_path / "src"), {"GREETING": "hi"})
    assert run.lines.index("-----> Running bin/pre_compile hook") < \
        next(i for i, line in enumerate(run.lines) if line.startswith("-----> Installing dependencies")) < \
        run.lines.index("-----> Running bin/post_compile hook")
    assert (run.app / "generated" / "pre.txt").read_text() == "pre_compile saw GREETING=hi\n"  # no venv yet
    post = (run.app / "generated" / "post.txt").read_text()
    assert post.startswith("post_compile ") and "gunicorn" in post
    assert "       post_compile ran" in run.lines  # streamed


def test_a_failing_hook_fails_the_build_with_its_output(builder: Builder, tmp_path: Path) -> None:
    message, output = failure(builder, sample("build_hooks", tmp_path / "src"), {"HOOK_FAIL": "1"})
    assert "bin/post_compile failed (exit status 3)" in message
    assert "post_compile was told to fail" in output and "post_compile was told to fail" in message


def test_project_path_builds_the_subfolder_alone(builder: Builder, tmp_path: Path) -> None:
    run = build(builder, sample("monorepo", tmp_path / "src"), {"PROJECT_PATH": "backend"})
    assert "-----> Building the app in backend/ (PROJECT_PATH)" in run.lines
    assert sorted(p.name for p in run.app.iterdir() if not p.name.startswith(".")) == ["Procfile", "app.py",
                                                                                          "requirements.txt"]


def test_a_monorepo_without_project_path_gets_the_hint(builder: Builder, tmp_path: Path) -> None:
    message, _ = failure(builder, sample("monorepo", tmp_path / "src"))
    assert "backend/ holds one" in message and "PROJECT_PATH=backend" in message
