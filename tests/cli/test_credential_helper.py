"""git's credential helper: the token as password for the API's own scheme and host, nothing for others."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from seaway.cli.credential_helper import answer


@pytest.fixture(autouse=True)
def api(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SEAWAY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("SEAWAY_API_URL", "http://127.0.0.1:5050/")
    monkeypatch.setenv("SEAWAY_API_TOKEN", "tok")
    monkeypatch.setenv("SEAWAY_AUTHOR", "ada@laptop")


def test_the_token_is_given_for_the_api_host_only():
    assert answer("get", ["protocol=http", "host=127.0.0.1:5050", "path=git/x.git"]) == \
        "username=ada@laptop\npassword=tok\n"
    assert answer("get", ["protocol=https", "host=127.0.0.1:5050"]) == ""
    assert answer("get", ["protocol=http", "host=github.com"]) == ""
    assert answer("store", ["protocol=http", "host=127.0.0.1:5050", "password=tok"]) == ""


def test_no_token_no_answer(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SEAWAY_API_TOKEN", "")
    assert answer("get", ["protocol=http", "host=127.0.0.1:5050"]) == ""


def test_it_runs_as_git_runs_it_without_the_cli():
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "seaway.cli.credential_helper", "get"],
                          input="protocol=http\nhost=127.0.0.1:5050\n", capture_output=True, text=True, check=True)
    assert done.stdout == "username=ada@laptop\npassword=tok\n"
    assert "seaway.cli.main" not in done.stderr and "httpx" not in done.stderr  # git waits for it on every push
