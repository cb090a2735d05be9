"""The release stage wired as platform.py wires it, on an InMemoryRuntime, a real Store and a real LogStore."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from seaway.dynos.inmemory import InMemoryRuntime
from seaway.logs import LogStore
from seaway.release import ReleaseCommand, Releaser
from seaway.release.formation import Formations
from seaway.release.locks import AppLocks
from seaway.release.phase import PhaseContext, PhaseStep
from seaway.release.rollback import Rollbacks
from seaway.release.specs import Specs
from seaway.release.watch import ReleaseWatcher
from seaway.settings import Settings
from seaway.store import Store
from seaway.store.models import App, Slug

PROCFILE = {"web": "gunicorn app:app", "worker": "python worker.py", "release": "flask db upgrade"}


@dataclass
class Recorder:
    """A release-phase step that notes that it ran (and what it saw), and may act on the context."""

    name: str
    seen: list[str]
    act: Callable[[PhaseContext], None] = field(default=lambda _context: None)

    def __call__(self, context: PhaseContext) -> None:
        self.seen.append(f"{self.name} v{context.release.version}")
        self.act(context)


class Stage:
    def __init__(self, home: Path, steps: list[PhaseStep] | None = None, release_watch: int = 0) -> None:
        self.settings = Settings(home=home, sandbox=False, release_watch=release_watch, boot_timeout=7,
                                 stop_timeout=3, dyno_memory=256)
        (home / "logs").mkdir(parents=True, exist_ok=True)
        self.store = Store(home / "seaway.db")
        self.logs = LogStore(home / "logs", 10_000, 10 * 1024 * 1024)
        self.runtime = InMemoryRuntime()
        self.locks = AppLocks()
        self.specs = Specs(self.store, self.settings)
        self.watcher = ReleaseWatcher(self.runtime, self.store, self.logs, self.locks)
        self.seen: list[str] = []
        before = steps if steps is not None else [Recorder("check", self.seen)]
        self.releaser = Releaser(self.store, self.specs, self.runtime, self.watcher, self.logs, self.settings,
                                 phase=[*before, ReleaseCommand(self.runtime, self.specs.spec, self.logs, self.settings)])
        self.formations = Formations(self.store, self.specs, self.runtime, self.watcher, self.logs)
        self.rollbacks = Rollbacks(self.store, self.releaser)
        self.output: list[str] = []

    def app(self, name: str = "myapp", formation: dict[str, int] | None = None) -> App:
        app = self.store.create_app(name)
        self.store.scale(app, formation or {"web": 1})
        return app

    def slug(self, digest: str = "a" * 64, process_types: dict[str, str] | None = None) -> Slug:
        return self.store.save_slug(Slug(digest=digest, size=1, python_version="3.12.7",
                                         process_types=process_types or PROCFILE, deps_key="d", app_json={}))

    def deploy(self, app: App, slug: Slug, description: str = "Deploy"):  # type: ignore[no-untyped-def]
        return self.releaser.create(app, slug, description, self.output.append)

    def log(self, app: str = "myapp") -> list[str]:
        return [line.split(" ", 1)[1] for line in self.logs.tail(app, 1000)]


def eventually(condition: Callable[[], object], timeout: float = 30) -> None:
    """Wait for `condition` (a thread's work, such as the release watch's), failing after `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.02)
