"""Which add-on services Seaway provides, by the names users write (Heroku's among them)."""

from __future__ import annotations

import re

from seaway.errors import Invalid

POSTGRES_NAMES = ("postgresql", "heroku-postgresql", "postgres")
ATTACHMENT = re.compile(r"[A-Z][A-Z0-9_]{0,40}")


def addon_service(text: str, where: str = "Add-on") -> tuple[str, str]:
    """(service, plan) for `text` like postgresql or heroku-postgresql:essential-0 (Invalid otherwise)."""
    service, _, plan = text.partition(":")
    if service not in POSTGRES_NAMES or len(plan) > 50:
        raise Invalid(f"{where}: Seaway has no add-on service {text!r}. It provides postgresql (also as "
                      "heroku-postgresql[:PLAN]).")
    return "postgresql", plan


def attachment_var(attach_as: str, where: str = "--as") -> str:
    """The config var an add-on attached as `attach_as` sets (ANALYTICS: ANALYTICS_URL; DATABASE: DATABASE_URL)."""
    base = attach_as.upper().removesuffix("_URL")
    if not ATTACHMENT.fullmatch(base):
        raise Invalid(f"{where} {attach_as!r}: use letters, digits and underscores, starting with a letter "
                      "(e.g. ANALYTICS, which sets ANALYTICS_URL).")
    return "DATABASE_URL" if base == "DATABASE" else f"{base}_URL"
