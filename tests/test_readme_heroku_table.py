"""README's table of Heroku commands and their Seaway equivalents: every Seaway command in it exists, and
an end-to-end test runs it."""

from __future__ import annotations

import re
from pathlib import Path

from seaway.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent


def seaway_commands_in_the_table() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("| Heroku | Seaway |"):].split("\n\n", 1)[0]
    seaway_column = [row.split(" | ", 1)[1] for row in table.splitlines()[2:]]
    return {name for cell in seaway_column for name in re.findall(r"`seaway ([a-z:]+)", cell)}


def test_every_seaway_command_of_the_heroku_table_exists_and_an_e2e_test_runs_it():
    commands = seaway_commands_in_the_table()
    assert len(commands) >= 20
    assert commands <= set(cli.commands), commands - set(cli.commands)
    e2e = "\n".join(path.read_text() for path in (ROOT / "tests" / "e2e").glob("test_*.py"))
    untested = {name for name in commands if f'"{name}"' not in e2e}
    assert not untested, f"no end-to-end test runs: {sorted(untested)}"
    assert '"push", "seaway", "main"' in e2e  # and `git push seaway main` itself
