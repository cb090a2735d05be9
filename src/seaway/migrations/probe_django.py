# Runs inside a one-off dyno, with the slug's own venv: loads the Django project's migration graph
# and what its database has applied, and prints one JSON document. Never imported by the daemon.
import json
import os
import re
import sys

sys.path.insert(0, os.getcwd())
if "DJANGO_SETTINGS_MODULE" not in os.environ:
    manage = open("manage.py").read()
    found = re.search(r"DJANGO_SETTINGS_MODULE['\"]\s*,\s*['\"]([\w.]+)['\"]", manage)
    os.environ["DJANGO_SETTINGS_MODULE"] = found.group(1) if found else "settings"
report = {"revisions": [], "heads": [], "current": [], "applied": [], "conflicts": [], "errors": []}
try:
    import django

    django.setup()
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(connection, ignore_no_migrations=True)
    graph = loader.graph
    for app, name in sorted(graph.nodes, key=lambda node: (node[0], node[1]), reverse=True):
        node = graph.node_map[(app, name)]
        report["revisions"].append({"revision": f"{app}.{name}", "message": name, "date": "",
                                    "parents": sorted(f"{a}.{n}" for a, n in node.parents)})
    report["heads"] = sorted(f"{a}.{n}" for a, n in graph.leaf_nodes())
    report["applied"] = sorted(f"{a}.{n}" for a, n in loader.applied_migrations)
    report["current"] = report["applied"]
    report["conflicts"] = [f"{app}: {', '.join(names)}" for app, names in loader.detect_conflicts().items()]
    report["tables"] = sorted(connection.introspection.table_names())
    from django.apps import apps

    report["model_tables"] = sorted({model._meta.db_table for model in apps.get_models()
                                     if model._meta.managed and not model._meta.proxy})
except Exception as error:  # noqa: BLE001 - reported, not raised
    report["errors"].append(f"{type(error).__name__}: {error}")
json.dump(report, sys.stdout)
print()
