"""Picking the app's Python: the request resolved against the interpreters installed on this host
(precedence, sticky versions, end of life, exact patches, managed and downloaded interpreters).

Versions are taken from installed_interpreters() rather than hard-coded, so these run on any host with
Pythons. File formats and their errors are in test_python_files.py."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from seaway.slugs.errors import BuildError
from seaway.slugs.python import (
    Interpreter,
    PythonChoice,
    choose_interpreter,
    choose_python,
    installed_interpreters,
)


@pytest.fixture(scope="module")
def installed() -> tuple[Interpreter, ...]:
    found = installed_interpreters()
    if not found:
        pytest.skip("no Python interpreter on this host")
    return found


@pytest.fixture(scope="module")
def supported(installed) -> tuple[Interpreter, ...]:
    found = tuple(i for i in installed if i.version[:2] >= (3, 10))
    if not found:
        pytest.skip("no supported Python (3.10+) on this host")
    return found


def app_with(tmp_path: Path, **files: str) -> Path:
    names = {"python_version": ".python-version", "runtime_txt": "runtime.txt", "pipfile_lock": "Pipfile.lock"}
    for key, text in files.items():
        (tmp_path / names[key]).write_text(text)
    return tmp_path


def choose(app_dir: Path, **options) -> tuple[PythonChoice, list[str]]:
    warnings: list[str] = []
    return choose_python(app_dir, warnings.append, **options), warnings


def refusal(app_dir: Path, **options) -> str:
    with pytest.raises(BuildError) as info:
        choose(app_dir, **options)
    return str(info.value)


def minor(interpreter: Interpreter) -> str:
    return "%d.%d" % interpreter.version[:2]


def newest_of_each_minor(installed: tuple[Interpreter, ...]) -> dict[tuple[int, int], Interpreter]:
    found: dict[tuple[int, int], Interpreter] = {}
    for interpreter in installed:  # newest first
        found.setdefault(interpreter.version[:2], interpreter)
    return found


def missing_minor(installed: tuple[Interpreter, ...]) -> str:
    minors = {i.version[:2] for i in installed}
    number = max(m for _, m in minors) + 1
    while (3, number) in minors:
        number += 1
    return f"3.{number}"


def two_patches(supported: tuple[Interpreter, ...]) -> tuple[Interpreter, Interpreter]:
    """(newest, older) of one supported minor installed in two patch releases."""
    newest = newest_of_each_minor(supported)
    older = [i for i in supported if newest[i.version[:2]] != i]
    if not older:
        pytest.skip("no minor version with two patch releases installed on this host")
    return newest[older[0].version[:2]], older[0]


def seed_managed(managed_dir: Path, base: Interpreter) -> Path:
    """A venv-like copy of base in uv's layout, <dir>/cpython-X.Y.Z-linux-x86_64-gnu/bin/python3."""
    target = managed_dir / f"cpython-{base.version_text}-linux-x86_64-gnu"
    subprocess.run([base.path, "-m", "venv", "--without-pip", str(target)], check=True, capture_output=True)
    return target / "bin" / "python3"


# -- what is installed -----------------------------------------------------------------


def test_installed_interpreters_are_real_distinct_and_newest_first(installed):
    versions = [i.version for i in installed]
    assert versions == sorted(versions, reverse=True)
    assert len(set(versions)) == len(versions)
    for interpreter in installed:
        assert interpreter.version >= (3, 8, 0)
        assert os.access(interpreter.path, os.X_OK)
        assert interpreter.version_text == "%d.%d.%d" % interpreter.version


def test_interpreter_version_text():
    assert Interpreter("/x/python3", (3, 12, 4)).version_text == "3.12.4"


def test_choose_interpreter_is_choose_python_s_interpreter(tmp_path: Path, supported):
    app = app_with(tmp_path, python_version=minor(supported[0]))
    assert choose_interpreter(app, lambda _w: None) == choose(app)[0].interpreter


# -- precedence --------------------------------------------------------------------------------


def test_no_request_picks_the_newest_supported_and_warns_to_pin(tmp_path: Path, supported):
    choice, warnings = choose(tmp_path)
    assert choice == PythonChoice(supported[0], minor(supported[0]), "default")
    assert choice.interpreter.version[:2] >= (3, 10)  # never an end-of-life one by default
    assert len(warnings) == 1 and "No Python version is pinned" in warnings[0]
    assert f"echo {minor(supported[0])} > .python-version" in warnings[0]
    assert choice.announcement() == f"No Python version was specified. Using the default: Python {supported[0].version_text}"


