"""The release phase: what runs after a release is recorded and before anything switches to it.

It is an ordered list of steps, given to the `Releaser` when it is made (platform.py says which:
migration checks, the pre-migration backup, the migration lint, then the Procfile's `release:`
command). Each step reads and adds to one `PhaseContext`; a step raises `ReleaseFailed` to stop the
release (nothing switched), or sets `skip_command` to go live without the release command."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from seaway.app_settings import effective
from seaway.dynos import DynoSpec
from seaway.dynos.runtime import Runtime
from seaway.logs import LogStore
from seaway.logs.ingest import RECENT_LINES
from seaway.settings import Settings
from seaway.store.models import App, Release, Slug

Emit = Callable[[str], None]
SpecOf = Callable[[App, Release, Slug, str, int, str], DynoSpec]


class ReleaseFailed(Exception):
    """The release was recorded as failed; the message says why and what still serves."""


@dataclass
class PhaseContext:
    app: App
    release: Release
    slug: Slug
    command: str  # the Procfile's `release:` command
    emit: Emit
    still: str  # what a failure leaves serving ("v3 is still serving.")
    notes: list[str] = field(default_factory=list)  # for a failure's message (which backup to restore)
    skip_command: str | None = None  # why the release command is not run, when it is not
    facts: dict[str, Any] = field(default_factory=dict)  # what a step found, for the steps after it

    def failure(self, what: str) -> str:
        """`what` failed: the message, with what still serves and the steps' notes."""
        return " ".join([what, self.still, *self.notes])


class PhaseStep(Protocol):
    def __call__(self, context: PhaseContext) -> None: ...


class ReleaseCommand:
    """The last step: the Procfile's `release:` command in a one-off dyno (release.1), its output in the
    release's output and in the app's log as app[release.1]; a non-zero exit or a time-out fails the release."""

    def __init__(self, runtime: Runtime, spec: SpecOf, logs: LogStore, settings: Settings) -> None:
        self.runtime, self.spec, self.logs, self.settings = runtime, spec, logs, settings

    def __call__(self, context: PhaseContext) -> None:
        app, command, emit = context.app, context.command, context.emit
        if context.skip_command:
            emit(f" !     Not running the release command: {context.skip_command}")
            self.logs.append(app.name, "seaway", f"Release v{context.release.version}: release command skipped: "
                                                 f"{context.skip_command}")
            return
        emit(f"-----> Running release command: {command}")
        last: deque[str] = deque(maxlen=RECENT_LINES)

        def log_and_emit(line: str) -> None:
            self.logs.append(app.name, "app[release.1]", line)  # as Heroku labels the release phase
            last.append(line)
            emit("       " + line)

        timeout = effective(app, self.settings).release_timeout
        spec = self.spec(app, context.release, context.slug, "release", 1, command)
        code = self.runtime.run(spec, log_and_emit, timeout=timeout)
        tail = (f"\nIts last {len(last)} lines of output:\n" + "\n".join(f"  {line}" for line in last)) if last else ""
        if code is None:
            raise ReleaseFailed(context.failure(
                f"the release command `{command}` was still running after {timeout} seconds and was "
                "stopped (apps:settings release_timeout=SECONDS).") + tail)
        if code != 0:
            raise ReleaseFailed(context.failure(f"the release command `{command}` exited with status {code}.") + tail)
