"""A local package installed from ./envprobe (not editable: copied into the venv)."""
from importlib import metadata


def describe() -> str:
    return f"envprobe {metadata.version('envprobe')} from {__file__.split('/site-packages/')[0].rsplit('/', 1)[-1]}"
