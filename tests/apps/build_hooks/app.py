"""Seaway sample: serves what its build hooks wrote into the slug."""
from pathlib import Path

HERE = Path(__file__).parent


def app(environ, start_response):
    name = environ.get("PATH_INFO", "/").strip("/") or "post"
    path = HERE / "generated" / f"{name}.txt"
    if not path.is_file():
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no such file\n"]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [path.read_bytes()]
