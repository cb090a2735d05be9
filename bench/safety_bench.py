"""What the release-phase safety steps cost, against the bare release command, in the same releases.

Run from the repository root:  .venv/bin/python -m bench.safety_bench [--rounds 5]

A real daemon serves tests/apps/flask_migrate on the embedded PostgreSQL. Each round deploys the
app with one new pending Alembic revision (adding a nullable column). In the app's log, the safety
steps (status probe, backup + verification, offline SQL + squawk lint) run from the first one-off
of the release until `flask db upgrade` starts; the bare release command runs from then until it
exits. Both are read from the same release's log lines.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
from datetime import datetime
from pathlib import Path

from seaway.slugs.slug import remove_tree
from tests.e2e.daemon import Daemon, copy_app

REVISION = '''"""r{n}\n\nRevision ID: {rev}\nRevises: {down}\nCreate Date: 2026-11-22\n"""
import sqlalchemy as sa
from alembic import op

revision = "{rev}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("greeting", sa.Column("c{n}", sa.Text(), nullable=True))


def downgrade():
    op.drop_column("greeting", "c{n}")
'''


def stamp(line: str) -> datetime:
    return datetime.fromisoformat(line.split(" ", 1)[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    work = Path(tempfile.mkdtemp(prefix="seaway-bench-safety-"))
    daemon = Daemon(work / "home", boot_timeout=60)
    daemon.start()
    safety, bare = [], []
    try:
        source = copy_app("flask_migrate", work)
        daemon.cli("apps:create", "safety-bench", cwd=source)
        daemon.cli("addons:create", "postgresql", cwd=source)
        daemon.cli("deploy", cwd=source)
        down = "5d31038af84e"
        for n in range(1, rounds + 1):
            rev = f"{n:012x}"
            (source / "migrations" / "versions" / f"{rev}_r{n}.py").write_text(REVISION.format(n=n, rev=rev, down=down))
            down = rev
            daemon.cli("deploy", cwd=source)
            lines = daemon.cli("logs", "-n", "400", cwd=source).stdout.splitlines()
            created = max(i for i, line in enumerate(lines) if "Release v" in line and "created by" in line)
            mine = lines[created:]
            first = next(line for line in mine if "seaway[release.1]: Starting process with command `python -c" in line)
            upgrade = next(line for line in mine if "Starting process with command `flask db upgrade`" in line)
            done = next(line for line in mine[mine.index(upgrade):] if "seaway[release.1]: Process exited" in line)
            safety.append((stamp(upgrade) - stamp(first)).total_seconds())
            bare.append((stamp(done) - stamp(upgrade)).total_seconds())
    finally:
        daemon.stop()
        remove_tree(work)
        shutil.rmtree(work, ignore_errors=True)
    med = statistics.median
    print(f"bare release command (flask db upgrade): median {med(bare):.2f} s (all: {', '.join(f'{t:.2f}' for t in bare)})")
    print(f"safety steps before it:                  median {med(safety):.2f} s (all: {', '.join(f'{t:.2f}' for t in safety)})")
    print(f"release phase with safety / without:     {(med(bare) + med(safety)) / med(bare):.2f}x")


if __name__ == "__main__":
    main()
