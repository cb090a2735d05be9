"""Picking the app's Python: .python-version / runtime.txt against the interpreters installed on this host.

Versions are taken from installed_interpreters() rather than hard-coded, so these run on any host with Pythons."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from seaway.build.errors import BuildError
from seaway.build.python import (
    Interpreter,
    choose_interpreter,
    installed_interpreters,
    requested_version,
)


@pytest.fixture(scope="module")
def installed() -> tuple[Interpreter, ...]:
    found = installed_interpreters()
    if not found:
        pytest.skip("no Python interpreter on this host")
    return found


def app_with(tmp_path: Path, **files: str) -> Path:
    names = {"python_version": ".python-version", "runtime_txt": "runtime.txt"}
    for key, text in files.items():
        (tmp_path / names[key]).write_text(text)
    return tmp_path


def choose(app_dir: Path) -> tuple[Interpreter, list[str]]:
    warnings: list[str] = []
    return choose_interpreter(app_dir, warnings.append), warnings


def newest_of_each_minor(installed: tuple[Interpreter, ...]) -> dict[tuple[int, int], Interpreter]:
    found: dict[tuple[int, int], Interpreter] = {}
    for interpreter in installed:  # newest first
        found.setdefault(interpreter.version[:2], interpreter)
    return found


def missing_minor(installed: tuple[Interpreter, ...]) -> str:
    minors = {i.version[:2] for i in installed}
    minor = max(m for _, m in minors) + 1
    while (3, minor) in minors:
        minor += 1
    return f"3.{minor}"


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


# -- requested_version -------------------------------------------------------------------


def test_no_version_file_requests_nothing(tmp_path: Path):
    assert requested_version(tmp_path) is None


def test_python_version_file(tmp_path: Path):
    assert requested_version(app_with(tmp_path, python_version="3.12\n")) == ("3.12", ".python-version")


def test_python_version_skips_comments_and_blank_lines(tmp_path: Path):
    app = app_with(tmp_path, python_version="# pinned for prod\n\n   3.11.7   \n3.10\n")
    assert requested_version(app) == ("3.11.7", ".python-version")


def test_runtime_txt_in_heroku_form(tmp_path: Path):
    assert requested_version(app_with(tmp_path, runtime_txt="python-3.11.7\n")) == ("python-3.11.7", "runtime.txt")


def test_python_version_wins_over_runtime_txt(tmp_path: Path):
    app = app_with(tmp_path, python_version="3.12", runtime_txt="python-3.11.7")
    assert requested_version(app) == ("3.12", ".python-version")


def test_empty_version_file_requests_nothing(tmp_path: Path):
    assert requested_version(app_with(tmp_path, python_version="\n# nothing\n")) is None


# -- choose_interpreter ---------------------------------------------------------------------


def test_no_request_picks_the_newest(tmp_path: Path, installed):
    chosen, warnings = choose(tmp_path)
    assert chosen == installed[0]
    assert warnings == []


def test_major_minor_request_picks_that_minor_without_warning(tmp_path: Path, installed):
    for (major, minor), newest in newest_of_each_minor(installed).items():
        chosen, warnings = choose(app_with(tmp_path, python_version=f"{major}.{minor}\n"))
        assert chosen == newest, f"{major}.{minor}"
        assert warnings == []


def test_exact_patch_request_picks_it_without_warning(tmp_path: Path, installed):
    for target in newest_of_each_minor(installed).values():
        chosen, warnings = choose(app_with(tmp_path, python_version=f"{target.version_text}\n"))
        assert chosen == target
        assert warnings == []


def test_patch_mismatch_picks_the_minor_and_warns(tmp_path: Path, installed):
    target = installed[0]
    major, minor, patch = target.version
    asked = f"{major}.{minor}.{patch + 100}"
    chosen, warnings = choose(app_with(tmp_path, python_version=asked))
    assert chosen == target
    assert len(warnings) == 1
    assert asked in warnings[0]
    assert target.version_text in warnings[0]
    assert ".python-version" in warnings[0]


def test_runtime_txt_works_but_warns_it_is_deprecated(tmp_path: Path, installed):
    target = installed[0]
    chosen, warnings = choose(app_with(tmp_path, runtime_txt=f"python-{target.version_text}\n"))
    assert chosen == target
    assert len(warnings) == 1
    assert "runtime.txt is deprecated" in warnings[0]
    assert ".python-version" in warnings[0]


def test_runtime_txt_with_patch_mismatch_warns_twice(tmp_path: Path, installed):
    major, minor, patch = installed[0].version
    chosen, warnings = choose(app_with(tmp_path, runtime_txt=f"python-{major}.{minor}.{patch + 100}"))
    assert chosen == installed[0]
    assert len(warnings) == 2
    assert "runtime.txt" in warnings[0] and installed[0].version_text in warnings[0]
    assert "deprecated" in warnings[1]


def test_unknown_version_is_a_build_error_listing_what_is_installed(tmp_path: Path, installed):
    asked = missing_minor(installed)
    with pytest.raises(BuildError) as info:
        choose(app_with(tmp_path, python_version=asked))
    message = str(info.value)
    assert f"no Python {asked} is installed" in message
    assert ".python-version" in message
    for interpreter in installed:
        assert interpreter.version_text in message


def test_unknown_version_from_runtime_txt_names_runtime_txt(tmp_path: Path, installed):
    with pytest.raises(BuildError, match="runtime.txt"):
        choose(app_with(tmp_path, runtime_txt=f"python-{missing_minor(installed)}.0"))


def test_pythons_older_than_3_8_are_never_chosen(tmp_path: Path, installed):
    with pytest.raises(BuildError, match="no Python 3.7 is installed"):
        choose(app_with(tmp_path, python_version="3.7"))


@pytest.mark.parametrize(
    "text", ["latest", "3", "three.twelve", "3.12.x", "3.12.1rc1", "pypy3.10", "python3.12", "3.12 3.11", ">=3.11"]
)
def test_garbage_version_text_is_a_build_error(tmp_path: Path, installed, text: str):
    with pytest.raises(BuildError) as info:
        choose(app_with(tmp_path, python_version=text))
    message = str(info.value)
    assert repr(text) in message
    assert "not a version like" in message
    assert installed[0].version_text in message


def test_exact_patch_request_picks_that_patch_when_installed(tmp_path: Path, installed):
    newest = newest_of_each_minor(installed)
    older = [i for i in installed if newest[i.version[:2]] != i]
    if not older:
        pytest.skip("no minor version with two patch releases installed on this host")
    target = older[0]
    chosen, warnings = choose(app_with(tmp_path, python_version=target.version_text))
    assert (chosen, warnings) == (target, [])
