"""Which app a CLI command means: -a, SEAWAY_APP, git config seaway.app, a .seaway-app file up the tree."""

from __future__ import annotations

import subprocess
from pathlib import Path

import click
import pytest

from seaway.cli.linking import LINK_FILE, follow_rename, link_directory, linked_app, resolve_app


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No SEAWAY_APP and no git configuration from the machine running the tests."""
    monkeypatch.delenv("SEAWAY_APP", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for name in ("GIT_DIR", "GIT_WORK_TREE"):
        monkeypatch.delenv(name, raising=False)


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    git("init", "-q", cwd=path)
    return path


@pytest.fixture
def plain(tmp_path: Path) -> Path:
    path = tmp_path / "plain"
    path.mkdir()
    return path


# -- resolve_app ------------------------------------------------------------------

def test_option_wins_over_everything(repo: Path, monkeypatch: pytest.MonkeyPatch):
    git("config", "seaway.app", "from-git", cwd=repo)
    (repo / LINK_FILE).write_text("from-file\n")
    monkeypatch.setenv("SEAWAY_APP", "from-env")
    assert resolve_app("from-option", repo) == "from-option"


def test_environment_wins_over_links(repo: Path, monkeypatch: pytest.MonkeyPatch):
    git("config", "seaway.app", "from-git", cwd=repo)
    (repo / LINK_FILE).write_text("from-file\n")
    monkeypatch.setenv("SEAWAY_APP", "from-env")
    assert resolve_app(None, repo) == "from-env"


def test_empty_environment_variable_is_ignored(plain: Path, monkeypatch: pytest.MonkeyPatch):
    (plain / LINK_FILE).write_text("from-file\n")
    monkeypatch.setenv("SEAWAY_APP", "")
    assert resolve_app(None, plain) == "from-file"


def test_git_config_in_a_git_repo(repo: Path):
    git("config", "seaway.app", "from-git", cwd=repo)
    assert resolve_app(None, repo) == "from-git"
    sub = repo / "src" / "pkg"
    sub.mkdir(parents=True)
    assert resolve_app(None, sub) == "from-git"


def test_git_config_wins_over_a_link_file(repo: Path):
    git("config", "seaway.app", "from-git", cwd=repo)
    (repo / LINK_FILE).write_text("from-file\n")
    assert resolve_app(None, repo) == "from-git"


def test_link_file_in_a_git_repo_without_the_setting(repo: Path):
    (repo / LINK_FILE).write_text("from-file\n")
    assert resolve_app(None, repo) == "from-file"


def test_link_file_up_the_tree(plain: Path):
    (plain / LINK_FILE).write_text("  from-file  \n")
    deep = plain / "a" / "b" / "c"
    deep.mkdir(parents=True)
    assert resolve_app(None, deep) == "from-file"


def test_nearest_link_file_wins(plain: Path):
    (plain / LINK_FILE).write_text("outer\n")
    inner = plain / "inner"
    inner.mkdir()
    (inner / LINK_FILE).write_text("inner\n")
    assert resolve_app(None, inner / ".") == "inner"
    assert resolve_app(None, plain) == "outer"


def test_link_folder_named_like_the_file_is_not_a_link(plain: Path):
    (plain / LINK_FILE).mkdir()
    with pytest.raises(click.UsageError):
        resolve_app(None, plain)


def test_current_directory_is_the_default(plain: Path, monkeypatch: pytest.MonkeyPatch):
    (plain / LINK_FILE).write_text("here\n")
    monkeypatch.chdir(plain)
    assert resolve_app(None) == "here"


def test_nothing_linked_is_a_clear_usage_error(plain: Path, repo: Path):
    for folder in (plain, repo):
        with pytest.raises(click.UsageError) as caught:
            resolve_app(None, folder)
        message = caught.value.message
        assert message.startswith("No app specified. Use -a APP")
        assert "seaway git:remote -a APP" in message


def test_linked_app_is_none_when_nothing_is_linked(plain: Path):
    assert linked_app(plain) is None


# -- link_directory ---------------------------------------------------------------

def test_link_in_a_git_work_tree_uses_git_config(repo: Path):
    assert link_directory(repo, "my-app") == "git config seaway.app"
    assert git("config", "--local", "--get", "seaway.app", cwd=repo) == "my-app"
    assert not (repo / LINK_FILE).exists()
    assert resolve_app(None, repo) == "my-app"


def test_link_in_a_subfolder_of_a_git_work_tree_links_the_repo(repo: Path):
    sub = repo / "sub"
    sub.mkdir()
    assert link_directory(sub, "my-app") == "git config seaway.app"
    assert not (sub / LINK_FILE).exists()
    assert resolve_app(None, repo) == "my-app"


def test_relink_in_git_replaces_the_app(repo: Path):
    link_directory(repo, "first")
    link_directory(repo, "second")
    assert resolve_app(None, repo) == "second"


def test_link_outside_git_writes_the_link_file(plain: Path):
    assert link_directory(plain, "my-app") == LINK_FILE
    assert (plain / LINK_FILE).read_text() == "my-app\n"
    assert resolve_app(None, plain) == "my-app"
    link_directory(plain, "other")
    assert resolve_app(None, plain) == "other"



def test_the_seaway_remote_names_the_app_and_several_remotes_need_a_choice(tmp_path: Path):
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "remote", "add", "staging", "http://127.0.0.1:5050/git/my-stg.git"], cwd=tmp_path, check=True)
    assert resolve_app(None, tmp_path) == "my-stg"  # the only Seaway remote
    subprocess.run(["git", "remote", "add", "prod", "http://127.0.0.1:5050/git/my-prod.git"], cwd=tmp_path, check=True)
    with pytest.raises(click.UsageError, match="several Seaway remotes"):
        resolve_app(None, tmp_path)
    subprocess.run(["git", "remote", "add", "seaway", "http://127.0.0.1:5050/git/my-prod.git"], cwd=tmp_path, check=True)
    assert resolve_app(None, tmp_path) == "my-prod"  # `seaway` wins
    subprocess.run(["git", "remote", "add", "github", "https://github.com/me/app.git"], cwd=tmp_path, check=True)
    assert resolve_app(None, tmp_path) == "my-prod"  # other remotes are not apps


def test_a_rename_moves_the_remotes_and_the_link_of_that_app_only(repo: Path):
    git("remote", "add", "staging", "http://seaway:tok@127.0.0.1:5050/git/my-stg.git", cwd=repo)
    git("remote", "add", "prod", "http://127.0.0.1:5050/git/my-prod.git", cwd=repo)
    git("config", "seaway.app", "my-stg", cwd=repo)
    assert follow_rename(repo, "my-stg", "my-staging") == ["Git remote staging updated",
                                                          "Link updated (git config seaway.app)"]
    assert git("remote", "get-url", "staging", cwd=repo) == "http://seaway:tok@127.0.0.1:5050/git/my-staging.git"
    assert git("remote", "get-url", "prod", cwd=repo) == "http://127.0.0.1:5050/git/my-prod.git"
    assert follow_rename(repo, "my-stg", "again") == []


def test_a_rename_rewrites_the_link_file_that_names_the_app(plain: Path):
    (plain / LINK_FILE).write_text("old-name\n")
    inner = plain / "src"
    inner.mkdir()
    assert follow_rename(inner, "old-name", "new-name") == [f"Link updated ({plain / LINK_FILE})"]
    assert resolve_app(None, inner) == "new-name"
    assert follow_rename(inner, "other", "x") == []
