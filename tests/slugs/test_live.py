"""LiveOutput: a deploy's lines followed while it runs, from the start, to its end."""

from __future__ import annotations

import threading

from seaway.slugs.live import LiveOutput


def test_a_follower_gets_every_line_from_the_start_and_stops_at_the_end() -> None:
    live, emitted = LiveOutput(), []
    with live.recording("app", 7, emitted.append) as emit:
        emit("-----> one")
        follower = live.follow(7)
        assert follower is not None and live.running("app") == [7]
        got = [next(follower)]
        started = threading.Event()

        def rest() -> None:
            started.set()
            got.extend(line for line in follower if line is not None)

        reader = threading.Thread(target=rest)
        reader.start()
        started.wait()
        emit("-----> two")
    reader.join(30)
    assert not reader.is_alive()
    assert got == ["-----> one", "-----> two"]
    assert emitted == ["-----> one", "-----> two"]
    assert live.follow(7) is None and live.running("app") == []


def test_a_failed_deploy_ends_its_followers_too() -> None:
    live = LiveOutput()
    try:
        with live.recording("app", 1, lambda _line: None) as emit:
            emit("building")
            follower = live.follow(1)
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert follower is not None
    assert [line for line in follower if line is not None] == ["building"]


def test_only_the_apps_own_builds_are_listed() -> None:
    live = LiveOutput()
    with live.recording("a", 1, lambda _line: None), live.recording("b", 2, lambda _line: None):
        assert live.running("a") == [1] and live.running("b") == [2]
