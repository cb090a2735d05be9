"""What a sandboxed process sees: a skeleton root holding only mount points, and a per-sandbox fstab
that `mount -a` applies inside the sandbox's own mount namespace.

The view holds the host's /usr and /etc (read-only), a few device nodes, a private /tmp and /dev/shm,
a /proc of the sandbox's own PID namespace, and what the sandbox is given: for a dyno, its slug under
a writable, throw-away overlay at /app; for a build, its build and cache folders. Nothing else of the
host's files (SEAWAY_HOME, other slugs, /root, /home) exists in it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
MERGED_USR = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
UNSAFE_IN_OPTIONS = set(",:\\\n\t ")  # overlay options cannot carry these in paths


@dataclass(frozen=True)
class Bind:
    """A host folder (or file) seen at `inside`, read-only unless `writable`."""

    host: Path
    inside: str
    writable: bool = False


@dataclass(frozen=True)
class Overlay:
    """`lower` read-only at `inside`, with writes going to `upper` (work: overlayfs' scratch folder)."""

    lower: Path
    upper: Path
    work: Path
    inside: str = "/app"


def _escape(text: str) -> str:
    """fstab's escaping of white space and backslashes."""
    return "".join(f"\\{ord(c):03o}" if c in " \t\n\\" else c for c in text)


def _resolv_conf() -> Path | None:
    """A resolv.conf naming servers a private network can reach, when the host's points at a loopback stub."""
    try:
        servers = [line.split()[1] for line in Path("/etc/resolv.conf").read_text().splitlines()
                   if line.startswith("nameserver") and len(line.split()) > 1]
    except OSError:
        return None
    upstream = Path("/run/systemd/resolve/resolv.conf")
    if servers and all(s.startswith("127.") or s == "::1" for s in servers) and upstream.exists():
        return upstream
    return None


class Skeleton:
    """The shared root folder of every sandbox: empty mount points only, owned by root, never written
    from inside (each sandbox binds it read-only onto itself first)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def prepare(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)
        for folder in ("usr", "etc", "app", "tmp", "proc", "run", "dev/pts", "dev/shm", "var"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        for name in MERGED_USR:
            self._mirror_top_level(name)
        for name in DEVICES:
            (self.root / "dev" / name).touch()
        for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                             ("stderr", "/proc/self/fd/2"), ("ptmx", "pts/ptmx")):
            self._symlink(self.root / "dev" / name, target)
        self._symlink(self.root / "var" / "tmp", "../tmp")

    def _mirror_top_level(self, name: str) -> None:
        """/bin, /lib, ...: a link where the host has merged them into /usr, a mount point otherwise."""
        host = Path("/") / name
        if host.is_symlink():
            self._symlink(self.root / name, os.readlink(host))
        elif host.is_dir():
            (self.root / name).mkdir(exist_ok=True)

    @staticmethod
    def _symlink(path: Path, target: str) -> None:
        if path.is_symlink() and os.readlink(path) == target:
            return
        path.unlink(missing_ok=True)
        path.symlink_to(target)

    def mount_point(self, inside: str, is_file: bool = False) -> Path:
        """Make sure `inside` exists in the skeleton (folders for the interpreter's prefix, say)."""
        path = self.root / inside.lstrip("/")
        if is_file:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(exist_ok=True)
        else:
            path.mkdir(parents=True, exist_ok=True)
        return path

    def system_binds(self) -> list[Bind]:
        binds = [Bind(Path("/usr"), "/usr"), Bind(Path("/etc"), "/etc")]
        binds += [Bind(Path("/") / name, f"/{name}") for name in MERGED_USR
                  if Path("/", name).is_dir() and not Path("/", name).is_symlink()]
        resolv = _resolv_conf()
        if resolv:
            binds.append(Bind(resolv, "/etc/resolv.conf"))
        return binds

    def fstab(self, binds: list[Bind], overlay: Overlay | None, tmp: Path) -> str:
        """The sandbox's mounts, in order: the read-only skeleton, the system folders, /app, /tmp, then the
        sandbox's own binds, parents first (so a bind below /tmp lands on the sandbox's /tmp, not under it),
        and the devices and /proc."""
        root = str(self.root)
        lines = [(root, root, "none", "bind,ro,nosuid,nodev")]
        lines += [self._bind_line(bind) for bind in self.system_binds()]
        if overlay:
            target = self.mount_point(overlay.inside)
            lines.append(("overlay", str(target), "overlay",
                          f"lowerdir={overlay.lower},upperdir={overlay.upper},workdir={overlay.work},nosuid,nodev"))
        lines.append((str(tmp), f"{root}/tmp", "none", "bind,rw,nosuid,nodev"))
        lines += [self._bind_line(bind) for bind in sorted(binds, key=lambda b: len(Path(b.inside).parts))]
        lines += [(f"/dev/{name}", f"{root}/dev/{name}", "none", "bind") for name in DEVICES]
        lines += [("devpts", f"{root}/dev/pts", "devpts", "newinstance,ptmxmode=0666,mode=0620,nosuid,noexec"),
                  ("shm", f"{root}/dev/shm", "tmpfs", "mode=1777,size=65536k,nosuid,nodev"),
                  ("proc", f"{root}/proc", "proc", "nosuid,nodev,noexec")]
        return "".join(f"{_escape(a)} {_escape(b)} {c} {d} 0 0\n" for a, b, c, d in lines)

    def _bind_line(self, bind: Bind) -> tuple[str, str, str, str]:
        """A folder's mount point is also made at mount time if a mount below the skeleton hides it (X-mount.mkdir)."""
        is_file = bind.host.is_file()
        target = self.mount_point(bind.inside, is_file=is_file)
        options = f"bind,{'rw' if bind.writable else 'ro'},nosuid,nodev" + ("" if is_file else ",X-mount.mkdir")
        return str(bind.host), str(target), "none", options


def check_overlay_paths(*paths: Path) -> str | None:
    """Why these paths cannot be given to overlayfs, if they cannot."""
    for path in paths:
        bad = UNSAFE_IN_OPTIONS & set(str(path))
        if bad:
            return f"{path} holds {''.join(sorted(bad))!r}, which overlayfs options cannot carry"
    return None


def prefix_binds(prefix: Path) -> tuple[Bind, ...]:
    """An interpreter installed outside /usr (pyenv, /opt): its whole prefix, read-only, where it is."""
    resolved = Path(os.path.realpath(prefix))
    if resolved == Path("/") or resolved.is_relative_to("/usr") or not resolved.is_dir():
        return ()
    return (Bind(resolved, str(resolved)),)
