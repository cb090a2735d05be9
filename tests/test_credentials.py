"""The credentials file: API URL and admin token, readable by its owner only."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from seaway.credentials import read_credentials, write_credentials


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_write_then_read(tmp_path: Path):
    path = tmp_path / "credentials"
    write_credentials(path, "http://127.0.0.1:5050", "s3cr3t-t0ken_x")
    assert read_credentials(path) == {"SEAWAY_API_URL": "http://127.0.0.1:5050", "SEAWAY_API_TOKEN": "s3cr3t-t0ken_x"}
    assert path.read_text() == "SEAWAY_API_URL=http://127.0.0.1:5050\nSEAWAY_API_TOKEN=s3cr3t-t0ken_x\n"


def test_file_mode_is_0600(tmp_path: Path):
    path = tmp_path / "credentials"
    old_umask = os.umask(0)  # even a permissive umask must not widen it
    try:
        write_credentials(path, "http://x", "t")
    finally:
        os.umask(old_umask)
    assert mode(path) == 0o600


def test_rewriting_a_wider_file_narrows_it_and_replaces_the_content(tmp_path: Path):
    path = tmp_path / "credentials"
    path.write_text("SEAWAY_API_TOKEN=old-and-much-longer-token-value\nSTALE=1\n")
    os.chmod(path, 0o644)
    write_credentials(path, "http://new", "new")
    assert mode(path) == 0o600
    assert read_credentials(path) == {"SEAWAY_API_URL": "http://new", "SEAWAY_API_TOKEN": "new"}


def test_missing_file_reads_as_empty(tmp_path: Path):
    assert read_credentials(tmp_path / "nope") == {}


def test_read_tolerates_blank_lines_spaces_and_equals_in_values(tmp_path: Path):
    path = tmp_path / "credentials"
    path.write_text("\n  SEAWAY_API_URL = http://h:1/?a=b  \n\nSEAWAY_API_TOKEN=abc==\n=orphan\n")
    assert read_credentials(path) == {"SEAWAY_API_URL": "http://h:1/?a=b", "SEAWAY_API_TOKEN": "abc=="}
