"""sandbox/: Heroku's container semantics from Linux itself, for dynos and builds when the daemon is root.

`Sandbox` is the host's side (the skeleton root, the dyno network, the control groups), set up once
per daemon; `Sandbox.open` gives one sandbox (a `Jail`) to run commands in, and `close` takes it
down. Nothing here knows what a dyno or a build is: dynos/ and the build stage describe what a
sandbox holds with a `JailSpec`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from seaway.host import RunAs, is_root
from seaway.sandbox.cgroups import Cgroup, Cgroups, kill_all
from seaway.sandbox.jail import SETUP_FAILED, Jail, JailSpec, environment_file
from seaway.sandbox.network import DynoNetwork, Lease, NetworkError
from seaway.sandbox.view import Bind, Overlay, Skeleton, check_overlay_paths

CLOSE_DELAY = 2.0  # seconds between a sandbox's end and its teardown (close_later)
TOOLS = ("/usr/bin/unshare", "/usr/bin/nsenter", "/usr/bin/setpriv", "/usr/bin/mount", "/usr/bin/tini")


class SandboxError(Exception):
    """The host cannot give sandboxes; the message says what is missing and how to get it."""


def missing_pieces() -> list[str]:
    """What this host lacks for sandboxes (empty when everything is there)."""
    missing = [f"{tool} (apt-get install {'tini' if 'tini' in tool else 'util-linux'})"
               for tool in TOOLS if not os.access(tool, os.X_OK)]
    if not shutil.which("ip"):
        missing.append("ip (apt-get install iproute2)")
    try:
        if "overlay" not in Path("/proc/filesystems").read_text():
            subprocess.run(["modprobe", "overlay"], capture_output=True)
            if "overlay" not in Path("/proc/filesystems").read_text():
                missing.append("the overlay filesystem (a kernel with overlayfs)")
    except OSError:
        missing.append("/proc/filesystems")
    return missing


def home_tag(home: Path) -> str:
    """Six hex digits naming this daemon's namespaces, links and groups (two daemons on one host differ)."""
    return hashlib.sha256(str(home).encode()).hexdigest()[:6]


