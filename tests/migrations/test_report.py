"""Status, history and validation computed from a probe's findings."""

from __future__ import annotations

from pathlib import Path

from seaway.migrations.detect import detect
from seaway.migrations.report import history, mask_url, probe_failure, status, validate

APPS = Path(__file__).parent.parent / "apps"


def _report(current: list[str], heads: list[str] | None = None, errors: list[str] | None = None) -> dict:
    revisions = [  # newest first, as Alembic walks them
        {"revision": "c3", "message": "three", "date": "", "parents": ["b2"], "path": "c3.py"},
        {"revision": "b2", "message": "two", "date": "", "parents": ["a1"], "path": "b2.py"},
        {"revision": "a1", "message": "one", "date": "", "parents": [], "path": "a1.py"},
    ]
    return {"revisions": revisions, "heads": heads or ["c3"], "current": current, "errors": errors or []}


def test_status_lists_pending_oldest_first_and_masks_the_url() -> None:
    found = status(_report(["a1"]), "postgres://user:secret@127.0.0.1:5432/db")
    assert found["current_revision"] == "a1" and found["head_revision"] == "c3"
    assert found["pending_revisions"] == ["b2", "c3"] and not found["is_up_to_date"]
    assert found["total_revisions"] == 3 and found["database_url_masked"] == "postgres://user:****@127.0.0.1:5432/db"
    assert status(_report(["c3"]), "")["is_up_to_date"]
    assert status(_report([]), "")["pending_revisions"] == ["a1", "b2", "c3"]


def test_history_marks_applied_revisions() -> None:
    rows = history(_report(["b2"]))
    assert [(r["revision"], r["applied"], r["head"]) for r in rows] == [("c3", False, True), ("b2", True, False),
                                                                       ("a1", True, False)]


def test_validate_finds_heads_schema_ahead_and_broken_chains() -> None:
    assert validate(_report(["c3"])) == {"valid": True, "problems": []}
    problems = validate(_report(["zz9"], heads=["c3", "d4"], errors=["RevisionError: missing b0"]))["problems"]
    assert any("multiple heads: c3 d4" in p and "flask db merge c3 d4" in p for p in problems)
    assert any("revision zz9, which this code does not know" in p for p in problems)
    assert any("broken revision chain: RevisionError" in p for p in problems)
    assert mask_url("postgresql://u@h/db") == "postgresql://u@h/db"


def test_detect_frameworks(tmp_path: Path) -> None:
    assert detect(APPS / "flask_migrate").name == "flask-migrate"
    assert detect(APPS / "wsgi_basic") is None
    (tmp_path / "alembic").mkdir()
    (tmp_path / "alembic" / "env.py").write_text("from alembic import context\n")
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s/alembic\n")
    assert detect(tmp_path).name == "alembic" and detect(tmp_path).script_location == "alembic"
    django = tmp_path / "site"
    (django / "polls" / "migrations").mkdir(parents=True)
    (django / "manage.py").write_text("")
    (django / "polls" / "migrations" / "__init__.py").write_text("")
    assert detect(django).name == "django"


def test_validate_finds_model_tables_the_database_lacks() -> None:
    found = {**_report(["c3"]), "tables": ["alembic_version", "greeting"], "model_tables": ["greeting", "mood"]}
    problems = validate(found)["problems"]
    assert problems == ["the models declare tables the database lacks: mood (a migration is missing, or has not run)"]
    assert validate({**found, "model_tables": ["greeting"]})["valid"]


def test_a_probe_that_could_not_read_the_code_or_the_database_is_a_failure_not_up_to_date():
    no_code = {"revisions": [], "heads": [], "current": [], "applied": [], "errors": ["ModuleNotFoundError: x"]}
    assert probe_failure(no_code) == "the app's migrations did not load: ModuleNotFoundError: x"
    no_database = {"revisions": [{"revision": "a", "parents": []}], "heads": ["a"], "current": [], "errors": [],
                   "database_error": "OperationalError: refused"}
    assert probe_failure(no_database) == "cannot read the database: OperationalError: refused"
    broken_chain = {"revisions": [{"revision": "a", "parents": []}], "heads": ["a"], "current": ["a"],
                    "errors": ["revision b is missing"]}
    assert probe_failure(broken_chain) is None  # it read the code: validate reports the chain
    assert probe_failure({"revisions": [], "heads": [], "current": [], "errors": []}) is None  # no migrations yet
