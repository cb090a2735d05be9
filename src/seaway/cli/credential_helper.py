"""git's credential helper for Seaway's git URLs (`python -m seaway.cli.credential_helper get`, set up by
`login`, `create` and `git:remote`): the API token as the password, for the API's own scheme and host only.
git runs it on every push, so it imports nothing of the CLI."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from urllib.parse import urlsplit

from seaway.credentials import api_location, author
from seaway.settings import Settings


def answer(operation: str, asked: Iterable[str]) -> str:
    """What to print for git's `operation` (get, store, erase) given its `key=value` lines."""
    if operation != "get":
        return ""  # nothing is stored: the token stays where `seaway login` put it
    fields = dict(line.split("=", 1) for line in asked if "=" in line)
    url, token = api_location(Settings.from_env())
    ours = urlsplit(url)
    if token and fields.get("protocol") == ours.scheme and fields.get("host") == ours.netloc:
        return f"username={author()}\npassword={token}\n"
    return ""


def main() -> None:
    operation = sys.argv[1] if len(sys.argv) > 1 else ""
    sys.stdout.write(answer(operation, sys.stdin.read().splitlines() if operation == "get" else []))


if __name__ == "__main__":
    main()
