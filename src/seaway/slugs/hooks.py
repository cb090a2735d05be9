"""The buildpack's build hooks: bin/pre_compile before the dependencies are installed, bin/post_compile
after collectstatic. Each runs in the app's folder, with its config vars, as the build's other commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from seaway.slugs.commands import Emit, run_command
from seaway.slugs.errors import BuildError
from seaway.slugs.runner import Runner

HOOKS = ("pre_compile", "post_compile")


def run_hook(name: str, app_dir: Path, runner: Runner, env: Callable[[], dict[str, str]], emit: Emit) -> bool:
    """Run bin/NAME when the app has one (made executable first, as the buildpack does); False when not."""
    script = f"bin/{name}"
    if not (app_dir / script).is_file():
        return False
    emit(f"-----> Running {script} hook")
    # chmod runs as the build's user, on its own copy of the source: root never follows the app's links.
    result = run_command(runner, ["/bin/sh", "-c", 'chmod +x "$0" && exec "$0"', f"./{script}"], app_dir, env(),
                         emit)
    if not result.ok:
        raise BuildError(
            f"{script} failed (exit status {result.returncode}). Seaway runs it because your source has it, to "
            f"customise the build. Fix the errors it printed above, or remove or rename {script} to skip it."
            + (f"\nIts last lines:\n{result.tail(10)}" if result.lines else "")
        )
    return True
