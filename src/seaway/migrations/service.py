"""migrations:status / history / validate: a probe runs in a one-off dyno with the app's own code and
venv against its real database; the daemon only reads the JSON it prints."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from seaway.dynos import DynoManager
from seaway.migrations import report
from seaway.migrations.detect import detect
from seaway.release import ReleaseFailed, Releaser
from seaway.store import Store, StoreError

PROBE = (Path(__file__).parent / "probe_alembic.py").read_text()
COMMAND = "python -c 'import os; exec(os.environ.pop(\"SEAWAY_PROBE_CODE\"))'"


class Migrations:
    def __init__(self, store: Store, releaser: Releaser, dynos: DynoManager, slugs_dir: Path) -> None:
        self.store, self.releaser, self.dynos, self.slugs_dir = store, releaser, dynos, slugs_dir

    def _probe(self, name: str) -> tuple[dict[str, Any], str]:
        app = self.store.app(name)
        try:
            spec = self.releaser.one_off_spec(app, COMMAND)
        except ReleaseFailed as error:
            raise StoreError(str(error), 409) from error
        framework = detect(self.slugs_dir / spec.slug / "app")
        if framework is None:
            raise StoreError(f"No migrations found in {name}'s code: Seaway recognises Alembic (alembic.ini), "
                             "Flask-Migrate (migrations/ with a Flask env.py) and Django (manage.py).", 404)
        if framework.name == "django":
            raise StoreError("Django migrations are recognised, but their status is not available yet.", 501)
        spec = replace(spec, env={**spec.env, "SEAWAY_SCRIPT_LOCATION": framework.script_location,
                                  "SEAWAY_PROBE_CODE": PROBE})
        output: list[str] = []
        code = self.dynos.run_one_off(spec, output.append, timeout=120)
        try:
            found = json.loads(output[-1]) if code == 0 and output else None
        except json.JSONDecodeError:
            found = None
        if found is None:
            tail = " / ".join(output[-3:]) or "no output"
            raise StoreError(f"Reading {name}'s migrations failed (exit status {code}): {tail}", 502)
        found["framework"] = framework.name
        return found, spec.env.get("DATABASE_URL", "")

    def status(self, name: str) -> dict[str, Any]:
        found, url = self._probe(name)
        return report.status(found, url)

    def history(self, name: str) -> list[dict[str, Any]]:
        return report.history(self._probe(name)[0])

    def validate(self, name: str) -> dict[str, Any]:
        return report.validate(self._probe(name)[0])
