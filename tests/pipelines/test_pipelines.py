"""Pipelines and promotion on an in-memory runtime: stages, info, diff (from real git history, or else the
slugs), and promotion of the same slug with the target's own config vars and release phase, refused for
a failed staging release or a slug the target cannot run, and leaving the target serving when it fails."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from seaway.dynos.inmemory import InMemoryRuntime
from seaway.errors import Conflict, Invalid, NotFound
from seaway.platform import Platform
from seaway.release import ReleaseFailed
from seaway.store.models import Commit, Slug
from tests.release.stage import PROCFILE

NewApp = Callable[..., str]


def runtime(platform: Platform) -> InMemoryRuntime:
    assert isinstance(platform.runtime, InMemoryRuntime)
    return platform.runtime


def deploy(platform: Platform, name: str, digest: str, commit: Commit | None = None) -> int:
    slug = platform.store.save_slug(Slug(digest=digest, size=1, python_version="3.12.7", process_types=PROCFILE,
                                         deps_key="d", app_json={}))
    return platform.releaser.create(platform.store.app(name), slug, "Deploy", lambda _line: None, commit=commit).version


@pytest.fixture
def pair(inmemory_platform: Platform, new_app: NewApp) -> tuple[str, str, str]:
    """A pipeline with a staging and a production app, each with its own APP_SETTINGS."""
    staging, production = new_app("stag"), new_app("prod")
    pipeline = f"pipe-{staging[-8:]}"
    inmemory_platform.pipelines.create(pipeline, staging, "staging")
    inmemory_platform.pipelines.add(pipeline, production, "production")
    for name, settings in ((staging, "config.StagingConfig"), (production, "config.ProductionConfig")):
        inmemory_platform.set_config(name, {"APP_SETTINGS": settings}, lambda _line: None)
    return pipeline, staging, production


def promote(platform: Platform, app: str, to: list[str] | None = None, version: int | None = None) -> list[str]:
    lines: list[str] = []
    platform.promotion.promote(app, to, version, lines.append, "tester")
    return lines


def test_stages_are_checked_and_an_app_is_in_one_pipeline(inmemory_platform: Platform, new_app: NewApp,
                                                          pair: tuple[str, str, str]):
    pipeline, staging, production = pair
    other = new_app("other")
    with pytest.raises(Invalid, match="Unknown pipeline stage 'qa': use one of development, staging, production"):
        inmemory_platform.pipelines.add(pipeline, other, "qa")
    with pytest.raises(Conflict, match=f"{staging} is already in pipeline {pipeline} \\(staging\\)"):
        inmemory_platform.pipelines.create("second-pipe", staging, "staging")
    with pytest.raises(Invalid, match="Invalid pipeline name"):
        inmemory_platform.pipelines.create("No Spaces", other, "staging")
    with pytest.raises(NotFound, match="Couldn't find that pipeline: 'nope'"):
        inmemory_platform.pipelines.info("nope")
    assert [p["name"] for p in inmemory_platform.pipelines.list()] == [pipeline]
    assert inmemory_platform.app_info(production)["pipeline"] == {"name": pipeline, "stage": "production"}
    assert inmemory_platform.pipelines.remove(production)["stage"] == "production"
    assert inmemory_platform.pipelines.info(pipeline)["stages"]["production"] == []
    inmemory_platform.destroy_app(staging)  # an app's place goes with it
    assert inmemory_platform.pipelines.list()[0]["apps"] == {}
    assert inmemory_platform.pipelines.destroy(pipeline) == {"destroyed": pipeline, "apps": []}


def test_promotion_releases_the_same_slug_with_the_targets_config_and_release_phase(
        inmemory_platform: Platform, pair: tuple[str, str, str]):
    platform = inmemory_platform
    _pipeline, staging, production = pair
    deploy(platform, production, "1" * 64)
    version = deploy(platform, staging, "2" * 64, Commit("a" * 40, "Add greetings"))
    assert platform.pipelines.info(pair[0])["stages"]["production"][0]["differs"]
    runtime(platform).events.clear()
    lines = promote(platform, staging)

    current = platform.release_info(production, None)
    assert current["slug"] == "2" * 64 and current["description"] == f"Promote {staging} v{version}"
    assert current["promoted_from"] == {"app": staging, "version": version} and current["commit"] == "a" * 40
    assert current["author"] == "tester" and current["status"] == "succeeded"
    assert platform.store.current_release(platform.store.app(production)).config["APP_SETTINGS"] == \
        "config.ProductionConfig"
    assert f"run {production} release.1 flask db upgrade" in runtime(platform).events  # its own release phase
    assert any(event == f"deploy {production} v{current['version']}:web.1" for event in runtime(platform).events)
    assert not [line for line in lines if "Building" in line or "Python app detected" in line]
    assert not platform.pipelines.info(pair[0])["stages"]["production"][0]["differs"]


def test_a_failed_release_on_the_target_keeps_its_release_serving(inmemory_platform: Platform,
                                                                  pair: tuple[str, str, str]):
    platform = inmemory_platform
    _pipeline, staging, production = pair
    before = deploy(platform, production, "1" * 64)
    deploy(platform, staging, "2" * 64)
    runtime(platform).script(lambda spec: spec.app == production and spec.process_type == "release",
                             lambda _spec: (1, ["relation already exists"]))
    with pytest.raises(ReleaseFailed, match=f"Promotion failed on {production}: .*exited with status 1"):
        promote(platform, staging)
    assert platform.release_info(production, None)["version"] == before
    assert platform.releases(production)[0]["status"] == "failed"


def test_a_failed_staging_release_is_not_promoted(inmemory_platform: Platform, pair: tuple[str, str, str]):
    platform = inmemory_platform
    _pipeline, staging, production = pair
    good = deploy(platform, staging, "2" * 64)
    runtime(platform).script(lambda spec: spec.app == staging and spec.process_type == "release",
                             lambda _spec: (1, []))
    with pytest.raises(ReleaseFailed):
        deploy(platform, staging, "3" * 64)
    failed = good + 1
    with pytest.raises(Conflict, match=f"latest release v{failed} failed; v{good} still serves there.*--release {good}"):
        promote(platform, staging)
    with pytest.raises(Conflict, match=f"v{failed} failed: only a release that succeeded can be promoted"):
        promote(platform, staging, version=failed)
    assert platform.releases(production)[0]["description"].startswith("Set APP_SETTINGS")  # nothing made
    promote(platform, staging, version=good)  # on purpose
    assert platform.release_info(production, None)["slug"] == "2" * 64


def test_a_slug_the_target_cannot_run_is_refused(inmemory_platform: Platform, pair: tuple[str, str, str]):
    platform = inmemory_platform
    _pipeline, staging, production = pair
    deploy(platform, staging, "2" * 64)
    runtime(platform).missing_pythons.add("3.12.7")
    with pytest.raises(Conflict, match=f"Cannot promote {staging} v2 to {production}: Python 3.12.7 is not here"):
        promote(platform, staging)
    assert platform.release_info(production, None)["slug"] is None


def test_targets_are_the_next_stage_with_apps_or_those_named(inmemory_platform: Platform, new_app: NewApp,
                                                             pair: tuple[str, str, str]):
    platform = inmemory_platform
    pipeline, staging, production = pair
    development, outsider = new_app("dev"), new_app("out")
    platform.pipelines.add(pipeline, development, "development")
    deploy(platform, development, "4" * 64)
    promote(platform, development)  # to staging, the next stage with apps
    assert platform.release_info(staging, None)["slug"] == "4" * 64
    assert platform.release_info(production, None)["slug"] is None
    promote(platform, development, to=[production])
    assert platform.release_info(production, None)["slug"] == "4" * 64
    with pytest.raises(Invalid, match=f"--to takes other apps of pipeline {pipeline}"):
        promote(platform, development, to=[outsider])
    with pytest.raises(Invalid, match="there is no app downstream to promote to"):
        promote(platform, production)
    with pytest.raises(NotFound, match=f"{outsider} is in no pipeline"):
        promote(platform, outsider)


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def commit(work: Path, subject: str) -> Commit:
    (work / "app.py").write_text(subject)
    git("add", "-A", cwd=work)
    git("-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", subject, cwd=work)
    return Commit(git("rev-parse", "HEAD", cwd=work), subject)


def test_diff_lists_the_commits_between_stages_or_else_compares_slugs(inmemory_platform: Platform,
                                                                     pair: tuple[str, str, str], tmp_path: Path):
    platform = inmemory_platform
    _pipeline, staging, production = pair
    deploy(platform, production, "1" * 64)
    deploy(platform, staging, "2" * 64)
    far = platform.pipelines.diff(staging)["downstream"][0]
    assert (far["same_slug"], far["commits"]) == (False, None)  # no git history: the slugs say they differ

    work = tmp_path / "work"
    work.mkdir()
    git("init", "-q", "-b", "main", cwd=work)
    shipped, first, second = commit(work, "Ship"), commit(work, "Add greetings"), commit(work, "Fix typo")
    git("push", "-q", str(platform.git.ensure(staging)), "main", cwd=work)
    deploy(platform, production, "1" * 64, shipped)
    deploy(platform, staging, "3" * 64, second)
    diff = platform.pipelines.diff(staging)
    assert diff["stage"] == "staging" and diff["commit"] == second.sha
    assert diff["downstream"][0]["commits"] == [{"sha": second.sha, "subject": "Fix typo"},
                                                {"sha": first.sha, "subject": "Add greetings"}]
    promote(platform, staging)
    same = platform.pipelines.diff(staging)["downstream"][0]
    assert (same["same_slug"], same["commits"]) == (True, [])
    with pytest.raises(NotFound, match="nothing downstream to compare with"):
        platform.pipelines.diff(production)


def test_with_several_targets_one_failing_does_not_stop_the_others(inmemory_platform: Platform, new_app: NewApp,
                                                                  pair: tuple[str, str, str]):
    platform = inmemory_platform
    pipeline, staging, production = pair
    second = new_app("prod2")
    platform.pipelines.add(pipeline, second, "production")
    deploy(platform, staging, "2" * 64)
    runtime(platform).script(lambda spec: spec.app == production and spec.process_type == "release",
                             lambda _spec: (1, []))
    with pytest.raises(ReleaseFailed, match=f"Promotion failed on {production}: .* It was promoted to {second} "
                                            "\\(now v1\\)"):
        promote(platform, staging)
    assert platform.release_info(second, None)["slug"] == "2" * 64
    assert platform.release_info(production, None)["slug"] is None
