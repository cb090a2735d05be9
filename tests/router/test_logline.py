"""parse_record: nginx's tab-separated seaway_router record as a Heroku router line."""

from __future__ import annotations

import pytest

from seaway.router.logline import FIELDS, parse_record

DYNOS = {"127.0.0.1:5001": "web.1", "127.0.0.1:5002": "web.2"}
REQUEST_ID = "0f5c2b1e-6b8d-4f0e-9a57-3c2d1e0f9a8b"


def dyno_of(app: str, address: str) -> str:
    """Like NginxRouter.dyno_of: the dyno's name, or the address itself when it is not known."""
    assert app == "my-app"
    return DYNOS.get(address, address)


def record(**fields: str) -> str:
    """One record as nginx writes it (log_format seaway_router): FIELDS in order, tab-separated."""
    values = {
        "app": "my-app", "code": "", "method": "GET", "path": "/x", "host": "my-app.localhost",
        "request_id": REQUEST_ID, "fwd": "10.0.0.7", "upstream": "127.0.0.1:5001", "connect": "0.001",
        "service": "0.012", "request_time": "0.013", "status": "200", "bytes": "415", "protocol": "http",
    } | fields
    assert set(values) == set(FIELDS), "a field the parser does not know"
    return "\t".join(values[name] for name in FIELDS)


def line_of(message: str) -> str:
    parsed = parse_record(message, dyno_of)
    assert parsed is not None
    assert parsed.app == "my-app"
    return parsed.line


def test_info_line():
    assert line_of(record()) == (
        f'at=info method=GET path="/x" host=my-app.localhost request_id={REQUEST_ID} fwd="10.0.0.7" '
        'dyno=web.1 connect=1ms service=12ms status=200 bytes=415 protocol=http'
    )


def test_trailing_newline_is_ignored():
    assert line_of(record() + "\n") == line_of(record())


def test_h12_request_timeout():
    line = line_of(record(code="H12", connect="0.000", service="30.002", request_time="30.003", status="503"))
    assert line.startswith('at=error code=H12 desc="Request timeout" method=GET path="/x" ')
    assert " dyno=web.1 connect=0ms service=30002ms status=503 " in line


def test_h10_when_the_dyno_could_not_be_reached():
    """nginx says H10 (502 from the upstream) and never connected: connect time "-"."""
    line = line_of(record(code="H10", connect="-", service="0.000", request_time="0.001", status="503"))
    assert line.startswith('at=error code=H10 desc="App crashed" ')
    assert " dyno=web.1 connect= service=0ms status=503 " in line


def test_h13_when_the_dyno_connected_then_closed_without_answering():
    """Same code H10 from nginx, but a connect time: the dyno took the connection, then closed it."""
    line = line_of(record(code="H10", connect="0.000", service="0.004", request_time="0.005", status="503"))
    assert line.startswith('at=error code=H13 desc="Connection closed without response" ')
    assert " dyno=web.1 connect=0ms service=4ms status=503 " in line


def test_h14_no_web_dynos():
    """No upstream at all: nginx leaves the upstream fields empty (escape=json writes nothing for them)."""
    line = line_of(record(code="H14", upstream="", connect="", service="", request_time="0.000", status="503",
                          bytes="270"))
    assert line == (
        f'at=error code=H14 desc="No web processes running" method=GET path="/x" host=my-app.localhost '
        f'request_id={REQUEST_ID} fwd="10.0.0.7" dyno= connect= service= status=503 bytes=270 protocol=http'
    )


def test_h27_client_went_away():
    line = line_of(record(status="499", service="2.500", request_time="2.501", bytes="0"))
    assert line.startswith('at=error code=H27 desc="Client Request Interrupted" ')
    assert " dyno=web.1 connect=1ms service=2500ms status=499 bytes=0 " in line


def test_status_499_with_a_code_keeps_the_code():
    assert line_of(record(code="H12", status="499")).startswith("at=error code=H12 ")


def test_error_statuses_from_the_app_are_info():
    """A 500 the app itself answered is the app's business: at=info, like Heroku."""
    assert line_of(record(status="500")).startswith("at=info ")


@pytest.mark.parametrize("separator", [", ", " : "])
def test_several_upstreams_tried_the_last_one_answered(separator: str):
    """nginx lists every upstream it tried ("a, b", and "a : b" across an internal redirect)."""
    line = line_of(record(upstream=f"127.0.0.1:5001{separator}127.0.0.1:5002", connect=f"-{separator}0.002",
                          service=f"0.000{separator}0.020", request_time="0.025"))
    assert " dyno=web.2 connect=2ms service=20ms status=200 " in line


