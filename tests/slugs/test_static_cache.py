"""collectstatic's output kept between builds: what a run wrote, kept once frozen, written back safely."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from seaway.slugs.static_cache import StaticCache, snapshot


def wrote(app: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (app / name).parent.mkdir(parents=True, exist_ok=True)
        (app / name).write_text(text)


def kept(tmp_path: Path, files: dict[str, str], key: str = "k1") -> StaticCache:
    app = tmp_path / "first"
    wrote(app, {"app.py": "code"})
    cache = StaticCache(tmp_path / "cache")
    cache.root.mkdir()
    before = snapshot(app, (".venv",))
    wrote(app, files)
    cache.remember(key, before, snapshot(app, (".venv",)), "2 static files copied")
    cache.commit(app)
    return cache


def test_only_what_the_run_wrote_is_kept_and_given_back(tmp_path: Path) -> None:
    cache = kept(tmp_path, {"staticfiles/a.css": "a", "staticfiles/sub/b.js": "b"})
    meta = json.loads((cache.root / "k1" / "meta.json").read_text())
    assert sorted(meta["files"]) == ["staticfiles/a.css", "staticfiles/sub/b.js"]
    new = tmp_path / "second"
    wrote(new, {"app.py": "changed code"})
    assert cache.restore("k1", new, None) == "2 files; 2 static files copied"
    assert (new / "staticfiles" / "sub" / "b.js").read_text() == "b"
    assert cache.restore("other-key", new, None) is None


def test_output_changed_after_the_run_is_not_kept(tmp_path: Path) -> None:
    app = tmp_path / "app"
    wrote(app, {"app.py": ""})
    cache = StaticCache(tmp_path / "cache")
    cache.root.mkdir()
    before = snapshot(app, ())
    wrote(app, {"static/a.css": "a"})
    cache.remember("k", before, snapshot(app, ()), "1 static file copied")
    (app / "static" / "a.css").write_text("changed by post_compile")
    cache.commit(app)
    assert not (cache.root / "k").exists()


def test_restoring_never_follows_a_link_the_build_made(tmp_path: Path) -> None:
    """A build that plants `staticfiles -> /somewhere` must not get root to write there."""
    cache = kept(tmp_path, {"staticfiles/a.css": "a"})
    target = tmp_path / "outside"
    target.mkdir()
    new = tmp_path / "second"
    new.mkdir()
    (new / "staticfiles").symlink_to(target)
    with pytest.raises(OSError):
        cache.restore("k1", new, None)
    assert list(target.iterdir()) == []


def test_an_existing_file_means_collectstatic_runs_instead(tmp_path: Path) -> None:
    cache = kept(tmp_path, {"staticfiles/a.css": "a"})
    new = tmp_path / "second"
    wrote(new, {"staticfiles/a.css": "committed"})
    assert cache.restore("k1", new, None) is None


def test_only_the_newest_entries_are_kept(tmp_path: Path) -> None:
    shared = StaticCache(tmp_path / "shared")
    shared.root.mkdir()
    for number in range(5):
        app = tmp_path / f"a{number}"
        wrote(app, {"x": ""})
        before = snapshot(app, ())
        wrote(app, {"s/a.css": str(number)})
        shared.remember(f"k{number}", before, snapshot(app, ()), "")
        shared.commit(app)
        os.utime(shared.root / f"k{number}", (number, number))
    assert sorted(p.name for p in shared.root.iterdir()) == ["k2", "k3", "k4"]
