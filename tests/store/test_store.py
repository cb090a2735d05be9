"""Store on a real SQLite file: apps, config vars, releases, formation, tokens; WAL; Alembic at head."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from seaway.api.errors import http_status
from seaway.errors import UserError
from seaway.store import Store
from seaway.store.db import MIGRATIONS
from seaway.store.models import App, Slug


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "seaway.db"


@pytest.fixture
def store(db_path: Path) -> Store:
    store = Store(db_path)
    yield store
    store.engine.dispose()


def add_slug(store: Store, digest: str = "a" * 64) -> str:
    store.save_slug(Slug(digest=digest, size=1, python_version="3.12.1", process_types={"web": "x"}, deps_key="d" * 64))
    return digest


# -- schema -----------------------------------------------------------------------


def test_database_is_in_wal_mode(store: Store, db_path: Path):
    with store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    raw = sqlite3.connect(db_path)  # WAL is persistent: a plain connection sees it too
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        raw.close()


def test_schema_is_at_alembic_head(store: Store):
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    with store.engine.connect() as connection:
        assert [row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))] == [head]


def test_opening_twice_keeps_the_data(db_path: Path):
    first = Store(db_path)
    first.create_app("my-app")
    first.engine.dispose()
    second = Store(db_path)  # migrating an up-to-date database is a no-op
    try:
        assert [a.name for a in second.apps()] == ["my-app"]
    finally:
        second.engine.dispose()


# -- apps ---------------------------------------------------------------------------


def test_create_list_and_destroy_apps(store: Store):
    assert store.apps() == []
    created = store.create_app("zeta")
    store.create_app("alpha")
    assert created.id is not None and created.name == "zeta"
    assert created.current_release is None
    assert [a.name for a in store.apps()] == ["alpha", "zeta"]
    assert store.app("zeta").id == created.id
    store.destroy_app("zeta")
    assert [a.name for a in store.apps()] == ["alpha"]


def test_rename_keeps_the_apps_rows_and_frees_the_old_name(store: Store):
    app = store.create_app("before")
    store.change_config(app, {"A": "1"})
    store.create_release(app, None, {"A": "1"}, "Set A")
    store.create_app("taken")
    with pytest.raises(UserError, match="Name taken is already taken") as refused:
        store.rename_app(app, "taken")
    assert http_status(refused.value) == 409
    renamed = store.rename_app(app, "after")
    assert (renamed.id, renamed.name) == (app.id, "after")
    assert store.config(store.app("after")) == {"A": "1"} and len(store.releases(renamed)) == 1
    with pytest.raises(UserError, match="Couldn't find that app"):
        store.app("before")
    assert store.create_app("before").id != app.id


def test_duplicate_name_is_409(store: Store):
    store.create_app("my-app")
    with pytest.raises(UserError) as info:
        store.create_app("my-app")
    assert http_status(info.value) == 409
    assert "my-app" in str(info.value) and "already taken" in str(info.value)
    assert len(store.apps()) == 1


def test_unknown_app_is_404(store: Store):
    with pytest.raises(UserError) as info:
        store.app("nope")
    assert http_status(info.value) == 404
    assert "'nope'" in str(info.value)
    with pytest.raises(UserError) as info:
        store.destroy_app("nope")
    assert http_status(info.value) == 404


def test_store_error_defaults_to_400():
    assert http_status(UserError("bad")) == 400


def test_destroy_removes_the_apps_rows_and_frees_the_name(store: Store):
    app = store.create_app("my-app")
    store.change_config(app, {"A": "1"})
    store.create_release(app, None, {"A": "1"}, "Set A")
    store.destroy_app("my-app")
    with store.engine.connect() as connection:
        for table in ("config_vars", "releases", "formation"):
            assert connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0, table
    again = store.create_app("my-app")
    assert store.config(again) == {}
    assert store.releases(again) == []
    assert store.formation(again) == {"web": 1}


# -- config vars ------------------------------------------------------------------------


def test_config_set_change_and_unset(store: Store):
    app = store.create_app("my-app")
    assert store.config(app) == {}
    assert store.change_config(app, {"B": "2", "A": "1"}) == {"A": "1", "B": "2"}
    assert store.change_config(app, {"A": "one"}) == {"A": "one", "B": "2"}
    assert store.change_config(app, {"B": None, "C": "3"}) == {"A": "one", "C": "3"}
    assert store.change_config(app, {"NEVER_SET": None}) == {"A": "one", "C": "3"}
    assert store.config(app) == {"A": "one", "C": "3"}


def test_config_is_per_app(store: Store):
    one, two = store.create_app("one-app"), store.create_app("two-app")
    store.change_config(one, {"A": "1"})
    assert store.config(two) == {}
    store.change_config(two, {"A": "2"})
    assert store.config(one) == {"A": "1"}


def set_at_once(store: Store, app: App, key: str, writers: int) -> list[Exception]:
    """`writers` threads set `key` in the same instant; return what they raised."""
    barrier, errors = threading.Barrier(writers), []

    def set_key(value: str) -> None:
        barrier.wait()
        try:
            store.change_config(app, {key: value})
        except Exception as error:  # noqa: BLE001 - collected and asserted on by the caller
            errors.append(error)

    threads = [threading.Thread(target=set_key, args=(str(i),)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_concurrent_sets_of_a_new_key_all_succeed(store: Store):
    """Requests setting the same new key at once: none may fail on the (app, key) uniqueness."""
    app = store.create_app("my-app")
    for round_ in range(5):
        assert set_at_once(store, app, f"RACE_{round_}", writers=6) == []
        assert store.config(app)[f"RACE_{round_}"] in {str(i) for i in range(6)}


def test_config_values_keep_any_text(store: Store):
    app = store.create_app("my-app")
    value = "postgresql://u:p@h:5432/db?x=1&y=\"2\"\nline2 ünïcode ="
    assert store.change_config(app, {"DATABASE_URL": value, "EMPTY": ""}) == {"DATABASE_URL": value, "EMPTY": ""}


# -- releases --------------------------------------------------------------------------------


def test_release_numbering_is_per_app_and_starts_at_v1(store: Store):
    one, two = store.create_app("one-app"), store.create_app("two-app")
    versions = [store.create_release(one, None, {}, f"r{i}").version for i in range(3)]
    assert versions == [1, 2, 3]
    assert store.create_release(two, None, {}, "first").version == 1
    assert [r.version for r in store.releases(one)] == [3, 2, 1]


def test_release_keeps_its_config_snapshot_and_slug(store: Store):
    app = store.create_app("my-app")
    digest = add_slug(store)
    release = store.create_release(app, digest, {"A": "1"}, "Deploy aaaaaaa")
    store.change_config(app, {"A": "2"})
    fetched = store.release(app, release.version)
    assert fetched.config == {"A": "1"}
    assert fetched.slug_digest == digest
    assert fetched.status == "pending"
    assert fetched.description == "Deploy aaaaaaa"


def test_finish_release_sets_current_release_only_on_success(store: Store):
    app = store.create_app("my-app")
    v1 = store.create_release(app, None, {}, "one")
    store.finish_release(v1, "succeeded", "ok")
    assert store.app("my-app").current_release == 1
    v2 = store.create_release(app, None, {}, "two")
    store.finish_release(v2, "failed", "release command failed")
    assert store.app("my-app").current_release == 1
    assert store.current_release(app).version == 1
    assert store.release(app, 2).status == "failed"
    assert store.release(app, 2).output == "release command failed"
    v3 = store.create_release(app, None, {}, "three")
    assert store.current_release(app).version == 1, "a pending release is not current"
    store.finish_release(v3, "succeeded", "")
    assert store.current_release(app).version == 3


def test_no_current_release_before_any_success(store: Store):
    app = store.create_app("my-app")
    assert store.current_release(app) is None
    store.create_release(app, None, {}, "pending")
    assert store.current_release(app) is None


def test_unknown_release_is_404(store: Store):
    app = store.create_app("my-app")
    with pytest.raises(UserError) as info:
        store.release(app, 7)
    assert http_status(info.value) == 404
    assert "v7" in str(info.value)


def test_fail_pending_releases(store: Store):
    one, two = store.create_app("one-app"), store.create_app("two-app")
    done = store.create_release(one, None, {}, "done")
    store.finish_release(done, "succeeded", "fine")
    store.create_release(one, None, {}, "stuck")
    store.create_release(two, None, {}, "stuck too")
    assert store.fail_pending_releases() == 2
    assert store.release(one, 1).status == "succeeded"
    assert store.release(one, 1).output == "fine"
    for app in (one, two):
        stuck = store.releases(app)[0]
        assert stuck.status == "failed"
        assert "stopped while this release was in progress" in stuck.output
    assert store.fail_pending_releases() == 0
    assert store.app("one-app").current_release == 1


# -- slugs and builds ------------------------------------------------------------------------


def test_save_slug_is_idempotent(store: Store):
    digest = add_slug(store)
    again = store.save_slug(Slug(digest=digest, size=999, python_version="3.11.0", process_types={}, deps_key="x"))
    assert again.size == 1
    assert store.slug(digest).process_types == {"web": "x"}
    assert store.slug("b" * 64) is None


def test_last_slug_is_the_newest_successful_build(store: Store):
    app = store.create_app("my-app")
    assert store.last_slug(app) is None
    old, new = add_slug(store, "1" * 64), add_slug(store, "2" * 64)
    b1 = store.create_build(app)
    store.finish_build(b1.id, "succeeded", "out", old)
    b2 = store.create_build(app)
    store.finish_build(b2.id, "succeeded", "out", new)
    b3 = store.create_build(app)
    store.finish_build(b3.id, "failed", "broken", None)
    store.create_build(app)  # still pending
    assert store.last_slug(app).digest == new


# -- formation and tokens ----------------------------------------------------------------------


def test_formation_defaults_to_one_web(store: Store):
    app = store.create_app("my-app")
    assert store.formation(app) == {"web": 1}


def test_tokens(store: Store):
    assert store.has_tokens() is False
    assert store.token_exists("f" * 64) is False
    store.add_token("f" * 64, "admin")
    assert store.has_tokens() is True
    assert store.token_exists("f" * 64) is True
    assert store.token_exists("e" * 64) is False


def test_duplicate_token_hash_is_refused(store: Store):
    store.add_token("f" * 64, "admin")
    with pytest.raises(IntegrityError):
        store.add_token("f" * 64, "again")
    with store.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM api_tokens")).scalar() == 1


# -- add-ons ------------------------------------------------------------------------------------


def test_addons_are_listed_per_app_in_order(store: Store):
    one, two = store.create_app("one-app"), store.create_app("two-app")
    store.add_addon(one, "postgresql-a", "postgresql", "DATABASE_URL", {"role": "a"})
    store.add_addon(one, "postgresql-b", "postgresql", "OTHER_URL", {"role": "b"})
    assert [a.name for a in store.addons(one)] == ["postgresql-a", "postgresql-b"]
    assert store.addons(one)[0].details == {"role": "a"}
    assert store.addons(two) == []
