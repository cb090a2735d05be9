"""check_app_name / check_config_key: what users may choose, refused with a 422 that says how to fix it."""

from __future__ import annotations

import pytest

from seaway.api.errors import http_status
from seaway.errors import UserError
from seaway.naming import CONFIG_TOTAL_LIMIT, check_app_name, check_config_changes, check_config_key


@pytest.mark.parametrize("name", ["my-app", "abc", "a1b", "app2", "a-b-c", "x" * 30, "a" + "-" * 28 + "z"])
def test_good_app_names_are_returned(name: str):
    assert check_app_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "My App", "UPPER", "myApp", "../etc", "a/b", "a", "ab", "-x", "x-", "-ab", "ab-", "1app", "x" * 31,
        "", "my_app", "my.app", "my app", "ünï", " abc", "abc ",
    ],
)
def test_bad_app_names_are_refused_with_422(name: str):
    with pytest.raises(UserError) as info:
        check_app_name(name)
    assert http_status(info.value) == 422
    assert repr(name) in str(info.value)
    assert "3 to 30 characters" in str(info.value)


@pytest.mark.parametrize("check, value", [(check_app_name, "abc\n"), (check_config_key, "KEY\n")], ids=["app", "key"])
def test_trailing_newline_is_refused(check, value: str):
    with pytest.raises(UserError):
        check(value)


@pytest.mark.parametrize("key", ["DATABASE_URL", "SECRET_KEY", "_PRIVATE", "a", "lower_case", "K1", "X" * 100])
def test_good_config_keys_are_returned(key: str):
    assert check_config_key(key) == key


@pytest.mark.parametrize("key", ["", "1KEY", "MY-KEY", "MY KEY", "KEY=VALUE", "KÉY", "$HOME", "A.B"])
def test_bad_config_keys_are_refused_with_422(key: str):
    with pytest.raises(UserError) as info:
        check_config_key(key)
    assert http_status(info.value) == 422
    assert repr(key) in str(info.value)


def test_config_changes_are_checked_before_anything_is_stored():
    owned = {"DATABASE_URL": "postgresql-app-1"}
    check_config_changes({"DATABASE_URL": "postgres://x"}, {"SECRET_KEY": "s", "OLD": None}, owned)
    with pytest.raises(UserError, match="Cannot overwrite attachment values: DATABASE_URL belongs to the add-on "
                                         "postgresql-app-1") as error:
        check_config_changes({}, {"DATABASE_URL": "postgres://elsewhere"}, owned)
    assert http_status(error.value) == 422
    with pytest.raises(UserError, match="DATABASE_URL belongs"):
        check_config_changes({}, {"DATABASE_URL": None}, owned)  # unsetting it is the add-on's too
    with pytest.raises(UserError, match="holds a NUL byte"):
        check_config_changes({}, {"K": "a\x00"}, {})


def test_the_32_kb_limit_counts_every_name_and_value_after_the_change():
    current = {"A": "x" * (CONFIG_TOTAL_LIMIT - 2)}  # 1 + 32766 bytes: just under
    check_config_changes(current, {}, {})
    check_config_changes(current, {"A": None, "B": "y" * 100}, {})  # replacing frees room
    with pytest.raises(UserError, match="would total 32.0 kB, over the 32 kB limit"):
        check_config_changes(current, {"C": "zz"}, {})
    with pytest.raises(UserError, match="over the 32 kB limit"):
        check_config_changes({}, {"E": "é" * 16_384}, {})  # bytes, not characters
