"""Which Python an app builds with: the request (runtime.txt, .python-version, Pipfile.lock, the last
build, or the default) resolved against the interpreters on this host, following the rules of
Heroku's Python buildpack (precedence, accepted formats, end-of-life versions)."""

from __future__ import annotations

import glob
import json
import os
import re
import subprocess
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from seaway.slugs.errors import BuildError

Warn = Callable[[str], None]

_INT = r"(0|[1-9][0-9]*)"  # no redundant leading zeros
VERSION = re.compile(rf"{_INT}\.{_INT}(?:\.{_INT})?")  # 3.12 or 3.12.4, matched whole
FULL_VERSION = re.compile(rf"{_INT}\.{_INT}\.{_INT}")
OLDEST_SUPPORTED = (3, 10)  # older ones reached end of life
DEPRECATED = {(3, 10): "October 2026"}  # minor -> when it reaches end of life
DOWNLOAD_TIMEOUT = 300  # seconds; without network uv gives up after ~10 s

# Leading/trailing whitespace trimmed from each line: ASCII and Unicode spaces, but not the
# non-breaking or zero-width ones (those are reported, since they hide in copied text).
_SPACES = " \t\n\r\v\f\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2008\u2009\u200a\u2028\u2029\u205f\u3000"
_PRINTABLE = re.compile(r"[\x20-\x7e\t]*")

# Names people give the .python-version file by mistake (the buildpack's list).
MISSPELLED_NAMES = (
    " .python-version", ". python-version", ".python_version.txt", ".python_version", ".python-version ",
    ",python-version", ".python-version.", ".python-version.py", ".python-version.rtf", ".python-version.txt",
    ".python-version.TXT", ".Python-version", ".python.version", ".pythonversion", "'.python-version'",
    "python_version.txt", "python_version", "python-version.", "python-version.txt", "python-version",
)


# -- the interpreters on this host ------------------------------------------------------------------


@dataclass(frozen=True)
class Interpreter:
    path: str
    version: tuple[int, int, int]
    cache_tag: str = ""  # of its .pyc files, e.g. cpython-311

    @property
    def version_text(self) -> str:
        return ".".join(map(str, self.version))


def _candidate_paths() -> set[str]:
    dirs = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d and "shims" not in d]
    dirs += ["/usr/bin", "/usr/local/bin"]
    patterns = [os.path.join(d, name) for d in dirs for name in ("python3", "python3.[0-9]*")]
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    patterns.append(os.path.join(pyenv_root, "versions", "*", "bin", "python3"))
    extra = os.environ.get("SEAWAY_PYTHONS", "")
    patterns += [p for p in extra.split(os.pathsep) if p]
    found = set()
    for pattern in patterns:
        for path in glob.glob(pattern):
            if re.search(r"python3(\.\d+)?$", path) and os.access(path, os.X_OK):
                found.add(os.path.realpath(path))
    return found


def _probe(path: str) -> Interpreter | None:
    try:
        out = subprocess.run(
            [path, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3], sys.implementation.cache_tag)"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    major, minor, patch = (int(x) for x in out[0].split("."))
    return Interpreter(path, (major, minor, patch), out[1]) if (major, minor) >= (3, 8) else None


def _newest_first(interpreters: Iterable[Interpreter]) -> tuple[Interpreter, ...]:
    """One interpreter per exact version (the last one given wins), newest first."""
    found = {i.version: i for i in interpreters}
    return tuple(sorted(found.values(), key=lambda i: i.version, reverse=True))


@lru_cache(maxsize=1)
def _host_interpreters() -> tuple[Interpreter, ...]:
    return _newest_first(filter(None, map(_probe, sorted(_candidate_paths()))))


@lru_cache(maxsize=16)
def _managed_interpreters(managed_dir: str, _mtime_ns: int) -> tuple[Interpreter, ...]:
    """Those in uv's layout, <dir>/cpython-3.11.9-linux-x86_64-gnu/bin/python3. Paths are kept as
    found (not resolved), so each stays inside its own install; the mtime in the key means a new
    install is seen."""
    paths = sorted(p for p in glob.glob(os.path.join(managed_dir, "*", "bin", "python3")) if os.access(p, os.X_OK))
    return _newest_first(filter(None, map(_probe, paths)))


def installed_interpreters(managed_dir: Path | None = None) -> tuple[Interpreter, ...]:
    """Every distinct Python >= 3.8 on the host (and in managed_dir, which wins a tie), newest first."""
    if managed_dir is None or not managed_dir.is_dir():
        return _host_interpreters()
    managed = _managed_interpreters(str(managed_dir.absolute()), managed_dir.stat().st_mtime_ns)
    return _newest_first(_host_interpreters() + managed)


# -- the request ----------------------------------------------------------------------------------


