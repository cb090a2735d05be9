"""Where a build's commands run: on the host (the daemon is not root), or in the app's build sandbox.

In the sandbox the build runs as the app's user with nothing of the host but the system folders, its
interpreter and uv: its copy of the source at /app (its own, writable: the buildpack's builds write
there too), its own cache folder at /cache (uv's cache,
the venv being built, HOME), and a private network that reaches the package indexes through NAT
but no service of the host's (the API among them). Its environment is the app's config vars and
what uv needs, never the daemon's.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any, Protocol

from seaway.host import RunAs
from seaway.sandbox import Jail, JailSpec, Sandbox, environment_file
from seaway.sandbox.view import Bind, prefix_binds

TOOLS_INSIDE = "/opt/seaway/bin"  # where a build sees the daemon's tools (uv), wherever the daemon is installed
BUILD_MEMORY_MB = 4096  # compilers need room; this only stops a build from taking the host down
BUILD_PROCESSES = 4096


class Runner(Protocol):
    def path(self, host: Path) -> str: ...  # how the build's commands see a host path

    def popen(self, args: list[str], cwd: Path, env: dict[str, str], **streams: Any) -> subprocess.Popen[str]: ...


class HostRunner:
    """Commands as the daemon's children, as `run_as` when given (root without a sandbox)."""

    def __init__(self, run_as: RunAs | None = None) -> None:
        self.run_as = run_as

    def path(self, host: Path) -> str:
        return str(host)

    def popen(self, args: list[str], cwd: Path, env: dict[str, str], **streams: Any) -> subprocess.Popen[str]:
        return subprocess.Popen(args, cwd=cwd, env=env, text=True, errors="replace", **streams,
                                **(self.run_as.popen_kwargs() if self.run_as else {}))


class SandboxRunner:
    """Commands in one build sandbox, opened at the first command (a build that reuses everything runs
    none); `close` takes it down (every command of it has ended by then)."""

    def __init__(self, sandbox: Sandbox, name: str, user: RunAs, app_dir: Path, cache: Path,
                 tools: list[Path]) -> None:
        self.sandbox, self.app_dir, self.cache, self.name, self.user = sandbox, app_dir, cache, name, user
        self.tools = {tool: f"{TOOLS_INSIDE}/{tool.name}" for tool in tools}
        self.spec = self._spec(())
        self.jail: Jail | None = None

    def _spec(self, extra: tuple[Bind, ...]) -> JailSpec:
        binds = (Bind(self.app_dir, "/app", writable=True), Bind(self.cache, "/cache", writable=True), *extra,
                 *(Bind(tool, inside) for tool, inside in self.tools.items()))
        return JailSpec(self.name, self.user, binds=binds, memory_mb=BUILD_MEMORY_MB,
                        max_processes=BUILD_PROCESSES, network=self.sandbox.network.nat, kind="build")

    def bind_interpreter(self, prefix: Path) -> None:
        """Show the build's interpreter (known once bin/pre_compile has run) to its later commands."""
        self.close()
        self.spec = self._spec(tuple(prefix_binds(prefix)))

    def path(self, host: Path) -> str:
        if host in self.tools:
            return self.tools[host]
        for root, inside in ((self.app_dir, "/app"), (self.cache, "/cache")):
            if host == root or host.is_relative_to(root):
                return str(Path(inside) / host.relative_to(root))
        return str(host)

    def popen(self, args: list[str], cwd: Path, env: dict[str, str], **streams: Any) -> subprocess.Popen[str]:
        if self.jail is None:
            self.jail = self.sandbox.open(self.spec)
        env_fd = environment_file(env)
        try:
            command = self.jail.command(["/usr/bin/env", "-C", self.path(cwd), *args], env_fd)
            return subprocess.Popen(command, text=True, errors="replace", start_new_session=True, **streams,
                                    **Jail.popen_kwargs(env_fd))  # type: ignore[arg-type]
        finally:
            os.close(env_fd)

    def close(self) -> None:
        if self.jail is not None:
            self.sandbox.close(self.jail)
            self.jail = None