def test_three_upstreams_mixed_separators():
    line = line_of(record(upstream="127.0.0.1:5002, 127.0.0.1:5009 : 127.0.0.1:5001", connect="-, - : 0.003",
                          service="0.000, 0.000 : 0.040"))
    assert " dyno=web.1 connect=3ms service=40ms " in line


def test_every_upstream_failed_names_the_last_dyno_tried():
    line = line_of(record(code="H10", upstream="127.0.0.1:5001, 127.0.0.1:5002", connect="-, -",
                          service="0.000, 0.001", status="503"))
    assert line.startswith("at=error code=H10 ")  # the last connect time is "-": never connected
    assert " dyno=web.2 connect= service=1ms " in line


def test_unknown_upstream_address_is_named_by_its_address():
    line = line_of(record(upstream="127.0.0.1:7777"))
    assert " dyno=127.0.0.1:7777 connect=1ms " in line


def test_service_falls_back_to_the_request_time():
    """No usable upstream response time (an error page from nginx itself): the whole request's time."""
    line = line_of(record(code="H12", service="-", request_time="30.010", status="503"))
    assert " service=30010ms " in line


def test_dyno_of_is_asked_for_the_records_app():
    asked: list[tuple[str, str]] = []

    def recording(app: str, address: str) -> str:
        asked.append((app, address))
        return "web.3"

    parsed = parse_record(record(app="other-app", upstream="127.0.0.1:5001, 127.0.0.1:5003"), recording)
    assert parsed is not None and parsed.app == "other-app"
    assert asked == [("other-app", "127.0.0.1:5003")]
    assert " dyno=web.3 " in parsed.line


def test_no_upstream_does_not_ask_for_a_dyno():
    parse_record(record(code="H14", upstream="", connect="", service=""),
                 lambda app, address: pytest.fail("dyno_of called without an upstream"))


def test_values_escaped_by_nginx_are_kept_as_they_are():
    """escape=json: a quote in the path arrives as \\" and a tab as \\t, never as a field separator."""
    line = line_of(record(path='/a\\"b\\tc?q=1'))
    assert ' path="/a\\"b\\tc?q=1" ' in line


@pytest.mark.parametrize("message", [
    "",
    "garbage",
    "\t".join(["my-app"] * (len(FIELDS) - 1)),  # one field short
])
def test_too_few_fields_is_not_a_record(message: str):
    assert parse_record(message, dyno_of) is None


def test_a_record_without_an_app_is_not_logged():
    """The default server (unknown host) has an empty $seaway_app."""
    assert parse_record(record(app=""), dyno_of) is None


def test_extra_fields_are_ignored():
    assert line_of(record() + "\tsomething\tnew") == line_of(record())


def test_the_same_timing_gives_the_same_line_every_time():
    """Timings are remembered once converted: a remembered one must convert as it did the first time."""
    first = line_of(record(connect="0.013", service="1.250"))
    assert "connect=13ms service=1250ms" in first
    assert all(line_of(record(connect="0.013", service="1.250")) == first for _ in range(3))


def test_the_requests_own_time_is_read_when_nginx_logged_it():
    assert parse_record(record() + "\t1700000000.123", dyno_of).when == 1700000000.123
    assert parse_record(record(), dyno_of).when is None  # a record from before this field
    assert parse_record(record() + "\t-", dyno_of).when is None


def test_the_record_carries_its_status_code_and_service_time_as_numbers_for_the_metrics():
    ok = parse_record(record(), dyno_of)
    assert ok is not None and (ok.status, ok.code, ok.service_ms) == ("200", "", 12)
    timeout = parse_record(record(code="H12", service="30.002", status="503"), dyno_of)
    assert timeout is not None and (timeout.status, timeout.code, timeout.service_ms) == ("503", "H12", 30002)
    gone = parse_record(record(status="499", service="-", request_time="0.250"), dyno_of)
    assert gone is not None and (gone.code, gone.service_ms) == ("H27", 250)  # the request time, as the line says
    none = parse_record(record(code="H14", upstream="", connect="", service="", request_time="0.000", status="503"),
                        dyno_of)
    assert none is not None and (none.code, none.service_ms) == ("H14", None) and " service= " in none.line