def _parse(text: str) -> tuple[int, int, int | None] | None:
    match = VERSION.fullmatch(text)
    if not match:
        return None
    return int(match[1]), int(match[2]), None if match[3] is None else int(match[3])


def _minor_text(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _version_lines(text: str) -> list[str]:
    """The lines that aren't blank or `#` comments, trimmed (CRLF endings included)."""
    lines = (line.strip(_SPACES) for line in text.split("\n"))
    return [line for line in lines if line and not line.startswith("#")]


def _odd_characters(line: str) -> list[str]:
    odd = dict.fromkeys(ch for ch in line if not _PRINTABLE.fullmatch(ch))
    return [f"U+{ord(ch):04X} ({unicodedata.name(ch, 'a control character')})" for ch in odd]


def _read_runtime_txt(path: Path) -> str:
    lines = _version_lines(path.read_text(encoding="utf-8", errors="replace"))
    match = re.fullmatch(rf"python-({VERSION.pattern})", lines[0]) if len(lines) == 1 else None
    if match is None:
        raise BuildError(
            "runtime.txt must hold one line like `python-3.12` or `python-3.12.4`, and it doesn't. "
            "runtime.txt is deprecated anyway: delete it and put the version in .python-version instead "
            "(e.g. `echo 3.12 > .python-version`)."
        )
    return match[1]


def _check_spelling(app_dir: Path) -> None:
    for name in MISSPELLED_NAMES:
        if (app_dir / name).is_file():
            raise BuildError(f"The file {name!r} looks like a misspelled .python-version, so it is not read. "
                             "Rename it to exactly `.python-version` (leading dot, hyphen, no extension).")


def _decode_version_file(path: Path) -> str:
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        raise BuildError(".python-version starts with a UTF-8 byte order mark (BOM), an invisible character "
                         "some editors add. Save it as UTF-8 without a BOM, e.g. `echo 3.12 > .python-version`.")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BuildError(".python-version is saved as UTF-16 (Windows shell redirection does this). "
                         "Recreate it as plain UTF-8 text with a text editor.")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BuildError(f".python-version is not UTF-8 text ({error.reason} at byte {error.start}). "
                         "Recreate it as plain UTF-8 text containing a version like `3.12`.") from None


def _invalid_line(line: str) -> BuildError:
    odd = _odd_characters(line)
    if odd:
        return BuildError(f".python-version has an invisible or unusual character in {line!r}: {', '.join(odd)}. "
                          "Delete the line and retype it as plain text, e.g. `3.12`.")
    return BuildError(f".python-version asks for Python {line!r}, which is not a version like 3.12 or 3.12.4. "
                      "Write only the version (no `python-` prefix, quotes, wildcards or ranges; "
                      "comments go on their own line starting with `#`).")


def _read_python_version_file(path: Path) -> str:
    lines = _version_lines(_decode_version_file(path))
    for line in lines:  # a bad line is reported before "several versions"
        if _parse(line) is None:
            raise _invalid_line(line)
    if not lines:
        raise BuildError(".python-version holds no version (only blank or `#` comment lines). "
                         "Put one on its own line, without a leading `#`, e.g. `3.12`.")
    if len(lines) > 1:
        raise BuildError(f".python-version lists several versions ({', '.join(lines)}). Keep only one, e.g. `{lines[0]}`.")
    return lines[0]


def _lock_requires(path: Path) -> dict[str, object]:
    try:
        lock = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except json.JSONDecodeError as error:
        raise BuildError(f"Pipfile.lock is not valid JSON ({error}). Run `pipenv lock` to regenerate it.") from None
    meta = lock.get("_meta") if isinstance(lock, dict) else None
    requires = meta.get("requires") if isinstance(meta, dict) else None
    return requires if isinstance(requires, dict) else {}


def _read_pipfile_lock(app_dir: Path) -> str | None:
    """python_full_version, else python_version, from Pipfile.lock's _meta.requires (both optional)."""
    path = app_dir / "Pipfile.lock"
    if not path.is_file():
        return None
    requires = _lock_requires(path)
    value = requires.get("python_full_version")
    if value is None or value is False:
        value = requires.get("python_version")
    if value is None or value is False:
        return None
    text = value if isinstance(value, str) else json.dumps(value)
    if _parse(text) is None:
        raise BuildError(f"Pipfile.lock asks for Python {text!r}, which is not a version like 3.12 or 3.12.4. "
                         "Fix python_version in Pipfile and run `pipenv lock`, or pin it in .python-version.")
    return text


def requested_version(app_dir: Path, package_manager: str = "pip") -> tuple[str, str] | None:
    """(version, where it came from) as the app asks for it: runtime.txt first, then .python-version,
    then (for Pipenv apps) Pipfile.lock; None if it asks for none. Bad files are BuildErrors."""
    if (app_dir / "runtime.txt").is_file():
        return _read_runtime_txt(app_dir / "runtime.txt"), "runtime.txt"
    _check_spelling(app_dir)
    if (app_dir / ".python-version").is_file():
        return _read_python_version_file(app_dir / ".python-version"), ".python-version"
    if package_manager == "pipenv":
        version = _read_pipfile_lock(app_dir)
        if version is not None:
            return version, "Pipfile.lock"
    return None


def _sticky(previous: str | None) -> str | None:
    """The last build's major.minor, if it recorded a sane full version."""
    text = (previous or "").strip().removeprefix("python-")
    return _minor_text(text) if FULL_VERSION.fullmatch(text) else None


# -- the choice ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PythonChoice:
    interpreter: Interpreter
    requested: str  # what was asked, "3.12" or "3.12.4" (for default/cached: the major.minor chosen)
    origin: str  # "runtime.txt" | ".python-version" | "Pipfile.lock" | "cached" | "default"

    def announcement(self) -> str:
        version = self.interpreter.version_text
        if self.origin == "default":
            return f"No Python version was specified. Using the default: Python {version}"
        if self.origin == "cached":
            return f"No Python version was specified. Using the same version as the last build: Python {version}"
        return f"Using Python {version} (requested {self.requested} in {self.origin})"

    def reason(self) -> str:
        if self.origin in ("default", "cached"):
            why = "the default" if self.origin == "default" else "what the last build used"
            major, minor = self.interpreter.version[:2]
            other = f"{major}.{max(minor - 1, OLDEST_SUPPORTED[1])}"
            return f"no .python-version: {self.requested} is {why}; pin one, e.g. `echo {other} > .python-version`"
        return f"Python {self.requested} was requested in {self.origin}"


def _listed(available: tuple[Interpreter, ...]) -> str:
    return ", ".join(i.version_text for i in available) or "none"


def _suggestion(available: tuple[Interpreter, ...]) -> str:
    supported = [i for i in available if i.version[:2] >= OLDEST_SUPPORTED]
    return "%d.%d" % supported[0].version[:2] if supported else "%d.%d" % OLDEST_SUPPORTED


def _default(available: tuple[Interpreter, ...]) -> str:
    supported = [i for i in available if i.version[:2] >= OLDEST_SUPPORTED]
    if not supported:
        raise BuildError(f"No supported Python (3.10 or newer) is installed on this host (found: {_listed(available)}). "
                         "Install one on the host, e.g. with pyenv or uv.")
    return _minor_text(supported[0].version_text)


def _refuse_end_of_life(version: str, origin: str, available: tuple[Interpreter, ...]) -> None:
    major, minor, _patch = _parse(version) or (0, 0, None)
    if (major, minor) >= OLDEST_SUPPORTED:
        return
    fix = f"`echo {_suggestion(available)} > .python-version`"
    if origin == "cached":
        raise BuildError(f"No Python version is pinned and the last build used Python {major}.{minor}, which has "
                         f"reached end of life and is no longer supported. Pin a supported one: {fix}.")
    where = {"runtime.txt": "delete runtime.txt and run",
             "Pipfile.lock": "pin it in .python-version (which overrides Pipfile.lock),"}.get(origin, "e.g.")
    raise BuildError(f"Python {major}.{minor} (requested in {origin}) has reached end of life and is no longer "
                     f"supported; use 3.10 or newer: {where} {fix}.")


def _refuse_for_uv(origin: str, package_manager: str, version: str) -> None:
    if package_manager != "uv":
        return
    if origin == "runtime.txt":
        raise BuildError("runtime.txt isn't supported for uv apps. Delete it and pin the version with "
                         f"`uv python pin {_minor_text(version)}` (it writes .python-version).")
    if origin in ("default", "cached"):
        raise BuildError("uv apps must pin their Python in .python-version, and this one doesn't. "
                         f"Run `uv python pin {_minor_text(version)}` in the app's root and commit the file.")


def _download(version: str, managed_dir: Path) -> str | None:
    """`uv python install` the version into managed_dir; None if that worked, else why not."""
    from uv import find_uv_bin

    managed_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "UV_PYTHON_INSTALL_DIR": str(managed_dir)}
    try:
        result = subprocess.run([find_uv_bin(), "--no-config", "python", "install", "--no-bin", version],
                                cwd=managed_dir, env=env, capture_output=True, text=True, timeout=DOWNLOAD_TIMEOUT)
    except (OSError, subprocess.SubprocessError) as error:
        return str(error)
    _managed_interpreters.cache_clear()
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    return None if result.returncode == 0 else (lines[-1] if lines else f"uv exited with {result.returncode}")


