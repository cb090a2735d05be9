"""Builder.build as root in a real build sandbox: as the app's user, with a cache it cannot turn
against later builds, and an environment of the app's own."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from seaway.cli.upload import pack_source
from seaway.host import RunAs
from seaway.sandbox import Sandbox
from seaway.slugs.builder import Builder, BuildRequest
from seaway.slugs.deps import venv_digest
from tests.slugs.test_builder import copy_sample
from tests.slugs.test_buildpack_steps import sample

pytestmark = [pytest.mark.skipif(os.geteuid() != 0, reason="build sandboxes need root"), pytest.mark.timeout(300)]


def test_a_sandboxed_build_makes_a_slug_and_keeps_its_venv_out_of_reach(
        tmp_path: Path, sandbox: Sandbox, sandbox_user: RunAs, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEAWAY_API_TOKEN", "never-in-a-build")
    builder = Builder(tmp_path / "slugs", tmp_path / "builds", tmp_path / "cache", sandbox)
    source = copy_sample(tmp_path / "source")
    (source / "requirements.txt").write_text("gunicorn\n")
    cache = tmp_path / "cache" / "apps" / "demo"
    lines: list[str] = []
    before = set(sandbox.jails_dir.iterdir())
    built = builder.build(pack_source(source), lines.append,
                          BuildRequest("demo", sandbox_user, cache, {"GREETING": "hi"}))
    assert (built.path / "app" / ".venv" / "bin" / "gunicorn").exists(), lines
    venvs, builder_dir = cache / "venvs", cache / "builder"
    assert venvs.stat().st_uid == 0 and stat.S_IMODE(venvs.stat().st_mode) == 0o700  # no build or dyno reaches it
    assert builder_dir.stat().st_uid == sandbox_user.uid
    (digest_file,) = venvs.glob("*.sha256")
    assert digest_file.read_text().strip() == venv_digest(built.path / "app" / ".venv")
    assert not set(sandbox.jails_dir.iterdir()) - before  # the build's sandbox is gone


def test_a_changed_venv_can_never_pass_for_the_same_slug(tmp_path: Path, sandbox: Sandbox,
                                                         sandbox_user: RunAs) -> None:
    """The slug's name covers the venv's content: a cache entry changed after the fact (as the old attack
    did) gives another name, so no other app can be handed the changed files as the same slug."""
    builder = Builder(tmp_path / "slugs", tmp_path / "builds", tmp_path / "cache", sandbox)
    source = copy_sample(tmp_path / "source")
    cache = tmp_path / "cache" / "apps" / "demo"
    first = builder.build(pack_source(source), lambda _line: None, BuildRequest("demo", sandbox_user, cache))
    (venv,) = [p for p in (cache / "venvs").iterdir() if p.is_dir()]
    site = next(venv.glob("lib/python*/site-packages"))
    site.chmod(0o755)
    (site / "evil.pth").write_text("import sys\n")
    (next((cache / "venvs").glob("*.sha256"))).unlink()  # as if the digest had never been taken
    again = builder.build(pack_source(source), lambda _line: None, BuildRequest("demo", sandbox_user, cache))
    assert again.digest != first.digest


def test_the_build_writes_into_its_own_copy_of_the_source_and_the_slug_is_frozen_root_s(
        tmp_path: Path, sandbox: Sandbox, sandbox_user: RunAs) -> None:
    """Hooks and collectstatic run in the sandbox as the app's user, writing into the source (as the
    buildpack's builds do); what lands in the slug is root's and read-only, set-id bits gone."""
    builder = Builder(tmp_path / "slugs", tmp_path / "builds", tmp_path / "cache", sandbox)
    source = sample("build_hooks", tmp_path / "source")
    post = source / "bin" / "post_compile"
    post.write_text(post.read_text() + "touch generated/setuid && chmod 4755 generated/setuid\nmkfifo generated/pipe\n")
    lines: list[str] = []
    built = builder.build(pack_source(source), lines.append,
                          BuildRequest("demo", sandbox_user, tmp_path / "cache" / "apps" / "demo", {"GREETING": "hi"}))
    app = built.path / "app"
    assert (app / "generated" / "pre.txt").read_text() == "pre_compile saw GREETING=hi\n", lines
    assert (app / "generated" / "post.txt").read_text().startswith("post_compile ")
    assert not (app / "generated" / "pipe").exists()
    for path in [app, *app.rglob("*")]:
        if path.is_symlink() or ".venv" in path.relative_to(app).parts:
            continue
        info = path.lstat()
        assert info.st_uid == 0 and stat.S_IMODE(info.st_mode) & 0o7222 == 0, path


def test_collectstatic_runs_in_the_sandbox(tmp_path: Path, sandbox: Sandbox, sandbox_user: RunAs) -> None:
    builder = Builder(tmp_path / "slugs", tmp_path / "builds", tmp_path / "cache", sandbox)
    lines: list[str] = []
    built = builder.build(pack_source(sample("django_static", tmp_path / "source")), lines.append,
                          BuildRequest("demo", sandbox_user, tmp_path / "cache" / "apps" / "demo"))
    assert (built.path / "app" / "staticfiles" / "staticfiles.json").is_file(), lines


def test_a_dependency_change_as_the_apps_user_links_from_its_cache_and_reuses_bytecode(
        tmp_path: Path, sandbox: Sandbox, sandbox_user: RunAs) -> None:
    """Handing a new venv to root leaves uv's cache the build user's: the next build, with protected hard
    links, still links packages from it, and reuses the .pyc files compiled for them before."""
    builder = Builder(tmp_path / "slugs", tmp_path / "builds", tmp_path / "cache", sandbox)
    source = copy_sample(tmp_path / "source")
    (source / "requirements.txt").write_text("gunicorn\n")
    cache = tmp_path / "cache" / "apps" / "demo"
    request = BuildRequest("demo", sandbox_user, cache)
    builder.build(pack_source(source), lambda _line: None, request)
    cached = sorted((cache / "builder" / "uv").rglob("gunicorn/arbiter.py"))
    assert cached and all(path.stat().st_uid == sandbox_user.uid for path in cached)
    (first_venv,) = [p for p in (cache / "venvs").iterdir() if p.is_dir()]
    arbiter = next(first_venv.rglob("gunicorn/arbiter.py"))
    assert arbiter.stat().st_uid == 0 and arbiter.stat().st_nlink >= 1  # root's, its own inode

    (source / "requirements.txt").write_text("gunicorn\nsix\n")  # a dependency change: a new venv
    lines: list[str] = []
    second = builder.build(pack_source(source), lines.append, request)
    (summary,) = [line for line in lines if "Bytecode:" in line]
    compiled, reused = (int(word) for word in summary.split() if word.isdigit())
    assert reused > 50 and compiled < reused, summary  # gunicorn's modules came from the first venv
    new_arbiter = next((second.path / "app" / ".venv").rglob("gunicorn/arbiter.py"))
    assert new_arbiter.stat().st_ino != arbiter.stat().st_ino  # the first venv's files stay its own
    assert all(path.stat().st_uid == sandbox_user.uid for path in cached)  # and the cache the user's
    assert venv_digest(first_venv) == (cache / "venvs" / f"{first_venv.name}.sha256").read_text().strip()
    python = second.path / "app" / ".venv" / "bin" / "python"  # the reused .pyc files are valid: Python loads them
    verbose = subprocess.run([str(python), "-v", "-c", "import gunicorn.arbiter"], capture_output=True, text=True,
                             env={"PYTHONDONTWRITEBYTECODE": "1"})
    assert "gunicorn/__pycache__/arbiter" in verbose.stderr and "code object from" in verbose.stderr
