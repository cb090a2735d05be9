"""An app's system user: removed, or said when it could not be (a user left behind keeps its uid); renamed
with its uid, or refused while it runs a process."""

from __future__ import annotations

import grp
import os
import pwd
import socket
import subprocess
from pathlib import Path

import pytest

from seaway.host import (
    app_user_name,
    ensure_system_user,
    port_holder,
    port_taken,
    remove_app_user,
    rename_app_user,
)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="creates system users: needs root")
PASSWD_LOCK = Path("/etc/passwd.lock")  # shadow-utils' lock: held by a live pid, userdel refuses


def test_a_removed_user_is_gone() -> None:
    ensure_system_user(app_user_name("host-gone"), "Seaway host test")
    assert remove_app_user("host-gone", []) is None
    with pytest.raises(KeyError):
        pwd.getpwnam(app_user_name("host-gone"))


def test_a_user_that_userdel_could_not_remove_is_reported() -> None:
    name = app_user_name("host-left")
    uid = ensure_system_user(name, "Seaway host test").uid
    assert not PASSWD_LOCK.exists()
    PASSWD_LOCK.write_text(f"{os.getpid()}")
    try:
        left = remove_app_user("host-left", [])
    finally:
        PASSWD_LOCK.unlink()
    try:
        assert left is not None and left.startswith(f"The system user {name} (uid {uid}) was left behind: userdel said:")
        assert f"`userdel {name}`" in left
        assert pwd.getpwnam(name).pw_uid == uid
    finally:
        assert remove_app_user("host-left", []) is None


def test_a_renamed_user_keeps_its_uid_and_group(tmp_path: Path) -> None:
    uid = ensure_system_user(app_user_name("host-before"), "Seaway app host-before").uid
    owned = tmp_path / "owned"
    owned.touch()
    os.chown(owned, uid, -1)
    try:
        assert rename_app_user("host-before", "host-after") is None
        after = pwd.getpwnam(app_user_name("host-after"))
        assert (after.pw_uid, after.pw_gecos) == (uid, "Seaway app host-after")
        assert grp.getgrgid(after.pw_gid).gr_name == app_user_name("host-after")
        assert pwd.getpwuid(owned.stat().st_uid).pw_name == app_user_name("host-after")
        with pytest.raises(KeyError):
            pwd.getpwnam(app_user_name("host-before"))
    finally:
        remove_app_user("host-before", [])
        remove_app_user("host-after", [])


def test_renaming_onto_a_user_left_behind_is_refused_with_the_way_out() -> None:
    ensure_system_user(app_user_name("host-from"), "Seaway host test")
    ensure_system_user(app_user_name("host-left-over"), "Seaway host test")
    try:
        refused = rename_app_user("host-from", "host-left-over")
        assert refused is not None and "exists already" in refused and "`userdel s-host-left-over`" in refused
        assert pwd.getpwnam(app_user_name("host-from"))
    finally:
        remove_app_user("host-from", [])
        remove_app_user("host-left-over", [])


def test_renaming_a_user_that_runs_a_process_is_refused() -> None:
    user = ensure_system_user(app_user_name("host-busy"), "Seaway host test")
    sleeper = subprocess.Popen(["sleep", "60"], user=user.uid, group=user.gid)
    try:
        refused = rename_app_user("host-busy", "host-idle")
        assert refused is not None and "usermod said:" in refused and "wait for it to end" in refused
        assert pwd.getpwnam(app_user_name("host-busy")).pw_uid == user.uid
    finally:
        sleeper.kill()
        sleeper.wait()
        remove_app_user("host-busy", [])


def test_a_taken_port_names_its_holder():
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        message = port_taken("The router", "127.0.0.1", port, "SEAWAY_ROUTER_PORT")
        assert message is not None and f"127.0.0.1:{port} is taken by " in message
        assert f"pid {os.getpid()}" in message and "SEAWAY_ROUTER_PORT=PORT" in message
    assert port_holder("127.0.0.1", port) is None
