"""Builder.build end to end on the wsgi_basic sample: real tarball, real uv, real slug folders.

Only one build installs anything (gunicorn); the rebuilds reuse its venv from the build cache."""

from __future__ import annotations

import io
import os
import re
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

import pytest

from seaway.cli.upload import pack_source
from seaway.slugs import slug as slug_module
from seaway.slugs.builder import Builder, BuiltSlug
from seaway.slugs.errors import BuildError
from seaway.slugs.python import installed_interpreters

SAMPLE = Path(__file__).resolve().parents[1] / "apps" / "wsgi_basic"


def copy_sample(dest: Path) -> Path:
    shutil.copytree(SAMPLE, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    wanted = (dest / ".python-version").read_text().strip()
    if not any(i.version_text.startswith(wanted + ".") for i in installed_interpreters()):
        (dest / ".python-version").write_text("%d.%d\n" % installed_interpreters()[0].version[:2])
    return dest


@dataclass
class Run:
    built: BuiltSlug
    lines: list[str]


def build(builder: Builder, source_dir: Path) -> Run:
    lines: list[str] = []
    built = builder.build(pack_source(source_dir), lines.append)
    return Run(built, lines)


@dataclass
class Builds:
    home: Path
    builder: Builder
    first: Run
    again: Run
    changed: Run


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    home = tmp_path_factory.mktemp("seaway-home")
    builder = Builder(home / "slugs", home / "builds", home / "cache")
    source = copy_sample(home / "source")
    first = build(builder, source)
    again = build(builder, source)
    changed_source = copy_sample(home / "source-v2")
    app_py = changed_source / "app.py"
    app_py.write_text(app_py.read_text().replace('VERSION = "1"', 'VERSION = "2"'))
    changed = build(builder, changed_source)
    yield Builds(home, builder, first, again, changed)
    slug_module.remove_tree(home / "slugs")
    slug_module.remove_tree(home / "cache")


def test_build_produces_a_slug_folder_named_by_its_digest(builds: Builds):
    built = builds.first.built
    assert re.fullmatch(r"[0-9a-f]{64}", built.digest)
    assert built.path == builds.home / "slugs" / built.digest == builds.builder.slug_path(built.digest)
    assert built.path.is_dir()
    assert sorted(os.listdir(built.path)) == ["app"]
    assert (built.path / "app" / "app.py").read_text() == (SAMPLE / "app.py").read_text()
    assert (built.path / "app" / "Procfile").is_file()
    assert built.size > 0


def test_slug_has_the_venv_with_gunicorn(builds: Builds):
    gunicorn = builds.first.built.path / "app" / ".venv" / "bin" / "gunicorn"
    assert gunicorn.is_file()
    assert os.stat(gunicorn).st_mode & 0o111
    site = next((builds.first.built.path / "app" / ".venv" / "lib").glob("python*/site-packages"))
    assert any(p.name.startswith("gunicorn-") and p.name.endswith(".dist-info") for p in site.iterdir())


def test_built_slug_metadata(builds: Builds):
    built = builds.first.built
    wanted = (builds.home / "source" / ".python-version").read_text().strip()
    assert built.python_version.startswith(wanted + ".")
    assert built.process_types == {"web": "gunicorn app:app"}
    assert re.fullmatch(r"[0-9a-f]{64}", built.deps_key)


def test_build_output_tells_the_story(builds: Builds):
    lines = builds.first.lines
    assert "-----> Python app detected" in lines
    assert any(line.startswith(f"-----> Using Python {builds.first.built.python_version} (") for line in lines)
    assert "-----> Installing dependencies with pip (uv pip install -r requirements.txt)" in lines
    assert "-----> Discovering process types" in lines
    assert any(line.startswith("       Procfile declares types -> ") for line in lines)
    assert any(line.endswith(f"(slug {builds.first.built.digest[:12]})") for line in lines)
    assert not any("reusing" in line for line in lines), "the first build installs its dependencies"


def test_slug_app_is_read_only(builds: Builds):
    app = builds.first.built.path / "app"
    checked = 0
    for folder, dirs, files in os.walk(app):
        for path in [folder] + [os.path.join(folder, n) for n in dirs + files]:
            info = os.lstat(path)
            if not stat.S_ISLNK(info.st_mode):
                assert info.st_mode & 0o222 == 0, f"{path} is writable ({stat.filemode(info.st_mode)})"
                checked += 1
    assert checked > 10


def test_slug_folder_itself_is_read_only(builds: Builds):
    mode = os.stat(builds.first.built.path).st_mode
    assert mode & 0o222 == 0, stat.filemode(mode)


def test_build_folder_is_cleaned_up(builds: Builds):
    assert list((builds.home / "builds").iterdir()) == []


def test_rebuild_of_the_same_source_gives_the_same_digest(builds: Builds):
    assert builds.again.built.digest == builds.first.built.digest
    assert builds.again.built.path == builds.first.built.path
    assert builds.again.built.deps_key == builds.first.built.deps_key
    assert any("reusing" in line for line in builds.again.lines)


def test_code_change_gives_a_new_digest_but_reuses_the_venv(builds: Builds):
    first, changed = builds.first.built, builds.changed.built
    assert changed.digest != first.digest
    assert changed.deps_key == first.deps_key
    assert any("reusing" in line for line in builds.changed.lines)
    assert 'VERSION = "2"' in (changed.path / "app" / "app.py").read_text()
    assert 'VERSION = "1"' in (first.path / "app" / "app.py").read_text(), "the earlier slug is untouched"
    # reused, not reinstalled: both slugs' gunicorn are hard links of one cached file
    gunicorn = Path("app") / ".venv" / "bin" / "gunicorn"
    assert os.stat(first.path / gunicorn).st_ino == os.stat(changed.path / gunicorn).st_ino
    assert sorted(p.name for p in (builds.home / "slugs").iterdir()) == sorted({first.digest, changed.digest})


# -- builds that must fail, before anything is installed ---------------------------------------


@pytest.fixture
def bare_builder(tmp_path: Path) -> Builder:
    return Builder(tmp_path / "slugs", tmp_path / "builds", tmp_path / "cache")


def failed_build(builder: Builder, source: Path) -> str:
    lines: list[str] = []
    with pytest.raises(BuildError) as info:
        builder.build(pack_source(source), lines.append)
    assert list(builder.slugs_dir.iterdir()) == [], "a failed build leaves no slug"
    assert list(builder.builds_dir.iterdir()) == [], "a failed build cleans its folder"
    return str(info.value)


def test_missing_procfile_is_a_build_error(tmp_path: Path, bare_builder: Builder):
    source = copy_sample(tmp_path / "src")
    (source / "Procfile").unlink()
    assert "No Procfile found" in failed_build(bare_builder, source)


def test_procfile_without_web_is_a_build_error(tmp_path: Path, bare_builder: Builder):
    source = copy_sample(tmp_path / "src")
    (source / "Procfile").write_text("worker: python worker.py\n")
    message = failed_build(bare_builder, source)
    assert "no `web` process" in message
    assert "found: worker" in message


def test_malformed_procfile_is_a_build_error(tmp_path: Path, bare_builder: Builder):
    source = copy_sample(tmp_path / "src")
    (source / "Procfile").write_text("web gunicorn app:app\n")
    assert "Procfile line 1" in failed_build(bare_builder, source)


def test_no_requirements_is_a_build_error(tmp_path: Path, bare_builder: Builder):
    source = copy_sample(tmp_path / "src")
    (source / "requirements.txt").unlink()
    message = failed_build(bare_builder, source)
    assert "No package manager file was found" in message
    assert "requirements.txt" in message and "uv.lock" in message
    assert "  Procfile\n" in message  # what the root holds, to spot a misplaced or misspelt file


def test_not_a_tarball_is_a_build_error(bare_builder: Builder):
    with pytest.raises(BuildError, match="not a readable tarball"):
        bare_builder.build(io.BytesIO(b"not a tarball"), lambda line: None)
    assert list(bare_builder.builds_dir.iterdir()) == []
