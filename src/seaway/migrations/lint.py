"""Linting the SQL of pending migrations for zero-downtime hazards, with squawk."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Rules about style rather than about locking or breaking a running app: not reported.
QUIET_RULES = ["prefer-robust-stmts", "prefer-bigint-over-int", "prefer-bigint-over-smallint", "prefer-identity",
               "prefer-text-field", "prefer-timestamptz", "require-statement-timeout", "ban-drop-table"]


@dataclass(frozen=True)
class Finding:
    rule: str
    message: str
    line: int

    def __str__(self) -> str:
        return f"{self.rule} (line {self.line}): {self.message}"


def squawk_binary() -> str:
    found = shutil.which("squawk") or str(Path(sys.executable).parent / "squawk")
    if not os.path.exists(found):
        raise FileNotFoundError("squawk is not installed (pip install squawk-cli)")
    return found


def lint(sql: str) -> list[Finding]:
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(sql)
    try:
        result = subprocess.run([squawk_binary(), "--reporter", "json", *(f"--exclude={r}" for r in QUIET_RULES),
                                 f.name], capture_output=True, text=True, timeout=60)
    finally:
        os.unlink(f.name)
    if result.returncode not in (0, 1):
        raise RuntimeError(f"squawk failed: {result.stderr.strip() or result.stdout.strip()}")
    return [Finding(item.get("rule_name", "?"), item.get("message", ""), int(item.get("line", 0)) + 1)
            for item in json.loads(result.stdout or "[]")]
