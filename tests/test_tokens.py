"""Bearer tokens (seaway/tokens.py): the admin token made on first start, and checking a presented one."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from seaway.credentials import read_credentials
from seaway.store import Store
from seaway.tokens import ensure_admin_token, token_hash, valid_token

API_URL = "http://127.0.0.1:5050"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "seaway.db")
    yield store
    store.engine.dispose()


def test_token_hash_is_sha256_hex():
    assert token_hash("abc") == hashlib.sha256(b"abc").hexdigest()


def test_admin_token_is_created_once(store: Store, tmp_path: Path):
    credentials = tmp_path / "credentials"
    token = ensure_admin_token(store, credentials, API_URL)
    assert isinstance(token, str) and len(token) >= 32
    assert read_credentials(credentials) == {"SEAWAY_API_URL": API_URL, "SEAWAY_API_TOKEN": token}
    assert stat.S_IMODE(os.stat(credentials).st_mode) == 0o600

    assert ensure_admin_token(store, credentials, API_URL) is None
    assert read_credentials(credentials)["SEAWAY_API_TOKEN"] == token, "the second start leaves the file alone"
    with store.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM api_tokens")).scalar() == 1


def test_token_is_stored_hashed_not_in_clear(store: Store, tmp_path: Path):
    token = ensure_admin_token(store, tmp_path / "credentials", API_URL)
    with store.engine.connect() as connection:
        stored = connection.execute(text("SELECT token_sha256 FROM api_tokens")).scalar()
    assert stored == token_hash(token)
    assert stored != token


def test_valid_token(store: Store, tmp_path: Path):
    token = ensure_admin_token(store, tmp_path / "credentials", API_URL)
    assert valid_token(store, token) is True
    assert valid_token(store, token + "x") is False
    assert valid_token(store, "") is False
    assert valid_token(store, token_hash(token)) is False, "the stored hash itself is not a credential"


def test_each_new_store_gets_a_different_token(tmp_path: Path):
    tokens = []
    for name in ("a", "b"):
        store = Store(tmp_path / f"{name}.db")
        tokens.append(ensure_admin_token(store, tmp_path / f"{name}.credentials", API_URL))
        store.engine.dispose()
    assert tokens[0] != tokens[1]
