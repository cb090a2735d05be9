"""Long work streamed to the client as NDJSON: `{"line": ...}` lines live, then one `{"result": ...}`."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from seaway.build.errors import BuildError
from seaway.release import ReleaseFailed
from seaway.store import StoreError

USER_ERRORS = (BuildError, ReleaseFailed, StoreError)
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
        except Exception as error:  # reported to the client, not swallowed: the daemon keeps serving
            outcome["error"] = f"Internal error: {type(error).__name__}: {error}"
        finally:
            lines.put(_DONE)

    threading.Thread(target=run, daemon=True, name="job").start()
    while (item := lines.get()) is not _DONE:
        yield json.dumps({"line": item}) + "\n"
    yield json.dumps(outcome) + "\n"
