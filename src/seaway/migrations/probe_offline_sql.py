# Runs inside a one-off dyno, with the slug's own venv: renders the SQL of the pending migrations with
# the migration tool's own API, taking it from the tool's own output channel, so that nothing the app
# prints (Flask's tips, print()s in env.py, log lines in any format) is mistaken for SQL. Everything
# else written to stdout goes to stderr meanwhile. Prints one JSON document last:
# {"sql": [[label, text], ...]} (one entry per Django migration, one for Alembic) or {"error": "..."}.
# Never imported by the daemon.
import io
import json
import os
import re
import sys

REAL_STDOUT = sys.stdout
sys.stdout = sys.stderr  # the app's own chatter, whatever prints it
sys.path.insert(0, os.getcwd())
FRAMEWORK = os.environ["SEAWAY_FRAMEWORK"]
PENDING = json.loads(os.environ["SEAWAY_PENDING"])  # Django: ["app.0002_name", ...]; Alembic: ["rev:head"]


def alembic_sql(span):
    from alembic.runtime import migration

    buffer = io.StringIO()
    original = migration.MigrationContext.__init__

    def into_buffer(self, dialect, connection, opts, *args, **kwargs):
        original(self, dialect, connection, {**opts, "output_buffer": buffer}, *args, **kwargs)

    migration.MigrationContext.__init__ = into_buffer
    try:
        if FRAMEWORK == "flask-migrate":
            from flask.cli import main

            sys.argv = ["flask", "db", "upgrade", "--sql", span]
            main()
        else:
            from alembic.config import main

            main(argv=["-c", os.environ.get("SEAWAY_ALEMBIC_INI", "alembic.ini"), "upgrade", span, "--sql"])
    except SystemExit as stop:
        if stop.code not in (None, 0):
            raise RuntimeError(f"the migration tool exited with status {stop.code}") from None
    return [[span, buffer.getvalue()]]


def django_sql():
    if "DJANGO_SETTINGS_MODULE" not in os.environ:
        found = re.search(r"DJANGO_SETTINGS_MODULE['\"]\s*,\s*['\"]([\w.]+)['\"]", open("manage.py").read())
        os.environ["DJANGO_SETTINGS_MODULE"] = found.group(1) if found else "settings"
    import django

    django.setup()
    from django.core.management import call_command

    rendered = []
    for revision in PENDING:
        app, _, name = revision.partition(".")
        buffer = io.StringIO()
        call_command("sqlmigrate", app, name, stdout=buffer, no_color=True)
        rendered.append([revision, buffer.getvalue()])
    return rendered


try:
    result = {"sql": django_sql() if FRAMEWORK == "django" else alembic_sql(PENDING[0])}
except Exception as error:  # noqa: BLE001 - reported, not raised
    result = {"error": f"{type(error).__name__}: {error}"}
REAL_STDOUT.write(json.dumps(result) + "\n")
REAL_STDOUT.flush()
