"""Procfile parsing: `name: command` lines, `#` comments; the first colon splits."""

from __future__ import annotations

from seaway.naming import PROCESS_TYPE
from seaway.slugs.errors import BuildError


def parse_procfile(text: str) -> dict[str, str]:
    processes: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, colon, command = line.partition(":")
        name, command = name.strip(), command.strip()
        if not colon or not PROCESS_TYPE.fullmatch(name) or not command:
            raise BuildError(
                f"Procfile line {number} is not `name: command`: {raw!r}. "
                "Each line names a process type (letters, digits, - and _) and the command that runs it."
            )
        if name in processes:
            raise BuildError(f"Procfile declares the process type {name!r} twice (line {number}); keep one.")
        processes[name] = command
    return processes
