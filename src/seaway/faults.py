"""The platform's own failures (a bug or a host problem, not the user's input): written in full to the
daemon's log (its stderr) under a reference, and told to the user as a "Seaway error" with that
reference, never as a bare Python exception."""

from __future__ import annotations

import sys
import traceback
import uuid


def report_fault(error: BaseException, during: str) -> str:
    """Log `error` with its traceback under a new reference; the message for the user."""
    reference = uuid.uuid4().hex[:10]
    details = "".join(traceback.format_exception(error)).rstrip()
    print(f"seaway: fault {reference} during {during}:\n{details}", file=sys.stderr, flush=True)
    return (f"Seaway error (reference {reference}): {during} failed inside the platform, not because of your app "
            f"or input. The daemon's log has the details under that reference.")
