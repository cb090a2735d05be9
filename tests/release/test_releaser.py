"""The Releaser and its release phase, through the in-memory runtime: what is recorded, in which order the
phase's steps run, what a failure at each point leaves serving."""

from __future__ import annotations

from pathlib import Path

import pytest

from seaway.release import ReleaseFailed
from seaway.release.phase import PhaseContext
from tests.release.stage import Recorder, Stage, eventually


@pytest.fixture
def stage(tmp_path: Path) -> Stage:
    return Stage(tmp_path)


def releasing(spec) -> bool:  # type: ignore[no-untyped-def]
    return spec.process_type == "release"


def test_a_deploy_runs_the_phase_in_order_then_switches(stage: Stage):
    app = stage.app(formation={"web": 2, "worker": 1})
    release = stage.deploy(app, stage.slug())
    assert release.version == 1 and release.status == "succeeded"
    assert stage.seen == ["check v1"]
    assert stage.runtime.events == ["run myapp release.1 flask db upgrade",
                                    "deploy myapp v1:web.1 v1:web.2 v1:worker.1"]
    assert [d.name for d in stage.runtime.status("myapp")] == ["web.1", "web.2", "worker.1"]
    assert stage.runtime.serving("myapp") == 1
    assert "-----> Running release command: flask db upgrade" in stage.output
    assert stage.output[-1] == "-----> Switched to v1"
    assert "Release v1 is live" in stage.log()[-1]


def test_the_phase_runs_only_for_a_slug_with_a_release_command(stage: Stage):
    app = stage.app()
    stage.deploy(app, stage.slug(process_types={"web": "gunicorn app:app"}))
    assert stage.seen == [] and [e.split()[0] for e in stage.runtime.events] == ["deploy"]


def test_dyno_specs_carry_the_release_and_the_apps_settings(stage: Stage):
    app = stage.app()
    stage.store.change_config(app, {"SECRET": "s"})
    stage.store.update_settings(app, boot_timeout=99)
    stage.deploy(app, stage.slug())
    release_spec, = stage.runtime.one_offs_run
    assert release_spec.env["SECRET"] == "s" and release_spec.release == 1
    assert release_spec.boot_timeout == 99 and release_spec.stop_timeout == 3 and release_spec.memory_mb == 256
    assert release_spec.user is None  # the runtime decides who runs it


def test_a_failing_release_command_leaves_the_previous_release_serving(stage: Stage):
    app = stage.app()
    stage.deploy(app, stage.slug())
    stage.runtime.script(releasing, lambda _spec: (3, ["Traceback", "KeyError: 'x'"]))
    with pytest.raises(ReleaseFailed) as failed:
        stage.deploy(app, stage.slug("b" * 64))
    message = str(failed.value)
    assert "the release command `flask db upgrade` exited with status 3. v1 is still serving." in message
    assert "Its last 2 lines of output:\n  Traceback\n  KeyError: 'x'" in message
    assert stage.store.release(app, 2).status == "failed"
    assert stage.store.current_release(stage.store.app("myapp")).version == 1
    assert stage.runtime.serving("myapp") == 1
    assert stage.runtime.events[-1].startswith("run myapp release.1")  # nothing deployed after it
    assert any("app[release.1]: KeyError: 'x'" in line for line in stage.log())


def test_a_release_command_that_times_out_fails_the_release(stage: Stage):
    app = stage.app()
    stage.store.update_settings(app, release_timeout=5)
    stage.runtime.script(releasing, lambda _spec: (None, []))
    with pytest.raises(ReleaseFailed, match=r"still running after 5 seconds and was stopped \(apps:settings "
                                            r"release_timeout=SECONDS\)\. Nothing was switched\."):
        stage.deploy(app, stage.slug())
    assert stage.runtime.formations == {}


def test_a_step_that_fails_stops_the_phase_and_its_notes_are_in_later_failures(tmp_path: Path):
    seen: list[str] = []

    def note(context: PhaseContext) -> None:
        context.notes.append("Restore backup b007.")

    def refuse(_context: PhaseContext) -> None:
        raise ReleaseFailed("conflicting migrations, so nothing was run")

    stage = Stage(tmp_path, steps=[Recorder("backup", seen, note), Recorder("lint", seen, refuse),
                                   Recorder("never", seen)])
    app = stage.app()
    with pytest.raises(ReleaseFailed, match="conflicting migrations"):
        stage.deploy(app, stage.slug())
    assert seen == ["backup v1", "lint v1"]
    assert stage.runtime.events == []

    stage = Stage(tmp_path / "other", steps=[Recorder("backup", seen, note)])
    app = stage.app()
    stage.runtime.script(releasing, lambda _spec: (1, []))
    with pytest.raises(ReleaseFailed, match=r"exited with status 1\. Nothing was switched\. Restore backup b007\."):
        stage.deploy(app, stage.slug())


