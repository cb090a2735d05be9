"""A local package installed from ./envprobe (not editable: copied into the venv)."""
from importlib import metadata


def describe() -> str:
    where = "the venv" if "/site-packages/" in __file__ else __file__
    return f"envprobe {metadata.version('envprobe')} from {where}"
