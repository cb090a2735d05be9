"""What names and keys users may choose, with errors that say how to fix them."""

from __future__ import annotations

import re

from seaway.store import StoreError

APP_NAME = re.compile(r"^[a-z][a-z0-9-]{1,28}[a-z0-9]$")
CONFIG_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_app_name(name: str) -> str:
    if not APP_NAME.fullmatch(name):
        raise StoreError(
            f"Invalid app name {name!r}: a name must start with a letter, end with a letter or digit, contain only "
            "lowercase letters, digits and dashes, and be 3 to 30 characters long (e.g. `my-app`).", 422
        )
    return name


def check_config_key(key: str) -> str:
    if not CONFIG_KEY.fullmatch(key):
        raise StoreError(
            f"Invalid config var name {key!r}: use letters, digits and underscores, not starting with a digit "
            "(e.g. SECRET_KEY).", 422
        )
    return key
