"""Seaway sample: no .python-version, so the default Python (3.13) is used, for which greenlet 3.0.1 has
no wheel and does not compile: the build must fail naming greenlet and why that Python was chosen."""
import greenlet  # noqa: F401


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"never deployed\n"]
