"""Which add-on services Seaway provides, by the names users write (Heroku's among them)."""

from __future__ import annotations

from seaway.errors import Invalid

POSTGRES_NAMES = ("postgresql", "heroku-postgresql", "postgres")


def addon_service(text: str, where: str = "Add-on") -> tuple[str, str]:
    """(service, plan) for `text` like postgresql or heroku-postgresql:essential-0 (Invalid otherwise)."""
    service, _, plan = text.partition(":")
    if service not in POSTGRES_NAMES or len(plan) > 50:
        raise Invalid(f"{where}: Seaway has no add-on service {text!r}. It provides postgresql (also as "
                      "heroku-postgresql[:PLAN]).")
    return "postgresql", plan
