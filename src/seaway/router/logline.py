"""nginx's per-request record (log_format seaway_router) as a Heroku router line. Pure: text in, text out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

FIELDS = ("app", "code", "method", "path", "host", "request_id", "fwd", "upstream", "connect", "service",
          "request_time", "status", "bytes", "protocol")
ERRORS = {
    "H10": "App crashed",
    "H12": "Request timeout",
    "H13": "Connection closed without response",
    "H14": "No web processes running",
    "H27": "Client Request Interrupted",
}


@dataclass(frozen=True)
class RouterRecord:
    app: str
    line: str


def _last(value: str) -> str:
    """The last of the values nginx lists for every upstream tried ("a, b : c"): the one that answered."""
    return value.rpartition(" ")[2]


def _ms(seconds: str) -> str:
    try:
        return f"{round(float(_last(seconds)) * 1000)}ms"
    except (ValueError, OverflowError):  # "-": never got that far
        return ""


def _code(fields: dict[str, str]) -> str:
    code = fields["code"]
    if code == "H10" and _ms(fields["connect"]):
        return "H13"  # the dyno took the connection, then closed it without answering
    if not code and fields["status"] == "499":
        return "H27"
    return code


def parse_record(message: str, dyno_of: Callable[[str, str], str]) -> RouterRecord | None:
    """`message` is one tab-separated record; `dyno_of(app, "host:port")` names the dyno behind an address."""
    values = message.rstrip("\n").split("\t")
    if len(values) < len(FIELDS) or not values[0]:
        return None
    fields = dict(zip(FIELDS, values, strict=False))
    code = _code(fields)
    upstream = _last(fields["upstream"])
    service = _ms(fields["service"]) if upstream else ""
    if not service and code != "H14":
        service = _ms(fields["request_time"])
    dyno = dyno_of(fields["app"], upstream) if upstream else ""
    head = f'at=error code={code} desc="{ERRORS.get(code, "Router error")}"' if code else "at=info"
    line = (f'{head} method={fields["method"]} path="{fields["path"]}" host={fields["host"]} '
            f'request_id={fields["request_id"]} fwd="{fields["fwd"]}" dyno={dyno} '
            f'connect={_ms(fields["connect"])} service={service} status={fields["status"]} '
            f'bytes={fields["bytes"]} protocol={fields["protocol"]}')
    return RouterRecord(fields["app"], line)


def syslog_message(datagram: bytes) -> str:
    """The message of a syslog datagram from nginx: `<PRI>Mmm dd hh:mm:ss seaway: MESSAGE`."""
    text = datagram.decode("utf-8", errors="replace")
    _, sep, message = text.partition("seaway: ")
    return message if sep else ""
