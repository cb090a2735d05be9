"""`seaway logs --tail`: the position it resumes from after a daemon restart, and the follow loop itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from seaway.cli import logs as cli_logs
from seaway.cli.client import ApiClient
from seaway.cli.logs import RESUME_WINDOW, _Position, follow_log

pytestmark = pytest.mark.timeout(20)

T1 = "2026-05-06T07:08:09.000001+00:00"
T2 = "2026-05-06T07:08:09.000002+00:00"
T3 = "2026-05-06T07:08:10.000000+00:00"


def at(stamp: str, text: str, source: str = "app[web.1]") -> str:
    return f"{stamp} {source}: {text}"


# -- _Position --------------------------------------------------------------------------------

def test_first_line_is_new():
    position = _Position()
    assert position.stamp is None
    assert position.is_new(at(T1, "hello"))
    assert position.stamp == T1


def test_newer_lines_are_new_and_older_ones_are_not():
    position = _Position()
    assert position.is_new(at(T2, "second"))
    assert position.is_new(at(T3, "third"))
    assert not position.is_new(at(T1, "first"))
    assert not position.is_new(at(T2, "second"))
    assert position.stamp == T3


def test_lines_sharing_a_stamp_are_each_new_once():
    position = _Position()
    batch = [at(T1, "a"), at(T1, "b"), at(T1, "c", "router")]
    assert [position.is_new(line) for line in batch] == [True, True, True]
    position.resume()
    assert [position.is_new(line) for line in batch] == [False, False, False]  # sent again on resume


def test_resuming_skips_what_was_shown_and_shows_the_rest():
    position = _Position()
    before = [at(T1, "one"), at(T2, "two"), at(T2, "three")]
    assert all(position.is_new(line) for line in before)
    # The daemon restarts; asked for lines since T2, it sends the last ones again and then the new ones.
    resumed = [at(T2, "two"), at(T2, "three"), at(T2, "four: same stamp, not shown yet"), at(T3, "five")]
    position.resume()
    assert [line for line in resumed if position.is_new(line)] == resumed[2:]


def test_a_newer_stamp_forgets_the_lines_of_the_older_one():
    position = _Position()
    position.is_new(at(T1, "a"))
    position.is_new(at(T2, "b"))
    assert position.shown == {at(T2, "b"): 1}
    assert not position.is_new(at(T1, "a"))


def test_identical_lines_in_one_batch_are_all_shown():
    position = _Position()
    batch = [at(T1, ""), at(T1, ""), at(T1, "retrying"), at(T1, "retrying")]
    assert [position.is_new(line) for line in batch] == [True, True, True, True]
    position.resume()  # after a reconnect each is skipped as many times as it was shown, no more
    assert [position.is_new(line) for line in [*batch, at(T1, "retrying")]] == [False, False, False, False, True]


# -- follow_log with a real ApiClient over a scripted transport ---------------------------------

class Enough(Exception):
    """Ends the otherwise endless follow loop once the script is played."""


class Daemon:
    """The API as the CLI sees it: one scripted answer per request (lines, or the daemon being away)."""

    def __init__(self, *answers: list[str] | None) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.answers:
            raise Enough
        answer = self.answers.pop(0)
        if answer is None:
            raise httpx.ConnectError("Connection refused", request=request)
        return httpx.Response(200, text="".join(line + "\n" for line in answer))

    def params(self) -> list[dict[str, str]]:
        return [dict(request.url.params) for request in self.requests]


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ApiClient:
    monkeypatch.setenv("SEAWAY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SEAWAY_API_URL", "http://seaway.test")
    monkeypatch.setenv("SEAWAY_API_TOKEN", "token")
    monkeypatch.setattr(cli_logs, "RETRY_EVERY", 0)
    return ApiClient()


def follow(api: ApiClient, daemon: Daemon, params: dict[str, Any]) -> None:
    api.http = httpx.Client(base_url=api.url, transport=httpx.MockTransport(daemon))
    with pytest.raises(Enough):
        follow_log(api, "my-app", params)


def printed(capsys: pytest.CaptureFixture[str]) -> tuple[list[str], list[str]]:
    out, err = capsys.readouterr()
    return out.splitlines(), err.splitlines()


PARAMS = {"num": 100, "tail": True, "source": "", "dyno": "web", "grep": ""}


def test_follow_resumes_after_the_daemon_restarts(api: ApiClient, capsys: pytest.CaptureFixture[str]):
    first = [at(T1, "one"), at(T2, "two"), at(T2, "three")]
    again = [at(T2, "two"), at(T2, "three"), at(T2, "four"), at(T3, "five")]
    daemon = Daemon(first, None, None, again)
    follow(api, daemon, PARAMS)
    out, err = printed(capsys)
    assert out == first + again[2:]
    assert err == ["--- the Seaway daemon went away; waiting for it to come back (Ctrl-C to stop) ---",
                   "--- reconnected ---",
                   "--- the Seaway daemon went away; waiting for it to come back (Ctrl-C to stop) ---"]
    params = daemon.params()
    assert params[0] == {"num": "100", "tail": "true", "source": "", "dyno": "web", "grep": ""}
    # Then from the last line shown, with the user's own filters:
    assert params[1:] == [dict(params[0], since=stamp, num=str(RESUME_WINDOW)) for stamp in (T2, T2, T2, T3)]


def test_follow_before_any_line_asks_for_the_history_again(api: ApiClient, capsys: pytest.CaptureFixture[str]):
    daemon = Daemon([], None, [at(T1, "first ever")])
    follow(api, daemon, PARAMS)
    out, _ = printed(capsys)
    assert out == [at(T1, "first ever")]
    assert [p.get("since") for p in daemon.params()] == [None, None, None, T1]


def test_follow_passes_other_errors_on(api: ApiClient):
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"detail": "No app named my-app"})

    api.http = httpx.Client(base_url=api.url, transport=httpx.MockTransport(refuse))
    with pytest.raises(Exception, match="No app named my-app"):
        follow_log(api, "my-app", PARAMS)


def test_a_progress_bar_line_does_not_silence_the_rest(api: ApiClient, capsys: pytest.CaptureFixture[str]):
    # The store keeps a progress bar's '\r' escaped (tests/logs), so the line reaches the CLI whole.
    daemon = Daemon([at(T1, "Downloading 10%\\rDownloading 100%"), at(T2, "Installed"), at(T3, "Listening")])
    follow(api, daemon, PARAMS)
    out, _ = printed(capsys)
    assert out[-2:] == [at(T2, "Installed"), at(T3, "Listening")]

