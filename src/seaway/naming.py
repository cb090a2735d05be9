"""What names and keys users may choose, with errors that say how to fix them."""

from __future__ import annotations

import re

from seaway.errors import Invalid

APP_NAME = re.compile(r"^[a-z][a-z0-9-]{1,28}[a-z0-9]$")
CONFIG_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PROCESS_TYPE = re.compile(r"^[A-Za-z0-9_-]+$")  # web, worker, release, any Procfile name


def check_app_name(name: str, kind: str = "app") -> str:
    """`name`, if it may name an app (or, with `kind`, a pipeline): Heroku's rules."""
    if not APP_NAME.fullmatch(name):
        raise Invalid(
            f"Invalid {kind} name {name!r}: a name must start with a letter, end with a letter or digit, contain only "
            f"lowercase letters, digits and dashes, and be 3 to 30 characters long (e.g. `my-{kind}`)."
        )
    return name


def check_config_key(key: str) -> str:
    if not CONFIG_KEY.fullmatch(key):
        raise Invalid(
            f"Invalid config var name {key!r}: use letters, digits and underscores, not starting with a digit "
            "(e.g. SECRET_KEY)."
        )
    return key


CONFIG_TOTAL_LIMIT = 32 * 1024  # bytes of all of an app's config var names and values (Heroku's limit)


def check_config_changes(current: dict[str, str], changes: dict[str, str | None], owned: dict[str, str]) -> None:
    """Refuse what could never reach a dyno, or is an add-on's to change, before anything is stored.

    `owned` maps the config vars add-ons set to the add-on's name."""
    for key, value in changes.items():
        check_config_key(key)
        if key in owned:
            raise Invalid(
                f"Cannot overwrite attachment values: {key} belongs to the add-on {owned[key]}, and only the add-on "
                f"commands change it (`seaway addons:destroy {owned[key]}` removes it; `addons:create "
                "postgresql --as OTHER` attaches one under another name).")
        if value is not None and "\x00" in value:
            raise Invalid(f"The value of {key} holds a NUL byte, which no process environment can carry: "
                          "remove it (binary data belongs base64-encoded in a config var).")
    merged = {**current, **changes}
    total = sum(len(k.encode()) + len(v.encode()) for k, v in merged.items() if v is not None)
    if total > CONFIG_TOTAL_LIMIT:
        raise Invalid(f"The app's config vars would total {total / 1024:.1f} kB, over the {CONFIG_TOTAL_LIMIT // 1024} "
                      "kB limit: keep large values (certificates, JSON documents) in a file of the app or in "
                      "its database, and put only their location in a config var.")
