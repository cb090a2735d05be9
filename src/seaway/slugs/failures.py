"""Reading a failed install's output: which packages failed and why, for an error that names its cause
rather than only the tool's last lines."""

from __future__ import annotations

import re

from seaway.slugs.managers import PackageManager

TAIL_LINES = 8

# uv's warnings that say nothing about the app (its cache on another file system than the venv).
_NOISE = (
    re.compile(r"Failed to hardlink files; falling back to full copy"),
    re.compile(r"hardlinking may not be supported"),
    re.compile(r"UV_LINK_MODE=copy.*--link-mode=copy"),
)

# What failed, in each tool's words: uv, pip (Pipenv's installer) and Poetry.
_FAILED_BUILD = (
    re.compile(r"Failed to build `([^`]+)`"),
    re.compile(r"Failed to build: `([^`]+)`"),
    re.compile(r"Failed building wheel for (\S+)"),
    re.compile(r"^(?:ERROR: )?Failed to build (?:installable wheels for some pyproject\.toml based projects )?"
               r"\(?([\w.\-]+(?:, [\w.\-]+)*)\)?$"),
    re.compile(r"one of the following issues with (\S+ \([^)]+\))"),
)
_UNRESOLVED = (
    re.compile(r"there is no version of ([^\s,]+)"),
    re.compile(r"Because (\S+) was not found in the package registry"),
    re.compile(r"No matching distribution found for (\S+)"),
    re.compile(r"depends on (\S+ \([^)]+\)) which doesn't match any versions"),
    re.compile(r"(\S+) \(from versions: none\)"),
)
_STALE_LOCK = re.compile(r"lockfile at `uv\.lock` needs to be updated|changed significantly since poetry\.lock was "
                         r"last generated|Aborting deploy")  # uv, Poetry, Pipenv (a Pipfile.lock out of date)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def is_noise(line: str) -> bool:
    """A line a build's output leaves out: uv's hard-link fallback warning (its every line)."""
    return any(pattern.search(line) for pattern in _NOISE)


def _matches(lines: list[str], patterns: tuple[re.Pattern[str], ...]) -> list[str]:
    found: list[str] = []
    for raw in lines:
        line = _ANSI.sub("", raw).strip().lstrip("×╰─▶│ ").strip()
        for pattern in patterns:
            if match := pattern.search(line):
                for name in match.group(1).split(", "):
                    name = name.strip("`'\".:")
                    if name and name not in found:
                        found.append(name)
    return found


def failed_packages(lines: list[str]) -> tuple[list[str], list[str]]:
    """(packages that failed to build, requirements that could not be resolved), as the tool named them."""
    return _matches(lines, _FAILED_BUILD), _matches(lines, _UNRESOLVED)


def install_failure_summary(lines: list[str], manager: PackageManager, python_reason: str) -> str:
    """The final error of a failed install: what failed, the Python version and why it was chosen, a hint,
    then the last lines of the tool's output."""
    built, unresolved = failed_packages(lines)
    tool = manager.label.split(" (")[0]
    if any(_STALE_LOCK.search(line) for line in lines):
        head = f"{_lock_name(manager)} is out of sync with {manager.files[0]}: it is never re-locked during a build."
        hint = f"Run `{_relock(manager)}` locally and commit the updated {_lock_name(manager)}."
    elif built:
        head = f"Could not install the dependencies with {tool}: {', '.join(built)} failed to build."
        hint = ("A package that compiles at install time often has no wheel for this Python yet: pin the Python "
                "version the app is developed with, or upgrade the package to a release that supports it.")
    elif unresolved:
        head = f"Could not install the dependencies with {tool}: no match for {', '.join(unresolved)}."
        hint = "Check the name and version on https://pypi.org (and that it supports this Python)."
    else:
        head = f"Could not install the dependencies with {tool}."
        hint = "The output above says what went wrong."
    tail = [_ANSI.sub("", line) for line in lines if line.strip()][-TAIL_LINES:]
    parts = [head, f"Built with {python_reason}." if python_reason else "", hint, "Last lines of the output:",
             *(f"  {line}" for line in tail)]
    return "\n".join(part for part in parts if part)


def _lock_name(manager: PackageManager) -> str:
    return manager.files[-1]


def _relock(manager: PackageManager) -> str:
    return {"uv": "uv lock", "poetry": "poetry lock", "pipenv": "pipenv lock"}.get(manager.name, "pip freeze")