def _best(version: str, available: tuple[Interpreter, ...]) -> Interpreter | None:
    """The exact version asked for, or else the newest of its major.minor."""
    major, minor, patch = _parse(version) or (0, 0, None)
    exact = [i for i in available if i.version == (major, minor, patch)]
    same_minor = [i for i in available if i.version[:2] == (major, minor)]
    return (exact or same_minor or [None])[0]


def _find(version: str, downloads: str, managed_dir: Path | None) -> tuple[Interpreter | None, str]:
    """The best installed match, downloading the exact version first if allowed and not installed;
    also why a download failed ("" if none was tried or it worked)."""
    found = _best(version, installed_interpreters(managed_dir))
    missing = found is None or (version.count(".") == 2 and found.version_text != version)
    if not (missing and downloads == "automatic" and managed_dir is not None):
        return found, ""
    failure = _download(version, managed_dir)
    return _best(version, installed_interpreters(managed_dir)), f" (downloading it failed: {failure})" if failure else ""


def _resolve(version: str, origin: str, warn: Warn, downloads: str, managed_dir: Path | None) -> Interpreter:
    found, tried = _find(version, downloads, managed_dir)
    if found is None:
        available = installed_interpreters(managed_dir)
        where = "the last build" if origin == "cached" else origin
        raise BuildError(f"{where} asks for Python {version}, but no Python {_minor_text(version)} is installed on "
                         f"this host{tried}. Installed: {_listed(available)}. Pin one of those in .python-version "
                         f"(e.g. `echo {_suggestion(available)} > .python-version`), or install it on the host.")
    if version.count(".") == 2 and found.version_text != version:
        warn(f"{origin} asks for Python {version}, which is not installed here{tried}; using {found.version_text} "
             f"(the newest {_minor_text(version)} installed). Pin `{_minor_text(version)}` to accept any patch.")
    return found


