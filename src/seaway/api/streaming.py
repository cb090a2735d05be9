"""Long work streamed to the client as NDJSON: `{"line": ...}` lines live, then one `{"result": ...}`."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from seaway.errors import UserError
from seaway.faults import report_fault
from seaway.release import ReleaseFailed
from seaway.slugs.errors import BuildError

USER_ERRORS = (BuildError, ReleaseFailed, UserError)
_DONE = object()


def stream_job(job: Callable[[Callable[[str], None]], Any]) -> Iterator[str]:
    """Run `job(emit)` in its own thread (it finishes even if the client goes away) and stream its output."""
    lines: queue.Queue[Any] = queue.Queue()
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = job(lines.put)
        except USER_ERRORS as error:
            outcome["error"] = str(error)
            if not isinstance(error, UserError):  # which stage failed, for `git push` to say
                outcome["failed"] = "build" if isinstance(error, BuildError) else "release"
        except Exception as error:  # reported to the client, not swallowed: the daemon keeps serving
            outcome["error"] = report_fault(error, "the request")
        finally:
            lines.put(_DONE)

    threading.Thread(target=run, daemon=True, name="job").start()
    while (item := lines.get()) is not _DONE:
        yield json.dumps({"line": item}) + "\n"
    yield json.dumps(outcome) + "\n"


def log_stream(lines: Iterator[str | None], events: bool, keepalive: float = 15.0) -> Iterator[str]:
    """Log lines as text (a line each) or server-sent events (`data: LINE`), in chunks of up to 500 lines.

    `lines` yields None while it waits for more; an event stream then gets a comment now and then
    so that proxies keep it open."""
    batch: list[str] = []
    quiet_since = time.monotonic()
    for line in lines:
        if line is not None:
            batch.append(f"data: {line}\n\n" if events else line + "\n")
            if len(batch) < 500:
                continue
        if batch:
            yield "".join(batch)
            batch, quiet_since = [], time.monotonic()
        elif events and time.monotonic() - quiet_since > keepalive:
            yield ": keep-alive\n\n"
            quiet_since = time.monotonic()
    if batch:
        yield "".join(batch)
