"""Router records as nginx writes them (log_format seaway_router, with the time it logged the request)."""

from __future__ import annotations

from seaway.router.logline import RECORD_FIELDS

MINUTE = 29_416_666  # a Unix minute (2025-12-06 05:46 UTC)
START = MINUTE * 60.0  # its first second


def record(app: str = "shop", status: str = "200", service: str = "0.012", at: float | None = START + 5,
           **fields: str) -> str:
    """One record of a request that ended at `at` (None: an older record, without its time)."""
    values = {"app": app, "code": "", "method": "GET", "path": "/", "host": f"{app}.localhost",
              "request_id": "r" * 32, "fwd": "127.0.0.1", "upstream": "127.0.0.1:5001", "connect": "0.001",
              "service": service, "request_time": service, "status": status, "bytes": "10", "protocol": "http",
              "msec": "" if at is None else f"{at:.3f}"} | fields
    names = RECORD_FIELDS if at is not None else RECORD_FIELDS[:-1]
    return "\t".join(values[name] for name in names)


class Clock:
    """A clock the test sets: the metrics' `clock`."""

    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at