def test_runtime_txt_wins_over_python_version(tmp_path: Path, supported):
    low, high = supported[-1], supported[0]
    choice, _ = choose(app_with(tmp_path, runtime_txt=f"python-{minor(low)}", python_version=minor(high)))
    assert (choice.origin, choice.interpreter) == ("runtime.txt", low)


def test_python_version_wins_over_pipfile_lock_and_the_last_build(tmp_path: Path, supported):
    low, high = supported[-1], supported[0]
    lock = '{"_meta": {"requires": {"python_version": "%s"}}}' % minor(low)
    app = app_with(tmp_path, python_version=minor(high), pipfile_lock=lock)
    choice, warnings = choose(app, package_manager="pipenv", previous=low.version_text)
    assert (choice.origin, choice.interpreter, choice.requested) == (".python-version", high, minor(high))
    assert choice.announcement() == f"Using Python {high.version_text} (requested {minor(high)} in .python-version)"


def test_pipfile_lock_for_pipenv_apps_without_a_warning(tmp_path: Path, supported):
    target = supported[-1]
    lock = '{"_meta": {"requires": {"python_version": "%s"}}}' % minor(target)
    app = app_with(tmp_path, pipfile_lock=lock)
    choice, warnings = choose(app, package_manager="pipenv", previous=supported[0].version_text)
    assert (choice.origin, choice.interpreter) == ("Pipfile.lock", target)
    assert [w for w in warnings if "deprecated" not in w] == []  # no "pin a version" warning
    assert choose(app, package_manager="pip")[0].origin == "default"  # not read for other managers


def test_the_last_build_s_minor_is_sticky_with_a_warning(tmp_path: Path, supported):
    last = supported[-1]
    choice, warnings = choose(tmp_path, previous=f"{minor(last)}.0")
    assert choice == PythonChoice(newest_of_each_minor(supported)[last.version[:2]], minor(last), "cached")
    assert any("No Python version is pinned" in w and f"echo {minor(last)} > .python-version" in w for w in warnings)
    assert choice.announcement() == ("No Python version was specified. Using the same version as the last build: "
                                     f"Python {choice.interpreter.version_text}")


@pytest.mark.parametrize("previous", ["", "garbage", "3.12", "pypy-3.10.0", "3.12.1rc1"])
def test_an_unusable_last_build_version_falls_back_to_the_default(tmp_path: Path, supported, previous: str):
    assert choose(tmp_path, previous=previous)[0].origin == "default"


def test_the_last_build_version_may_carry_the_python_prefix(tmp_path: Path, supported):
    assert choose(tmp_path, previous=f"python-{supported[-1].version_text}")[0].origin == "cached"


# -- reason() ------------------------------------------------------------------------------------


def test_reason_for_the_default(tmp_path: Path, supported):
    choice, _ = choose(tmp_path)
    major, number = supported[0].version[:2]
    assert choice.reason() == (f"no .python-version: {major}.{number} is the default; pin one, "
                               f"e.g. `echo {major}.{max(number - 1, 10)} > .python-version`")


def test_reason_for_a_file(tmp_path: Path, supported):
    choice, _ = choose(app_with(tmp_path, python_version=minor(supported[0])))
    assert choice.reason() == f"Python {minor(supported[0])} was requested in .python-version"


def test_reason_for_the_last_build(tmp_path: Path, supported):
    reason = choose(tmp_path, previous=supported[0].version_text)[0].reason()
    assert reason.startswith(f"no .python-version: {minor(supported[0])} is what the last build used; pin one")


# -- resolving against what is installed ------------------------------------------------------------


def test_major_minor_request_picks_the_newest_patch(tmp_path: Path, supported):
    for (major, number), newest in newest_of_each_minor(supported).items():
        choice, warnings = choose(app_with(tmp_path, python_version=f"{major}.{number}\n"))
        assert choice.interpreter == newest, f"{major}.{number}"
        assert [w for w in warnings if "deprecated" not in w] == []


