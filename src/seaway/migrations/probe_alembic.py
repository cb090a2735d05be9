# Runs inside a one-off dyno, with the slug's own venv: reads an Alembic script folder and the
# alembic_version table of DATABASE_URL, and prints one JSON document. Never imported by the daemon.
import json
import os
import sys

from alembic.script import ScriptDirectory

location = os.environ["SEAWAY_SCRIPT_LOCATION"]
report = {"revisions": [], "heads": [], "current": [], "errors": []}
try:
    script = ScriptDirectory(location)
    report["heads"] = list(script.get_heads())
    for rev in script.walk_revisions():
        down = rev.down_revision
        report["revisions"].append({
            "revision": rev.revision,
            "message": (rev.doc or "").strip(),
            "date": next((line.split(":", 1)[1].strip() for line in (rev.module.__doc__ or "").splitlines()
                          if line.startswith("Create Date:")), ""),
            "parents": [d for d in (down if isinstance(down, (tuple, list)) else [down]) if d],
            "path": os.path.relpath(rev.path),
        })
except Exception as error:  # noqa: BLE001 - a broken chain is a finding, not a crash
    report["errors"].append(f"{type(error).__name__}: {error}")

url = os.environ.get("DATABASE_URL", "")
if url:
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    try:
        import sqlalchemy

        engine = sqlalchemy.create_engine(url)
        with engine.connect() as conn:
            if sqlalchemy.inspect(conn).has_table("alembic_version"):
                report["current"] = [row[0] for row in conn.execute(sqlalchemy.text("SELECT version_num FROM alembic_version"))]
            report["tables"] = sorted(sqlalchemy.inspect(conn).get_table_names())
    except Exception as error:  # noqa: BLE001
        report["database_error"] = f"{type(error).__name__}: {error}"
if os.environ.get("SEAWAY_FRAMEWORK") == "flask-migrate" and "tables" in report:
    # The tables the app's models declare (Flask-SQLAlchemy's metadata), to compare with the database.
    try:
        sys.path.insert(0, os.getcwd())
        from flask.cli import ScriptInfo

        flask_app = ScriptInfo().load_app()
        with flask_app.app_context():
            metadata = flask_app.extensions["migrate"].db.metadata
            report["model_tables"] = sorted(table.name for table in metadata.sorted_tables)
    except Exception as error:  # noqa: BLE001
        report["model_error"] = f"{type(error).__name__}: {error}"
json.dump(report, sys.stdout)
print()
