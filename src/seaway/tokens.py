"""Bearer tokens: the first start makes an admin token, shown once and kept in SEAWAY_HOME/credentials."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

from seaway.credentials import write_credentials
from seaway.store import Store


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def ensure_admin_token(store: Store, credentials: Path, api_url: str) -> str | None:
    """Create the admin token on first start; return it (to show once), or None if one exists."""
    if store.has_tokens():
        return None
    token = secrets.token_urlsafe(32)
    store.add_token(token_hash(token), "admin (created on first start)")
    write_credentials(credentials, api_url, token)
    return token


def valid_token(store: Store, presented: str) -> bool:
    return store.token_exists(token_hash(presented))
