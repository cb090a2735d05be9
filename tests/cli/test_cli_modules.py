"""The command line is split by topic (issue 16, item 4): each topic module defines its own commands, no
module of seaway.cli imports cli/main.py back, the imports among them have no cycle, and `seaway --help`
still lists every command it listed before the split."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

from click.testing import CliRunner

import seaway.cli
from seaway.cli.main import cli

PACKAGE = Path(seaway.cli.__file__).parent

# `seaway --help` before the split, command for command (and the pipelines:* of issue 17).
COMMANDS = [
    "addons", "addons:create", "addons:destroy", "addons:info", "apps", "apps:create", "apps:destroy",
    "apps:info", "apps:rename", "apps:settings", "auth:token", "auth:whoami", "buildpacks", "certs", "certs:add",
    "certs:auto", "certs:auto:disable", "certs:auto:enable", "certs:auto:refresh", "certs:ca", "certs:info",
    "certs:remove", "config", "config:get", "config:set", "config:unset", "create", "deploy", "domains",
    "domains:add", "domains:remove", "drains", "drains:add", "drains:remove", "git:clone", "git:remote", "login",
    "logout", "logs", "migrations:downgrade", "migrations:history", "migrations:status", "migrations:upgrade",
    "migrations:validate", "open", "pg:backups", "pg:backups:capture", "pg:backups:delete", "pg:backups:download",
    "pg:backups:info", "pg:backups:restore", "pg:backups:schedule", "pg:backups:unschedule",
    "pg:credentials:rotate", "pg:info", "pg:psql", "pg:reset", "pipelines", "pipelines:add", "pipelines:create",
    "pipelines:destroy", "pipelines:diff", "pipelines:info", "pipelines:promote", "pipelines:remove", "ps",
    "ps:restart", "ps:scale", "ps:stop", "releases", "releases:info", "releases:output", "restart", "rollback",
    "run", "run:detached", "server",
]


def cli_imports(path: Path) -> set[str]:
    """The seaway.cli modules a module of seaway.cli imports (at any depth of its code)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            # `from seaway.cli import logs` imports the module seaway.cli.logs
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    modules = {f"seaway.cli.{file.stem}" for file in PACKAGE.glob("*.py")}
    return found & modules


def import_graph() -> dict[str, set[str]]:
    return {f"seaway.cli.{file.stem}": cli_imports(file) for file in PACKAGE.glob("*.py")}


def test_no_module_of_the_cli_imports_main():
    importers = sorted(module for module, imported in import_graph().items() if "seaway.cli.main" in imported)
    assert importers == [], importers


def test_the_imports_among_the_cli_modules_have_no_cycle():
    graph = import_graph()
    assert len(graph) >= 15 and graph["seaway.cli.main"] >= {"seaway.cli.apps", "seaway.cli.ps"}
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as error:
        raise AssertionError(f"import cycle among seaway.cli modules: {error.args[1]}") from None


def test_seaway_help_lists_every_command_it_did_before_the_split():
    assert sorted(cli.commands) == COMMANDS
    listed = CliRunner().invoke(cli, ["--help"], prog_name="seaway", terminal_width=200).output
    shown = [line.split()[0] for line in listed.split("Commands:\n", 1)[1].splitlines() if line.strip()]
    assert shown == COMMANDS
