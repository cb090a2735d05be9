"""Reading the app's Python request: runtime.txt, .python-version and Pipfile.lock, their accepted
formats, precedence and the distinct error for each kind of bad file. No interpreter is needed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seaway.slugs.errors import BuildError
from seaway.slugs.python import MISSPELLED_NAMES, requested_version


def app_with(tmp_path: Path, named: dict[str, str] | None = None, **files: str | bytes) -> Path:
    """Files by keyword (python_version, runtime_txt, pipfile_lock), others by their exact name in `named`."""
    names = {"python_version": ".python-version", "runtime_txt": "runtime.txt", "pipfile_lock": "Pipfile.lock"}
    for key, content in files.items():
        (tmp_path / names[key]).write_bytes(content if isinstance(content, bytes) else content.encode())
    for name, text in (named or {}).items():
        (tmp_path / name).write_text(text)
    return tmp_path


def error_for(app: Path, package_manager: str = "pip") -> str:
    with pytest.raises(BuildError) as info:
        requested_version(app, package_manager)
    return str(info.value)


def lock(**requires: object) -> str:
    return json.dumps({"_meta": {"requires": requires, "hash": {"sha256": "x"}}, "default": {}})


# -- precedence ---------------------------------------------------------------------------------------


def test_nothing_requested(tmp_path: Path):
    assert requested_version(tmp_path) is None


def test_runtime_txt_wins_over_python_version(tmp_path: Path):
    app = app_with(tmp_path, python_version="3.12\n", runtime_txt="python-3.11.7\n")
    assert requested_version(app) == ("3.11.7", "runtime.txt")


def test_python_version_wins_over_pipfile_lock(tmp_path: Path):
    app = app_with(tmp_path, python_version="3.12\n", pipfile_lock=lock(python_version="3.11"))
    assert requested_version(app, "pipenv") == ("3.12", ".python-version")


def test_pipfile_lock_is_read_only_for_pipenv_apps(tmp_path: Path):
    app = app_with(tmp_path, pipfile_lock=lock(python_version="3.11"))
    assert requested_version(app, "pipenv") == ("3.11", "Pipfile.lock")
    assert requested_version(app, "pip") is None
    assert requested_version(app, "uv") is None


# -- .python-version ----------------------------------------------------------------------------------


@pytest.mark.parametrize("content, version", [
    ("3.12", "3.12"),
    ("3.12\n", "3.12"),
    ("3.12.4\n", "3.12.4"),
    ("3.10.0\n", "3.10.0"),
    ("  3.11  \n", "3.11"),
    ("\t3.11\t\n", "3.11"),
    ("# pinned for prod\n\n   3.11.7   \n\n# trailing note\n", "3.11.7"),
    ("# comment\r\n\r\n3.12\r\n", "3.12"),  # CRLF
    ("3.12\r", "3.12"),
    ("\u30003.12\u2003\n", "3.12"),  # Unicode spaces (ideographic, em) are trimmed too
])
def test_python_version_accepted_forms(tmp_path: Path, content: str, version: str):
    assert requested_version(app_with(tmp_path, python_version=content)) == (version, ".python-version")


@pytest.mark.parametrize("text", [
    "python-3.12", "python3.12", "latest", "3", "three.twelve", "3.12.x", "3.12.*", "3.12.1rc1", "pypy3.10",
    "3.12 3.11", ">=3.11", "==3.12", '"3.12"', "3.012", "03.12", "3.12.04", "3.12.4.1", "v3.12", "3.12 # prod",
])
def test_python_version_garbage_is_an_invalid_version_error(tmp_path: Path, text: str):
    message = error_for(app_with(tmp_path, python_version=text + "\n"))
    assert repr(text) in message
    assert "not a version like 3.12 or 3.12.4" in message
    assert "python-" in message  # says not to use the prefix


@pytest.mark.parametrize("char, name", [
    ("\u200b", "U+200B (ZERO WIDTH SPACE)"),
    ("\u00a0", "U+00A0 (NO-BREAK SPACE)"),
    ("\u202f", "U+202F (NARROW NO-BREAK SPACE)"),
    ("\ufeff", "U+FEFF (ZERO WIDTH NO-BREAK SPACE)"),  # a BOM that isn't at the start
    ("\u200e", "U+200E (LEFT-TO-RIGHT MARK)"),
    ("\x00", "U+0000"),
    ("\x1b", "U+001B"),
])
def test_python_version_invisible_characters_are_named(tmp_path: Path, char: str, name: str):
    message = error_for(app_with(tmp_path, python_version=f"# ok\n3.12{char}\n"))
    assert name in message
    assert "invisible or unusual character" in message
    assert "not a version like" not in message


def test_python_version_with_a_utf8_bom(tmp_path: Path):
    message = error_for(app_with(tmp_path, python_version=b"\xef\xbb\xbf3.12\n"))
    assert "byte order mark (BOM)" in message
    assert "without a BOM" in message


def test_python_version_in_utf16(tmp_path: Path):
    message = error_for(app_with(tmp_path, python_version="3.12\r\n".encode("utf-16")))
    assert "UTF-16" in message


def test_python_version_not_utf8(tmp_path: Path):
    assert "not UTF-8" in error_for(app_with(tmp_path, python_version=b"3.12\xe9\n"))


def test_python_version_with_several_versions(tmp_path: Path):
    message = error_for(app_with(tmp_path, python_version="3.12\n# old:\n3.11.7\n"))
    assert "several versions" in message
    assert "3.12, 3.11.7" in message


def test_an_invalid_line_is_reported_before_several_versions(tmp_path: Path):
    message = error_for(app_with(tmp_path, python_version="3.12\nlatest\n"))
    assert "'latest'" in message and "not a version like" in message


@pytest.mark.parametrize("content", ["", "\n\n", "   \n", "# 3.12\n", "#3.12\n\n# nothing\n", "\r\n"])
def test_python_version_without_a_version(tmp_path: Path, content: str):
    message = error_for(app_with(tmp_path, python_version=content))
    assert "holds no version" in message
    assert "#" in message  # explains a commented version doesn't count


@pytest.mark.parametrize("name", MISSPELLED_NAMES)
def test_misspelled_python_version_file(tmp_path: Path, name: str):
    message = error_for(app_with(tmp_path, {name: "3.12\n"}))
    assert repr(name) in message
    assert "`.python-version`" in message


def test_misspelled_file_is_an_error_even_beside_a_python_version(tmp_path: Path):
    app = app_with(tmp_path, {"python-version": "3.12\n"}, python_version="3.12\n")
    assert "misspelled" in error_for(app)


def test_misspelled_file_does_not_matter_when_runtime_txt_decides(tmp_path: Path):
    app = app_with(tmp_path, {".python_version": "3.11\n"}, runtime_txt="python-3.12\n")
    assert requested_version(app) == ("3.12", "runtime.txt")


def test_a_python_version_directory_is_not_a_file(tmp_path: Path):
    (tmp_path / ".python-version").mkdir()
    assert requested_version(tmp_path) is None


# -- runtime.txt ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("content, version", [
    ("python-3.12", "3.12"),
    ("python-3.12.4\n", "3.12.4"),
    ("  python-3.11.7  \r\n", "3.11.7"),
    ("# the runtime\n\npython-3.11\n", "3.11"),
])
def test_runtime_txt_accepted_forms(tmp_path: Path, content: str, version: str):
    assert requested_version(app_with(tmp_path, runtime_txt=content)) == (version, "runtime.txt")


@pytest.mark.parametrize("content", [
    "3.12", "python3.12", "python 3.12", "Python-3.12", "python-3", "python-3.12.x", "python-3.12.1rc1",
    "pypy3.10-7.3", "python-3.12\npython-3.11\n", "", "# only a comment\n", "\ufeffpython-3.12",
])
def test_runtime_txt_bad_format(tmp_path: Path, content: str):
    message = error_for(app_with(tmp_path, runtime_txt=content))
    assert "runtime.txt must hold one line like `python-3.12`" in message
    assert ".python-version" in message  # says to switch


# -- Pipfile.lock ---------------------------------------------------------------------------------------


def test_pipfile_lock_full_version_wins_over_version(tmp_path: Path):
    app = app_with(tmp_path, pipfile_lock=lock(python_version="3.11", python_full_version="3.11.7"))
    assert requested_version(app, "pipenv") == ("3.11.7", "Pipfile.lock")


def test_pipfile_lock_without_a_version_requests_nothing(tmp_path: Path):
    assert requested_version(app_with(tmp_path, pipfile_lock=lock()), "pipenv") is None
    assert requested_version(app_with(tmp_path, pipfile_lock="{}"), "pipenv") is None


def test_pipfile_lock_that_is_not_json(tmp_path: Path):
    message = error_for(app_with(tmp_path, pipfile_lock='{"_meta": {'), "pipenv")
    assert "Pipfile.lock is not valid JSON" in message
    assert "pipenv lock" in message


@pytest.mark.parametrize("version", ["3.11.*", ">=3.11", "3", "", "python-3.11"])
def test_pipfile_lock_bad_version(tmp_path: Path, version: str):
    message = error_for(app_with(tmp_path, pipfile_lock=lock(python_version=version)), "pipenv")
    assert f"Pipfile.lock asks for Python {version!r}" in message
    assert "pipenv lock" in message
