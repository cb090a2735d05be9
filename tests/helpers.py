"""Small helpers shared by unit tests."""

from __future__ import annotations

from pathlib import Path


def make_tree(root: Path, files: dict[str, str]) -> Path:
    """Write `files` (relative path -> text) under `root`."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root
