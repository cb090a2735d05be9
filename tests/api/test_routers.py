"""The API's shape: one router per topic, and routes that call only the Platform's operations."""

from __future__ import annotations

import ast
from pathlib import Path

import seaway.api
from seaway.api import app

API = Path(seaway.api.__file__).parent
# The Platform's parts, not its operations: a route that reaches into one of these bypasses the app's
# lock, the checks or the logging that the Platform's method of the same work does.
PARTS = {"store", "dynos", "runtime", "logs", "git", "settings", "releaser", "specs", "certificates",
         "migrations", "migration_commands", "watcher", "formations", "locks", "router", "backend"}


def reach_throughs(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    return [f"{path.name}:{node.lineno}: platform.{node.attr}" for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id == "platform" and node.attr in PARTS]


def test_the_api_uses_only_platform_operations():
    modules = sorted(API.rglob("*.py"))
    assert len(modules) > 10
    assert [found for module in modules for found in reach_throughs(module)] == []


def test_the_check_finds_a_reach_through(tmp_path: Path):
    module = tmp_path / "bad.py"
    module.write_text("def route(platform):\n    return platform.store.app('a'), platform.logs.tail\n")
    assert sorted(reach_throughs(module)) == ["bad.py:2: platform.logs", "bad.py:2: platform.store"]


def test_create_api_only_includes_the_routers():
    tree = ast.parse(Path(app.__file__).read_text())
    create = next(node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "create_api")
    assert create.end_lineno - create.lineno < 12, "create_api builds the app and includes routers, no more"
    assert not [node for node in ast.walk(create) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                and node is not create], "no routes defined in create_api"
    assert len(app.TOPICS) >= 11
    assert all(callable(topic.router) for topic in app.TOPICS)
