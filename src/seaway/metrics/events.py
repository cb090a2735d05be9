"""Markers on the metrics' time axis: the app's releases, each a deploy, a rollback, a config change or other."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from seaway.store.models import Release, aware


def kind_of(release: Release, live: Release | None) -> str:
    """`live`: the release that was live before it (the last one that succeeded)."""
    if release.rollback_of is not None:
        return "rollback"
    if release.slug_digest and (live is None or release.slug_digest != live.slug_digest):
        return "deploy"
    if live is not None and release.config != live.config:
        return "config"
    return "other"


def release_events(releases: list[Release], since: datetime) -> list[dict[str, Any]]:
    """The releases created from `since` on, oldest first."""
    events, live = [], None
    for release in sorted(releases, key=lambda r: r.version):
        created = aware(release.created_at)
        if created >= since:
            events.append({"at": created.isoformat(), "version": release.version, "kind": kind_of(release, live),
                           "description": release.description, "status": release.status})
        if release.status == "succeeded":
            live = release
    return events
