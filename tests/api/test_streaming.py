"""stream_job: a job's output as NDJSON lines, then one final result or error object."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

import pytest

from seaway.api.streaming import stream_job
from seaway.errors import NotFound
from seaway.release import ReleaseFailed
from seaway.slugs.errors import BuildError

pytestmark = pytest.mark.timeout(20)

Emit = Callable[[str], None]


def decoded(chunks) -> list[dict]:
    out = []
    for chunk in chunks:
        assert chunk.endswith("\n") and chunk.count("\n") == 1  # one JSON object per line
        out.append(json.loads(chunk))
    return out


def test_lines_then_result():
    def job(emit: Emit):
        emit("-----> Building")
        emit("       done")
        return {"release": 3, "ok": True}

    assert decoded(stream_job(job)) == [
        {"line": "-----> Building"},
        {"line": "       done"},
        {"result": {"release": 3, "ok": True}},
    ]


def test_no_lines_and_a_none_result():
    assert decoded(stream_job(lambda emit: None)) == [{"result": None}]


def test_lines_are_json_escaped():
    tricky = 'quote " backslash \\ tab \t unicode ü and {"line": 1}'
    assert decoded(stream_job(lambda emit: emit(tricky)))[0] == {"line": tricky}


@pytest.mark.parametrize(("error", "stage"), [(BuildError("requirements.txt is missing"), {"failed": "build"}),
                                            (NotFound("No such app: nope"), {}),
                                            (ReleaseFailed("the release command exited with status 1"),
                                             {"failed": "release"})])
def test_user_errors_become_their_message_and_say_which_stage_failed(error: Exception, stage: dict[str, str]):
    def job(emit: Emit):
        emit("before the error")
        raise error

    assert decoded(stream_job(job)) == [{"line": "before the error"}, {"error": str(error), **stage}]


def test_other_exceptions_become_seaway_errors_with_a_reference_to_the_log(capsys: pytest.CaptureFixture[str]):
    def job(emit: Emit):
        emit("working")
        raise KeyError("slug")

    line, outcome = decoded(stream_job(job))
    assert line == {"line": "working"}
    message = outcome["error"]
    assert message.startswith("Seaway error (reference ") and "KeyError" not in message
    reference = message.split("(reference ")[1].split(")")[0]
    logged = capsys.readouterr().err
    assert f"seaway: fault {reference} during the request:" in logged
    assert "Traceback" in logged and "KeyError: 'slug'" in logged


def test_each_fault_gets_its_own_reference(capsys: pytest.CaptureFixture[str]):
    def job(emit: Emit):
        raise ValueError("boom")

    first, second = (decoded(stream_job(job))[0]["error"] for _ in range(2))
    assert first != second and "ValueError" not in first
    assert capsys.readouterr().err.count("ValueError: boom") == 2


def test_lines_are_streamed_while_the_job_runs():
    go_on = threading.Event()

    def job(emit: Emit):
        emit("first")
        return go_on.wait(5)  # True only if the consumer saw "first" before the job finished

    stream = stream_job(job)
    assert json.loads(next(stream)) == {"line": "first"}
    go_on.set()
    assert decoded(stream) == [{"result": True}]


def test_job_runs_in_its_own_thread():
    seen: list[threading.Thread] = []
    decoded(stream_job(lambda emit: seen.append(threading.current_thread())))
    assert seen and seen[0] is not threading.current_thread()


def test_job_finishes_even_if_the_consumer_stops_reading():
    go_on, finished = threading.Event(), threading.Event()
    emitted: list[str] = []

    def job(emit: Emit):
        emit("first")
        go_on.wait(5)
        for i in range(1000):
            emit(f"line {i}")
            emitted.append(f"line {i}")
        finished.set()
        return "done"

    stream = stream_job(job)
    assert json.loads(next(stream)) == {"line": "first"}
    stream.close()  # the client went away
    del stream
    go_on.set()
    assert finished.wait(10)
    assert len(emitted) == 1000
