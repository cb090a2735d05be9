"""LogQuery: which stored lines a reader asked for (--source, --dyno, --grep, since)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from seaway.logs import LogQuery, QueryError, format_line

WHEN = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=timezone.utc)


def line(source: str, message: str = "hello", when: datetime = WHEN) -> str:
    return format_line(source, message, when)


WEB_1 = line("app[web.1]", "GET / 200")
WEB_2 = line("app[web.2]", "GET /about 200")
WEB_10 = line("app[web.10]", "GET /ten 200")
WORKER_1 = line("app[worker.1]", "job done")
WEBHOOK_1 = line("app[webhook.1]", "hook fired")
ROUTER = line("router", "at=info method=GET path=/ status=200")
RELEASE = line("app[release.1]", "Running migrations")  # Heroku's label for the release phase
OLD_RELEASE = line("release[release.1]", "Running migrations")  # how earlier versions wrote it
SEAWAY = line("seaway", "Release v3 created")
SEAWAY_WEB_1 = line("seaway[web.1]", "Error L12 (Local buffer overflow): 5 lines of output dropped")
ALL = [WEB_1, WEB_2, WEB_10, WORKER_1, WEBHOOK_1, ROUTER, RELEASE, OLD_RELEASE, SEAWAY, SEAWAY_WEB_1]


def matching(query: LogQuery) -> list[str]:
    return [candidate for candidate in ALL if query.matches(candidate)]


def test_empty_query_matches_everything():
    assert matching(LogQuery()) == ALL


# -- source -----------------------------------------------------------------------------------

@pytest.mark.parametrize("source, expected", [
    ("app", [WEB_1, WEB_2, WEB_10, WORKER_1, WEBHOOK_1, RELEASE]),
    ("router", [ROUTER]),
    ("release", [RELEASE, OLD_RELEASE]),
    ("seaway", [SEAWAY, SEAWAY_WEB_1]),
])
def test_source(source: str, expected: list[str]):
    assert matching(LogQuery(source=source)) == expected


@pytest.mark.parametrize("source", ["web", "App", "heroku", "app[web.1]", ""])
def test_unknown_source_is_a_query_error(source: str):
    with pytest.raises(QueryError, match="Unknown log source") as raised:
        LogQuery(source=source)
    assert isinstance(raised.value, ValueError)
    assert "app, router, release, seaway" in str(raised.value)


# -- dyno -------------------------------------------------------------------------------------

def test_dyno_name_matches_that_dyno_only():
    assert matching(LogQuery(dyno="web.1")) == [WEB_1, SEAWAY_WEB_1]
    assert matching(LogQuery(dyno="web.10")) == [WEB_10]
    assert matching(LogQuery(dyno="web.2")) == [WEB_2]
    assert matching(LogQuery(dyno="web.3")) == []


def test_dyno_type_matches_every_dyno_of_the_type():
    assert matching(LogQuery(dyno="web")) == [WEB_1, WEB_2, WEB_10, SEAWAY_WEB_1]
    assert matching(LogQuery(dyno="worker")) == [WORKER_1]
    assert matching(LogQuery(dyno="release")) == [RELEASE, OLD_RELEASE]
    assert matching(LogQuery(dyno="we")) == []  # a type is matched whole, not as a prefix


def test_lines_without_a_dyno_never_match_a_dyno_query():
    for dyno in ("web", "web.1", "router", "seaway"):
        assert not LogQuery(dyno=dyno).matches(ROUTER)
        assert not LogQuery(dyno=dyno).matches(SEAWAY)


def test_source_and_dyno_together():
    assert matching(LogQuery(source="app", dyno="web.1")) == [WEB_1]
    assert matching(LogQuery(source="seaway", dyno="web")) == [SEAWAY_WEB_1]
    assert matching(LogQuery(source="router", dyno="web")) == []


def test_brackets_and_colons_in_the_message_do_not_confuse_the_origin():
    tricky = line("app[web.1]", "GET /items[2]: app[web.2]: 404")
    assert LogQuery(dyno="web.1").matches(tricky)
    assert not LogQuery(dyno="web.2").matches(tricky)
    assert LogQuery(source="app").matches(tricky)
    assert not LogQuery(source="router").matches(line("app[web.1]", "router: nope"))


def test_empty_message():
    empty = line("app[web.1]", "")
    assert LogQuery(source="app", dyno="web.1").matches(empty)
    assert not LogQuery(dyno="web.2").matches(empty)


# -- grep -------------------------------------------------------------------------------------

def test_grep_is_plain_case_sensitive_text():
    assert matching(LogQuery(grep="GET /")) == [WEB_1, WEB_2, WEB_10]
    assert matching(LogQuery(grep="get /")) == []
    assert matching(LogQuery(grep="status=200")) == [ROUTER]
    assert LogQuery(grep="[2]").matches(line("app[web.1]", "a[2]"))  # not a regular expression
    assert not LogQuery(grep="a.c").matches(line("app[web.1]", "abc"))


def test_grep_with_source_and_dyno():
    assert matching(LogQuery(source="app", dyno="web", grep="200")) == [WEB_1, WEB_2, WEB_10]
    assert matching(LogQuery(source="app", dyno="web.1", grep="about")) == []
    assert matching(LogQuery(dyno="web.2", grep="about")) == [WEB_2]


# -- since ------------------------------------------------------------------------------------

def test_since_keeps_lines_stamped_then_or_later():
    stamp = WHEN.isoformat(timespec="microseconds")
    earlier = line("seaway", "before", WHEN - timedelta(microseconds=1))
    same = line("seaway", "same")
    later = line("seaway", "after", WHEN + timedelta(seconds=1))
    query = LogQuery(since=stamp)
    assert [query.matches(candidate) for candidate in (earlier, same, later)] == [False, True, True]


def test_since_compares_stamps_across_days_and_years():
    query = LogQuery(since="2026-03-04T05:06:07.890123+00:00")
    assert not query.matches(line("seaway", "x", datetime(2025, 12, 31, 23, 59, 59, tzinfo=timezone.utc)))
    assert query.matches(line("seaway", "x", datetime(2026, 3, 5, tzinfo=timezone.utc)))
    assert query.matches(line("seaway", "x", datetime(2027, 1, 1, tzinfo=timezone.utc)))


def test_since_with_other_filters():
    later = line("router", "after", WHEN + timedelta(seconds=1))
    query = LogQuery(source="router", since=WHEN.isoformat(timespec="microseconds"))
    assert query.matches(later)
    assert query.matches(ROUTER)
    assert not query.matches(line("router", "before", WHEN - timedelta(seconds=1)))
    assert not query.matches(line("seaway", "after", WHEN + timedelta(seconds=1)))