def _warn_about_origin(choice: PythonChoice, warn: Warn) -> None:
    minor = _minor_text(choice.interpreter.version_text)
    if choice.origin == "runtime.txt":
        warn(f"runtime.txt is deprecated; delete it and put the version in .python-version instead "
             f"(e.g. `echo {minor} > .python-version`).")
    elif choice.origin in ("default", "cached"):
        why = "the default" if choice.origin == "default" else "kept from the last build"
        warn(f"No Python version is pinned, so Python {minor} ({why}) was used; it may change without notice. "
             f"Pin it: `echo {minor} > .python-version`.")


def _warn_if_deprecated(choice: PythonChoice, warn: Warn) -> None:
    minor = choice.interpreter.version[:2]
    if minor in DEPRECATED:
        where = {"default": "the version in .python-version", "cached": "the version in .python-version",
                 "Pipfile.lock": "python_version in Pipfile (then run `pipenv lock`)"}.get(choice.origin, choice.origin)
        warn(f"Python {minor[0]}.{minor[1]} is deprecated: it reaches end of life in {DEPRECATED[minor]} and "
             f"support for it will end. Upgrade soon by changing {where}.")


def _warn_if_newer_patch(choice: PythonChoice, warn: Warn, managed_dir: Path | None) -> None:
    chosen = choice.interpreter
    if choice.requested != chosen.version_text:  # not pinned to a patch (or already warned)
        return
    newest = _best(_minor_text(chosen.version_text), installed_interpreters(managed_dir))
    if newest is not None and newest.version > chosen.version:
        warn(f"{choice.origin} pins Python {chosen.version_text}, but {newest.version_text} is installed here. "
             f"Pin `{_minor_text(chosen.version_text)}` instead to get patch updates.")


def choose_python(app_dir: Path, warn: Warn, *, package_manager: str = "pip", previous: str | None = None,
                  downloads: str = "never", managed_dir: Path | None = None) -> PythonChoice:
    """The app's Python, by the buildpack's rules; warnings go to warn, refusals are BuildErrors."""
    available = installed_interpreters(managed_dir)
    if not available and downloads != "automatic":
        raise BuildError("No Python interpreter was found on this host. Install one (e.g. apt-get install python3).")
    request = requested_version(app_dir, package_manager)
    cached = _sticky(previous)
    version, origin = request or ((cached, "cached") if cached else (_default(available), "default"))
    _refuse_end_of_life(version, origin, available)
    _refuse_for_uv(origin, package_manager, version)
    choice = PythonChoice(_resolve(version, origin, warn, downloads, managed_dir), version, origin)
    _warn_about_origin(choice, warn)
    _warn_if_deprecated(choice, warn)
    _warn_if_newer_patch(choice, warn, managed_dir)
    return choice


def choose_interpreter(app_dir: Path, warn: Warn) -> Interpreter:
    """The interpreter choose_python() picks, for callers that need only that."""
    return choose_python(app_dir, warn).interpreter