class Sandbox:
    def __init__(self, folder: Path, network: str, tag: str, allowed_ports: tuple[int, ...]) -> None:
        self.folder = folder
        self.skeletons: dict[str, Skeleton] = {}  # one per kind of sandbox: a dyno's view lists no build's paths
        self.jails_dir = folder / "jails"
        self.network = DynoNetwork(network, tag, allowed_ports)
        self.cgroups = Cgroups(tag)
        self._names: set[str] = set()
        self._lock = threading.Lock()
        self._closing: list[tuple[float, Jail]] = []  # (when, jail): sandboxes to take down a little later
        self._closer = threading.Condition(self._lock)
        self._closer_thread: threading.Thread | None = None

    @property
    def service_address(self) -> str:
        return self.network.service_address

    def warnings(self) -> list[str]:
        notes = []
        if not self.network.nat:
            notes.append(f"no NAT for the dyno network ({self.network.nat_problem}): dynos have no outbound network "
                         "and builds use the host's")
        if self.cgroups.missing:
            notes.append(f"no {' or '.join(self.cgroups.missing)} control group controller: dynos run without "
                         "that limit")
        return notes

    # -- the host's side ---------------------------------------------------------------
    def start(self, keep: Iterable[dict[str, Any]] = ()) -> None:
        """Set up the host's side. `keep`: sandboxes a previous daemon opened whose processes still run
        (`jail_state` of each), to be taken back with `adopt`: their network, groups and folders stay."""
        keep = list(keep)
        missing = missing_pieces()
        problem = check_overlay_paths(self.folder)
        if missing or problem:
            raise SandboxError("Dynos cannot be sandboxed on this host: missing " + ", ".join(missing or [problem]) +
                               ". Install them (./scripts/install.sh does), or set SEAWAY_SANDBOX=off to run dynos "
                               "unisolated.")
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        self.jails_dir.mkdir(exist_ok=True)
        os.chmod(self.jails_dir, 0o700)
        with self._lock:
            self._names.update(state["name"] for state in keep)
        try:
            self.network.start(keep=[Lease(**state["lease"]) for state in keep if state.get("lease")])
        except NetworkError as error:
            raise SandboxError(str(error)) from error
        self.cgroups.prepare()
        self.reap()
        self._self_test()
        self.network.fill()

    def _self_test(self) -> None:
        """Run `true` in a sandbox, so a host that cannot do what it takes fails now, with the reason."""
        jail = self.open(JailSpec("seaway-self-test", RunAs("nobody", 65534, 65534), network=True, workdir="/"))
        env_fd = environment_file({})
        try:
            result = subprocess.run(jail.command(["/bin/true"], env_fd), capture_output=True, text=True, timeout=60,
                                    **Jail.popen_kwargs(env_fd))  # type: ignore[arg-type]
        finally:
            os.close(env_fd)
            self.close(jail)
        if result.returncode != 0:
            raise SandboxError(f"A test sandbox failed on this host (exit status {result.returncode}): "
                               f"{(result.stderr or result.stdout).strip()[-400:]}. Set SEAWAY_SANDBOX=off to run "
                               "dynos unisolated.")

    def stop(self) -> None:
        """Once every sandboxed process has been stopped: take every sandbox down, then the host's side."""
        with self._lock:
            pending, self._closing = [jail for _when, jail in self._closing], []
            self._closer.notify_all()
        for jail in pending:
            self.close(jail)
        with self._lock:
            self._names.clear()  # a sandbox whose dyno exits this very moment is taken down by reap()
        self.reap()
        self.network.stop()
        self.cgroups.remove_parents()

    def reap(self) -> None:
        """Take down what sandboxes of a killed daemon left: processes, groups, scratch folders (its
        networks went at `network.start`; the skeletons stay: they hold only empty mount points)."""
        with self._lock:
            live = set(self._names)
        for group in self.cgroups.leftovers():
            if group.folders and group.folders[0].name not in live:
                kill_all(group, signal.SIGKILL)
                group.remove()
        for folder in self.jails_dir.iterdir() if self.jails_dir.is_dir() else []:
            if folder.name not in live:
                shutil.rmtree(folder, ignore_errors=True)

    # -- one sandbox -------------------------------------------------------------------
    @staticmethod
    def jail_state(jail: Jail) -> dict[str, Any]:
        """What a later daemon needs to take the sandbox back (`adopt`), as JSON."""
        cgroup = jail.cgroup
        return {"name": jail.spec.name, "user": [jail.spec.user.name, jail.spec.user.uid, jail.spec.user.gid],
                "network": jail.spec.network, "workdir": jail.spec.workdir, "kind": jail.spec.kind,
                "scratch": str(jail.scratch), "fstab": str(jail.fstab), "skeleton": str(jail.skeleton),
                "lease": vars(jail.lease) if jail.lease else None,
                "cgroup": {"folders": [str(f) for f in cgroup.folders],
                           "memory": [cgroup.memory[0], str(cgroup.memory[1])] if cgroup.memory else None}
                if cgroup else None}

    def adopt(self, state: dict[str, Any]) -> Jail:
        """The sandbox a previous daemon opened (see `jail_state`, `start(keep=...)`), this daemon's now:
        `close` takes it down as any other."""
        spec = JailSpec(state["name"], RunAs(*state["user"]), network=state["network"], workdir=state["workdir"],
                        kind=state["kind"])
        with self._lock:
            self._names.add(spec.name)
        group = state["cgroup"]
        cgroup = Cgroup(tuple(Path(f) for f in group["folders"]),
                        (group["memory"][0], Path(group["memory"][1])) if group["memory"] else None) if group else None
        lease = Lease(**state["lease"]) if state["lease"] else None
        if lease is not None:
            self.network.keep(lease)
        return Jail(spec, Path(state["scratch"]), Path(state["fstab"]), Path(state["skeleton"]), lease, cgroup)

    def open(self, spec: JailSpec) -> Jail:
        with self._lock:
            if spec.name in self._names:
                raise SandboxError(f"a sandbox named {spec.name} is open already")
            self._names.add(spec.name)
        scratch = self.jails_dir / spec.name
        try:
            return self._open(spec, scratch)
        except BaseException:
            self._forget(spec.name, scratch)
            raise

    def _open(self, spec: JailSpec, scratch: Path) -> Jail:
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(mode=0o700)
        overlay = None
        if spec.overlay_lower is not None:
            overlay = Overlay(spec.overlay_lower, scratch / "upper", scratch / "work")
            overlay.upper.mkdir()
            os.chown(overlay.upper, spec.user.uid, spec.user.gid)  # the dyno owns /app's top level, as on Heroku
            overlay.work.mkdir(mode=0o700)
        tmp = scratch / "tmp"
        tmp.mkdir()
        os.chmod(tmp, 0o1777)
        fstab = scratch / "fstab"
        skeleton = self._skeleton(spec.kind)
        fstab.write_text(skeleton.fstab(list(spec.binds), overlay, tmp))
        os.chmod(fstab, 0o600)
        lease = self.network.lease() if spec.network else None
        try:
            cgroup = self.cgroups.create(spec.name, spec.memory_mb, spec.max_processes) if self.cgroups.parents else None
        except OSError:
            if lease:
                self.network.release(lease)
            raise
        return Jail(spec, scratch, fstab, skeleton.root, lease, cgroup)

    def _skeleton(self, kind: str) -> Skeleton:
        with self._lock:
            if kind not in self.skeletons:
                skeleton = Skeleton(self.folder / f"root-{kind}")
                skeleton.prepare()
                self.skeletons[kind] = skeleton
            return self.skeletons[kind]

    def close_later(self, jail: Jail, delay: float = CLOSE_DELAY) -> None:
        """Take the sandbox down `delay` seconds from now: deleting a network namespace keeps the kernel
        busy for a while, and right after a dyno exits (a release command's, say) the next one boots."""
        with self._lock:
            self._closing.append((time.monotonic() + delay, jail))
            if self._closer_thread is None:
                self._closer_thread = threading.Thread(target=self._close_when_due, daemon=True, name="sandbox-closer")
                self._closer_thread.start()
            self._closer.notify_all()

    def _close_when_due(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                due = [jail for when, jail in self._closing if when <= now]
                self._closing = [(when, jail) for when, jail in self._closing if when > now]
                if not due:
                    wait = min((when for when, _jail in self._closing), default=now + 60) - now
                    self._closer.wait(max(wait, 0.01))
                    continue
            for jail in due:
                self.close(jail)

    def close(self, jail: Jail) -> None:
        """Once the sandbox's processes are gone: free its network, groups and scratch folder."""
        if jail.closed:
            return
        jail.closed = True
        if jail.lease:
            self.network.release(jail.lease)
        if jail.cgroup:
            jail.cgroup.remove()
        self._forget(jail.spec.name, jail.scratch)

    def _forget(self, name: str, scratch: Path) -> None:
        shutil.rmtree(scratch, ignore_errors=True)
        with self._lock:
            self._names.discard(name)


def host_sandbox(folder: Path, network: str, home: Path, allowed_ports: tuple[int, ...],
                 enabled: bool = True) -> Sandbox | None:
    """The sandbox for this daemon: one when root (unless turned off), else None."""
    if not enabled or not is_root():
        return None
    try:
        return Sandbox(folder, network, home_tag(home), allowed_ports)
    except NetworkError as error:
        raise SystemExit(str(error)) from None


__all__ = ["SETUP_FAILED", "Bind", "Jail", "JailSpec", "Sandbox", "SandboxError", "environment_file", "host_sandbox"]