def test_a_step_may_skip_the_release_command(tmp_path: Path):
    def skip(context: PhaseContext) -> None:
        context.skip_command = "the schema is ahead of the code"

    stage = Stage(tmp_path, steps=[Recorder("check", [], skip)])
    app = stage.app()
    release = stage.deploy(app, stage.slug())
    assert release.status == "succeeded"
    assert stage.runtime.one_offs_run == []
    assert " !     Not running the release command: the schema is ahead of the code" in stage.output
    assert any("release command skipped: the schema is ahead of the code" in line for line in stage.log())


def test_dynos_that_do_not_boot_fail_the_release_and_nothing_switches(stage: Stage):
    app = stage.app(formation={"web": 1, "worker": 1})
    stage.deploy(app, stage.slug())
    stage.runtime.fail_boot("myapp", "worker", "exited with status 1 during boot")
    with pytest.raises(ReleaseFailed, match=r"worker\.1 exited with status 1 during boot\. v1 is still serving\."):
        stage.deploy(app, stage.slug("b" * 64))
    assert {d.release for d in stage.runtime.status("myapp")} == {1}
    assert stage.store.release(app, 2).status == "failed"


def test_a_config_change_is_a_release_of_the_live_slug(stage: Stage):
    app = stage.app()
    stage.deploy(app, stage.slug())
    release = stage.releaser.create(app, None, "Set DEBUG config vars", stage.output.append, changes={"DEBUG": "1"})
    assert release.version == 2 and release.slug_digest == "a" * 64 and release.config == {"DEBUG": "1"}
    assert stage.runtime.status("myapp")[0].release == 2


def test_a_release_without_code_records_the_config_and_starts_nothing(stage: Stage):
    app = stage.app()
    release = stage.releaser.create(app, None, "Set A config vars", stage.output.append, changes={"A": "1"})
    assert release.status == "succeeded" and release.slug_digest is None
    assert stage.runtime.events == []


def test_the_watch_switches_back_when_a_new_web_dyno_crashes(tmp_path: Path):
    stage = Stage(tmp_path, release_watch=60)
    app = stage.app()
    stage.deploy(app, stage.slug())
    stage.runtime.crash_watched("myapp", "web.1", exit_code=3, lines=("ImportError: no module named app",))
    release = stage.deploy(app, stage.slug("b" * 64))
    assert release.status == "succeeded"
    assert any("v1's stay up out of rotation" in line for line in stage.output)
    eventually(lambda: stage.store.release(app, 2).status == "failed")
    assert stage.runtime.serving("myapp") == 1
    assert stage.store.current_release(stage.store.app("myapp")).version == 1
    output = stage.store.release(app, 2).output
    assert "web.1 crashed" in output and "(exit status 3); v1 is serving again" in output
    assert "ImportError: no module named app" in output


def test_the_next_change_ends_the_watch_keeping_the_watched_release(tmp_path: Path):
    stage = Stage(tmp_path, release_watch=3600)
    app = stage.app()
    stage.deploy(app, stage.slug())
    stage.deploy(app, stage.slug("b" * 64))
    assert stage.runtime.held["myapp"][0].spec.release == 1
    assert stage.watcher.watching("myapp") is not None
    stage.formations.restart(app, None, stage.output.append)  # a change: the watch ends first
    assert stage.watcher.watching("myapp") is None and "myapp" not in stage.runtime.held
    assert "kept: the app changed again" in stage.store.release(app, 2).output
    assert stage.store.release(app, 2).status == "succeeded"


def test_rollback_makes_a_release_of_the_earlier_slug_and_config_keeping_add_on_vars(stage: Stage):
    app = stage.app()
    stage.store.change_config(app, {"MODE": "one"})
    stage.deploy(app, stage.slug())
    stage.store.add_addon(app, "postgresql-x", "postgresql", "DATABASE_URL", {})
    stage.releaser.create(app, stage.slug("b" * 64), "Deploy", stage.output.append,
                          changes={"MODE": "two", "DATABASE_URL": "postgres://new"})
    release = stage.rollbacks.rollback(app, None, stage.output.append, "me")
    assert (release.version, release.rollback_of, release.slug_digest) == (3, 1, "a" * 64)
    assert release.config == {"MODE": "one", "DATABASE_URL": "postgres://new"}
    assert release.description == "Rollback to v1"
    assert stage.runtime.serving("myapp") == 3


def test_one_offs_run_on_the_live_release(stage: Stage):
    app = stage.app()
    stage.deploy(app, stage.slug())
    stage.runtime.script(lambda spec: spec.command == "python manage.py shell", lambda _spec: (0, [">>> "]))
    chunks: list[str] = []
    dyno = stage.runtime.run_attached(stage.specs.one_off(app, "python manage.py shell", tty=(80, 24)), chunks.append)
    assert (dyno.spec.name, dyno.spec.release, dyno.spec.tty, dyno.wait()) == ("run.1", 1, (80, 24), 0)
    assert chunks == [">>> \r\n"]
    assert stage.specs.one_off(app, "true").name == "run.2"
