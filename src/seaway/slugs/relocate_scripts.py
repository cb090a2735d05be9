"""Make a venv's console scripts find their interpreter from where they are, not from where they were
installed (Poetry and Pipenv write the install-time path of the venv in each shebang; the venv then moves
into the cache and the slug). Run by the venv's own Python, inside the build's sandbox: `python - VENV`
with this file on stdin, so that it touches only what the build's own user may.

The rewritten scripts start as uv's relocatable ones do: a shell line that runs the `python` next to the
script (after following links) on the script itself, which Python then reads as a string and ignores."""

import os
import sys

SHELL_QUOTE = b"'''"
PREAMBLE = (b"#!/bin/sh\n"
            + SHELL_QUOTE + b"exec' \"$(dirname -- \"$(realpath -- \"$0\")\")\"/'python' \"$0\" \"$@\"\n"
            + b"' " + SHELL_QUOTE + b"\n")


def _body(script, prefix: bytes) -> bytes | None:
    """The script after its shebang when that names the venv's python (as a plain shebang, or in the
    shell form installers use for paths too long for one); None otherwise."""
    first = script.readline()
    if first.startswith(b"#!" + prefix):
        return script.read()
    if first == b"#!/bin/sh\n":
        second, third = script.readline(), script.readline()
        if second.startswith(SHELL_QUOTE + b"exec' ") and prefix in second and third.startswith(b"' " + SHELL_QUOTE):
            return script.read()
    return None


def relocate(venv: str) -> int:
    """Rewrite every script in venv/bin whose shebang names venv/bin/python*; returns how many."""
    prefix = os.path.join(venv, "bin", "python").encode()
    done = 0
    for entry in os.scandir(os.path.join(venv, "bin")):
        if not entry.is_file(follow_symlinks=False):
            continue
        with open(entry.path, "rb") as script:
            body = _body(script, prefix)
        if body is None:
            continue
        with open(entry.path, "wb") as script:
            script.write(PREAMBLE + body)
        done += 1
    return done


if __name__ == "__main__":
    print(f"relocated {relocate(sys.argv[1])} scripts")
