"""Who asked, as the API records it."""

from __future__ import annotations

from collections.abc import Mapping


def author_of(headers: Mapping[str, str]) -> str:
    """Who asked, as the CLI reports it (git user.email or user@host); recorded on releases."""
    return (headers.get("X-Seaway-Author") or "admin")[:200]
