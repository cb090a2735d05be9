"""Running one of a build's commands: through the build's runner, its output streamed to the build
log, indented under the step that runs it, and kept for the error message when it fails."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from seaway.slugs.runner import Runner

Emit = Callable[[str], None]
INDENT = "       "


@dataclass(frozen=True)
class CommandResult:
    returncode: int
    lines: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def tail(self, count: int = 20) -> str:
        """The last `count` lines that are not blank."""
        return "\n".join([line for line in self.lines if line.strip()][-count:])


def run_command(runner: Runner, args: list[str], cwd: Path, env: dict[str, str], emit: Emit,
                hide: Callable[[str], bool] = lambda _line: False) -> CommandResult:
    """Run `args`, streaming each line of its output (but those `hide` drops) to `emit`."""
    process = runner.popen(args, cwd, env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    lines = []
    for raw in process.stdout:
        line = raw.rstrip()
        if hide(line):
            continue
        lines.append(line)
        emit(INDENT + line)
    return CommandResult(process.wait(), lines)