def test_newest_patch_request_picks_it_without_warning(tmp_path: Path, supported):
    for target in newest_of_each_minor(supported).values():
        choice, warnings = choose(app_with(tmp_path, python_version=target.version_text))
        assert (choice.interpreter, choice.requested) == (target, target.version_text)
        assert [w for w in warnings if "deprecated" not in w] == []


def test_exact_older_patch_is_chosen_when_installed(tmp_path: Path, supported):
    newest, older = two_patches(supported)
    choice, warnings = choose(app_with(tmp_path, python_version=older.version_text))
    assert choice.interpreter == older
    patch_warnings = [w for w in warnings if "deprecated" not in w]
    assert len(patch_warnings) == 1  # a newer patch is installed: says so, like the buildpack's "update available"
    assert newest.version_text in patch_warnings[0] and f"Pin `{minor(older)}`" in patch_warnings[0]


def test_missing_patch_warns_naming_the_version_used(tmp_path: Path, supported):
    target = supported[0]
    major, number, patch = target.version
    asked = f"{major}.{number}.{patch + 100}"
    choice, warnings = choose(app_with(tmp_path, python_version=asked))
    assert choice.interpreter == target
    assert warnings == [f".python-version asks for Python {asked}, which is not installed here; using "
                        f"{target.version_text} (the newest {major}.{number} installed). Pin `{major}.{number}` "
                        "to accept any patch."]


def test_runtime_txt_works_but_warns_it_is_deprecated(tmp_path: Path, supported):
    target = supported[0]
    choice, warnings = choose(app_with(tmp_path, runtime_txt=f"python-{target.version_text}\n"))
    assert choice.interpreter == target
    assert len(warnings) == 1
    assert "runtime.txt is deprecated" in warnings[0] and ".python-version" in warnings[0]


def test_runtime_txt_with_patch_mismatch_warns_twice(tmp_path: Path, supported):
    major, number, patch = supported[0].version
    choice, warnings = choose(app_with(tmp_path, runtime_txt=f"python-{major}.{number}.{patch + 100}"))
    assert choice.interpreter == supported[0]
    assert len(warnings) == 2
    assert "runtime.txt" in warnings[0] and supported[0].version_text in warnings[0]
    assert "deprecated" in warnings[1]


def test_python_3_10_is_deprecated(tmp_path: Path, supported):
    if not any(i.version[:2] == (3, 10) for i in supported):
        pytest.skip("no Python 3.10 on this host")
    choice, warnings = choose(app_with(tmp_path, python_version="3.10"))
    assert choice.interpreter.version[:2] == (3, 10)
    assert warnings == ["Python 3.10 is deprecated: it reaches end of life in October 2026 and support for it "
                        "will end. Upgrade soon by changing .python-version."]


def test_unknown_version_is_a_build_error_listing_what_is_installed(tmp_path: Path, installed):
    asked = missing_minor(installed)
    message = refusal(app_with(tmp_path, python_version=asked))
    assert f"no Python {asked} is installed" in message
    assert ".python-version" in message
    for interpreter in installed:
        assert interpreter.version_text in message


def test_unknown_version_from_runtime_txt_names_runtime_txt(tmp_path: Path, installed):
    assert "runtime.txt asks for" in refusal(app_with(tmp_path, runtime_txt=f"python-{missing_minor(installed)}.0"))


# -- end of life ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("asked", ["3.9", "3.9.18", "3.8", "3.7.16", "3.6", "2.7", "2.7.18", "3.0"])
def test_end_of_life_versions_are_refused(tmp_path: Path, supported, asked: str):
    message = refusal(app_with(tmp_path, python_version=asked))  # installed or not
    version = ".".join(asked.split(".")[:2])
    assert f"Python {version} (requested in .python-version) has reached end of life" in message
    assert f"`echo {minor(supported[0])} > .python-version`" in message


def test_end_of_life_from_runtime_txt_says_to_move_to_python_version(tmp_path: Path, supported):
    message = refusal(app_with(tmp_path, runtime_txt="python-3.9.18"))
    assert "requested in runtime.txt" in message and "delete runtime.txt" in message


def test_end_of_life_last_build_is_refused(tmp_path: Path, supported):
    message = refusal(tmp_path, previous="3.9.18")
    assert "last build used Python 3.9" in message and "end of life" in message
    assert f"echo {minor(supported[0])} > .python-version" in message


