"""migrations:status / history / validate: a probe runs in a one-off dyno with the app's own code and
venv against its real database; the daemon only reads the JSON it prints."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from seaway.dynos import DynoSpec
from seaway.dynos.runtime import Runtime
from seaway.errors import Conflict, NotFound, Unavailable
from seaway.migrations import report
from seaway.migrations.detect import Framework, detect, migrations_digest
from seaway.release import ReleaseFailed
from seaway.release.specs import Specs
from seaway.store import Store

PROBES = {name: (Path(__file__).parent / f"probe_{name}.py").read_text()
          for name in ("alembic", "django", "offline_sql")}
COMMAND = "python -c 'import os; exec(os.environ.pop(\"SEAWAY_PROBE_CODE\"))'"


class Migrations:
    def __init__(self, store: Store, specs: Specs, runtime: Runtime, slugs_dir: Path) -> None:
        self.store, self.specs, self.runtime, self.slugs_dir = store, specs, runtime, slugs_dir

    def framework(self, slug_digest: str) -> Framework | None:
        return detect(self.slugs_dir / slug_digest / "app")

    def digest(self, slug_digest: str, framework: Framework) -> str:
        """What a slug's migrations are (a hash of their files)."""
        return migrations_digest(self.slugs_dir / slug_digest / "app", framework)

    def _probe(self, name: str) -> tuple[dict[str, Any], str]:
        app = self.store.app(name)
        try:
            spec = self.specs.one_off(app, COMMAND)
        except ReleaseFailed as error:
            raise Conflict(str(error)) from error
        framework = self.framework(spec.slug)
        if framework is None:
            raise NotFound(f"No migrations found in {name}'s code: Seaway recognises Alembic (alembic.ini), "
                           "Flask-Migrate (migrations/ with a Flask env.py) and Django (manage.py).")
        return self.probe(spec, framework), spec.env.get("DATABASE_URL", "")

    def probe(self, spec: DynoSpec, framework: Framework) -> dict[str, Any]:
        """Run the probe as the one-off `spec` (any release's code) and return what it found."""
        probe = PROBES["django" if framework.name == "django" else "alembic"]
        spec = replace(spec, command=COMMAND, env={**spec.env, "SEAWAY_SCRIPT_LOCATION": framework.script_location,
                                                   "SEAWAY_FRAMEWORK": framework.name, "SEAWAY_PROBE_CODE": probe})
        output: list[str] = []
        code = self.runtime.run(spec, output.append, timeout=120, logged=False)
        try:
            found = json.loads(output[-1]) if code == 0 and output else None
        except json.JSONDecodeError:
            found = None
        if found is None:
            tail = " / ".join(output[-3:]) or "no output"
            raise Unavailable(f"Reading {spec.app}'s migrations failed (exit status {code}): {tail}")
        found["framework"] = framework.name
        return found

    def offline_sql(self, spec: DynoSpec, framework: Framework, current: list[str], pending: list[str]) -> str:
        """The SQL the pending migrations would run, rendered offline by the framework's own API and taken
        from its own output channel (never the app's prints or log lines); one part per Django migration,
        each headed by a `-- migration APP.NAME` comment."""
        span = [f"{current[0]}:head" if len(current) == 1 else "head"]
        env = {**spec.env, "SEAWAY_FRAMEWORK": framework.name, "SEAWAY_PROBE_CODE": PROBES["offline_sql"],
               "SEAWAY_PENDING": json.dumps(pending if framework.name == "django" else span)}
        output: list[str] = []
        code = self.runtime.run(replace(spec, command=COMMAND, env=env), output.append, timeout=300, logged=False)
        try:
            found = json.loads(output[-1]) if output else {}
        except json.JSONDecodeError:
            found = {}
        if "sql" not in found:
            why = found.get("error") or f"exit status {code}: {' / '.join(output[-3:]) or 'no output'}"
            raise Unavailable(f"the migrations' SQL could not be rendered offline ({why})")
        if framework.name != "django":
            return str(found["sql"][0][1])
        return "\n".join(f"-- migration {label}\n{text}" for label, text in found["sql"])

    def status(self, name: str) -> dict[str, Any]:
        found, url = self._probe(name)
        failure = report.probe_failure(found)
        if failure:
            raise Unavailable(f"Could not tell {name}'s migration status: {failure}")
        return report.status(found, url)

    def history(self, name: str) -> list[dict[str, Any]]:
        return report.history(self._probe(name)[0])

    def validate(self, name: str) -> dict[str, Any]:
        return report.validate(self._probe(name)[0])
