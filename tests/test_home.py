"""prepare_home's folder modes, and the 0600 files the router makes with home's helpers."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from seaway.home import PASS_THROUGH, PRIVATE, fresh_private_file, prepare_home, private_file, write_secret
from seaway.settings import Settings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_prepare_home_gives_each_folder_its_mode(tmp_path: Path):
    settings = Settings(home=tmp_path / "home")
    prepare_home(settings)
    assert {name: mode(settings.home / name) for name in sorted(os.listdir(settings.home))} == {
        "backups": PRIVATE, "builds": PASS_THROUGH, "cache": PASS_THROUGH, "logs": PRIVATE, "router": PRIVATE,
        "git": PRIVATE, "pythons": 0o755, "run": PASS_THROUGH, "seaway.db": 0o600, "slugs": PASS_THROUGH,
        "tls": PRIVATE,
    }  # pythons: readable by builds
    assert mode(settings.home) == PASS_THROUGH


def test_prepare_home_closes_a_router_folder_left_open_by_an_older_version(tmp_path: Path):
    settings = Settings(home=tmp_path / "home")
    settings.router_dir.mkdir(parents=True, mode=0o755)
    os.chmod(settings.router_dir, 0o711)
    (settings.home / "seaway.db").touch(mode=0o644)
    prepare_home(settings)
    assert mode(settings.router_dir) == 0o700
    assert mode(settings.home / "seaway.db") == 0o600


def test_private_file_creates_0600_and_tightens_an_existing_file_keeping_its_content(tmp_path: Path):
    os.umask(old := os.umask(0))  # the most permissive umask: the mode must not depend on it
    try:
        private_file(tmp_path / "new.log")
        existing = tmp_path / "old.log"
        existing.write_text("kept\n")
        existing.chmod(0o644)
        private_file(existing)
    finally:
        os.umask(old)
    assert mode(tmp_path / "new.log") == 0o600 and (tmp_path / "new.log").read_text() == ""
    assert mode(existing) == 0o600 and existing.read_text() == "kept\n"


def test_fresh_private_file_replaces_in_one_step_and_a_holder_keeps_the_old_file(tmp_path: Path):
    path = tmp_path / "access.log"
    path.write_text("old records\n")
    path.chmod(0o644)
    with open(path, "a") as holder:  # nginx, still writing to the file it opened
        fresh_private_file(path)
        holder.write("late record\n")
        holder.flush()
        assert os.fstat(holder.fileno()).st_nlink == 0  # unlinked, still written to
        assert os.fstat(holder.fileno()).st_ino != path.stat().st_ino
    assert path.read_text() == "" and mode(path) == 0o600
    assert sorted(os.listdir(tmp_path)) == ["access.log"]  # no candidate left behind


def test_write_secret_is_private_from_the_start_and_follows_no_link(tmp_path: Path):
    old_umask = os.umask(0)  # the mode must not depend on the umask
    try:
        write_secret(tmp_path / "secret", "s3cr3t")
    finally:
        os.umask(old_umask)
    assert mode(tmp_path / "secret") == 0o600 and (tmp_path / "secret").read_text() == "s3cr3t"
    (tmp_path / "open").write_text("a much longer old content")
    os.chmod(tmp_path / "open", 0o644)
    write_secret(tmp_path / "open", "new")
    assert mode(tmp_path / "open") == 0o600 and (tmp_path / "open").read_text() == "new"
    (tmp_path / "target").write_text("keep")
    (tmp_path / "link").symlink_to(tmp_path / "target")
    with pytest.raises(OSError):
        write_secret(tmp_path / "link", "x")
    assert (tmp_path / "target").read_text() == "keep"