# -- uv apps -----------------------------------------------------------------------------------------------


def test_uv_apps_must_have_a_python_version_file(tmp_path: Path, supported):
    assert "uv apps must pin their Python in .python-version" in refusal(tmp_path, package_manager="uv")
    message = refusal(tmp_path, package_manager="uv", previous=supported[0].version_text)
    assert f"uv python pin {minor(supported[0])}" in message


def test_uv_apps_cannot_use_runtime_txt(tmp_path: Path, supported):
    message = refusal(app_with(tmp_path, runtime_txt=f"python-{minor(supported[0])}"), package_manager="uv")
    assert "runtime.txt isn't supported for uv apps" in message


def test_uv_apps_with_python_version_are_fine(tmp_path: Path, supported):
    choice, warnings = choose(app_with(tmp_path, python_version=minor(supported[0])), package_manager="uv")
    assert (choice.interpreter, warnings) == (supported[0], [])


# -- managed interpreters and downloads ------------------------------------------------------------------------


def test_downloads_never_does_not_run_uv(tmp_path: Path, supported):
    major, number, patch = supported[0].version
    app = tmp_path / "app"
    app.mkdir()
    (app / ".python-version").write_text(f"{major}.{number}.{patch + 100}")
    managed = tmp_path / "managed"
    choice, warnings = choose(app, downloads="never", managed_dir=managed)
    assert choice.interpreter == supported[0]
    assert not managed.exists()  # a download would have created it
    assert "downloading" not in warnings[0]


def test_pre_seeded_managed_interpreter_is_found_and_preferred(tmp_path: Path, supported):
    base = supported[-1]
    seeded = seed_managed(tmp_path / "managed", base)
    found = installed_interpreters(tmp_path / "managed")
    assert Interpreter(str(seeded), base.version, base.cache_tag) in found
    assert len({i.version for i in found}) == len(found)
    assert seeded.as_posix() not in {i.path for i in installed_interpreters()}  # only with managed_dir

    app = app_with(tmp_path, python_version=base.version_text)
    choice, warnings = choose(app, managed_dir=tmp_path / "managed")
    assert choice.interpreter.path == str(seeded)  # it wins the tie with the host's copy
    assert choice.interpreter.version == base.version


def test_a_new_managed_interpreter_is_seen_without_restarting(tmp_path: Path, supported):
    managed = tmp_path / "managed"
    managed.mkdir()
    assert installed_interpreters(managed) == installed_interpreters()
    seeded = seed_managed(managed, supported[0])
    assert str(seeded) in {i.path for i in installed_interpreters(managed)}


def _missing_real_patch(supported: tuple[Interpreter, ...]) -> str | None:
    """A released patch (older than one installed) that isn't installed, e.g. 3.11.0."""
    versions = {i.version for i in supported}
    for major, number, patch in sorted(versions):
        for candidate in range(patch):
            if (major, number, candidate) not in versions:
                return f"{major}.{number}.{candidate}"
    return None


def test_downloads_automatic_tries_uv_and_falls_back_cleanly(tmp_path: Path, supported):
    asked = _missing_real_patch(supported)
    if asked is None:
        pytest.skip("every older patch is installed")
    managed = tmp_path / "managed"
    app = tmp_path / "app"
    app.mkdir()
    (app / ".python-version").write_text(asked)
    choice, warnings = choose(app, downloads="automatic", managed_dir=managed)
    if choice.interpreter.version_text == asked:  # the host is online: uv installed it
        assert choice.interpreter.path.startswith(str(managed))
    else:  # offline (as in CI here): uv fails in ~10 s and the newest installed patch is used
        assert choice.interpreter == newest_of_each_minor(supported)[choice.interpreter.version[:2]]
        assert f"asks for Python {asked}, which is not installed here (downloading it failed: " in warnings[0]
        assert f"using {choice.interpreter.version_text}" in warnings[0]


def test_downloads_automatic_for_an_unknown_minor_is_still_a_clean_error(tmp_path: Path, installed):
    asked = missing_minor(installed)
    app = tmp_path / "app"
    app.mkdir()
    (app / ".python-version").write_text(asked)
    message = refusal(app, downloads="automatic", managed_dir=tmp_path / "managed")
    assert f"no Python {asked} is installed on this host (downloading it failed: " in message
