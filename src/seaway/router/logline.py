"""nginx's per-request record (log_format seaway_router) as a Heroku router line. Text in, text out."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

FIELDS = ("app", "code", "method", "path", "host", "request_id", "fwd", "upstream", "connect", "service",
          "request_time", "status", "bytes", "protocol")
RECORD_FIELDS = (*FIELDS, "msec")  # what nginx writes now: then when it logged the request (older records lack it)
ERRORS = {
    "H10": "App crashed",
    "H12": "Request timeout",
    "H13": "Connection closed without response",
    "H14": "No web processes running",
    "H27": "Client Request Interrupted",
}


class RouterRecord(NamedTuple):  # a tuple: made for every request, so cheap to make
    app: str
    line: str
    when: float | None = None  # Unix time the request ended, as nginx logged it (None: an older record)
    status: str = ""  # the HTTP status sent, as nginx wrote it ("200", "499")
    code: str = ""  # the router error (H10, H12, H13, H14, H27...), "" for none
    service_ms: int | None = None  # the service time in the line, None when it has none (H14)


def _last(value: str) -> str:
    """The last of the values nginx lists for every upstream tried ("a, b : c"): the one that answered."""
    return value.rpartition(" ")[2]


_MS: dict[str, tuple[str, int | None]] = {}  # nginx's "0.012" -> ("12ms", 12): the same few timings come again and again
_MS_KEPT = 10_000
_NONE = ("", None)


def _ms(seconds: str) -> tuple[str, int | None]:
    found = _MS.get(seconds)
    if found is None:
        try:
            milliseconds = round(float(_last(seconds)) * 1000)
            found = (f"{milliseconds}ms", milliseconds)
        except (ValueError, OverflowError):  # "-": never got that far
            found = _NONE
        if len(_MS) < _MS_KEPT:
            _MS[seconds] = found
    return found


def _code(code: str, connect_ms: str, status: str) -> str:
    if code == "H10" and connect_ms:
        return "H13"  # the dyno took the connection, then closed it without answering
    if not code and status == "499":
        return "H27"
    return code


def parse_record(record: str, dyno_of: Callable[[str, str], str]) -> RouterRecord | None:
    """`record` is one tab-separated record; `dyno_of(app, "host:port")` names the dyno behind an address."""
    values = record.rstrip("\n").split("\t")
    if len(values) < len(FIELDS) or not values[0]:
        return None
    (app, code, method, path, host, request_id, fwd, upstream, connect, service, request_time, status, sent,
     protocol) = values[:len(FIELDS)]
    connect_ms, upstream = _ms(connect)[0], _last(upstream)
    code = _code(code, connect_ms, status)
    service_text, service_ms = _ms(service) if upstream else _NONE
    if not service_text and code != "H14":
        service_text, service_ms = _ms(request_time)
    dyno = dyno_of(app, upstream) if upstream else ""
    when = _seconds(values[len(FIELDS)]) if len(values) > len(FIELDS) else None
    head = f'at=error code={code} desc="{ERRORS.get(code, "Router error")}"' if code else "at=info"
    return RouterRecord(app, f'{head} method={method} path="{path}" host={host} request_id={request_id} '
                             f'fwd="{fwd}" dyno={dyno} connect={connect_ms} service={service_text} status={status} '
                             f'bytes={sent} protocol={protocol}', when, status, code, service_ms)


def _seconds(msec: str) -> float | None:
    try:
        return float(msec)
    except ValueError:
        return None
