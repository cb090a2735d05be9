"""Status, history and validation of an app's migrations, from what the probe found. Pure."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any


def mask_url(url: str) -> str:
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:****@", url)


def _ancestors(revisions: dict[str, dict[str, Any]], starts: list[str]) -> set[str]:
    seen: set[str] = set()
    todo = list(starts)
    while todo:
        rev = todo.pop()
        if rev in seen or rev not in revisions:
            continue
        seen.add(rev)
        todo += revisions[rev]["parents"]
    return seen


def applied_revisions(report: dict[str, Any]) -> set[str]:
    """Django says what is applied; for Alembic it is everything below the current revision(s)."""
    if "applied" in report:
        return set(report["applied"])
    return _ancestors({r["revision"]: r for r in report["revisions"]}, report["current"])


def probe_failure(report: dict[str, Any]) -> str | None:
    """Why the probe could not tell the database's state (its code did not load, or the database could not
    be read), or None when it could: such a report must never read as "up to date"."""
    if report.get("database_error"):
        return f"cannot read the database: {report['database_error']}"
    if report.get("errors") and not report.get("revisions"):
        return f"the app's migrations did not load: {'; '.join(report['errors'])}"
    return None


def status(report: dict[str, Any], database_url: str) -> dict[str, Any]:
    applied = applied_revisions(report)
    pending = [r["revision"] for r in reversed(report["revisions"]) if r["revision"] not in applied]
    heads, current = report["heads"], report["current"]
    if "applied" in report:  # Django: one leaf per app, so "current" is what is applied of the leaves
        current = [head for head in heads if head in applied]
    return {
        "framework": report.get("framework"),
        "current_revision": current[0] if len(current) == 1 else (current or None),
        "head_revision": heads[0] if len(heads) == 1 else (heads or None),
        "is_up_to_date": bool(heads) and sorted(current) == sorted(heads) and not pending,
        "pending_revisions": pending,
        "total_revisions": len(report["revisions"]),
        "database_url_masked": mask_url(database_url),
        "timestamp": datetime.now(timezone.utc).isoformat(),
        "database_error": report.get("database_error"),
    }


def history(report: dict[str, Any]) -> list[dict[str, Any]]:
    applied = applied_revisions(report)
    return [{**r, "applied": r["revision"] in applied, "head": r["revision"] in report["heads"]}
            for r in report["revisions"]]


def validate(report: dict[str, Any]) -> dict[str, Any]:
    known = {r["revision"] for r in report["revisions"]}
    problems = [f"broken revision chain: {error}" for error in report["errors"]]
    if "conflicts" in report:  # Django: several leaves in one app
        problems += [f"conflicting migrations in {conflict}: run `python manage.py makemigrations --merge`"
                     for conflict in report["conflicts"]]
    elif len(report["heads"]) > 1:
        heads = " ".join(report["heads"])
        problems.append(f"multiple heads: {heads}. Merge them with `flask db merge {heads}` "
                        f"(or `alembic merge {heads}`) and deploy again.")
    for revision in report["current"] if "applied" not in report else []:
        if revision not in known:
            problems.append(f"the database is at revision {revision}, which this code does not know: "
                            "the schema is ahead of the code (a newer release migrated it).")
    if report.get("database_error"):
        problems.append(f"cannot read the database: {report['database_error']}")
    missing = sorted(set(report.get("model_tables", [])) - set(report.get("tables", [])))
    if missing and "tables" in report:
        problems.append(f"the models declare tables the database lacks: {', '.join(missing)} "
                        "(a migration is missing, or has not run)")
    return {"valid": not problems, "problems": problems}
